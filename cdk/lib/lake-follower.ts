import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FOLLOWER_LEASE_TABLE_KEY } from '../../services/lake-follower/dynamodb-lease.js';
import { projectLambdaProps } from './project-lambda.js';

/** Environment variables of the follower function, named as services/lake-follower/config.ts reads them. */
export const LAKE_FOLLOWER_ENVIRONMENT = {
  publicLakeBucket: 'PUBLIC_LAKE_BUCKET',
  publicLakeRegion: 'PUBLIC_LAKE_REGION',
  lakeBucket: 'LAKE_BUCKET',
  contractId: 'MPC_CONTRACT_ID',
  nearRpcUrl: 'NEAR_RPC_URL',
  startHeight: 'START_HEIGHT',
  checkpointKey: 'CHECKPOINT_KEY',
  metricsNamespace: 'METRICS_NAMESPACE',
  leaseTable: 'LEASE_TABLE',
} as const;

/** Metrics services/lake-follower publishes (Powertools EMF, dimension service=lake-follower). */
export const LAKE_FOLLOWER_METRICS = {
  lagSeconds: 'LagSeconds',
  shardLayoutChanges: 'ShardLayoutChanges',
  signerShardMoves: 'SignerShardMoves',
} as const;
/** What the dashboard shows of the follower besides its alarmed lag: how far it reads and what that costs. */
export const LAKE_FOLLOWER_DASHBOARD_METRICS = {
  blocksRead: 'BlocksRead',
  activeBlocks: 'ActiveBlocks',
  publicLakeGets: 'PublicLakeGets',
  publicLakeLists: 'PublicLakeLists',
  stepFailures: 'StepFailures',
} as const;
export const FOLLOWER_SERVICE_DIMENSION = { service: 'lake-follower' };

/** NEAR's public Lake buckets (requester pays), both in eu-central-1. */
export const PUBLIC_NEAR_LAKE = {
  mainnet: { bucketName: 'near-lake-data-mainnet', region: 'eu-central-1' },
  testnet: { bucketName: 'near-lake-data-testnet', region: 'eu-central-1' },
} as const;

export const CHECKPOINT_KEY = 'lake-follower/checkpoint';
/**
 * A request lives ~200 blocks (two minutes on mainnet); a follower a minute behind has used half of it.
 * Three one-minute datapoints, as the indexer's lag alarm.
 */
const MAX_LAG_SECONDS = 60;
/** Lambda's longest timeout: each invocation follows for nearly all of it, so a hand-over comes every ~15 minutes. */
const FOLLOWER_TIMEOUT = Duration.minutes(15);
/**
 * One run following, one waiting for its hand-over, one tick that finds the lease held and returns at once.
 * More would only be invocations that return at once; fewer would throttle the waiting run.
 */
const FOLLOWER_CONCURRENCY = 3;
/** A tick not delivered within this is dropped: the next minute's tick replaces it. */
const TICK_MAX_AGE = Duration.seconds(60);

export interface LakeFollowerProps {
  /** TypeScript entry of the follower Lambda (lambdas/lake-follower/handler.ts, exports `handler`). */
  readonly handlerEntry: string;
  /** The operator's lake bucket, whose notifications feed the indexer. */
  readonly lakeBucket: s3.Bucket;
  readonly publicLake: { readonly bucketName: string; readonly region: string };
  readonly near: { readonly contractId: string; readonly rpcUrl: string };
  readonly metricsNamespace: string;
  /** First block when there is no checkpoint yet; default the newest final block. */
  readonly startHeight?: number;
  /** Alarm notifications go here (the stack's alarm topic). */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * The public-lake follower (lambdas/lake-follower, services/lake-follower): reads NEAR's public Lake as the
 * paying requester and puts the signer shard of active blocks, with its block's header as object metadata,
 * into the operator's lake bucket.
 *
 * It runs as a 256 MB ARM64 Lambda function invoked every minute by an EventBridge schedule. An invocation
 * follows for up to its 15-minute timeout while it holds the lease in a small DynamoDB table of its own, then
 * checkpoints and hands over to the invocation waiting for it, so runs never overlap and no block is skipped
 * (services/lake-follower/scheduled-run.ts). A scheduled Lambda rather than an always-on Fargate task for the
 * cost: running continuously, ≈ $8.76/month against ≈ $10.86 for the smallest task and the public IPv4 it
 * needs in the public network mode (docs/cost.md); and it needs no VPC, security group or image. A function of its own, not
 * part of the node's task nor of the indexer, because its role is its own: as a sidecar, the node would get
 * write access to the lake and the follower the node's key and tables (docs/decisions/0012-public-lake-follower.md,
 * amended 2026-12-08).
 */
export class LakeFollower extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly leaseTable: dynamodb.TableV2;
  readonly schedule: events.Rule;
  readonly logGroup: logs.LogGroup;
  readonly stalledAlarm: cloudwatch.Alarm;
  readonly shardLayoutChangedAlarm: cloudwatch.Alarm;
  readonly signerShardMovedAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: LakeFollowerProps) {
    super(scope, id);
    const partition = Stack.of(this).partition;
    const publicBucketArn = `arn:${partition}:s3:::${props.publicLake.bucketName}`;

    // One item, the lease (services/lake-follower/dynamodb-lease.ts); no fixed name, nothing to keep.
    this.leaseTable = new dynamodb.TableV2(this, 'LeaseTable', {
      partitionKey: { name: FOLLOWER_LEASE_TABLE_KEY, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    // A role of our own instead of AWSLambdaBasicExecutionRole: it may write only to this log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Lake follower: reads the public NEAR Lake (requester pays), writes the operator lake bucket, holds the follower lease',
    });
    // Requester pays needs no extra permission: the request header makes this account the payer.
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ListPublicLake', actions: ['s3:ListBucket'], resources: [publicBucketArn] }));
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadPublicLake', actions: ['s3:GetObject'], resources: [`${publicBucketArn}/*`] }));
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOperatorLake', actions: ['s3:PutObject'], resources: [props.lakeBucket.arnForObjects('*')] }));
    // Listing finds what a run before a crash already put; without ListBucket a missing checkpoint would read as 403, not 404.
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ListOperatorLake', actions: ['s3:ListBucket'], resources: [props.lakeBucket.bucketArn] }));
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadCheckpoint', actions: ['s3:GetObject'], resources: [props.lakeBucket.arnForObjects(CHECKPOINT_KEY)] }));
    // Conditional put (acquire), update (renew) and delete (release); GetItem covers the item returned when a condition fails.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'FollowerLease',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.leaseTable.tableArn],
      }),
    );
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      ...projectLambdaProps(props.handlerEntry),
      description: `Public-lake follower: copies the signer shard of ${props.near.contractId}'s active blocks from ${props.publicLake.bucketName}`,
      // Twice the measured peak: the bundled follower, one run catching up through 400 blocks of 133 KB shards,
      // peaked at 117 MiB (Node 20, fauxqs; docs/benchmarks.md). 128 MB would leave no room; 256 MB also gives
      // it a seventh of a vCPU, ≈ 55 ms per block at the 7.6 ms of CPU a block measured at full speed.
      memorySize: 256,
      timeout: FOLLOWER_TIMEOUT,
      reservedConcurrentExecutions: FOLLOWER_CONCURRENCY,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        [LAKE_FOLLOWER_ENVIRONMENT.publicLakeBucket]: props.publicLake.bucketName,
        [LAKE_FOLLOWER_ENVIRONMENT.publicLakeRegion]: props.publicLake.region,
        [LAKE_FOLLOWER_ENVIRONMENT.lakeBucket]: props.lakeBucket.bucketName,
        [LAKE_FOLLOWER_ENVIRONMENT.contractId]: props.near.contractId,
        [LAKE_FOLLOWER_ENVIRONMENT.nearRpcUrl]: props.near.rpcUrl,
        [LAKE_FOLLOWER_ENVIRONMENT.checkpointKey]: CHECKPOINT_KEY,
        [LAKE_FOLLOWER_ENVIRONMENT.metricsNamespace]: props.metricsNamespace,
        [LAKE_FOLLOWER_ENVIRONMENT.leaseTable]: this.leaseTable.tableName,
        ...(props.startHeight !== undefined && { [LAKE_FOLLOWER_ENVIRONMENT.startHeight]: String(props.startHeight) }),
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    // No retry of a failed or throttled tick, and none older than a minute: the next minute's tick replaces it.
    this.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: TICK_MAX_AGE });

    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Every minute: a follower run takes over the lease when the running one hands over, or returns at once',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: TICK_MAX_AGE })],
    });

    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({ namespace: props.metricsNamespace, metricName, dimensionsMap: FOLLOWER_SERVICE_DIMENSION, statistic, period: Duration.minutes(1) });
    // The lag is published every minute, also while nothing arrives; no datapoint means no run is following.
    this.stalledAlarm = new cloudwatch.Alarm(this, 'StalledAlarm', {
      alarmDescription: `The public-lake follower is more than ${MAX_LAG_SECONDS} s behind the chain, or not running: sign requests are not reaching the indexer.`,
      metric: metric(LAKE_FOLLOWER_METRICS.lagSeconds, 'Maximum'),
      threshold: MAX_LAG_SECONDS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const onAnyChange = (alarmId: string, metricName: string, description: string) =>
      new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: description,
        metric: metric(metricName, 'Sum'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.shardLayoutChangedAlarm = onAnyChange('ShardLayoutChangedAlarm', LAKE_FOLLOWER_METRICS.shardLayoutChanges, 'NEAR changed its shard layout (a resharding); the follower re-read it. Check lake.shards and the follower log.');
    this.signerShardMovedAlarm = onAnyChange(
      'SignerShardMovedAlarm',
      LAKE_FOLLOWER_METRICS.signerShardMoves,
      'The signer contract moved to another shard; the follower now copies the new shard. A shard-id notification filter (lake.shards) must follow.',
    );
    if (props.alarmTopic !== undefined) {
      for (const alarm of [this.stalledAlarm, this.shardLayoutChangedAlarm, this.signerShardMovedAlarm]) alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
    }

    // cdk-nag names a resource as the template has it: a partition literal in a stack with a known region, else the pseudo parameter.
    const partitionInFindings = Token.isUnresolved(partition) ? '<AWS::Partition>' : partition;
    Validations.of(this.role).acknowledge(
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:${partitionInFindings}:s3:::${props.publicLake.bucketName}/*]`, reason: 'Public Lake keys are <height>/<file>.json, unknown in advance; the grant is s3:GetObject on that public bucket only.' },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(props.lakeBucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
        reason: 'Lake object keys are <height>/<file>.json, unknown in advance; the grant is s3:PutObject on the operator lake bucket only.',
      },
    );
    Validations.of(this.leaseTable).acknowledge({
      id: 'AwsSolutions::AwsSolutions-DDB3',
      reason: 'The table holds one ephemeral lease item, rewritten every 10 s and worthless a minute later; point-in-time recovery would have nothing to restore.',
    });
  }
}
