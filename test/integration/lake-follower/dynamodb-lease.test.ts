// The follower lease against DynamoDB Local: one holder at a time, expiry hands it over, renew and release
// only ever touch the caller's own lease, and a racing start of several invocations lets exactly one in.
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { DynamoDbFollowerLeaseStore, FOLLOWER_LEASE_TABLE_KEY, FollowerLeaseError, followerLeaseTableDefinition } from '../../../services/lake-follower/dynamodb-lease.js';
import type { LeaseState } from '../../../services/lake-follower/lease.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';

const T0 = 1_800_000_000_000;
const LEASE_MS = 30_000;
const RUN_MS = 14 * 60_000;

/** A claim made at `nowMs`: the lease for LEASE_MS, the run for RUN_MS. */
const claimAt = (holder: string, nowMs: number): LeaseState => ({ holder, expiresAtMs: nowMs + LEASE_MS, runEndsAtMs: nowMs + RUN_MS });

describe('DynamoDbFollowerLeaseStore (DynamoDB Local)', () => {
  const local = localAwsFromEnvironment();
  const dynamodb = new DynamoDBClient({ region: local.region, endpoint: local.dynamodb });
  const tableName = `follower-lease-${randomUUID().slice(0, 8)}`;
  /** Each test has a lease of its own in the shared table, so no test sees another's item. */
  const freshStore = (): { store: DynamoDbFollowerLeaseStore; leaseName: string } => {
    const leaseName = `lease-${randomUUID().slice(0, 8)}`;
    return { store: new DynamoDbFollowerLeaseStore(dynamodb, tableName, leaseName), leaseName };
  };
  const storedItem = async (leaseName: string) =>
    (await dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { [FOLLOWER_LEASE_TABLE_KEY]: { S: leaseName } }, ConsistentRead: true }))).Item;

  beforeAll(async () => {
    await dynamodb.send(new CreateTableCommand(followerLeaseTableDefinition(tableName)));
  });

  afterAll(async () => {
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
    dynamodb.destroy();
  });

  it('gives a free lease to the first holder and tells a second who holds it until when', async () => {
    const { store, leaseName } = freshStore();
    const first = claimAt('run-a', T0);

    await expect(store.tryAcquire(first, T0)).resolves.toEqual({ acquired: true });
    await expect(store.tryAcquire(claimAt('run-b', T0 + 1_000), T0 + 1_000)).resolves.toEqual({ acquired: false, current: first });
    // The refused claim wrote nothing.
    expect(await storedItem(leaseName)).toEqual({
      [FOLLOWER_LEASE_TABLE_KEY]: { S: leaseName },
      holder: { S: 'run-a' },
      expiresAt: { N: String(first.expiresAtMs) },
      runEndsAt: { N: String(first.runEndsAtMs) },
    });
  });

  it('lets the holder acquire its own lease again', async () => {
    const { store } = freshStore();
    await store.tryAcquire(claimAt('run-a', T0), T0);

    await expect(store.tryAcquire(claimAt('run-a', T0 + 5_000), T0 + 5_000)).resolves.toEqual({ acquired: true });
    // The re-acquire rewrote the times: another holder is refused until the new expiry.
    await expect(store.tryAcquire(claimAt('run-b', T0 + LEASE_MS + 1), T0 + LEASE_MS + 1)).resolves.toEqual({ acquired: false, current: claimAt('run-a', T0 + 5_000) });
  });

  it('hands an expired lease to the next holder; the old holder can neither renew nor release it', async () => {
    const { store } = freshStore();
    const old = claimAt('run-a', T0);
    await store.tryAcquire(old, T0);
    // At exactly the expiry it is still held (the port says `expiresAtMs < nowMs`).
    expect((await store.tryAcquire(claimAt('run-b', old.expiresAtMs), old.expiresAtMs)).acquired).toBe(false);

    const later = old.expiresAtMs + 1;
    const taken = claimAt('run-b', later);
    await expect(store.tryAcquire(taken, later)).resolves.toEqual({ acquired: true });

    await expect(store.renew('run-a', later + LEASE_MS)).resolves.toBe(false);
    await store.release('run-a');
    await expect(store.tryAcquire(claimAt('run-c', later + 1), later + 1)).resolves.toEqual({ acquired: false, current: taken });
  });

  it('extends the lease on renew, so a holder is still refused between the old and new expiry', async () => {
    const { store } = freshStore();
    const claim = claimAt('run-a', T0);
    await store.tryAcquire(claim, T0);

    const renewedUntil = claim.expiresAtMs + LEASE_MS;
    await expect(store.renew('run-a', renewedUntil)).resolves.toBe(true);

    const between = claim.expiresAtMs + LEASE_MS / 2;
    await expect(store.tryAcquire(claimAt('run-b', between), between)).resolves.toEqual({
      acquired: false,
      current: { holder: 'run-a', expiresAtMs: renewedUntil, runEndsAtMs: claim.runEndsAtMs },
    });
  });

  it('does not recreate a released lease on renew', async () => {
    const { store, leaseName } = freshStore();
    await store.tryAcquire(claimAt('run-a', T0), T0);
    await store.release('run-a');

    await expect(store.renew('run-a', T0 + LEASE_MS)).resolves.toBe(false);
    expect(await storedItem(leaseName)).toBeUndefined();
  });

  it('frees the lease on release for the next holder at once', async () => {
    const { store } = freshStore();
    await store.tryAcquire(claimAt('run-a', T0), T0);

    await store.release('run-a');
    // Well before the released lease would have expired.
    await expect(store.tryAcquire(claimAt('run-b', T0 + 1), T0 + 1)).resolves.toEqual({ acquired: true });
  });

  it('lets exactly one of eight simultaneous claimants take a free lease', async () => {
    const { store } = freshStore();
    const claims = Array.from({ length: 8 }, (_, index) => claimAt(`run-${index}`, T0));

    const results = await Promise.all(claims.map((claim) => store.tryAcquire(claim, T0)));

    const winners = claims.filter((_, index) => results[index]!.acquired);
    expect(winners).toHaveLength(1);
    // Every loser is told the winner holds it.
    for (const result of results) if (!result.acquired) expect(result.current).toEqual(winners[0]);
  });

  it.each([
    ['expiresAt is not a number', { holder: { S: 'run-a' }, expiresAt: { S: 'soon' }, runEndsAt: { N: String(T0 + RUN_MS) } }, /expiresAt/],
    ['runEndsAt is missing', { holder: { S: 'run-a' }, expiresAt: { N: String(T0 + LEASE_MS) } }, /runEndsAt/],
    ['holder is missing', { expiresAt: { N: String(T0 + LEASE_MS) }, runEndsAt: { N: String(T0 + RUN_MS) } }, /holder/],
  ])('refuses to guess from a malformed lease item (%s)', async (_case, attributes, reason) => {
    const { store, leaseName } = freshStore();
    await dynamodb.send(new PutItemCommand({ TableName: tableName, Item: { [FOLLOWER_LEASE_TABLE_KEY]: { S: leaseName }, ...attributes } }));

    const error = await store.tryAcquire(claimAt('run-b', T0), T0).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(FollowerLeaseError);
    expect((error as FollowerLeaseError).tableName).toBe(tableName);
    expect((error as FollowerLeaseError).leaseName).toBe(leaseName);
    expect((error as FollowerLeaseError).reason).toMatch(reason);
  });

  it('raises the typed error when a refusal comes back without the current item', async () => {
    // A client that drops ReturnValuesOnConditionCheckFailure before sending: DynamoDB then refuses without the item.
    const stripping = new DynamoDBClient({ region: local.region, endpoint: local.dynamodb });
    stripping.middlewareStack.add(
      (next) => async (args) => {
        delete (args.input as { ReturnValuesOnConditionCheckFailure?: string }).ReturnValuesOnConditionCheckFailure;
        return next(args);
      },
      { step: 'initialize', name: 'stripReturnValuesOnConditionCheckFailure' },
    );
    try {
      const { store, leaseName } = freshStore();
      await store.tryAcquire(claimAt('run-a', T0), T0);
      const blind = new DynamoDbFollowerLeaseStore(stripping, tableName, leaseName);

      const error = await blind.tryAcquire(claimAt('run-b', T0), T0).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(FollowerLeaseError);
      expect((error as FollowerLeaseError).tableName).toBe(tableName);
    } finally {
      stripping.destroy();
    }
  });
});
