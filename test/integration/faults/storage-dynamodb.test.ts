/**
 * DynamoDB faults under a running stockpile: three in-process nodes (test/support/node-cluster.ts) whose
 * stores share one DynamoDB client, with test/support/faults/aws-faults.ts inside its retry loop. Every
 * scenario is seeded (FAULT_SEED replays it).
 */
import { presignaturePartition, triplePartition } from '../../../services/mpc-node/assets.js';
import { Stockpile, type OwnerRunReport } from '../../../services/mpc-node/stockpile/index.js';
import { MetricsRegistry } from '../../../services/mpc-node/observability/metrics.js';
import { StoreError } from '../../../services/mpc-node/storage/errors.js';
import { StorageMetrics } from '../../../services/mpc-node/storage/storage-metrics.js';
import { AwsFaults, type AwsFaultRule } from '../../support/faults/aws-faults.js';
import { withFaultSeed, type FaultRandom } from '../../support/faults/seed.js';
import { startTestCluster, type TestCluster } from '../../support/node-cluster.js';
import { until } from '../../support/until.js';

const TARGET = 2;
const BATCH = 4;
const NODES = [0, 1, 2];
const PAIRS = [[0, 1], [0, 2], [1, 2]] as const;

/**
 * Why an owner run may fail while DynamoDB misbehaves (`OwnerRunReport.reason`): `error`, a store call
 * that failed after the SDK's retries (a run's put or take; its asset is then not stored, or its
 * triples put back or lost and counted); and `refused` only by a follower whose store failed it: its named
 * triple is gone (a take applied whose answer was lost: the retry finds it gone), or its take failed after
 * the SDK's retries (throttled). Never a timeout, an abort or any other refusal between the healthy nodes.
 */
const ALLOWED_FAILURE_REASONS: ReadonlySet<string> = new Set(['error', 'refused']);
const STORE_CAUSED_REFUSAL = /is not here \(never stored, or already used\)|: DynamoDB \w+ failed/;

interface FaultyCluster {
  readonly cluster: TestCluster;
  readonly stockpiles: Stockpile[];
  readonly faults: AwsFaults;
  /** The storage metrics of the cluster's client, rendered. */
  readonly storage: { render(): string };
  readonly reports: OwnerRunReport[];
  stop(): Promise<void>;
}

/** Three nodes at threshold 2 whose DynamoDB attempts pass `faults` (rules set later), stockpiles started. */
async function startFaultyCluster(random: FaultRandom): Promise<FaultyCluster> {
  const cluster = await startTestCluster({ nodes: 3, threshold: 2, protocolTimeoutMs: 15_000, pingIntervalMs: 200 });
  const faults = new AwsFaults(random);
  faults.attach(cluster.dynamodb, 'DynamoDB');
  const storage = new MetricsRegistry();
  new StorageMetrics(storage).observeDynamoDb(cluster.dynamodb);
  const reports: OwnerRunReport[] = [];
  const stockpiles = cluster.nodes.map(
    ({ context }) =>
      new Stockpile({
        context,
        presignatureTarget: () => TARGET,
        tripleTarget: BATCH,
        tripleBatchSize: BATCH,
        maxConcurrentGenerations: 2,
        planIntervalMs: 100,
        backoff: { baseMs: 100, maxMs: 1_000 },
        onOwnerRun: (report) => reports.push(report),
      }),
  );
  await Promise.all(stockpiles.map((stockpile) => stockpile.start()));
  return {
    cluster,
    stockpiles,
    faults,
    storage,
    reports,
    stop: async () => {
      faults.setRules([]);
      await Promise.all(stockpiles.map((stockpile) => stockpile.stop()));
      await cluster.stop();
    },
  };
}

/** The sum of a counter's series of one kind, from the Prometheus text. */
function seriesTotal(text: string, name: string, kind: string): number {
  return [...text.matchAll(new RegExp(`^${name}\\{kind="${kind}",[^}]*\\} (\\d+)$`, 'gm'))].reduce((sum, match) => sum + Number(match[1]), 0);
}

const filled = (stockpiles: readonly Stockpile[]) => stockpiles.every((s) => s.presignaturesAvailable(0) >= TARGET && s.presignaturesAvailable(1) >= TARGET);

/** The owner runs that failed for a reason not allowed under storage faults. */
const unexpectedFailures = (reports: readonly OwnerRunReport[]) =>
  reports
    .filter(
      (r) =>
        r.outcome !== 'succeeded' &&
        (!ALLOWED_FAILURE_REASONS.has(r.reason!) || /AlreadyStored/.test(r.error ?? '') || (r.reason === 'refused' && !STORE_CAUSED_REFUSAL.test(r.error ?? ''))),
    )
    .map((r) => r.error);

/** DynamoDB's answer to a throttled attempt, as the fault injector makes it (test/support/faults/aws-faults.ts). */
const THROTTLED = 'ProvisionedThroughputExceededException';

/**
 * A take as the sign path makes it: one whose every SDK attempt was throttled fails with a StoreError and
 * takes nothing (a refused delete did not apply), and the signing service tries again
 * (services/mpc-node/signing/signature-service.ts); that, and only that, is retried here.
 */
async function takeRetryingThrottled<T>(take: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await take();
    } catch (error) {
      const throttledOut = error instanceof StoreError && (error.cause as Error | undefined)?.name === THROTTLED;
      if (!throttledOut || attempt === 5) throw error;
    }
  }
}

describe('fault: DynamoDB throttling', () => {
  it('the stockpile keeps filling and the sign path keeps taking presignatures, none twice', () =>
    withFaultSeed('DynamoDB throttled', async (random) => {
      const { stockpiles, faults, storage, reports, stop } = await startFaultyCluster(random);
      try {
        // One attempt in five of every call is refused: the SDK backs off and retries (three attempts).
        const throttled: AwsFaultRule = { fault: 'throttle', rate: 0.2 };
        faults.setRules([throttled]);
        await until(() => filled(stockpiles), 50_000, 'the stockpiles to fill while throttled');
        // The sign path: each node takes its presignatures, and generation makes new ones meanwhile.
        const taken = new Set<string>();
        const refillMs: number[] = [];
        for (let round = 0; round < 3; round += 1) {
          for (const [node, stockpile] of stockpiles.entries()) {
            for (const [scheme, domainId] of [['ecdsa', 0], ['eddsa', 1]] as const) {
              const presignature = await takeRetryingThrottled(() => stockpile.takePresignature(scheme, domainId));
              if (presignature === undefined) continue;
              const key = `${node} ${presignature.partition} ${presignature.id}`;
              expect(taken.has(key)).toBe(false);
              taken.add(key);
            }
          }
          const tookAt = Date.now();
          await until(() => filled(stockpiles), 50_000, `the stockpiles to refill while throttled (round ${round + 1})`);
          refillMs.push(Date.now() - tookAt);
        }
        process.stderr.write(`DynamoDB throttled (${faults.injected('throttle')} attempts refused): stockpiles back at target ${refillMs.join(', ')} ms after each round of takes\n`);
        expect(taken.size).toBeGreaterThanOrEqual(3 * NODES.length * 2);
        expect(faults.injected('throttle')).toBeGreaterThan(0);
        // Every refused attempt shows in the node's metrics, as throttled.
        expect(seriesTotal(storage.render(), 'storage_attempt_errors_total', 'throttled')).toBe(faults.injected('throttle'));
      } finally {
        await stop();
      }
      expect(unexpectedFailures(reports)).toEqual([]);
    }));
});

describe('fault: DynamoDB losing answers (requests applied, the SDK retries them)', () => {
  it('stores no asset twice, uses none twice, loses no share, and every lost asset is one the store removed', () =>
    withFaultSeed('DynamoDB loses answers', async (random) => {
      const { cluster, stockpiles, faults, storage, reports, stop } = await startFaultyCluster(random);
      try {
        // One write or delete answer in eight is lost after DynamoDB applied the request.
        faults.setRules([{ fault: 'lose-response', rate: 0.125, operations: ['PutItem', 'DeleteItem'] }]);
        await until(() => filled(stockpiles) && faults.appliedButLost('PutItem') > 0, 50_000, 'the stockpiles to fill while answers are lost');
        await Promise.all(stockpiles.map((stockpile) => stockpile.stop()));
        // A put retried after its lost answer found its own item: stored once, reported stored (no AlreadyStored above).
        expect(faults.appliedButLost('PutItem')).toBeGreaterThan(0);

        // No share lost: every asset node 0 owns has its peer's share under the same id.
        const { stores } = cluster.nodes[0]!.context;
        const ownPartitions = PAIRS.filter((pair) => (pair as readonly number[]).includes(0)).flatMap((pair) => [
          { pair, store: 'triples' as const, partition: triplePartition(0, pair) },
          ...([['ecdsa', 0], ['eddsa', 1]] as const).map(([scheme, domainId]) => ({ pair, store: 'presignatures' as const, partition: presignaturePartition(scheme, { domainId, epochId: 0 }, 0, pair) })),
        ]);
        const held = new Map<string, string[]>();
        for (const { pair, store, partition } of ownPartitions) {
          const mine = await stores[store].idsStoredBefore(partition, Number.POSITIVE_INFINITY);
          const peer = cluster.nodes[pair.find((id) => id !== 0)!]!.context.stores[store];
          const peers = new Set(await peer.idsStoredBefore(partition, Number.POSITIVE_INFINITY));
          expect(mine.filter((id) => !peers.has(id))).toEqual([]);
          if (store === 'presignatures') held.set(partition, mine);
        }

        // The sign path takes every presignature node 0 holds, while delete answers are lost.
        const lostBefore = faults.appliedButLost('DeleteItem');
        const taken: string[] = [];
        for (const [scheme, domainId] of [['ecdsa', 0], ['eddsa', 1]] as const) {
          for (let presignature = await stockpiles[0]!.takePresignature(scheme, domainId); presignature !== undefined; presignature = await stockpiles[0]!.takePresignature(scheme, domainId)) {
            taken.push(`${presignature.partition} ${presignature.id}`);
          }
        }
        faults.setRules([]);
        expect(new Set(taken).size).toBe(taken.length);
        const stored = [...held].flatMap(([partition, ids]) => ids.map((id) => `${partition} ${id}`));
        for (const key of taken) expect(stored).toContain(key);
        // What was stored and not handed out is gone, each one removed by a delete whose answer was lost.
        for (const partition of held.keys()) expect(await stores.presignatures.count(partition)).toBe(0);
        expect(stored.length - taken.length).toBe(faults.appliedButLost('DeleteItem') - lostBefore);
        process.stderr.write(`DynamoDB lost answers: ${faults.appliedButLost('PutItem')} puts recognised as stored, ${stored.length - taken.length} of ${stored.length} presignatures lost with a delete answer\n`);
        expect(seriesTotal(storage.render(), 'storage_attempt_errors_total', 'network')).toBe(faults.injected('lose-response'));
      } finally {
        await stop();
      }
      expect(unexpectedFailures(reports)).toEqual([]);
    }));
});
