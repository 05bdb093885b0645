import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * Key schema of each table, shared with the code that reads them. Stockpile tables use a partition per
 * owner/domain (`pk`) and one item per asset (`sk`), so "take one I own" is a Query plus a conditional delete.
 */
export const TABLE_KEYS = {
  requests: { partitionKey: 'requestId' },
  keyShares: { partitionKey: 'pk', sortKey: 'sk' },
  triples: { partitionKey: 'pk', sortKey: 'sk' },
  presignatures: { partitionKey: 'pk', sortKey: 'sk' },
} as const;

/** Requests expire on chain after ~200 blocks; the record is kept a little longer for diagnosis. */
export const REQUEST_TTL_ATTRIBUTE = 'expiresAt';

export type StorageTableName = keyof typeof TABLE_KEYS;

/**
 * Sign requests and everything secret at rest: the customer-managed key, the sign-requests FIFO queue and the
 * four DynamoDB tables (requests, key shares, triples, presignatures).
 */
export class RequestStorage extends Construct {
  /** Encrypts the tables and the node's secrets; the node also uses it for per-item envelope encryption. */
  readonly dataKey: kms.Key;
  readonly signRequestsQueue: sqs.Queue;
  readonly signRequestsDeadLetterQueue: sqs.Queue;
  readonly tables: Record<StorageTableName, dynamodb.TableV2>;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.dataKey = new kms.Key(this, 'DataKey', {
      description: 'Chain-signatures operator data: key shares, triples, presignatures, requests, node secrets',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });

    // FIFO with the request id as the deduplication id: the indexer may see the same block twice (S3 and SQS
    // are at-least-once) and must enqueue one request once. Content-based dedup would miss retries whose
    // body differs (e.g. a re-serialised message) and would merge distinct requests with equal bodies.
    this.signRequestsDeadLetterQueue = new sqs.Queue(this, 'SignRequestsDlq', {
      fifo: true,
      contentBasedDeduplication: false,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.signRequestsQueue = new sqs.Queue(this, 'SignRequestsQueue', {
      fifo: true,
      contentBasedDeduplication: false,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // A sign round takes seconds; a request is dead on chain after ~200 blocks (a few minutes).
      visibilityTimeout: Duration.seconds(60),
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: this.signRequestsDeadLetterQueue, maxReceiveCount: 5 },
    });

    const table = (id: string, keys: { partitionKey: string; sortKey?: string }, ttl?: string) =>
      new dynamodb.TableV2(this, id, {
        partitionKey: { name: keys.partitionKey, type: dynamodb.AttributeType.STRING },
        ...(keys.sortKey !== undefined && { sortKey: { name: keys.sortKey, type: dynamodb.AttributeType.STRING } }),
        billing: dynamodb.Billing.onDemand(),
        encryption: dynamodb.TableEncryptionV2.customerManagedKey(this.dataKey),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
        ...(ttl !== undefined && { timeToLiveAttribute: ttl }),
      });
    this.tables = {
      requests: table('RequestsTable', TABLE_KEYS.requests, REQUEST_TTL_ATTRIBUTE),
      keyShares: table('KeySharesTable', TABLE_KEYS.keyShares),
      triples: table('TriplesTable', TABLE_KEYS.triples),
      presignatures: table('PresignaturesTable', TABLE_KEYS.presignatures),
    };
  }
}
