import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
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
 * What the node's sealer binds as the KMS encryption context of every data key it generates or opens
 * (services/mpc-node/storage/sealer.ts, kms-data-keys.ts). The key policy lets the node use the key
 * directly only with this context; operator-stack.test.ts checks it against the node's own calls.
 */
export const SEALER_ENCRYPTION_CONTEXT = { purpose: 'chainsig/sealer/v1' } as const;

/** IAM condition that a direct KMS call carries the sealer's encryption context. */
export function sealerEncryptionContextCondition(): Record<string, Record<string, string>> {
  return {
    StringEquals: Object.fromEntries(Object.entries(SEALER_ENCRYPTION_CONTEXT).map(([key, value]) => [`kms:EncryptionContext:${key}`, value])),
  };
}

/**
 * Key administration without use: the account (and so its administrators, and the CloudFormation role
 * that deploys this stack) may describe, update, rotate, disable and schedule deletion, but none of these
 * opens a sealed data key. CreateGrant is left out: a grant is a way to use the key.
 */
const KEY_ADMINISTRATION_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

/**
 * What DynamoDB does with a table's customer-managed key on behalf of a caller: the actions of the AWS managed
 * key `aws/dynamodb`'s own policy (Encrypt, Decrypt, ReEncrypt*, GenerateDataKey*, CreateGrant, DescribeKey),
 * spelled out instead of wildcards.
 */
const DYNAMODB_TABLE_KEY_ACTIONS = [
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

/**
 * The key policy of the data key. The default one gives the account root `kms:*`, which lets any IAM
 * administrator decrypt the node's data keys and so open key shares. Here the account keeps
 * administration, DynamoDB and Secrets Manager may use the key for the callers IAM allows (the tables'
 * and secrets' own encryption), and direct use is added by the node service for its task role only,
 * bound to the sealer's encryption context.
 */
function dataKeyPolicy(scope: Construct): iam.PolicyDocument {
  const { account, region } = Stack.of(scope);
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'AccountAdministersWithoutUse',
        principals: [new iam.AccountRootPrincipal()],
        actions: KEY_ADMINISTRATION_ACTIONS,
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'TableEncryptionThroughDynamoDb',
        principals: [new iam.AccountRootPrincipal()],
        actions: DYNAMODB_TABLE_KEY_ACTIONS,
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com`, 'kms:CallerAccount': account } },
      }),
      new iam.PolicyStatement({
        sid: 'DynamoDbReadsKeyMetadata',
        principals: [new iam.ServicePrincipal('dynamodb.amazonaws.com')],
        actions: ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:ListGrants'],
        resources: ['*'],
      }),
    ],
  });
}

/**
 * Sign requests and everything secret at rest: the customer-managed key, the sign-requests FIFO queue and the
 * four DynamoDB tables (requests, key shares, triples, presignatures).
 *
 * Deletion (docs/decisions/0011-first-deploy.md): the key shares and the key that seals them outlive the
 * stack; triples, presignatures and requests are regenerable or public and go with it. The key is
 * RetainExceptOnCreate so a failed first deployment removes it; the key-shares table is plain Retain,
 * because its deletion protection would make that rollback's delete fail.
 */
export class RequestStorage extends Construct {
  /** Seals key shares, triples and presignatures (tables and per-item envelope) and the node's secrets. */
  readonly dataKey: kms.Key;
  readonly signRequestsQueue: sqs.Queue;
  readonly signRequestsDeadLetterQueue: sqs.Queue;
  readonly tables: Record<StorageTableName, dynamodb.TableV2>;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.dataKey = new kms.Key(this, 'DataKey', {
      description: 'Chain-signatures operator secrets: key shares, triples, presignatures, node secrets',
      enableKeyRotation: true,
      policy: dataKeyPolicy(this),
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
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

    const sealedTable = (id: string, keys: { partitionKey: string; sortKey: string }, lifetime: 'kept' | 'single-use') => {
      const table = new dynamodb.TableV2(this, id, {
        ...tableKeys(keys),
        billing: dynamodb.Billing.onDemand(),
        encryption: dynamodb.TableEncryptionV2.customerManagedKey(this.dataKey),
        // PITR keeps every deleted item restorable for 35 days: right for key shares, wrong for triples and
        // presignatures, whose deletion on use is what makes them single-use.
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: lifetime === 'kept' },
        deletionProtection: lifetime === 'kept',
        removalPolicy: lifetime === 'kept' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      if (lifetime === 'single-use') {
        acknowledgeNoPointInTimeRecovery(table, 'Triples and presignatures are single-use: PITR would keep every used (deleted) share restorable for 35 days, and a lost stockpile is regenerated.');
      }
      return table;
    };
    this.tables = {
      // Public chain data (the sign calls as the Lake shows them) that only the indexer touches: DynamoDB's
      // own key, so the indexer needs no permission on the key that seals key shares.
      requests: new dynamodb.TableV2(this, 'RequestsTable', {
        ...tableKeys(TABLE_KEYS.requests),
        billing: dynamodb.Billing.onDemand(),
        encryption: dynamodb.TableEncryptionV2.dynamoOwnedKey(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false },
        timeToLiveAttribute: REQUEST_TTL_ATTRIBUTE,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      keyShares: sealedTable('KeySharesTable', TABLE_KEYS.keyShares, 'kept'),
      triples: sealedTable('TriplesTable', TABLE_KEYS.triples, 'single-use'),
      presignatures: sealedTable('PresignaturesTable', TABLE_KEYS.presignatures, 'single-use'),
    };
    acknowledgeNoPointInTimeRecovery(
      this.tables.requests,
      'Request records are public chain data kept for diagnosis (TTL 14 days); the Lake can replay them, so point-in-time recovery would be cost without a use.',
    );
  }
}

function acknowledgeNoPointInTimeRecovery(table: dynamodb.TableV2, reason: string): void {
  Validations.of(table).acknowledge({ id: 'AwsSolutions::AwsSolutions-DDB3', reason });
}

function tableKeys(keys: { partitionKey: string; sortKey?: string }): Pick<dynamodb.TablePropsV2, 'partitionKey' | 'sortKey'> {
  return {
    partitionKey: { name: keys.partitionKey, type: dynamodb.AttributeType.STRING },
    ...(keys.sortKey !== undefined && { sortKey: { name: keys.sortKey, type: dynamodb.AttributeType.STRING } }),
  };
}
