import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { runDkg } from '../../../shared/crypto/keygen/test-helpers.js';
import { LocalKeyFileProvider } from '../../../services/mpc-node/storage/data-keys.js';
import { DynamoKeyShareStore, KeyShareAlreadyStored } from '../../../services/mpc-node/storage/key-share-store.js';
import { MetricsRegistry } from '../../../services/mpc-node/observability/metrics.js';
import { Sealer } from '../../../services/mpc-node/storage/sealer.js';
import { StorageMetrics } from '../../../services/mpc-node/storage/storage-metrics.js';
import { ensurePartitionSortTable } from '../../../services/mpc-node/storage/tables.js';
import { AwsFaults } from '../../support/faults/aws-faults.js';
import { withFaultSeed } from '../../support/faults/seed.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';

// Against DynamoDB Local (global setup): key shares from a real DKG, sealed at rest, write-once per
// (domain, epoch, attempt).
describe('DynamoKeyShareStore', () => {
  const local = localAwsFromEnvironment();
  const client = new DynamoDBClient({ region: local.region, endpoint: local.dynamodb });
  const tableName = `key-shares-${randomUUID()}`;
  const keyFile = join(mkdtempSync(join(tmpdir(), 'keyshares-')), 'master.key');
  const openStore = () => new DynamoKeyShareStore(client, tableName, new Sealer(new LocalKeyFileProvider(keyFile)));
  const secp = runDkg('secp256k1', [0, 1, 2], 2);
  const otherSecp = runDkg('secp256k1', [0, 1, 2], 2);
  const ed = runDkg('ed25519', [0, 1, 2], 2);

  beforeAll(() => ensurePartitionSortTable(client, tableName));
  afterAll(() => client.destroy());

  it('returns the stored share after a restart, per domain, epoch and attempt, newest first', async () => {
    await openStore().put(0, 1, 0, secp.get(0)!);
    await openStore().put(0, 2, 0, secp.get(1)!);
    await openStore().put(1, 1, 0, ed.get(0)!);
    const restarted = openStore();
    expect(await restarted.get(0, 1, 0)).toEqual(secp.get(0));
    expect(await restarted.latest(0)).toEqual({ epochId: 2, attemptId: 0, share: secp.get(1) });
    expect((await restarted.latest(1))?.share.curve).toBe('ed25519');
    expect(await restarted.get(0, 3, 0)).toBeUndefined();
    expect(await restarted.get(0, 1, 1)).toBeUndefined();
    expect(await restarted.latest(7)).toBeUndefined();
  });

  it('keeps the shares of two attempts of one epoch apart and finds each by its public key', async () => {
    // Attempt 0 stored a share but failed overall; attempt 1 produced the key the contract kept.
    await openStore().put(2, 4, 0, otherSecp.get(0)!);
    await openStore().put(2, 4, 1, secp.get(0)!);
    // Attempt 10 sorts after attempt 9 (zero-padded sort keys).
    await openStore().put(2, 4, 10, secp.get(2)!);
    await openStore().put(2, 4, 9, secp.get(1)!);
    const store = openStore();
    expect(await store.get(2, 4, 0)).toEqual(otherSecp.get(0));
    expect(await store.get(2, 4, 1)).toEqual(secp.get(0));
    expect(await store.latest(2)).toEqual({ epochId: 4, attemptId: 10, share: secp.get(2) });
    expect(await store.getForKey(2, 4, otherSecp.get(0)!.publicKey)).toEqual({ epochId: 4, attemptId: 0, share: otherSecp.get(0) });
    expect(await store.getForKey(2, 4, secp.get(0)!.publicKey)).toEqual({ epochId: 4, attemptId: 10, share: secp.get(2) });
    expect(await store.getForKey(2, 4, secp.get(0)!.publicKey, 1)).toEqual({ epochId: 4, attemptId: 1, share: secp.get(0) });
    // The attempt named does not hold that key, another epoch, an unknown key: nothing.
    expect(await store.getForKey(2, 4, secp.get(0)!.publicKey, 0)).toBeUndefined();
    expect(await store.getForKey(2, 5, secp.get(0)!.publicKey)).toBeUndefined();
    expect(await store.getForKey(2, 4, ed.get(0)!.publicKey)).toBeUndefined();
  });

  it('never overwrites a share', async () => {
    await openStore().put(5, 1, 0, secp.get(2)!);
    await expect(openStore().put(5, 1, 0, secp.get(0)!)).rejects.toBeInstanceOf(KeyShareAlreadyStored);
    expect(await openStore().get(5, 1, 0)).toEqual(secp.get(2));
  });

  it('cannot be read with another master key', async () => {
    await openStore().put(6, 1, 0, secp.get(0)!);
    const stranger = new DynamoKeyShareStore(client, tableName, new Sealer(new LocalKeyFileProvider(join(mkdtempSync(join(tmpdir(), 'other-')), 'k'))));
    await expect(stranger.get(6, 1, 0)).rejects.toMatchObject({ name: 'SealError' });
  });

  it('a put whose answer was lost (the SDK retried it) is the stored share, not a second write', () =>
    withFaultSeed('key share put, first answer lost', async (random) => {
      const faultyClient = new DynamoDBClient({ region: local.region, endpoint: local.dynamodb });
      const faults = new AwsFaults(random);
      faults.attach(faultyClient, 'DynamoDB');
      const metrics = new StorageMetrics(new MetricsRegistry());
      try {
        faults.setRules([{ fault: 'lose-response', rate: 1, times: 1, operations: ['PutItem'] }]);
        await new DynamoKeyShareStore(faultyClient, tableName, new Sealer(new LocalKeyFileProvider(keyFile)), metrics).put(7, 1, 0, secp.get(1)!);
        expect(faults.injected('lose-response')).toBe(1);
        expect(metrics.writesRecovered.get({ table: tableName })).toBe(1);
        expect(await openStore().get(7, 1, 0)).toEqual(secp.get(1));
        // A second write to the slot is still refused.
        await expect(openStore().put(7, 1, 0, secp.get(0)!)).rejects.toBeInstanceOf(KeyShareAlreadyStored);
      } finally {
        faultyClient.destroy();
      }
    }));
});
