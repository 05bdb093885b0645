import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { OperatorConfig } from './config.js';
import { projectLambdaProps } from './project-lambda.js';

/** Environment variables the lake indexer handler reads. */
export const INDEXER_ENVIRONMENT = {
  requestsTable: 'REQUESTS_TABLE_NAME',
  signRequestsQueueUrl: 'SIGN_REQUESTS_QUEUE_URL',
  contractId: 'MPC_CONTRACT_ID',
} as const;

const INDEXER_TIMEOUT_SECONDS = 30;

/**
 * S3 key filters for the lake notifications. S3 filters are one prefix and one suffix, and the prefix of a
 * lake key is the block height, so "shard_*.json" cannot be said directly:
 * - "all": suffix `.json`; `block.json` arrives too, one extra message per block, which the indexer only
 *   uses for its block-lag metric;
 * - shard ids: one filter per shard with suffix `/shard_<id>.json`, exact, and nothing else is delivered.
 */
export function lakeNotificationFilters(shards: OperatorConfig['lake']['shards']): s3.NotificationKeyFilter[] {
  if (shards === 'all') return [{ suffix: '.json' }];
  return shards.map((shardId) => ({ suffix: `/shard_${shardId}.json` }));
}

/** The stack-wide Lambda CDK creates to configure bucket notifications (its construct id is fixed by CDK). */
function acknowledgeNotificationsHandler(stack: Stack): void {
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('BucketNotificationsHandler')) continue;
    Validations.of(child).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'CDK-managed deployment-time handler that only writes its own logs; its role is not configurable.',
    });
  }
}

export interface LakeIngestProps {
  readonly lake: OperatorConfig['lake'];
  readonly near: OperatorConfig['near'];
  readonly metricsNamespace: string;
  /** TypeScript file exporting `handler`, bundled by esbuild. */
  readonly indexerEntry: string;
  readonly accessLogs: s3.IBucket;
  readonly requestsTable: dynamodb.ITableV2;
  readonly signRequestsQueue: sqs.IQueue;
}

/**
 * NEAR Lake → lake-events queue → indexer Lambda. The bucket is the operator's own; `lake.source` says what
 * fills it: the public-lake follower (blocks from NEAR's public Lake, each one's parent checked before it is
 * copied) or the operator's own NEAR node and Lake writer (no third party's data at all).
 */
export class LakeIngest extends Construct {
  readonly bucket: s3.Bucket;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly indexer: NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: LakeIngestProps) {
    super(scope, id);
    const { lake } = props;

    // SSE-S3 rather than KMS: the lake holds public chain data, and at ~10 objects per block a KMS call
    // per PUT and GET would cost more than the rest of the stack. No fixed name: a kept bucket would block
    // the next deployment of the stack; the writer takes the name from the LakeBucketName output.
    this.bucket = new s3.Bucket(this, 'LakeBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'lake-bucket/',
      lifecycleRules: [{ expiration: Duration.days(lake.retentionDays) }],
      // CloudFormation cannot delete a bucket with objects, so a stack deletion leaves it (its lifecycle
      // empties it); the rollback of a failed creation deletes it while it is still empty.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    // The follower writes with its function's role (cdk/lib/lake-follower.ts); a writer principal is for an own writer only.
    if (lake.source === 'own-writer' && lake.writerPrincipalArn !== undefined) {
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'NearLakeWriterPutsBlocks',
          principals: [new iam.ArnPrincipal(lake.writerPrincipalArn)],
          actions: ['s3:PutObject'],
          resources: [this.bucket.arnForObjects('*')],
        }),
      );
    }

    this.deadLetterQueue = new sqs.Queue(this, 'LakeEventsDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'LakeEventsQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's guidance for Lambda sources: at least six times the function timeout, so a message is not
      // redelivered while a retried batch is still running.
      visibilityTimeout: Duration.seconds(INDEXER_TIMEOUT_SECONDS * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    for (const filter of lakeNotificationFilters(lake.shards)) {
      this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(this.queue), filter);
    }
    acknowledgeNotificationsHandler(Stack.of(this));

    this.logGroup = new logs.LogGroup(this, 'IndexerLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of our own instead of AWSLambdaBasicExecutionRole: it may write only to this log group.
    const role = new iam.Role(this, 'IndexerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Lake indexer: reads lake objects, records sign requests, enqueues them',
    });
    this.logGroup.grantWrite(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadLakeObjects',
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RecordSignRequests',
        // The ledger writes with conditional UpdateItem only; GetItem covers reading the old item back
        // when a condition fails (ReturnValuesOnConditionCheckFailure).
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.requestsTable.tableArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EnqueueSignRequests',
        actions: ['sqs:SendMessage'],
        resources: [props.signRequestsQueue.queueArn],
      }),
    );

    this.indexer = new NodejsFunction(this, 'Indexer', {
      ...projectLambdaProps(props.indexerEntry),
      description: `NEAR Lake indexer: sign requests to ${props.near.contractId}`,
      memorySize: 256,
      timeout: Duration.seconds(INDEXER_TIMEOUT_SECONDS),
      reservedConcurrentExecutions: lake.indexerConcurrency,
      role,
      logGroup: this.logGroup,
      environment: {
        [INDEXER_ENVIRONMENT.requestsTable]: props.requestsTable.tableName,
        [INDEXER_ENVIRONMENT.signRequestsQueueUrl]: props.signRequestsQueue.queueUrl,
        [INDEXER_ENVIRONMENT.contractId]: props.near.contractId,
        POWERTOOLS_SERVICE_NAME: 'lake-indexer',
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    this.indexer.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: lake.indexerConcurrency,
      }),
    );

    Validations.of(role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
      reason: "Lake object keys are <height>/<file>.json and unknown in advance; the grant is s3:GetObject on this bucket's objects only.",
    });
  }
}
