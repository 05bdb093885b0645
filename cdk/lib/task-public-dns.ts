import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { MeshEndpoint } from './config.js';
import { projectLambdaProps } from './project-lambda.js';

/** Environment variables lambdas/task-dns/config.ts reads. */
export const TASK_DNS_ENVIRONMENT = {
  hostedZoneId: 'HOSTED_ZONE_ID',
  recordName: 'RECORD_NAME',
  ttlSeconds: 'RECORD_TTL_SECONDS',
} as const;

/** Peers resolve a restarted node's new address within a minute. */
export const TASK_RECORD_TTL_SECONDS = 60;

export interface TaskPublicDnsProps {
  /** The node service; only its tasks' events move the record. */
  readonly service: ecs.FargateService;
  readonly endpoint: Extract<MeshEndpoint, { mode: 'public' }>;
  /** TypeScript entry of the updater Lambda (lambdas/task-dns/handler.ts). */
  readonly entry: string;
  readonly alarmTopic?: sns.ITopic;
}

/**
 * Keeps the participant URL's host name on the running node task in public mode: an EventBridge rule on the
 * service's "task running" events invokes a small Lambda that reads the task interface's public IPv4 and
 * UPSERTs the A record (TTL 60) in the operator's hosted zone. Its role may change that one A record only.
 */
export class TaskPublicDns extends Construct {
  readonly updater: NodejsFunction;
  readonly role: iam.Role;
  readonly rule: events.Rule;
  readonly logGroup: logs.LogGroup;
  readonly failureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: TaskPublicDnsProps) {
    super(scope, id);
    const { endpoint } = props;
    // Route 53 compares the normalized name: lowercase, without the trailing dot.
    const recordName = endpoint.domainName.toLowerCase().replace(/\.$/, '');

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Task DNS updater: reads the node task's public address, keeps the A record ${recordName} on it`,
    });
    this.logGroup.grantWrite(this.role);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'UpsertParticipantRecord',
        actions: ['route53:ChangeResourceRecordSets'],
        resources: [`arn:${Stack.of(this).partition}:route53:::hostedzone/${endpoint.hostedZoneId}`],
        // Route 53's own condition keys narrow the grant from the zone to this record, this type and UPSERT.
        conditions: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': [recordName],
            'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
            'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
          },
        },
      }),
    );
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadTaskAddress', actions: ['ec2:DescribeNetworkInterfaces'], resources: ['*'] }));

    this.updater = new NodejsFunction(this, 'Updater', {
      ...projectLambdaProps(props.entry),
      description: `Points ${recordName} at the running mpc-node task's public IPv4`,
      memorySize: 256,
      timeout: Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        [TASK_DNS_ENVIRONMENT.hostedZoneId]: endpoint.hostedZoneId,
        [TASK_DNS_ENVIRONMENT.recordName]: recordName,
        [TASK_DNS_ENVIRONMENT.ttlSeconds]: String(TASK_RECORD_TTL_SECONDS),
        NODE_OPTIONS: '--enable-source-maps',
      },
    });

    // RUNNING and meant to stay so: a task told to stop (the old one of a deployment) never moves the record.
    this.rule = new events.Rule(this, 'NodeTaskRunning', {
      description: `The mpc-node task is running: point ${recordName} at it`,
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [props.service.cluster.clusterArn],
          group: [`service:${props.service.serviceName}`],
          lastStatus: ['RUNNING'],
          desiredStatus: ['RUNNING'],
        },
      },
      targets: [new targets.LambdaFunction(this.updater)],
    });

    // A failed update leaves peers dialling the previous task's address: page on the first one (after Lambda's two retries).
    this.failureAlarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
      alarmDescription: `The task DNS updater failed: ${recordName} may still point at a stopped task, so peers cannot reach this node. See its log group.`,
      metric: this.updater.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic !== undefined) this.failureAlarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: "ec2:DescribeNetworkInterfaces supports no resource-level permissions; it only reads interface metadata (the public IPv4 of the task's interface).",
    });
  }
}
