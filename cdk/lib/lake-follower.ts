import { Duration, IgnoreMode, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { taskPlacement, type TaskPlacement } from './node-network.js';
import { PROJECT_ROOT } from './paths.js';

/** Environment variables of the follower container, named as services/lake-follower/config.ts reads them. */
export const LAKE_FOLLOWER_ENVIRONMENT = {
  publicLakeBucket: 'PUBLIC_LAKE_BUCKET',
  publicLakeRegion: 'PUBLIC_LAKE_REGION',
  lakeBucket: 'LAKE_BUCKET',
  contractId: 'MPC_CONTRACT_ID',
  nearRpcUrl: 'NEAR_RPC_URL',
  startHeight: 'START_HEIGHT',
  checkpointKey: 'CHECKPOINT_KEY',
  metricsNamespace: 'METRICS_NAMESPACE',
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

export const LAKE_FOLLOWER_DOCKERFILE = 'services/lake-follower/Dockerfile';
const IMAGE_CONTEXT_ALLOWLIST = ['*', '!package.json', '!package-lock.json', '!tsconfig.json', '!shared', '!services', `!${LAKE_FOLLOWER_DOCKERFILE}`];
export const CHECKPOINT_KEY = 'lake-follower/checkpoint';
/**
 * A request lives ~200 blocks (two minutes on mainnet); a follower a minute behind has used half of it.
 * Three one-minute datapoints, as the indexer's lag alarm.
 */
const MAX_LAG_SECONDS = 60;

export interface LakeFollowerProps {
  readonly vpc: ec2.IVpc;
  /** Default: a cluster of its own in `vpc` (clusters cost nothing). */
  readonly cluster?: ecs.ICluster;
  /** Default: private subnets, egress through the VPC's NAT gateway. In public mode: public subnets and a public IPv4. */
  readonly placement?: TaskPlacement;
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
 * The public-lake follower (services/lake-follower): one small always-on Fargate task (0.25 vCPU, 0.5 GB,
 * ARM64) that reads NEAR's public Lake as the paying requester and puts the signer shard of active blocks,
 * with its block's header as object metadata, into the operator's lake bucket. A task of its own rather than a container in the node's
 * task, because a task has one role: as a sidecar, the node would get write access to the lake and the
 * follower the node's key and tables (docs/decisions/0012-public-lake-follower.md).
 */
export class LakeFollower extends Construct {
  readonly service: ecs.FargateService;
  readonly taskRole: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly stalledAlarm: cloudwatch.Alarm;
  readonly shardLayoutChangedAlarm: cloudwatch.Alarm;
  readonly signerShardMovedAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: LakeFollowerProps) {
    super(scope, id);
    const partition = Stack.of(this).partition;
    const publicBucketArn = `arn:${partition}:s3:::${props.publicLake.bucketName}`;

    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'lake follower: reads the public NEAR Lake (requester pays), writes the operator lake bucket',
    });
    // Requester pays needs no extra permission: the request header makes this account the payer.
    this.taskRole.addToPolicy(new iam.PolicyStatement({ sid: 'ListPublicLake', actions: ['s3:ListBucket'], resources: [publicBucketArn] }));
    this.taskRole.addToPolicy(new iam.PolicyStatement({ sid: 'ReadPublicLake', actions: ['s3:GetObject'], resources: [`${publicBucketArn}/*`] }));
    this.taskRole.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOperatorLake', actions: ['s3:PutObject'], resources: [props.lakeBucket.arnForObjects('*')] }));
    // Listing finds what a run before a crash already put; without ListBucket a missing checkpoint would read as 403, not 404.
    this.taskRole.addToPolicy(new iam.PolicyStatement({ sid: 'ListOperatorLake', actions: ['s3:ListBucket'], resources: [props.lakeBucket.bucketArn] }));
    this.taskRole.addToPolicy(new iam.PolicyStatement({ sid: 'ReadCheckpoint', actions: ['s3:GetObject'], resources: [props.lakeBucket.arnForObjects(CHECKPOINT_KEY)] }));

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      taskRole: this.taskRole,
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    taskDefinition.addContainer('lake-follower', {
      image: ecs.ContainerImage.fromAsset(PROJECT_ROOT, {
        file: LAKE_FOLLOWER_DOCKERFILE,
        platform: Platform.LINUX_ARM64,
        ignoreMode: IgnoreMode.DOCKER,
        exclude: IMAGE_CONTEXT_ALLOWLIST,
      }),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'lake-follower', logGroup: this.logGroup }),
      readonlyRootFilesystem: true,
      // SIGTERM writes the checkpoint; the replay after a harder stop costs only GETs.
      stopTimeout: Duration.seconds(30),
      environment: {
        [LAKE_FOLLOWER_ENVIRONMENT.publicLakeBucket]: props.publicLake.bucketName,
        [LAKE_FOLLOWER_ENVIRONMENT.publicLakeRegion]: props.publicLake.region,
        [LAKE_FOLLOWER_ENVIRONMENT.lakeBucket]: props.lakeBucket.bucketName,
        [LAKE_FOLLOWER_ENVIRONMENT.contractId]: props.near.contractId,
        [LAKE_FOLLOWER_ENVIRONMENT.nearRpcUrl]: props.near.rpcUrl,
        [LAKE_FOLLOWER_ENVIRONMENT.checkpointKey]: CHECKPOINT_KEY,
        [LAKE_FOLLOWER_ENVIRONMENT.metricsNamespace]: props.metricsNamespace,
        ...(props.startHeight !== undefined && { [LAKE_FOLLOWER_ENVIRONMENT.startHeight]: String(props.startHeight) }),
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
    });

    const cluster = props.cluster ?? new ecs.Cluster(this, 'Cluster', { vpc: props.vpc, containerInsightsV2: ecs.ContainerInsights.DISABLED });
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: props.vpc, description: 'lake follower: outbound only (S3, NEAR RPC)', allowAllOutbound: true });
    const placement = props.placement ?? taskPlacement('private');
    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition,
      desiredCount: 1,
      // Never two followers at once: the old one stops (and checkpoints) before the new one starts, so no object is put twice.
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      circuitBreaker: { enable: true, rollback: true },
      vpcSubnets: placement.vpcSubnets,
      securityGroups: [securityGroup],
      assignPublicIp: placement.assignPublicIp,
      platformVersion: ecs.FargatePlatformVersion.LATEST,
    });

    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({ namespace: props.metricsNamespace, metricName, dimensionsMap: FOLLOWER_SERVICE_DIMENSION, statistic, period: Duration.minutes(1) });
    // The lag is published every minute, also while nothing arrives; no datapoint means no follower.
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
    Validations.of(taskDefinition).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-ECS2', reason: 'The environment holds only non-secret configuration (bucket names, the contract id, the RPC URL); the follower has no secrets.' },
      { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'ecr:GetAuthorizationToken supports no resource-level permissions; CDK adds it to the execution role for pulling the image asset.' },
    );
    Validations.of(this.taskRole).acknowledge(
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:${partitionInFindings}:s3:::${props.publicLake.bucketName}/*]`, reason: 'Public Lake keys are <height>/<file>.json, unknown in advance; the grant is s3:GetObject on that public bucket only.' },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(props.lakeBucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
        reason: 'Lake object keys are <height>/<file>.json, unknown in advance; the grant is s3:PutObject on the operator lake bucket only.',
      },
    );
    if (props.cluster === undefined) {
      Validations.of(cluster).acknowledge({
        id: 'AwsSolutions::AwsSolutions-ECS4',
        reason: "One service with one task: the free AWS/ECS CPU and memory metrics and the follower's own lag metric cover it; Container Insights would add custom-metric cost for nothing new.",
      });
    }
  }
}
