import { randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { decodePresignatureShare, EcdsaSign, type PresignatureShare, type SignOutput } from '../../../shared/crypto/ecdsa/index.js';
import { generateTriples } from '../../../shared/crypto/ecdsa/triples/index.js';
import { decodeEddsaPresignature } from '../../../shared/crypto/eddsa/presign.js';
import { runProtocols } from '../../../shared/crypto/runner.js';
import { presignaturePartition, tripleId, triplePartition } from '../../../services/mpc-node/assets.js';
import { Stockpile, type OwnerRunReport } from '../../../services/mpc-node/stockpile/index.js';
import type { Asset } from '../../../services/mpc-node/storage/asset-store.js';
import { startTestCluster, type TestCluster } from '../../support/node-cluster.js';

const TARGET = 4;
const BATCH = 4;
const PAIRS = [[0, 1], [0, 2], [1, 2]] as const;

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

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
          const held = await Promise.all([0, 1, 2].map(async (node) => (await drain(cluster.nodes[node]!.context.stores.presignatures, partition)).map((a) => a.id).sort()));
          if (!(pair as readonly number[]).includes(owner)) {
            expect(held.flat()).toEqual([]);
            continue;
          }
          const outsider = [0, 1, 2].find((n) => !(pair as readonly number[]).includes(n))!;
          expect(held[outsider]).toEqual([]);
          expect(held[pair[0]]).toEqual(held[pair[1]]);
          expect(held[owner]!.length).toBe(stockpiles[owner]!.presignaturesAvailable(domainId) === 0 ? 0 : held[owner]!.length);
          for (const id of held[owner]!) expect(reports.some((r) => r.instance === id && r.partition === partition)).toBe(true);
        }
      }
    }
    expect(ecdsaShares.size).toBe(0);
  });
});
