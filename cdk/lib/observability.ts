import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  DefaultDashboardFactory,
  MetricStatistic,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import type { LakeSource } from './config.js';
import { FOLLOWER_SERVICE_DIMENSION, LAKE_FOLLOWER_DASHBOARD_METRICS, LAKE_FOLLOWER_METRICS } from './lake-follower.js';
import type { NodeService } from './node-service.js';

/** Custom metrics the mpc-node publishes (CloudWatch embedded metric format in its log, no API calls). */
export const NODE_METRICS = {
  /** Gauge: presignatures this node owns and can use now. */
  presignaturesAvailable: 'PresignaturesAvailable',
  /** Milliseconds from the request's block to the `respond` transaction, per request this node led. */
  signLatency: 'SignLatency',
} as const;

/** Metrics the lake indexer publishes (Powertools, dimension service=lake-indexer; names from lambdas/lake-indexer/indexer.ts). */
export const INDEXER_METRICS = {
  /** Seconds between a block's timestamp and its header being indexed (block.json, or the header the follower attaches to a shard). */
  blockLag: 'BlockLagSeconds',
  /** Sign calls found in shards, once per indexing attempt (a retried message counts again). */
  signRequestsFound: 'SignRequestsFound',
  signRequestsEnqueued: 'SignRequestsEnqueued',
  /** Found again after an earlier attempt enqueued or closed it. */
  signRequestsAlreadyHandled: 'SignRequestsAlreadyHandled',
  /** Accepted sign calls the indexer cannot read: each is a request no node will answer. */
  unreadableSignCalls: 'UnreadableSignCalls',
} as const;
const INDEXER_SERVICE_DIMENSION = { service: 'lake-indexer' };

/**
 * ERROR lines in the indexer's log, counted by a metric filter. The handler reports a failed record in
 * `batchItemFailures` and returns normally, so the Lambda `Errors` metric only sees timeouts and crashes;
 * every failed record is logged at ERROR (a duplicate delivery racing its twin only at WARN).
 */
export const INDEXER_ERROR_LOG_METRIC = 'LakeIndexerErrorLogs';

/**
 * A live chain makes a block about every second, and the Lake writer puts several objects per block: this
 * many minutes without one lake event means the writer (or the bucket notification) has stopped.
 */
export const LAKE_SOURCE_SILENCE_MINUTES = 5;

/** Minutes without a running node task before the public mode's "node down" alarm (the NLB's healthy-host alarm in private mode). */
const NODE_ABSENT_MINUTES = 3;

/** A request times out on chain after ~200 blocks; an indexer this far behind is already losing requests. */
const LAKE_EVENTS_MAX_AGE_SECONDS = 60;
const INDEXER_MAX_BLOCK_LAG_SECONDS = 60;
const SIGN_REQUESTS_MAX_AGE_SECONDS = 30;
const SIGN_LATENCY_P90_MAX_MS = 30_000;
/** A message in a dead-letter queue is a lost block or request, and so is an unreadable sign call: page at once. */
const ON_FIRST_DATAPOINT = { datapointsToAlarm: 1, evaluationPeriods: 1 } as const;

export interface ObservabilityProps {
  readonly dashboardName: string;
  /** Whether to create the dashboard (`observability.dashboard`); the alarms exist either way. */
  readonly dashboard: boolean;
  readonly metricsNamespace: string;
  readonly minPresignatures: number;
  /**
   * An own Lake writer puts objects every block, so a silent queue means it stopped; the follower puts only
   * blocks with contract activity, so silence is normal and its own lag alarm watches it instead.
   */
  readonly lakeSource: LakeSource;
  readonly alarmEmail?: string;
  readonly lakeEventsQueue: sqs.IQueue;
  readonly lakeEventsDeadLetterQueue: sqs.IQueue;
  readonly indexer: lambda.IFunction;
  readonly indexerLogGroup: logs.ILogGroup;
  readonly signRequestsQueue: sqs.IQueue;
  readonly signRequestsDeadLetterQueue: sqs.IQueue;
  readonly node: NodeService;
}

/** The alarms an operator is paged for, all sent to one SNS topic, and optionally one dashboard. */
export class Observability extends Construct {
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: `${props.dashboardName} alarms`, enforceSSL: true });
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    Validations.of(this.alarmTopic).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SNS2',
      reason: 'Alarm notifications carry only alarm names and metric values; CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, and a key just for alarms is cost without a secret to protect.',
    });

    new logs.MetricFilter(this, 'IndexerErrorLogs', {
      logGroup: props.indexerLogGroup,
      metricNamespace: props.metricsNamespace,
      metricName: INDEXER_ERROR_LOG_METRIC,
      filterPattern: logs.FilterPattern.stringValue('$.level', '=', 'ERROR'),
      metricValue: '1',
    });
    const minute = Duration.minutes(1);
    const indexerMetric = (metricName: string, statistic: string = MetricStatistic.SUM) =>
      new cloudwatch.Metric({ namespace: props.metricsNamespace, metricName, dimensionsMap: INDEXER_SERVICE_DIMENSION, statistic, period: minute });

    const monitoring = new MonitoringFacade(this, 'Monitoring', {
      alarmFactoryDefaults: {
        alarmNamePrefix: props.dashboardName,
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: this.alarmTopic }),
        // Three one-minute datapoints: requests die on chain after a few minutes, so a 15-minute alarm
        // (the library's five-minute default period) would only report the loss.
        datapointsToAlarm: 3,
        evaluationPeriods: 3,
      },
      metricFactoryDefaults: { period: Duration.minutes(1) },
      dashboardFactory: new DefaultDashboardFactory(this, 'Dashboards', {
        dashboardNamePrefix: props.dashboardName,
        createDashboard: props.dashboard,
        createSummaryDashboard: false,
        createAlarmDashboard: false,
      }),
    });
    monitoring
      .monitorSqsQueueWithDlq({
        queue: props.lakeEventsQueue,
        deadLetterQueue: props.lakeEventsDeadLetterQueue,
        humanReadableName: 'Lake events',
        alarmFriendlyName: 'LakeEvents',
        addQueueMaxMessageAgeAlarm: { Critical: { maxAgeInSeconds: LAKE_EVENTS_MAX_AGE_SECONDS } },
        addDeadLetterQueueMaxSizeAlarm: { Critical: { maxMessageCount: 0, ...ON_FIRST_DATAPOINT } },
      })
      .monitorLambdaFunction({
        lambdaFunction: props.indexer,
        humanReadableName: 'Lake indexer',
        alarmFriendlyName: 'LakeIndexer',
        // Faults are alarmed below from failed records; this library's fault alarm only sees failed invocations.
        addThrottlesCountAlarm: { Warning: { maxErrorCount: 0 } },
      })
      .monitorCustom({
        humanReadableName: 'Lake source and indexer faults',
        alarmFriendlyName: 'LakeIndexerHealth',
        metricGroups: [
          {
            title: 'Lake events arriving',
            metrics: [
              {
                metric: props.lakeEventsQueue.metricNumberOfMessagesSent({ period: minute, statistic: MetricStatistic.SUM }),
                alarmFriendlyName: 'LakeSourceStopped',
                addAlarm:
                  props.lakeSource === 'own-writer'
                    ? {
                        Critical: {
                          threshold: 1,
                          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                          // An idle queue reports no datapoints at all: silence is the failure.
                          treatMissingDataOverride: cloudwatch.TreatMissingData.BREACHING,
                          evaluationPeriods: LAKE_SOURCE_SILENCE_MINUTES,
                          datapointsToAlarm: LAKE_SOURCE_SILENCE_MINUTES,
                        },
                      }
                    : {},
              },
            ],
          },
          {
            title: 'Indexer faults (failed records and failed invocations)',
            metrics: [
              {
                metric: new cloudwatch.MathExpression({
                  label: 'Faults',
                  expression: 'FILL(records, 0) + FILL(invocations, 0)',
                  usingMetrics: {
                    records: new cloudwatch.Metric({ namespace: props.metricsNamespace, metricName: INDEXER_ERROR_LOG_METRIC, statistic: MetricStatistic.SUM, period: minute }),
                    invocations: props.indexer.metricErrors({ period: minute, statistic: MetricStatistic.SUM }),
                  },
                  period: minute,
                }),
                alarmFriendlyName: 'Fault',
                addAlarm: {
                  Critical: {
                    // Three minutes in a row: a live chain brings objects every second, so an indexer that
                    // cannot process them fails every minute; one poison message is retried only every
                    // visibility timeout and ends in the dead-letter queue, which has its own alarm.
                    threshold: 0,
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                  },
                },
              },
            ],
          },
          {
            title: 'Sign requests found but not handed to the nodes',
            metrics: [
              {
                // Every indexing attempt counts what it found and then either enqueued it or saw it handled
                // before; the difference is attempts that failed to hand a found request over.
                metric: new cloudwatch.MathExpression({
                  label: 'Found, not handed over',
                  expression: 'FILL(found, 0) - FILL(enqueued, 0) - FILL(handled, 0)',
                  usingMetrics: {
                    found: indexerMetric(INDEXER_METRICS.signRequestsFound),
                    enqueued: indexerMetric(INDEXER_METRICS.signRequestsEnqueued),
                    handled: indexerMetric(INDEXER_METRICS.signRequestsAlreadyHandled),
                  },
                  period: minute,
                }),
                alarmFriendlyName: 'SignRequestsNotHandedOver',
                addAlarm: {
                  Critical: {
                    threshold: 0,
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                    // Two failing minutes within five: a request that keeps failing is retried every 3 minutes
                    // (the visibility timeout) and shows twice; a duplicate delivery racing its twin, once.
                    evaluationPeriods: 5,
                    datapointsToAlarm: 2,
                  },
                },
              },
            ],
          },
          {
            title: 'Unreadable accepted sign calls',
            metrics: [
              {
                metric: indexerMetric(INDEXER_METRICS.unreadableSignCalls),
                alarmFriendlyName: 'UnreadableSignCalls',
                addAlarm: {
                  Critical: {
                    threshold: 0,
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                    ...ON_FIRST_DATAPOINT,
                  },
                },
              },
            ],
          },
        ],
      })
      .monitorCustom({
        humanReadableName: 'Lake indexer lag',
        alarmFriendlyName: 'LakeIndexerLag',
        metricGroups: [
          {
            title: 'Block lag (seconds behind the chain)',
            metrics: [
              {
                // One-minute datapoints (a Metric's own default is five minutes, which made this a 15-minute alarm).
                metric: indexerMetric(INDEXER_METRICS.blockLag, MetricStatistic.MAX).with({ unit: cloudwatch.Unit.SECONDS }),
                alarmFriendlyName: 'BlockLag',
                addAlarm: {
                  Critical: {
                    threshold: INDEXER_MAX_BLOCK_LAG_SECONDS,
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    // Only block.json notifications (own writer, lake.shards "all") and follower-copied shards produce
                    // the metric; a stalled indexer also shows as lake-events queue age.
                    treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                  },
                },
              },
            ],
          },
        ],
      })
      .monitorSqsQueueWithDlq({
        queue: props.signRequestsQueue,
        deadLetterQueue: props.signRequestsDeadLetterQueue,
        humanReadableName: 'Sign requests',
        alarmFriendlyName: 'SignRequests',
        addQueueMaxMessageAgeAlarm: { Critical: { maxAgeInSeconds: SIGN_REQUESTS_MAX_AGE_SECONDS } },
        addDeadLetterQueueMaxSizeAlarm: { Critical: { maxMessageCount: 0, ...ON_FIRST_DATAPOINT } },
      });
    this.monitorMeshEndpoint(monitoring, props.node);
    monitoring
      .monitorSimpleFargateService({
        fargateService: props.node.service,
        humanReadableName: 'MPC node',
        alarmFriendlyName: 'MpcNode',
        // Sustained high CPU means the task size is too small for the demand: a sizing signal, not a page.
        addCpuUsageAlarm: { Warning: { maxUsagePercent: 85, evaluationPeriods: 3, datapointsToAlarm: 3 } },
        addMemoryUsageAlarm: { Warning: { maxUsagePercent: 85 } },
      })
      .monitorCustom({
        humanReadableName: 'Stockpile and signing',
        alarmFriendlyName: 'Node',
        metricGroups: [
          {
            title: 'Presignatures available',
            metrics: [
              {
                metric: new cloudwatch.Metric({
                  namespace: props.metricsNamespace,
                  metricName: NODE_METRICS.presignaturesAvailable,
                  statistic: MetricStatistic.MIN,
                  period: Duration.minutes(5),
                }),
                alarmFriendlyName: 'StockpileLow',
                addAlarm: {
                  Critical: {
                    // Half the floor: generation is not keeping up even with the demand-free minimum.
                    threshold: Math.ceil(props.minPresignatures / 2),
                    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                    // A node that stops reporting its stockpile is as bad as an empty one.
                    treatMissingDataOverride: cloudwatch.TreatMissingData.BREACHING,
                    evaluationPeriods: 3,
                    datapointsToAlarm: 3,
                  },
                },
              },
            ],
          },
          {
            title: 'Sign latency (p90)',
            metrics: [
              {
                metric: new cloudwatch.Metric({
                  namespace: props.metricsNamespace,
                  metricName: NODE_METRICS.signLatency,
                  statistic: MetricStatistic.P90,
                  period: Duration.minutes(5),
                  unit: cloudwatch.Unit.MILLISECONDS,
                }),
                alarmFriendlyName: 'SignLatency',
                addAlarm: {
                  Critical: {
                    threshold: SIGN_LATENCY_P90_MAX_MS,
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    // No requests, no datapoints: an idle network is healthy.
                    treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                    evaluationPeriods: 3,
                    datapointsToAlarm: 2,
                  },
                },
              },
            ],
          },
        ],
      });
    if (props.lakeSource === 'public-lake-follower') this.dashboardFollower(monitoring, props.metricsNamespace);
  }

  /** The follower on the dashboard (no alarms here: ./lake-follower.ts has them). */
  private dashboardFollower(monitoring: MonitoringFacade, namespace: string): void {
    const follower = (metricName: string, statistic: string = MetricStatistic.SUM) =>
      new cloudwatch.Metric({ namespace, metricName, dimensionsMap: FOLLOWER_SERVICE_DIMENSION, statistic, period: Duration.minutes(1) });
    const { blocksRead, activeBlocks, publicLakeGets, publicLakeLists, stepFailures } = LAKE_FOLLOWER_DASHBOARD_METRICS;
    monitoring.monitorCustom({
      humanReadableName: 'Public-lake follower',
      alarmFriendlyName: 'Follower',
      metricGroups: [
        { title: 'Lag (seconds behind the chain)', metrics: [follower(LAKE_FOLLOWER_METRICS.lagSeconds, MetricStatistic.MAX)] },
        { title: 'Blocks read, and copied (contract activity)', metrics: [follower(blocksRead), follower(activeBlocks)] },
        { title: 'Public lake requests (requester pays) and failed steps', metrics: [follower(publicLakeGets), follower(publicLakeLists), follower(stepFailures)] },
      ],
    });
  }

  /**
   * Is the node reachable? Private mode: the NLB's healthy targets (its /livez probe). Public mode has no
   * probe from outside; the container check replaces a task that is not live, so a running task is the
   * signal, and AWS/ECS publishes the service's CPU every minute only while one runs.
   */
  private monitorMeshEndpoint(monitoring: MonitoringFacade, node: NodeService): void {
    const humanReadableName = 'Mesh endpoint';
    const alarmFriendlyName = 'MeshEndpoint';
    if (node.meshLoadBalancer !== undefined) {
      monitoring.monitorNetworkLoadBalancer({
        networkLoadBalancer: node.meshLoadBalancer.loadBalancer,
        networkTargetGroup: node.meshLoadBalancer.targetGroup,
        humanReadableName,
        alarmFriendlyName,
        addHealthyTaskCountAlarm: { Critical: { minHealthyTasks: 1 } },
      });
      return;
    }
    monitoring.monitorCustom({
      humanReadableName,
      alarmFriendlyName,
      metricGroups: [
        {
          title: 'Node task running (CPU datapoints per minute)',
          metrics: [
            {
              metric: node.service.metricCpuUtilization({ period: Duration.minutes(1), statistic: MetricStatistic.N }),
              alarmFriendlyName: 'NodeTaskRunning',
              addAlarm: {
                Critical: {
                  threshold: 1,
                  comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                  treatMissingDataOverride: cloudwatch.TreatMissingData.BREACHING,
                  evaluationPeriods: NODE_ABSENT_MINUTES,
                  datapointsToAlarm: NODE_ABSENT_MINUTES,
                },
              },
            },
          ],
        },
      ],
    });
  }
}
