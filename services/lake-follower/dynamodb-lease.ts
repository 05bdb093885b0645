/**
 * The follower lease in DynamoDB: one item per lease name, written only with conditional requests, so two
 * invocations that race for it are ordered by DynamoDB and exactly one wins.
 *
 * Item: `lease` (key: the lease name), `holder`, `expiresAt` and `runEndsAt` (ms since the Unix epoch,
 * see {@link LeaseState}). The item is never removed by TTL: an expired lease is simply overwritten by the
 * next claimant, and a released one is deleted.
 *
 * Times come from the callers (`nowMs`, `expiresAtMs`), not from this adapter, so the store keeps no clock
 * and no state of its own beyond the table and lease name.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { FollowerLeaseStore, LeaseClaim, LeaseState } from './lease.js';

export const FOLLOWER_LEASE_TABLE_KEY = 'lease';

/** Key schema of the follower lease table (the CDK stack and the devnet create it from this). */
export function followerLeaseTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: FOLLOWER_LEASE_TABLE_KEY, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: FOLLOWER_LEASE_TABLE_KEY, KeyType: 'HASH' }],
  };
}

/**
 * The lease item cannot be trusted (not one this code wrote) or DynamoDB answered in a way it should not.
 * The follower stops rather than guess who holds the lease: guessing wrong means two runs at once.
 */
export class FollowerLeaseError extends Error {
  constructor(
    readonly tableName: string,
    readonly leaseName: string,
    readonly reason: string,
  ) {
    super(`follower lease '${leaseName}' in table ${tableName}: ${reason}`);
    this.name = 'FollowerLeaseError';
  }
}

// Attribute names go through placeholders throughout: the names are fixed, but this keeps every expression
// safe from DynamoDB's reserved words without checking each one.
const NAMES = { '#lease': FOLLOWER_LEASE_TABLE_KEY, '#holder': 'holder', '#expiresAt': 'expiresAt' } as const;

export class DynamoDbFollowerLeaseStore implements FollowerLeaseStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly leaseName = 'lake-follower',
  ) {}

  private key(): Record<string, AttributeValue> {
    return { [FOLLOWER_LEASE_TABLE_KEY]: { S: this.leaseName } };
  }

  async tryAcquire(claim: LeaseState, nowMs: number): Promise<LeaseClaim> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...this.key(),
            holder: { S: claim.holder },
            expiresAt: { N: String(claim.expiresAtMs) },
            runEndsAt: { N: String(claim.runEndsAtMs) },
          },
          // Free, expired, or already ours (a retry after a lost response must not lock the holder out).
          ConditionExpression: 'attribute_not_exists(#lease) OR #expiresAt < :now OR #holder = :holder',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':now': { N: String(nowMs) }, ':holder': { S: claim.holder } },
          // The refusal carries the very item the condition was checked against, so "who holds it" is
          // answered in the same round trip and cannot describe a later state (no read-after-refusal race).
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { acquired: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The condition fails only when the item exists, so DynamoDB always returns it; its absence means
      // the request did not ask for it or the service misbehaved, and refusing without a holder is no answer.
      if (error.Item === undefined) throw new FollowerLeaseError(this.tableName, this.leaseName, 'acquire was refused but no current lease item was returned');
      return { acquired: false, current: this.parse(error.Item) };
    }
  }

  async renew(holder: string, expiresAtMs: number): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(),
          UpdateExpression: 'SET #expiresAt = :expiresAt',
          // Also false on a missing item (released), so a renew never recreates a lease nobody claimed.
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': NAMES['#holder'], '#expiresAt': NAMES['#expiresAt'] },
          ExpressionAttributeValues: { ':expiresAt': { N: String(expiresAtMs) }, ':holder': { S: holder } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(holder: string): Promise<void> {
    try {
      await this.dynamodb.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: this.key(),
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': NAMES['#holder'] },
          ExpressionAttributeValues: { ':holder': { S: holder } },
        }),
      );
    } catch (error) {
      // Another run took it after ours expired (or nobody holds it): that lease is not ours to delete.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private parse(item: Record<string, AttributeValue>): LeaseState {
    const holder = item.holder?.S;
    if (holder === undefined || holder === '') throw this.malformed('holder is missing or not a non-empty string');
    return { holder, expiresAtMs: this.millis(item, 'expiresAt'), runEndsAtMs: this.millis(item, 'runEndsAt') };
  }

  private millis(item: Record<string, AttributeValue>, attribute: 'expiresAt' | 'runEndsAt'): number {
    const text = item[attribute]?.N;
    const value = text === undefined ? Number.NaN : Number(text);
    if (!Number.isSafeInteger(value)) throw this.malformed(`${attribute} is not an integer number of milliseconds (${JSON.stringify(item[attribute] ?? null)})`);
    return value;
  }

  private malformed(reason: string): FollowerLeaseError {
    return new FollowerLeaseError(this.tableName, this.leaseName, `malformed lease item: ${reason}`);
  }
}
