/**
 * The public-lake follower process (the Fargate task's command; the devnet tests run it too): config from
 * the environment, S3 clients for the public and the operator's bucket, the NEAR RPC for the shard
 * layout, Powertools JSON logs and EMF metrics on stdout. Stops on SIGINT/SIGTERM after writing its
 * checkpoint.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { pathToFileURL } from 'node:url';
import { loadLakeFollowerConfig } from './config.js';
import { LakeFollower, runFollower } from './follower.js';
import { FollowerMetric, FollowerMetrics, type FollowerMetricsSnapshot } from './metrics.js';
import { NearRpcChainInfo } from './near-rpc.js';
import { S3OperatorLake, S3PublicLake } from './s3-lakes.js';

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

export async function runLakeFollowerProcess(environment: Readonly<Record<string, string | undefined>>, signal: AbortSignal): Promise<void> {
  const config = loadLakeFollowerConfig(environment);
  const logger = new Logger({ serviceName: SERVICE_NAME });
  const emf = new Metrics({ namespace: environment.METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  // Local endpoints (the devnet's fauxqs) have no DNS for virtual-hosted bucket names.
  const forcePathStyle = environment.AWS_ENDPOINT_URL_S3 !== undefined;
  const publicS3 = new S3Client({ forcePathStyle, cacheMiddleware: true, ...(config.publicLakeRegion !== undefined && { region: config.publicLakeRegion }) });
  const operatorS3 = new S3Client({ forcePathStyle, cacheMiddleware: true });
  const metrics = new FollowerMetrics();
  const follower = new LakeFollower({
    contractId: config.contractId,
    publicLake: new S3PublicLake(publicS3, config.publicLakeBucket, config.maxObjectBytes),
    operatorLake: new S3OperatorLake(operatorS3, config.lakeBucket, config.checkpointKey),
    chain: new NearRpcChainInfo(config.rpcUrl),
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
    logger.info('following the public lake', { publicLakeBucket: config.publicLakeBucket, lakeBucket: config.lakeBucket, contractId: config.contractId });
    await runFollower(follower, signal, { pollIntervalMs: config.pollIntervalMs, retryBaseMs: config.retryBaseMs, retryMaxMs: config.retryMaxMs, metrics, logger });
    logger.info('stopped', { last: follower.lastHandled() ?? undefined });
  } finally {
    clearInterval(metricsTimer);
    flush();
    publicS3.destroy();
    operatorS3.destroy();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stop = new AbortController();
  for (const signalName of ['SIGINT', 'SIGTERM'] as const) process.once(signalName, () => stop.abort());
  // Started by a test or launcher with an IPC channel: stop with it, so one that dies leaves no follower behind.
  if (process.env.LAKE_FOLLOWER_EXIT_WITH_PARENT === '1' && process.connected) process.once('disconnect', () => stop.abort());
  runLakeFollowerProcess(process.env, stop.signal)
    .then(() => {
      if (process.connected) process.disconnect();
    })
    .catch((error: unknown) => {
      process.stderr.write(`lake-follower: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
