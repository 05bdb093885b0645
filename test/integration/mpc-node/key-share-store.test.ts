import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { runDkg } from '../../../shared/crypto/keygen/test-helpers.js';
import { LocalKeyFileProvider } from '../../../services/mpc-node/storage/data-keys.js';
import { DynamoKeyShareStore, KeyShareAlreadyStored } from '../../../services/mpc-node/storage/key-share-store.js';
import { Sealer } from '../../../services/mpc-node/storage/sealer.js';
import { ensurePartitionSortTable } from '../../../services/mpc-node/storage/tables.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';

// Against DynamoDB Local (global setup): key shares from a real DKG, sealed at rest, write-once.
describe('DynamoKeyShareStore', () => {
  const local = localAwsFromEnvironment();
  const client = new DynamoDBClient({ region: local.region, endpoint: local.dynamodb });
  const tableName = `key-shares-${randomUUID()}`;
  const keyFile = join(mkdtempSync(join(tmpdir(), 'keyshares-')), 'master.key');
  const openStore = () => new DynamoKeyShareStore(client, tableName, new Sealer(new LocalKeyFileProvider(keyFile)));
  const secp = runDkg('secp256k1', [0, 1, 2], 2);
  const ed = runDkg('ed25519', [0, 1, 2], 2);

  beforeAll(() => ensurePartitionSortTable(client, tableName));
  afterAll(() => client.destroy());

  it('returns the stored share after a restart, per domain and epoch, newest first', async () => {
    await openStore().put(0, 1, secp.get(0)!);
    await openStore().put(0, 2, secp.get(1)!);
    await openStore().put(1, 1, ed.get(0)!);
    const restarted = openStore();
    expect(await restarted.get(0, 1)).toEqual(secp.get(0));
    expect(await restarted.latest(0)).toEqual({ epochId: 2, share: secp.get(1) });
    expect((await restarted.latest(1))?.share.curve).toBe('ed25519');
    expect(await restarted.get(0, 3)).toBeUndefined();
    expect(await restarted.latest(7)).toBeUndefined();
  });

  it('never overwrites a share', async () => {
    await openStore().put(5, 1, secp.get(2)!);
    await expect(openStore().put(5, 1, secp.get(0)!)).rejects.toBeInstanceOf(KeyShareAlreadyStored);
    expect(await openStore().get(5, 1)).toEqual(secp.get(2));
  });

  it('cannot be read with another master key', async () => {
    await openStore().put(6, 1, secp.get(0)!);
    const stranger = new DynamoKeyShareStore(client, tableName, new Sealer(new LocalKeyFileProvider(join(mkdtempSync(join(tmpdir(), 'other-')), 'k'))));
    await expect(stranger.get(6, 1)).rejects.toMatchObject({ name: 'SealError' });
  });
});
