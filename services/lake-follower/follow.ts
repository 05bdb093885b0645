/**
 * The follower's production wiring, shared by the Lambda function (lambdas/lake-follower/handler.ts) and
 * the devnet's schedule process (./main.ts): S3 clients for the public and the operator's bucket, the
 * NEAR RPC for the shard layout, the lease table, Powertools JSON logs and EMF metrics on stdout.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { LakeFollowerConfig } from './config.js';
import { DynamoDbFollowerLeaseStore } from './dynamodb-lease.js';
import { LakeFollower, runFollower } from './follower.js';
import { FollowerMetric, FollowerMetrics, type FollowerMetricsSnapshot } from './metrics.js';
import { NearRpcChainInfo } from './near-rpc.js';
import { S3OperatorLake, S3PublicLake } from './s3-lakes.js';
import { runScheduledFollower, type ScheduledRunOutcome } from './scheduled-run.js';

export const SERVICE_NAME = 'lake-follower';
export const DEFAULT_METRICS_NAMESPACE = 'ChainSignatures';

/** One EMF document per flush: the counters that moved and the lag (always, once a block was handled: the stall alarm needs it). */
export function publishSnapshot(metrics: Pick<Metrics, 'addMetric' | 'publishStoredMetrics'>, snapshot: FollowerMetricsSnapshot): boolean {
  const entries = Object.entries(snapshot.counters);
  if (entries.length === 0 && snapshot.lagSeconds === undefined) return false;
  for (const [name, value] of entries) metrics.addMetric(name, MetricUnit.Count, value);
  if (snapshot.lagSeconds !== undefined) metrics.addMetric(FollowerMetric.LagSeconds, MetricUnit.Seconds, snapshot.lagSeconds);
  metrics.publishStoredMetrics();
  return true;
}

export interface ScheduledFollower {
  readonly logger: Logger;
  /** One run: takes the lease (or leaves it to its holder), follows until `runEndsAtMs` or `stop`, hands over. */
  run(holder: string, runEndsAtMs: number, stop?: AbortSignal): Promise<ScheduledRunOutcome>;
  destroy(): void;
}

export function createScheduledFollower(config: LakeFollowerConfig, environment: Readonly<Record<string, string | undefined>>): ScheduledFollower {
  const logger = new Logger({ serviceName: SERVICE_NAME });
  const emf = new Metrics({ namespace: environment.METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  // Local endpoints (the devnet's fauxqs) have no DNS for virtual-hosted bucket names.
  const forcePathStyle = environment.AWS_ENDPOINT_URL_S3 !== undefined;
  const publicS3 = new S3Client({ forcePathStyle, cacheMiddleware: true, ...(config.publicLakeRegion !== undefined && { region: config.publicLakeRegion }) });
  const operatorS3 = new S3Client({ forcePathStyle, cacheMiddleware: true });
  const dynamodb = new DynamoDBClient({ cacheMiddleware: true });
  const lease = new DynamoDbFollowerLeaseStore(dynamodb, config.lease.table);
  const chain = new NearRpcChainInfo(config.rpcUrl);

  const follow = async (signal: AbortSignal): Promise<void> => {
    const metrics = new FollowerMetrics();
    const follower = new LakeFollower({
      contractId: config.contractId,
      publicLake: new S3PublicLake(publicS3, config.publicLakeBucket, config.maxObjectBytes),
      operatorLake: new S3OperatorLake(operatorS3, config.lakeBucket, config.checkpointKey),
      chain,
      metrics,
      logger,
      ...(config.startHeight !== undefined && { startHeight: config.startHeight }),
      listAfterMs: config.listAfterMs,
      maxListIntervalMs: config.maxListIntervalMs,
      checkpointIntervalMs: config.checkpointIntervalMs,
      maxObjectBytes: config.maxObjectBytes,
    });
    const flush = (): void => void publishSnapshot(emf, metrics.drain(Date.now()));
    const metricsTimer = setInterval(flush, config.metricsIntervalMs);
    try {
      await follower.start();
      logger.info('following the public lake', { publicLakeBucket: config.publicLakeBucket, lakeBucket: config.lakeBucket, contractId: config.contractId, from: follower.lastHandled() ?? undefined });
      await runFollower(follower, signal, { pollIntervalMs: config.pollIntervalMs, retryBaseMs: config.retryBaseMs, retryMaxMs: config.retryMaxMs, metrics, logger });
      logger.info('run stopped', { last: follower.lastHandled() ?? undefined });
    } finally {
      clearInterval(metricsTimer);
      flush();
    }
  };

  return {
    logger,
    run: (holder, runEndsAtMs, stop) =>
      runScheduledFollower({
        holder,
        lease,
        runEndsAtMs,
        leaseMs: config.lease.leaseMs,
        renewEveryMs: config.lease.renewEveryMs,
        handOverWindowMs: config.lease.handOverWindowMs,
        retryAcquireMs: Math.min(250, config.pollIntervalMs),
        minRunMs: config.lease.minRunMs,
        logger,
        follow,
        ...(stop !== undefined && { stop }),
      }),
    destroy: () => {
      publicS3.destroy();
      operatorS3.destroy();
      dynamodb.destroy();
    },
  };
}
