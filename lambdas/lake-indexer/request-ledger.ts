/**
 * The requests table: one item per request id, written before anything is sent to the nodes, so
 * that redelivered events and replayed blocks change nothing.
 *
 * Item: `requestId` (key), `request` (the exact sign-requests message body), `status`
 * (`pending` | `answered` | `timed_out`), `enqueued` (SQS acknowledged the message), `sendClaimExpiresAt`
 * (ms; who may send it, see below), `blockHeight`, `domainId`, `completedInBlock` once the
 * request's yield callback ran, and `expiresAt` (epoch seconds, the table's TTL attribute).
 *
 * Sending is claimed: the delivery that writes the request holds a short claim, and a concurrent
 * duplicate delivery (SQS standard queues deliver at least once, and S3 can notify twice) sees the
 * claim and backs off instead of sending too. A claim whose holder died expires after
 * `claimMillis`, which must stay below the lake-events visibility timeout so the retry of the
 * holder's own message finds it expired.
 *
 * A completion can be indexed before its request (blocks replayed out of order, or shards of
 * different blocks racing); it then creates the item with only a status, and the request written
 * later keeps that status and is not enqueued. That is why the request write is conditional on the
 * `request` attribute, not on the item, being absent.
 */
import {
  ConditionalCheckFailedException,
  UpdateItemCommand,
  type AttributeValue,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { SignCompletion, SignRequest } from '../../shared/near/sign-request.js';

export const REQUESTS_TABLE_KEY = 'requestId';
/** The table's TTL attribute (the CDK stack enables TTL on it). */
export const REQUESTS_TTL_ATTRIBUTE = 'expiresAt';
/**
 * How long an item is kept: as long as a lake-events message can live (its DLQ keeps messages 14
 * days), so no redriven or replayed event finds its request forgotten and enqueues it again.
 */
export const REQUEST_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/** Key schema of the requests table (the CDK stack and the devnet create it from this). */
export function requestsTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: REQUESTS_TABLE_KEY, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: REQUESTS_TABLE_KEY, KeyType: 'HASH' }],
  };
}

/** Whether this delivery may send the request to the nodes. */
export type SendClaim =
  /** This delivery holds the claim and must send, then {@link RequestLedger.markEnqueued} (or release it on failure). */
  | { readonly kind: 'claimed'; /** This delivery wrote the request (false: a retry after a failed send). */ readonly firstSeen: boolean }
  | { readonly kind: 'already-enqueued' }
  /** The request's callback already ran (indexed first, out of order): nothing to sign. */
  | { readonly kind: 'already-closed' }
  /** Another delivery holds an unexpired claim and is sending right now. */
  | { readonly kind: 'claimed-elsewhere' };

export interface RequestLedger {
  /** Records the request (once; conditional) and claims its sending when that is still to be done. */
  claimSend(request: SignRequest, messageBody: string): Promise<SendClaim>;
  markEnqueued(requestId: string): Promise<void>;
  /** Gives up a claim after a failed send, so a retry need not wait for it to expire. */
  releaseClaim(requestId: string): Promise<void>;
  /** Returns false when the request was already closed (a redelivery). */
  recordCompletion(completion: SignCompletion): Promise<boolean>;
}

/** Default claim length: far above a send's latency, below any sane lake-events visibility timeout (≥ 30 s). */
export const DEFAULT_SEND_CLAIM_MILLIS = 20_000;

export interface DynamoDbRequestLedgerOptions {
  readonly claimMillis?: number;
  /** Milliseconds since the Unix epoch. */
  readonly now?: () => number;
}

export class DynamoDbRequestLedger implements RequestLedger {
  private readonly claimMillis: number;
  private readonly now: () => number;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
    options: DynamoDbRequestLedgerOptions = {},
  ) {
    this.claimMillis = options.claimMillis ?? DEFAULT_SEND_CLAIM_MILLIS;
    this.now = options.now ?? Date.now;
  }

  private expiresAt(nowMillis: number): AttributeValue {
    return { N: String(Math.floor(nowMillis / 1000) + REQUEST_RETENTION_SECONDS) };
  }

  private key(requestId: string): Record<string, AttributeValue> {
    return { [REQUESTS_TABLE_KEY]: { S: requestId } };
  }

  async claimSend(request: SignRequest, messageBody: string): Promise<SendClaim> {
    const now = this.now();
    let existing: Record<string, AttributeValue> | undefined;
    try {
      const written = await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(request.requestId),
          UpdateExpression:
            'SET #request = :request, #status = if_not_exists(#status, :pending), enqueued = :false, sendClaimExpiresAt = :expiry, blockHeight = :height, domainId = :domain, #ttl = if_not_exists(#ttl, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(#request)',
          ExpressionAttributeNames: { '#request': 'request', '#status': 'status', '#ttl': REQUESTS_TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':expiresAt': this.expiresAt(now),
            ':request': { S: messageBody },
            ':pending': { S: 'pending' },
            ':false': { BOOL: false },
            ':expiry': { N: String(now + this.claimMillis) },
            ':height': { N: String(request.block.height) },
            ':domain': { N: String(request.domainId) },
          },
          ReturnValues: 'ALL_NEW',
          // On a redelivery the failed condition returns the stored item: one round trip either way.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      // A completion indexed earlier may have closed it already; then the claim written above is moot.
      return written.Attributes?.status?.S === 'pending' ? { kind: 'claimed', firstSeen: true } : { kind: 'already-closed' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      existing = error.Item;
    }
    if (existing?.status?.S !== 'pending') return { kind: 'already-closed' };
    if (existing.enqueued?.BOOL === true) return { kind: 'already-enqueued' };
    if (Number(existing.sendClaimExpiresAt?.N ?? 0) >= now) return { kind: 'claimed-elsewhere' };
    return (await this.takeExpiredClaim(request.requestId, now)) ? { kind: 'claimed', firstSeen: false } : { kind: 'claimed-elsewhere' };
  }

  /** The earlier claimant failed or died: claim again, unless someone else just did or it got enqueued/closed meanwhile. */
  private async takeExpiredClaim(requestId: string, now: number): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(requestId),
          UpdateExpression: 'SET sendClaimExpiresAt = :expiry',
          ConditionExpression: 'enqueued = :false AND #status = :pending AND (attribute_not_exists(sendClaimExpiresAt) OR sendClaimExpiresAt < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':expiry': { N: String(now + this.claimMillis) }, ':now': { N: String(now) }, ':false': { BOOL: false }, ':pending': { S: 'pending' } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async markEnqueued(requestId: string): Promise<void> {
    await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key(requestId),
        UpdateExpression: 'SET enqueued = :true REMOVE sendClaimExpiresAt',
        ConditionExpression: 'attribute_exists(#request)',
        ExpressionAttributeNames: { '#request': 'request' },
        ExpressionAttributeValues: { ':true': { BOOL: true } },
      }),
    );
  }

  async releaseClaim(requestId: string): Promise<void> {
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(requestId),
          UpdateExpression: 'REMOVE sendClaimExpiresAt',
          ConditionExpression: 'enqueued = :false',
          ExpressionAttributeValues: { ':false': { BOOL: false } },
        }),
      );
    } catch (error) {
      // Enqueued meanwhile (the send did reach SQS): nothing to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async recordCompletion(completion: SignCompletion): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(completion.requestId),
          UpdateExpression: 'SET #status = :outcome, completedInBlock = :block, #ttl = if_not_exists(#ttl, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(#status) OR #status = :pending',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': REQUESTS_TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':outcome': { S: completion.outcome },
            ':block': { S: completion.blockHash },
            ':pending': { S: 'pending' },
            ':expiresAt': this.expiresAt(this.now()),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
