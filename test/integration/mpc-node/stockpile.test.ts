import { randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { decodePresignatureShare, EcdsaSign, type PresignatureShare, type SignOutput } from '../../../shared/crypto/ecdsa/index.js';
import { generateTriples } from '../../../shared/crypto/ecdsa/triples/index.js';
import { decodeEddsaPresignature } from '../../../shared/crypto/eddsa/presign.js';
import { runProtocols } from '../../../shared/crypto/runner.js';
import { parsePartition, presignaturePartition, tripleId, triplePartition } from '../../../services/mpc-node/assets.js';
import { StockpileFollower } from '../../../services/mpc-node/stockpile/follower.js';
import { Stockpile, type OwnerRunReport } from '../../../services/mpc-node/stockpile/index.js';
import { StockpileMetrics } from '../../../services/mpc-node/stockpile/metrics.js';
import type { Asset, AssetStore } from '../../../services/mpc-node/storage/asset-store.js';
import { runDkg } from '../../../shared/crypto/keygen/test-helpers.js';
import type { NodeContext, ServingKey, ServingState } from '../../../services/mpc-node/node-context.js';
import { MetricsRegistry } from '../../../services/mpc-node/observability/metrics.js';
import { startTestCluster, TEST_DOMAINS, type TestCluster } from '../../support/node-cluster.js';
import { until } from '../../support/until.js';

const TARGET = 4;
const BATCH = 4;
const PAIRS = [[0, 1], [0, 2], [1, 2]] as const;
/**
 * Why a run among reachable, healthy nodes may fail in these tests (`OwnerRunReport.reason`): none. A
 * timeout, an abort or a refusal between them is a bug to find, not noise to allow.
 */
const ALLOWED_FAILURE_REASONS: ReadonlySet<string> = new Set();

/** Every asset of a partition, taken out of the store (destructive: only for the final checks). */
async function drain(store: { takeAny(partition: string): Promise<Asset | undefined> }, partition: string): Promise<Asset[]> {
  const out: Asset[] = [];
  for (let asset = await store.takeAny(partition); asset !== undefined; asset = await store.takeAny(partition)) out.push(asset);
  return out;
}

describe('stockpile', () => {
  let cluster: TestCluster;
  let stockpiles: Stockpile[];
  const reports: OwnerRunReport[] = [];
  let target = TARGET;

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 3, threshold: 2, protocolTimeoutMs: 15_000, pingIntervalMs: 200 });
    stockpiles = cluster.nodes.map(
      ({ context }) =>
        new Stockpile({
          context,
          presignatureTarget: () => target,
          tripleTarget: 16,
          tripleBatchSize: BATCH,
          maxConcurrentGenerations: 2,
          planIntervalMs: 200,
          backoff: { baseMs: 200, maxMs: 2_000 },
          // Every followed share is old enough to be asked about (the default waits 10 minutes).
          shareAudit: { minAgeMs: 0, answerTimeoutMs: 5_000 },
          onOwnerRun: (report) => reports.push(report),
        }),
    );
  });
  afterAll(async () => {
    await Promise.all(stockpiles.map((stockpile) => stockpile.stop()));
    await cluster.stop();
  });

  it('fills every node to its target; shares sit at exactly their set, ECDSA ones sign, used triples are gone', async () => {
    await Promise.all(stockpiles.map((stockpile) => stockpile.start()));
    await until(() => stockpiles.every((s) => s.presignaturesAvailable(0) >= TARGET && s.presignaturesAvailable(1) >= TARGET), 40_000, 'the stockpiles to fill');
    await Promise.all(stockpiles.map((stockpile) => stockpile.stop()));
    expect(reports.filter((r) => r.outcome === 'failed')).toEqual([]);
    expect(cluster.nodes[0]!.context.metrics.render()).toMatch(/stockpile_usable_presignatures\{domain="0",scheme="ecdsa"\} [4-8]/);

    // Used triples are gone at every participant of their set.
    for (const report of reports.filter((r) => r.kind === 'ecdsa-presign')) {
      for (const id of report.consumedTriples!.ids) {
        for (const p of report.participants) expect(await cluster.nodes[p]!.context.stores.triples.take(report.consumedTriples!.partition, id)).toBeUndefined();
      }
    }

    // Every presignature share is at exactly the participants of its set, under the same id.
    const ecdsaShares = new Map<string, Map<number, PresignatureShare>>();
    for (const [domainId, scheme] of [[0, 'ecdsa'], [1, 'eddsa']] as const) {
      for (const owner of [0, 1, 2]) {
        for (const pair of PAIRS) {
          const partition = presignaturePartition(scheme, { domainId, epochId: 0 }, owner, pair);
          const assets = await Promise.all([0, 1, 2].map((node) => drain(cluster.nodes[node]!.context.stores.presignatures, partition)));
          const held = assets.map((list) => list.map((a) => a.id).sort());
          for (const asset of assets.flat()) {
            if (scheme === 'eddsa') {
              expect(decodeEddsaPresignature(asset.payload).commitments.size).toBe(2);
              continue;
            }
            const shares = ecdsaShares.get(asset.id) ?? new Map<number, PresignatureShare>();
            const share = decodePresignatureShare(asset.payload);
            shares.set(share.me, share);
            ecdsaShares.set(asset.id, shares);
          }
          if (!(pair as readonly number[]).includes(owner)) {
            expect(held.flat()).toEqual([]);
            continue;
          }
          const outsider = [0, 1, 2].find((n) => !(pair as readonly number[]).includes(n))!;
          expect(held[outsider]).toEqual([]);
          expect(held[pair[0]]).toEqual(held[pair[1]]);
          for (const id of held[owner]!) expect(reports.some((r) => r.instance === id && r.partition === partition)).toBe(true);
        }
      }
    }
    expect(ecdsaShares.size).toBeGreaterThanOrEqual(3 * TARGET);

    // The two shares of one ECDSA presignature sign together; the signature verifies under the root key (zero tweak).
    const [, pairShares] = [...ecdsaShares][0]!;
    const request = { payloadHash: new Uint8Array(randomBytes(32)), tweak: new Uint8Array(32), entropy: new Uint8Array(randomBytes(32)) };
    const signers = [...pairShares.keys()];
    const { outputs } = runProtocols(new Map(signers.map((id) => [id, new EcdsaSign(pairShares.get(id)!, request, signers[0]!)] as const)));
    const output = outputs.get(signers[0]!) as SignOutput;
    if (output.role !== 'coordinator') throw new Error('no signature');
    const compact = Uint8Array.from([...output.signature.bigR.subarray(1), ...output.signature.s]);
    expect(secp256k1.verify(compact, request.payloadHash, pairShares.get(signers[0]!)!.publicKey, { prehash: false })).toBe(true);
  });

  it('a follower refuses a presign naming a missing or already-used triple, and takes nothing else', async () => {
    // Node 1 has node 0 generate a batch of triples owned by node 1 (the legitimate follower path).
    const [peer, follower] = [cluster.nodes[1]!.context, cluster.nodes[0]!.context];
    const set = [0, 1];
    const partition = triplePartition(1, set);
    // The stockpile test before may have left triples of this partition (kept ahead of need).
    const before = await follower.stores.triples.count(partition);
    const instance = new Uint8Array(randomBytes(32));
    const instanceHex = Buffer.from(instance).toString('hex');
    await peer.network.control.sendTo([0], { type: 'triples', instance: instanceHex, participants: set, threshold: 2, batchSize: 3 });
    await peer.network.router.run(instance, generateTriples({ participants: set, me: 1, threshold: 2, batchSize: 3, sessionId: instance }), set, 15_000);
    // The follower stores its shares right after its side of the run returns, a moment after ours.
    for (let tries = 0; tries < 100 && (await follower.stores.triples.count(partition)) < before + 3; tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await follower.stores.triples.count(partition)).toBe(before + 3);

    const refusedBefore = () => Number(/control_messages_rejected_total\{reason="refused",type="ecdsa-presign"\} (\d+)/.exec(follower.metrics.render())?.[1] ?? 0);
    const presign = (ids: [string, string]) =>
      peer.network.control.sendTo([0], { type: 'ecdsa-presign', instance: randomBytes(32).toString('hex'), participants: set, domainId: 0, epochId: 0, triplePartition: partition, tripleIds: ids });
    const missing = tripleId('ab'.repeat(32), 0);
    const start = refusedBefore();
    await presign([missing, tripleId('cd'.repeat(32), 1)]);
    await until(() => refusedBefore() === start + 1, 5_000, 'the first refusal');
    expect(await follower.stores.triples.count(partition)).toBe(before + 3);

    // One named triple exists, the other does not: refused; only the named one is consumed.
    await presign([tripleId(instanceHex, 0), missing]);
    await until(() => refusedBefore() === start + 2, 5_000, 'the second refusal');
    expect(await follower.stores.triples.count(partition)).toBe(before + 2);

    // Naming the now-used triple again is refused too.
    await presign([tripleId(instanceHex, 0), tripleId(instanceHex, 1)]);
    await until(() => refusedBefore() === start + 3, 5_000, 'the third refusal');
    expect(await follower.stores.triples.count(partition)).toBe(before + 1);
    expect(await follower.stores.presignatures.count(presignaturePartition('ecdsa', { domainId: 0, epochId: 0 }, 1, set))).toBe(0);

    // A request from a participant outside the named set, or for a set of the wrong size, is refused before anything is taken.
    await cluster.nodes[2]!.context.network.control.sendTo([0], { type: 'ecdsa-presign', instance: randomBytes(32).toString('hex'), participants: set, domainId: 0, epochId: 0, triplePartition: partition, tripleIds: [tripleId(instanceHex, 2), missing] });
    await cluster.nodes[1]!.context.network.control.sendTo([0], { type: 'eddsa-presign', instance: randomBytes(32).toString('hex'), participants: [0, 1, 2], domainId: 1, epochId: 0 });
    await until(() => /control_messages_rejected_total\{reason="refused",type="eddsa-presign"\} 1/.test(follower.metrics.render()) && refusedBefore() === start + 4, 5_000, 'the last refusals');
    expect(await follower.stores.triples.count(partition)).toBe(before + 1);
  });

  it('a follower deletes its shares of a run whose owner dropped it (only on the owner\'s word), also when the notice comes before its store', async () => {
    const [owner, follower, stranger] = [cluster.nodes[1]!.context, cluster.nodes[0]!.context, cluster.nodes[2]!.context];
    const set = [0, 1];
    const partition = triplePartition(1, set);
    const batch = async (dropEarly: boolean) => {
      const instance = new Uint8Array(randomBytes(32));
      const instanceHex = Buffer.from(instance).toString('hex');
      await owner.network.control.sendTo([0], { type: 'triples', instance: instanceHex, participants: set, threshold: 2, batchSize: 2 });
      if (dropEarly) await owner.network.control.sendTo([0], { type: 'shares-dropped', instance: instanceHex });
      await owner.network.router.run(instance, generateTriples({ participants: set, me: 1, threshold: 2, batchSize: 2, sessionId: instance }), set, 15_000);
      return instanceHex;
    };
    // Shares of this partition beyond those other tests left (nothing else runs on it now); read without taking.
    const base = await follower.stores.triples.count(partition);
    const extra = async () => (await follower.stores.triples.count(partition)) - base;

    // The follower counts its run as succeeded once it has stored (and, if dropped meanwhile, deleted again).
    const followerRuns = () => Number(/stockpile_runs_succeeded_total\{kind="triples",role="follower"\} (\d+)/.exec(follower.metrics.render())?.[1] ?? 0);
    let runs = followerRuns();
    const kept = await batch(false);
    await until(() => followerRuns() === runs + 1, 5_000, 'the follower run');
    expect(await extra()).toBe(2);
    // Someone else's word does not drop the run.
    await stranger.network.control.sendTo([0], { type: 'shares-dropped', instance: kept });
    await until(() => /control_messages_rejected_total\{reason="refused",type="shares-dropped"\} 1/.test(follower.metrics.render()), 5_000, 'the refusal');
    expect(await extra()).toBe(2);
    // The owner's does.
    await owner.network.control.sendTo([0], { type: 'shares-dropped', instance: kept });
    for (let tries = 0; tries < 100 && (await extra()) > 0; tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await extra()).toBe(0);

    // Dropped before the follower stored: what it stores goes again at once.
    runs = followerRuns();
    await batch(true);
    await until(() => followerRuns() === runs + 1, 5_000, 'the follower run');
    expect(await extra()).toBe(0);
  });

  it('a follower deletes its shares of assets their owner no longer knows, on that owner\'s answer only, keeping what it holds or just took', async () => {
    const [owner, follower, stranger] = [cluster.nodes[1]!.context, cluster.nodes[0]!.context, cluster.nodes[2]!.context];
    const set = [0, 1];
    const partition = triplePartition(1, set);
    const followerRuns = () => Number(/stockpile_runs_succeeded_total\{kind="triples",role="follower"\} (\d+)/.exec(follower.metrics.render())?.[1] ?? 0);
    /** A batch of 2 triples the follower stores; the owner keeps the first `kept` of its shares (as if it died before storing the rest). */
    const batch = async (kept: number): Promise<string[]> => {
      const instance = new Uint8Array(randomBytes(32));
      const instanceHex = Buffer.from(instance).toString('hex');
      const runs = followerRuns();
      await owner.network.control.sendTo([0], { type: 'triples', instance: instanceHex, participants: set, threshold: 2, batchSize: 2 });
      await owner.network.router.run(instance, generateTriples({ participants: set, me: 1, threshold: 2, batchSize: 2, sessionId: instance }), set, 15_000);
      await until(() => followerRuns() === runs + 1, 5_000, 'the follower run');
      const ids = [tripleId(instanceHex, 0), tripleId(instanceHex, 1)];
      // The payload is never opened here: only which ids the owner holds matters.
      for (const id of ids.slice(0, kept)) await owner.stores.triples.put({ partition, id, participants: set, payload: new Uint8Array(8) });
      return ids;
    };
    const orphans = await batch(0);
    const held = await batch(2);
    const justTaken = await batch(2);
    expect(await owner.stores.triples.take(partition, justTaken[0]!)).toBeDefined();
    const followed = async (ids: readonly string[]) => {
      const stored = new Set(await follower.stores.triples.idsStoredBefore(partition, Number.POSITIVE_INFINITY));
      return ids.filter((id) => stored.has(id));
    };
    expect(await followed([...orphans, ...held, ...justTaken])).toHaveLength(6);

    // An answer nobody asked for, and questions about assets that are not the receiver's own or not shared with the sender, are refused.
    const refused = (context: typeof owner, type: string) => Number(new RegExp(`control_messages_rejected_total\\{reason="refused",type="${type}"\\} (\\d+)`).exec(context.metrics.render())?.[1] ?? 0);
    const [answersRefused, auditsRefused] = [refused(follower, 'share-audit-result'), refused(owner, 'share-audit')];
    await stranger.network.control.sendTo([0], { type: 'share-audit-result', audit: randomBytes(32).toString('hex'), unknown: [...held] });
    await stranger.network.control.sendTo([1], { type: 'share-audit', audit: randomBytes(32).toString('hex'), partition: triplePartition(0, set), ids: [...held] });
    await stranger.network.control.sendTo([1], { type: 'share-audit', audit: randomBytes(32).toString('hex'), partition, ids: [...held] });
    await until(() => refused(follower, 'share-audit-result') === answersRefused + 1 && refused(owner, 'share-audit') === auditsRefused + 2, 5_000, 'the refusals');
    expect(await followed([...orphans, ...held, ...justTaken])).toHaveLength(6);

    const report = await stockpiles[0]!.auditFollowedShares();
    expect(report.unanswered).toBe(0);
    expect(report.deleted).toBeGreaterThanOrEqual(orphans.length);
    expect(report.asked).toBeGreaterThanOrEqual(6);
    expect(await followed(orphans)).toEqual([]);
    expect(await followed([...held, ...justTaken])).toEqual([...held, ...justTaken]);
    expect(follower.metrics.render()).toMatch(new RegExp(`stockpile_orphan_shares_deleted_total\\{kind="triples"\\} ${report.deleted}`));
    // Asked again, the owner still knows the rest.
    expect((await stockpiles[0]!.auditFollowedShares()).deleted).toBe(0);
    // The owner's stand-in shares cannot make presignatures: take them out before the stockpiles run again.
    for (const id of [...held, ...justTaken]) await Promise.all([owner, follower].map((context) => context.stores.triples.take(partition, id)));
  });

  it('with a node stopped, owners pick sets without it and still reach their target', async () => {
    target = 2;
    reports.length = 0;
    await Promise.all(stockpiles.map((stockpile) => stockpile.start()));
    await until(() => reports.length > 0, 20_000, 'a first run');
    await cluster.stopNode(2);
    await until(() => [0, 1].every((n) => !cluster.nodes[n]!.context.network.reachablePeers().includes(2)), 10_000, 'node 2 to be seen down');
    const seenDownAt = Date.now();
    // The earlier tests' stock (up to TARGET per domain) may hold enough without node 2; a target above it
    // makes nodes 0 and 1 start runs now.
    target = TARGET + 2;
    await until(() => [0, 1].every((n) => stockpiles[n]!.presignaturesAvailable(0) >= target && stockpiles[n]!.presignaturesAvailable(1) >= target), 40_000, 'nodes 0 and 1 to refill');
    // Runs owned by nodes 0 and 1 (node 2's own stockpile still plans, over a stopped mesh) started after they saw node 2 down.
    const later = reports.filter((r) => r.startedAt > seenDownAt && [0, 1].includes(parsePartition(r.partition)!.owner));
    expect(later.length).toBeGreaterThan(0);
    expect(later.filter((r) => r.participants.includes(2))).toEqual([]);
    // Runs among the two reachable nodes have no reason to fail. They used to (issue 21: "fewer than two
    // triples in triples#o1#p0.1"): with node 2 down every presign of an owner goes to its one set with
    // the other node, and a run gave its two triples' reservation back before taking them, so the next
    // run planned in the same pass reserved the same two and found them gone.
    expect(later.filter((r) => r.outcome !== 'succeeded' && !ALLOWED_FAILURE_REASONS.has(r.reason!)).map((r) => ({ kind: r.kind, participants: r.participants, error: r.error }))).toEqual([]);
    expect(later.some((r) => r.outcome === 'succeeded')).toBe(true);
    await Promise.all([0, 1].map((n) => stockpiles[n]!.stop()));
  });
});

describe('stockpile with one set and two generation slots', () => {
  it('starts no second presign run on triples the first one is taking', async () => {
    // Two nodes at threshold 2: each owner has a single set, so every presign of node 0 draws from one partition.
    const cluster = await startTestCluster({ nodes: 2, threshold: 2, protocolTimeoutMs: 15_000, pingIntervalMs: 200 });
    const reports: OwnerRunReport[] = [];
    let ecdsaTarget = 0;
    const stockpiles = cluster.nodes.map(
      ({ context }) =>
        new Stockpile({
          context,
          presignatureTarget: (domainId) => (domainId === 0 && context.me === 0 ? ecdsaTarget : 0),
          // One batch of two fills the triple stock ahead of need: exactly the triples of one presignature.
          tripleTarget: 2,
          tripleBatchSize: 2,
          maxConcurrentGenerations: 2,
          planIntervalMs: 100,
          backoff: { baseMs: 100, maxMs: 1_000 },
          onOwnerRun: (report) => reports.push(report),
        }),
    );
    const ownedTriples = () => Number(/stockpile_owned_assets\{domain="",kind="triples"\} (\d+)/.exec(cluster.nodes[0]!.context.metrics.render())?.[1] ?? 0);
    try {
      await Promise.all(stockpiles.map((stockpile) => stockpile.start()));
      await until(() => ownedTriples() === 2 && stockpiles[0]!.ownerRunsInFlight === 0, 20_000, 'two triples at node 0, and both slots free');
      // Requests come: the next planning pass has two free slots and two triples for the one set.
      ecdsaTarget = 4;
      await until(() => stockpiles[0]!.presignaturesAvailable(0) >= 4, 40_000, 'four presignatures at node 0');
      expect(reports.filter((r) => r.outcome !== 'succeeded').map((r) => r.error)).toEqual([]);
    } finally {
      await Promise.all(stockpiles.map((stockpile) => stockpile.stop()));
      await cluster.stop();
    }
  });
});

describe('stockpile when an owner cannot store all its shares of a run', () => {
  it('keeps none of that run: takes back what it stored (also a put applied without an answer), and its follower drops its own', async () => {
    // Two nodes at threshold 2: node 0's one set is {0, 1}.
    const cluster = await startTestCluster({ nodes: 2, threshold: 2, protocolTimeoutMs: 15_000, pingIntervalMs: 200 });
    const reports: OwnerRunReport[] = [];
    const [owner, follower] = cluster.nodes.map(({ context }) => context) as [NodeContext, NodeContext];
    const partition = triplePartition(0, [0, 1]);
    // The third put of node 0's first own batch reaches DynamoDB, but its answer never comes back (every SDK attempt lost).
    const triples = owner.stores.triples;
    let failedId: string | undefined;
    (owner.stores as { triples: AssetStore }).triples = Object.assign(Object.create(triples) as AssetStore, {
      put: async (asset: Asset) => {
        await triples.put(asset);
        if (failedId === undefined && asset.partition === partition && asset.id.endsWith('#2')) {
          failedId = asset.id;
          throw new Error('DynamoDB PutItem: socket hang up (answer lost after 3 attempts)');
        }
      },
    });
    const stockpiles = cluster.nodes.map(
      ({ context }) =>
        new Stockpile({
          context,
          presignatureTarget: () => 0,
          // Node 1 makes a batch of its own too (node 0 follows it, storing through the same store, unfaulted).
          tripleTarget: context.me === 0 ? 8 : 4,
          tripleBatchSize: 4,
          maxConcurrentGenerations: 1,
          planIntervalMs: 100,
          backoff: { baseMs: 100, maxMs: 1_000 },
          onOwnerRun: (report) => reports.push(report),
        }),
    );
    const idsAt = (context: NodeContext) => context.stores.triples.idsStoredBefore(partition, Number.POSITIVE_INFINITY);
    try {
      await Promise.all(stockpiles.map((stockpile) => stockpile.start()));
      const ownedTriples = () => Number(/stockpile_owned_assets\{domain="",kind="triples"\} (\d+)/.exec(owner.metrics.render())?.[1] ?? 0);
      // Seven would do if it still counted the three triples it stored of the failed batch (it did before the fix).
      const ownSucceeded = () => reports.some((report) => report.partition === partition && report.outcome === 'succeeded');
      await until(() => failedId !== undefined && ownSucceeded() && ownedTriples() >= 7 && stockpiles[0]!.ownerRunsInFlight === 0, 40_000, 'node 0 to own its triples after the failed batch');
      const [failed, ...others] = reports.filter((report) => report.outcome !== 'succeeded');
      expect(others).toEqual([]);
      expect(failed).toMatchObject({ kind: 'triples', partition, outcome: 'failed', error: expect.stringMatching(/answer lost/) });
      expect(failedId!.split('#')[0]).toBe(failed!.instance);
      // Neither node keeps a share of the failed batch; node 0 took back even the put whose answer was lost.
      const ofFailedRun = (ids: string[]) => ids.filter((id) => id.startsWith(`${failed!.instance}#`));
      for (const deadline = Date.now() + 10_000; ofFailedRun(await idsAt(follower)).length > 0; await new Promise((resolve) => setTimeout(resolve, 50))) {
        if (Date.now() > deadline) throw new Error('the follower kept its shares of the failed batch');
      }
      expect(ofFailedRun(await idsAt(owner))).toEqual([]);
      // What node 0 holds and counts, node 1 holds too.
      const held = await idsAt(owner);
      expect(held).toHaveLength(8);
      const followerIds = new Set(await idsAt(follower));
      expect(held.filter((id) => !followerIds.has(id))).toEqual([]);
      expect(ownedTriples()).toBe(8);
    } finally {
      await Promise.all(stockpiles.map((stockpile) => stockpile.stop()));
      await cluster.stop();
    }
  });
});

describe('stockpile after a restart', () => {
  /**
   * The node's context as the stockpile of a restarted process sees it: the same stores and mesh
   * identity, metrics of its own. The first stockpile's handlers stay registered on the mesh (they would
   * have died with its process), so this one registers none: it must not need them, as it must start no run.
   */
  function restartedContext(context: NodeContext, serving: () => ServingState | null): NodeContext {
    const control = Object.create(context.network.control, { on: { value: () => undefined } }) as typeof context.network.control;
    const network = Object.create(context.network, { control: { value: control } }) as typeof context.network;
    return { ...context, network, metrics: new MetricsRegistry(), serving };
  }

  it('counts the stock an earlier process stored, also when it learns its serving state after start, and makes none of it again', async () => {
    const cluster = await startTestCluster({ nodes: 3, threshold: 2, protocolTimeoutMs: 15_000, pingIntervalMs: 200 });
    const options = { presignatureTarget: () => 2, tripleTarget: BATCH, tripleBatchSize: BATCH, maxConcurrentGenerations: 2, planIntervalMs: 100 };
    const stockpiles = cluster.nodes.map(({ context }) => new Stockpile({ context, ...options }));
    const ownedTriples = (node: number) => Number(/stockpile_owned_assets\{domain="",kind="triples"\} (\d+)/.exec(cluster.nodes[node]!.context.metrics.render())?.[1] ?? 0);
    let restarted: Stockpile | undefined;
    try {
      await Promise.all(stockpiles.map((stockpile) => stockpile.start()));
      await until(() => [0, 1, 2].every((n) => ownedTriples(n) >= BATCH && stockpiles[n]!.presignaturesAvailable(0) >= 2 && stockpiles[n]!.presignaturesAvailable(1) >= 2), 40_000, 'every stock at its target');
      await Promise.all(stockpiles.map((stockpile) => stockpile.stop()));
      const node = cluster.nodes[0]!.context;
      const stored = { ecdsa: stockpiles[0]!.presignaturesAvailable(0), eddsa: stockpiles[0]!.presignaturesAvailable(1), triples: ownedTriples(0) };

      // The node starts its stockpile before its key shares are loaded (node.ts: the first state poll's
      // change is applied asynchronously), and serves a moment later.
      let serving: ServingState | null = null;
      const reports: OwnerRunReport[] = [];
      const context = restartedContext(node, () => serving);
      restarted = new Stockpile({ context, ...options, onOwnerRun: (report) => reports.push(report) });
      await restarted.start();
      serving = node.serving();
      await until(() => restarted!.presignaturesAvailable(0) >= 2 && restarted!.presignaturesAvailable(1) >= 2, 10_000, 'the stored presignatures to be counted');
      // Ten planning passes later: the counts are the stored ones, and no run was started.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect([restarted.presignaturesAvailable(0), restarted.presignaturesAvailable(1)]).toEqual([stored.ecdsa, stored.eddsa]);
      expect(context.metrics.render()).toContain(`stockpile_owned_assets{domain="",kind="triples"} ${stored.triples}`);
      expect(reports).toEqual([]);
    } finally {
      await restarted?.stop();
      await Promise.all(stockpiles.map((stockpile) => stockpile.stop()));
      await cluster.stop();
    }
  });
});

describe('stockpile while requests are being signed', () => {
  it('keeps only the busy share of its target while signing is busy, and fills the rest once it is not', async () => {
    const cluster = await startTestCluster({ nodes: 3, threshold: 2, protocolTimeoutMs: 15_000, pingIntervalMs: 200 });
    let busy = true;
    const stockpiles = cluster.nodes.map(
      ({ context }) =>
        new Stockpile({
          context,
          // Domain 1 (EdDSA) only: the point here is the level, and nonce commitments are cheap to make.
          presignatureTarget: (domainId) => (domainId === 1 ? 6 : 0),
          tripleTarget: BATCH,
          tripleBatchSize: BATCH,
          maxConcurrentGenerations: 2,
          planIntervalMs: 100,
          signingBusy: () => busy,
          busyRefillFraction: 0.5,
        }),
    );
    try {
      await Promise.all(stockpiles.map((stockpile) => stockpile.start()));
      await until(() => stockpiles.every((s) => s.presignaturesAvailable(1) >= 3), 20_000, 'the busy share (3 of 6)');
      // Twenty planning passes later, still no more than the busy share.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(stockpiles.map((s) => s.presignaturesAvailable(1))).toEqual([3, 3, 3]);
      busy = false;
      await until(() => stockpiles.every((s) => s.presignaturesAvailable(1) >= 6), 20_000, 'the full target once signing is idle');
      expect(stockpiles.map((s) => s.presignaturesAvailable(1))).toEqual([6, 6, 6]);
    } finally {
      await Promise.all(stockpiles.map((stockpile) => stockpile.stop()));
      await cluster.stop();
    }
  });
});

describe('stockpile when a peer dies', () => {
  it('makes triples for the sets that can still sign although its whole triple stock is in sets with the dead peer', async () => {
    const cluster = await startTestCluster({ nodes: 3, threshold: 2, protocolTimeoutMs: 15_000, pingIntervalMs: 200 });
    let ecdsaTarget = 0;
    const stockpiles = cluster.nodes.map(
      ({ context }) =>
        new Stockpile({
          context,
          presignatureTarget: (domainId) => (domainId === 0 ? ecdsaTarget : 0),
          // One batch fills the stock: node 0's triples all sit in the one set its first batch used.
          tripleTarget: BATCH,
          tripleBatchSize: BATCH,
          maxConcurrentGenerations: 1,
          planIntervalMs: 100,
          backoff: { baseMs: 100, maxMs: 1_000 },
        }),
    );
    const ownTriples = (peer: number) => cluster.nodes[0]!.context.stores.triples.count(triplePartition(0, [0, peer]));
    try {
      await Promise.all(stockpiles.map((stockpile) => stockpile.start()));
      const deadline = Date.now() + 30_000;
      while ((await ownTriples(1)) + (await ownTriples(2)) < BATCH && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      const dying = (await ownTriples(1)) === BATCH ? 1 : 2;
      expect(await ownTriples(dying)).toBe(BATCH);
      await stockpiles[dying]!.stop();
      await cluster.stopNode(dying);
      await until(() => !cluster.nodes[0]!.context.network.reachablePeers().includes(dying), 10_000, `node ${dying} to be seen down`);
      // Requests come: node 0 needs ECDSA presignatures, which only the set with the other peer can make.
      ecdsaTarget = 2;
      await until(() => stockpiles[0]!.presignaturesAvailable(0) >= 2, 30_000, 'presignatures of the set without the dead peer');
      expect(await cluster.nodes[0]!.context.stores.presignatures.count(presignaturePartition('ecdsa', { domainId: 0, epochId: 0 }, 0, [0, 3 - dying]))).toBeGreaterThanOrEqual(2);
    } finally {
      await Promise.all(stockpiles.map((stockpile) => stockpile.stop()));
      await cluster.stop();
    }
  });
});

describe('stockpile across a resharing to a new threshold', () => {
  /** Several phases of protocol runs, each bounded by its own `until`: the test only needs an outer bound above their sum. */
  const RESHARING_TEST_LIMIT_MS = 4 * 60_000;
  const ids = [0, 1, 2];

  /** Three nodes at threshold 2 whose stockpiles keep two ECDSA presignatures each (no EdDSA). */
  async function startThresholdTwo(tripleTarget: number, reports: OwnerRunReport[] = []): Promise<{ cluster: TestCluster; stockpiles: Stockpile[] }> {
    const cluster = await startTestCluster({ nodes: 3, threshold: 2, protocolTimeoutMs: 15_000, pingIntervalMs: 200 });
    const stockpiles = cluster.nodes.map(
      ({ context }) =>
        new Stockpile({
          context,
          presignatureTarget: (domainId) => (domainId === 0 ? 2 : 0),
          tripleTarget,
          tripleBatchSize: BATCH,
          maxConcurrentGenerations: 2,
          planIntervalMs: 100,
          backoff: { baseMs: 100, maxMs: 1_000 },
          onOwnerRun: (report) => reports.push(report),
        }),
    );
    await Promise.all(stockpiles.map((stockpile) => stockpile.start()));
    return { cluster, stockpiles };
  }

  /** The contract finished resharing the keys to the same three participants at threshold 3: `epochId` runs. */
  function startEpochAtThresholdThree(cluster: TestCluster, epochId: number): void {
    const shares = new Map(TEST_DOMAINS.map((domain) => [domain.id, runDkg(domain.scheme === 'Secp256k1' ? 'secp256k1' : 'ed25519', ids, 3)]));
    for (const id of ids) {
      const keys = new Map<number, ServingKey>(TEST_DOMAINS.map((domain) => [domain.id, { domain: { ...domain, threshold: 3 }, epochId, share: shares.get(domain.id)!.get(id)! }]));
      cluster.nodes[id]!.setUpcoming(null);
      cluster.nodes[id]!.setServing({ epochId, participants: ids, threshold: 3, keys });
    }
  }

  it('makes triples for the new sets while the resharing runs, so the new epoch\'s first presignatures use them', async () => {
    const reports: OwnerRunReport[] = [];
    const { cluster, stockpiles } = await startThresholdTwo(BATCH, reports);
    try {
      await until(() => ids.every((n) => stockpiles[n]!.presignaturesAvailable(0) >= 2), 40_000, 'the threshold-2 stock');
      // No resharing under way: a batch for threshold 3 fits no parameters of node 0's, and is refused.
      const refusedTriples = () => Number(/control_messages_rejected_total\{reason="refused",type="triples"\} (\d+)/.exec(cluster.nodes[0]!.context.metrics.render())?.[1] ?? 0);
      await cluster.nodes[1]!.context.network.control.sendTo([0], { type: 'triples', instance: randomBytes(32).toString('hex'), participants: ids, threshold: 3, batchSize: BATCH });
      await until(() => refusedTriples() === 1, 5_000, 'the refusal of a threshold-3 batch');

      // The contract is resharing to the same three at threshold 3: every node makes a batch for the set of all three.
      for (const id of ids) cluster.nodes[id]!.setUpcoming({ participants: ids, threshold: 3 });
      const ownTriplesOfNewSet = (node: number) => cluster.nodes[node]!.context.stores.triples.count(triplePartition(node, ids));
      const deadline = Date.now() + 40_000;
      while ((await Promise.all(ids.map(ownTriplesOfNewSet))).some((count) => count < BATCH) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await Promise.all(ids.map(ownTriplesOfNewSet))).toEqual([BATCH, BATCH, BATCH]);

      // Epoch 1 starts: its presignatures come from the triples made ahead, not from a batch started after.
      const epochStartedAt = Date.now();
      startEpochAtThresholdThree(cluster, 1);
      await until(() => ids.every((n) => stockpiles[n]!.presignaturesAvailable(0) >= 2), 40_000, 'threshold-3 presignatures at every node');
      const batchStarts = new Map(reports.filter((r) => r.kind === 'triples' && r.outcome === 'succeeded').map((r) => [r.instance, r.startedAt]));
      const newPresigns = reports.filter((r) => r.kind === 'ecdsa-presign' && r.outcome === 'succeeded' && r.participants.length === 3);
      expect(newPresigns.length).toBeGreaterThanOrEqual(6);
      for (const presign of newPresigns) {
        for (const id of presign.consumedTriples!.ids) expect(batchStarts.get(id.split('#')[0]!)!).toBeLessThan(epochStartedAt);
      }
    } finally {
      await Promise.all(stockpiles.map((stockpile) => stockpile.stop()));
      await cluster.stop();
    }
  }, RESHARING_TEST_LIMIT_MS);

  it('makes triples and presignatures for the new sets although it owns a full stock of triples for the old ones, and retires the old ones, also at a node that was down across two epoch changes', async () => {
    const tripleTarget = 2 * BATCH;
    const { cluster, stockpiles } = await startThresholdTwo(tripleTarget);
    const ownedTriples = (node: number) => Number(/stockpile_owned_assets\{domain="",kind="triples"\} (\d+)/.exec(cluster.nodes[node]!.context.metrics.render())?.[1] ?? 0);
    try {
      // Epoch 0, threshold 2: every node fills its triple stock (pairs) to the target, ahead of need.
      await until(() => ids.every((n) => ownedTriples(n) >= tripleTarget && stockpiles[n]!.presignaturesAvailable(0) >= 2), 40_000, 'the threshold-2 stock');
      // Node 2 is down across the epoch change (its stockpile stopped, as in a restart); it keeps its epoch-0 key shares.
      for (const key of cluster.nodes[2]!.context.serving()!.keys.values()) await cluster.nodes[2]!.context.stores.keyShares.put(key.domain.id, 0, 0, key.share);
      await stockpiles[2]!.stop();
      const epochZeroPresignatures = (node: number) => cluster.nodes[node]!.context.stores.presignatures.count(presignaturePartition('ecdsa', { domainId: 0, epochId: 0 }, node, PAIRS.find((pair) => (pair as readonly number[]).includes(node))!));
      expect(await epochZeroPresignatures(2)).toBeGreaterThanOrEqual(1);
      // It also missed epoch 1 (threshold 3), of which it holds key shares and a presignature share of each owner.
      const epochOneShares = runDkg('secp256k1', ids, 3);
      await cluster.nodes[2]!.context.stores.keyShares.put(0, 1, 0, epochOneShares.get(2)!);
      const epochOnePartitions = ids.map((owner) => presignaturePartition('ecdsa', { domainId: 0, epochId: 1 }, owner, ids));
      for (const partition of epochOnePartitions) {
        await cluster.nodes[2]!.context.stores.presignatures.put({ partition, id: randomBytes(16).toString('hex'), participants: ids, payload: new Uint8Array(randomBytes(64)) });
      }
      startEpochAtThresholdThree(cluster, 2);
      const retired = (node: number) => /stockpile_assets_retired_total\{kind="triples"\} [1-9]/.test(cluster.nodes[node]!.context.metrics.render());
      await until(() => [0, 1].every(retired), 40_000, 'nodes 0 and 1 to retire the epoch-0 assets');
      // The stopped node retired nothing; started again, it sweeps its tables for what no epoch can use.
      expect(retired(2)).toBe(false);
      expect(await epochZeroPresignatures(2)).toBeGreaterThanOrEqual(1);
      await stockpiles[2]!.start();
      // The pair triples cannot make a threshold-3 presignature: they neither count nor hold back new batches.
      await until(() => ids.every((n) => stockpiles[n]!.presignaturesAvailable(0) >= 2), 40_000, 'threshold-3 presignatures at every node');
      for (const node of ids) {
        const held = await cluster.nodes[node]!.context.stores.presignatures.count(presignaturePartition('ecdsa', { domainId: 0, epochId: 2 }, node, ids));
        expect(held).toBeGreaterThanOrEqual(2);
      }

      // One protocol timeout after the epoch change (node 2: after its start), every node deletes its shares of the
      // earlier epochs' presignatures and of the pair triples (owned and followed): nothing can use them any more.
      await until(() => ids.every(retired), 40_000, 'the epoch-0 assets to be retired');
      for (const partition of epochOnePartitions) expect(await cluster.nodes[2]!.context.stores.presignatures.count(partition)).toBe(0);
      for (const node of ids) {
        const { stores } = cluster.nodes[node]!.context;
        for (const pair of PAIRS) {
          for (const owner of pair) {
            expect(await stores.triples.count(triplePartition(owner, pair))).toBe(0);
            expect(await stores.presignatures.count(presignaturePartition('ecdsa', { domainId: 0, epochId: 0 }, owner, pair))).toBe(0);
          }
        }
      }
      expect(ids.map((n) => stockpiles[n]!.presignaturesAvailable(0) >= 2)).toEqual([true, true, true]);
    } finally {
      await Promise.all(stockpiles.map((stockpile) => stockpile.stop()));
      await cluster.stop();
    }
  }, RESHARING_TEST_LIMIT_MS);
});

describe('stockpile follower slots', () => {
  // Node 0 follows; nodes 1 and 2 ask it to join runs whose own side they never run, so each accepted run
  // holds its slot until the protocol timeout.
  const PROTOCOL_TIMEOUT_MS = 4_000;
  let cluster: TestCluster;
  let follower: NodeContext;

  /** Sum of a counter over the lines whose labels include `labels`. */
  const counter = (name: string, labels: Record<string, string>): number =>
    follower.metrics
      .render()
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  const accepted = (kind: string) => counter('stockpile_runs_started_total', { kind, role: 'follower' });
  /** Requests refused before their run started: the control channel counts a run that failed later as refused too. */
  const refused = (type: string) =>
    counter('control_messages_rejected_total', { reason: 'refused', type }) - counter('stockpile_runs_failed_total', { kind: type, role: 'follower' });
  const askTriples = (owner: 1 | 2) =>
    cluster.nodes[owner]!.context.network.control.sendTo([0], { type: 'triples', instance: randomBytes(32).toString('hex'), participants: [0, owner], threshold: 2, batchSize: 2 });

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 3, threshold: 2, protocolTimeoutMs: PROTOCOL_TIMEOUT_MS, pingIntervalMs: 200 });
    follower = cluster.nodes[0]!.context;
    // maxConcurrentGenerations 1: 4 triple batches and 4 presign runs at once, 2 of each per owner.
    new StockpileFollower(follower, { maxTripleRuns: 4, maxPresignRuns: 4, maxRunsPerOwner: 2, maxBatchSize: 8 }, new StockpileMetrics(follower.metrics)).register();
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('gives one owner at most its share of the triple slots, keeps presign slots apart, and frees slots when runs end', async () => {
    for (let i = 0; i < 3; i += 1) await askTriples(1);
    await until(() => accepted('triples') + refused('triples') === 3, 5_000, 'node 1\'s three requests');
    // The third of node 1's requests is over its share, although the pool has room.
    expect([accepted('triples'), refused('triples')]).toEqual([2, 1]);

    // Node 2 still gets its share; then the pool is full.
    for (let i = 0; i < 3; i += 1) await askTriples(2);
    await until(() => accepted('triples') + refused('triples') === 6, 5_000, 'node 2\'s three requests');
    expect([accepted('triples'), refused('triples')]).toEqual([4, 2]);

    // With every triple slot taken, a presign run is still joined.
    await cluster.nodes[1]!.context.network.control.sendTo([0], { type: 'eddsa-presign', instance: randomBytes(32).toString('hex'), participants: [0, 1], domainId: 1, epochId: 0 });
    await until(() => accepted('eddsa-presign') === 1, 5_000, 'the presign run');
    expect(refused('eddsa-presign')).toBe(0);

    // The stuck runs end at the protocol timeout and give their slots back.
    await until(() => counter('stockpile_runs_failed_total', { role: 'follower', reason: 'timeout' }) === 5, 3 * PROTOCOL_TIMEOUT_MS, 'the runs to time out');
    await askTriples(1);
    await until(() => accepted('triples') === 5, 5_000, 'a new run after the timeouts');
    expect(refused('triples')).toBe(2);
  });
});
