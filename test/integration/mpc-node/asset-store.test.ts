import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { AssetAlreadyStored, DynamoAssetStore, type Asset } from '../../../services/mpc-node/storage/asset-store.js';
import { LocalKeyFileProvider } from '../../../services/mpc-node/storage/data-keys.js';
import { MetricsRegistry } from '../../../services/mpc-node/observability/metrics.js';
import { Sealer } from '../../../services/mpc-node/storage/sealer.js';
import { StorageMetrics } from '../../../services/mpc-node/storage/storage-metrics.js';
import { ensurePartitionSortTable } from '../../../services/mpc-node/storage/tables.js';
import { AwsFaults } from '../../support/faults/aws-faults.js';
import { withFaultSeed } from '../../support/faults/seed.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';

// Against DynamoDB Local (global setup). Security invariants 2 (single use) and 3 (sealed at rest).
describe('DynamoAssetStore', () => {
  const local = localAwsFromEnvironment();
  const client = new DynamoDBClient({ region: local.region, endpoint: local.dynamodb });
  const tableName = `triples-${randomUUID()}`;
  const keyFile = join(mkdtempSync(join(tmpdir(), 'assets-')), 'master.key');
  const openStore = () => new DynamoAssetStore(client, tableName, new Sealer(new LocalKeyFileProvider(keyFile)));
  const payloadOf = (id: string) => new TextEncoder().encode(`secret share for ${id}`);
  const asset = (partition: string, id: string): Asset => ({ partition, id, participants: [0, 1, 2], payload: payloadOf(id) });

  beforeAll(() => ensurePartitionSortTable(client, tableName));
  afterAll(() => client.destroy());

  it('hands each asset to exactly one of many concurrent takers', async () => {
    const store = openStore();
    const ids = Array.from({ length: 12 }, (_, i) => `t${i}`);
    await Promise.all(ids.map((id) => store.put(asset('owner#0', id))));
    expect(await store.count('owner#0')).toBe(12);

    const taken = await Promise.all(Array.from({ length: 30 }, () => store.takeAny('owner#0')));
    const got = taken.filter((a): a is Asset => a !== undefined);
    expect(got.map((a) => a.id).sort()).toEqual([...ids].sort());
    for (const a of got) expect(a.payload).toEqual(payloadOf(a.id));
    expect(await store.count('owner#0')).toBe(0);
  });

  it('with two processes of a node taking from one partition (an old and a new task), each asset goes once and none is lost', async () => {
    const [first, second] = [openStore(), openStore()];
    const ids = Array.from({ length: 40 }, (_, i) => `d${String(i).padStart(2, '0')}`);
    await Promise.all(ids.map((id) => first.put(asset('owner#2', id))));
    // Warm one store's memory of untried ids, then let both race: its remembered ids may be gone when it tries them.
    expect((await first.takeAny('owner#2'))?.id).toBe('d00');
    const taken: Asset[] = [];
    const taker = async (store: DynamoAssetStore) => {
      // A taker that loses every race for a while gets nothing this time and tries again, as the node does.
      for (let misses = 0; misses < 3; ) {
        const got = await store.takeAny('owner#2');
        if (got === undefined) misses += 1;
        else taken.push(got);
      }
    };
    await Promise.all(Array.from({ length: 12 }, (_, i) => taker(i % 2 === 0 ? first : second)));
    expect(taken.map((a) => a.id).sort()).toEqual(ids.slice(1));
    expect(await first.count('owner#2')).toBe(0);
    // Assets put later are found again, by a store whose memory holds only ids that are gone.
    await second.put(asset('owner#2', 'late'));
    expect((await first.takeAny('owner#2'))?.id).toBe('late');
  });

  it('never returns a taken asset again, also after a restart', async () => {
    await openStore().put(asset('owner#1', 'p1'));
    expect((await openStore().take('owner#1', 'p1'))?.participants).toEqual([0, 1, 2]);
    const restarted = openStore();
    expect(await restarted.take('owner#1', 'p1')).toBeUndefined();
    expect(await restarted.takeAny('owner#1')).toBeUndefined();
  });

  it('discards a whole partition (more than one page), and only that partition', async () => {
    const store = openStore();
    const ids = Array.from({ length: 60 }, (_, i) => `old${i}`);
    await Promise.all(ids.map((id) => store.put(asset('epoch#0', id))));
    await store.put(asset('epoch#1', 'kept'));
    expect(await store.discard('epoch#0')).toBe(60);
    expect(await store.count('epoch#0')).toBe(0);
    expect(await store.discard('epoch#0')).toBe(0);
    expect((await store.take('epoch#1', 'kept'))?.id).toBe('kept');
  });

  it('lists the partitions holding assets, across scan pages, and forgets emptied ones', async () => {
    const ownTable = `assets-partitions-${randomUUID()}`;
    await ensurePartitionSortTable(client, ownTable);
    const store = new DynamoAssetStore(client, ownTable, new Sealer(new LocalKeyFileProvider(keyFile)));
    expect(await store.partitions()).toEqual([]);
    // Sealed shares of about 70 KB: the 1 MB scan page ends after roughly 15 of them.
    const bulky = (partition: string, id: string): Asset => ({ partition, id, participants: [0, 1], payload: new Uint8Array(70_000).fill(7) });
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.put(bulky(`p${i % 4}`, `a${i}`))));
    expect((await store.partitions()).sort()).toEqual(['p0', 'p1', 'p2', 'p3']);
    await store.discard('p2');
    expect((await store.partitions()).sort()).toEqual(['p0', 'p1', 'p3']);
  });

  it('lists the ids stored before a time, and tells which asked ids it neither holds nor took lately', async () => {
    let now = 1_000_000;
    const store = new DynamoAssetStore(client, tableName, new Sealer(new LocalKeyFileProvider(keyFile)), { now: () => now });
    const partition = 'audit#1';
    await store.put(asset(partition, 'early'));
    now += 60_000;
    await store.put(asset(partition, 'late'));
    await store.put(asset('audit#2', 'elsewhere'));
    await store.put(asset(partition, 'taken-long-ago'));
    await store.put(asset(partition, 'taken-lately'));
    expect(await store.idsStoredBefore(partition, 1_000_001)).toEqual(['early']);
    expect((await store.idsStoredBefore(partition, Number.POSITIVE_INFINITY)).sort()).toEqual(['early', 'late', 'taken-lately', 'taken-long-ago']);

    expect(await store.take(partition, 'taken-long-ago')).toBeDefined();
    now += 10 * 60_000;
    expect(await store.take(partition, 'taken-lately')).toBeDefined();
    now += 1_000;
    const asked = ['early', 'late', 'taken-long-ago', 'taken-lately', 'never-here', 'elsewhere'];
    expect(await store.unknownIds(partition, asked, 5 * 60_000)).toEqual(['taken-long-ago', 'never-here', 'elsewhere']);
    // Another process of the node (a restarted task) did not take anything.
    expect(await openStore().unknownIds(partition, asked, 5 * 60_000)).toEqual(['taken-long-ago', 'taken-lately', 'never-here', 'elsewhere']);
  });

  it('refuses to store the same id twice and keeps the first', async () => {
    const store = openStore();
    await store.put(asset('owner#2', 'x'));
    await expect(store.put({ ...asset('owner#2', 'x'), payload: new Uint8Array([9]) })).rejects.toBeInstanceOf(AssetAlreadyStored);
    expect((await store.take('owner#2', 'x'))?.payload).toEqual(payloadOf('x'));
  });

  it('writes no plaintext to the table', async () => {
    await openStore().put(asset('owner#3', 'visible?'));
    const scan = await client.send(new ScanCommand({ TableName: tableName }));
    const raw = JSON.stringify(scan.Items, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
    expect(raw).not.toContain('secret share for');
  });

  describe('when DynamoDB answers are lost (the SDK retries a request that was applied)', () => {
    /** A store on a client of its own whose attempts pass through `faults`, with its metrics. */
    const faultyStore = (random: () => number) => {
      const faultyClient = new DynamoDBClient({ region: local.region, endpoint: local.dynamodb });
      const faults = new AwsFaults(random);
      faults.attach(faultyClient, 'DynamoDB');
      const registry = new MetricsRegistry();
      const metrics = new StorageMetrics(registry);
      metrics.observeDynamoDb(faultyClient);
      const store = new DynamoAssetStore(faultyClient, tableName, new Sealer(new LocalKeyFileProvider(keyFile)), { metrics });
      return { store, faults, metrics, registry, close: () => faultyClient.destroy() };
    };

    it('a put whose answer was lost is stored once and reported stored, not as already stored', () =>
      withFaultSeed('asset put, first answer lost', async (random) => {
        const { store, faults, metrics, close } = faultyStore(random);
        try {
          faults.setRules([{ fault: 'lose-response', rate: 1, times: 1, operations: ['PutItem'] }]);
          await store.put(asset('lost-put#1', 'a'));
          expect(faults.injected('lose-response', 'PutItem')).toBe(1);
          expect(metrics.writesRecovered.get({ table: tableName })).toBe(1);
          // Every attempt's answer lost: the read-back finds this write.
          faults.setRules([{ fault: 'lose-response', rate: 1, operations: ['PutItem'] }]);
          await store.put(asset('lost-put#1', 'b'));
          expect(metrics.writesRecovered.get({ table: tableName })).toBe(2);
          faults.setRules([]);
          expect(await store.count('lost-put#1')).toBe(2);
          expect((await store.take('lost-put#1', 'a'))?.payload).toEqual(payloadOf('a'));
          // Somebody else's item in the way is still refused.
          await openStore().put(asset('lost-put#1', 'c'));
          faults.setRules([{ fault: 'lose-response', rate: 1, times: 1, operations: ['PutItem'] }]);
          await expect(store.put({ ...asset('lost-put#1', 'c'), payload: new Uint8Array([9]) })).rejects.toBeInstanceOf(AssetAlreadyStored);
        } finally {
          close();
        }
      }));

    it('a take whose answer was lost never hands the asset out, and counts it lost', () =>
      withFaultSeed('asset take, first answer lost', async (random) => {
        const { store, faults, metrics, close } = faultyStore(random);
        try {
          await Promise.all(['a', 'b', 'c', 'd'].map((id) => openStore().put(asset('lost-take#1', id))));
          faults.setRules([{ fault: 'lose-response', rate: 1, times: 1, operations: ['DeleteItem'] }]);
          // The delete of `a` applied; its answer, and the payload in it, are gone.
          expect(await store.take('lost-take#1', 'a')).toBeUndefined();
          expect(metrics.assetsLost.get({ table: tableName, operation: 'take' })).toBe(1);
          expect(await openStore().take('lost-take#1', 'a')).toBeUndefined();
          // takeAny loses one and hands out the next; every answer of the last take lost: read back, gone, counted.
          faults.setRules([{ fault: 'lose-response', rate: 1, times: 1, operations: ['DeleteItem'] }]);
          const next = await store.takeAny('lost-take#1');
          expect(next).toBeDefined();
          faults.setRules([{ fault: 'lose-response', rate: 1, operations: ['DeleteItem'] }]);
          expect(await store.takeAny('lost-take#1')).toBeUndefined();
          expect(metrics.assetsLost.get({ table: tableName, operation: 'take' })).toBe(3);
          faults.setRules([]);
          expect(await store.count('lost-take#1')).toBe(0);
        } finally {
          close();
        }
      }));

    it('counts DynamoDB errors by table, operation and kind: every failed attempt, and the calls that failed after the retries', () =>
      withFaultSeed('asset count, server errors', async (random) => {
        const { store, faults, registry, close } = faultyStore(random);
        try {
          faults.setRules([{ fault: 'fail', rate: 1, times: 4, operations: ['Query'] }]);
          await expect(store.count('errors#1')).rejects.toMatchObject({ name: 'InternalServerError' });
          // The second call's first attempt fails, its retry succeeds.
          expect(await store.count('errors#1')).toBe(0);
          const text = registry.render();
          expect(text).toContain(`storage_errors_total{kind="server",operation="Query",table="${tableName}"} 1`);
          expect(text).toContain(`storage_attempt_errors_total{kind="server",operation="Query",table="${tableName}"} 4`);
        } finally {
          close();
        }
      }));
  });
});
