/**
 * The SQS-triggered Lambda handler around {@link LakeIndexer}: Powertools batch processing reports
 * each failed record in `batchItemFailures` (the event source mapping needs
 * `ReportBatchItemFailures`), so a poison record is retried alone and, after the queue's
 * `maxReceiveCount`, moves to the dead-letter queue while the rest of the batch is deleted.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { LakeIndexerConfig } from './config.js';
import { LakeIndexer, type IndexerLogger, type IndexerMetrics } from './indexer.js';
import { S3LakeBucket } from './lake-bucket.js';
import { DynamoDbRequestLedger } from './request-ledger.js';
import { SqsSignRequestQueue } from './sign-request-queue.js';

export type LakeIndexerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export const SERVICE_NAME = 'lake-indexer';
export const METRICS_NAMESPACE = 'ChainSignatures';

export interface LakeIndexerHandlerParts {
  readonly indexer: LakeIndexer;
  readonly logger: IndexerLogger & Pick<Logger, 'addContext'>;
  readonly metrics: IndexerMetrics & { publishStoredMetrics(): unknown };
}

export function createLakeIndexerHandler({ indexer, logger, metrics }: LakeIndexerHandlerParts): LakeIndexerHandler {
  const processor = new BatchProcessor(EventType.SQS);
  const processRecord = async (record: SQSRecord): Promise<void> => indexer.processMessage(record.body);
  return async (event, context) => {
    logger.addContext(context);
    try {
      // A batch where every record failed is reported like any other: the caller (Lambda, or the
      // devnet poller) then leaves every message for redelivery, which is what throwing would do.
      return await processPartialResponse(event, processRecord, processor, { context, throwOnFullBatchFailure: false });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

export interface AwsClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
}

/** Clients from the SDK's default chain (region, credentials and the `AWS_ENDPOINT_URL_*` overrides the devnet sets). */
export function defaultAwsClients(): AwsClients {
  // Local endpoints (the devnet's emulators) have no DNS for virtual-hosted bucket names, nor for the
  // `sqs.<region>.localhost` host in the queue URLs fauxqs hands out: address the endpoint itself.
  // Against AWS the SDK's defaults stay.
  const forcePathStyle = process.env.AWS_ENDPOINT_URL_S3 !== undefined;
  const useQueueUrlAsEndpoint = process.env.AWS_ENDPOINT_URL_SQS === undefined;
  // Every call here is a plain command of these clients: their middleware stack is built once per
  // command class instead of on every call (a measurable share of the indexer's CPU at 10 blocks/s).
  const cacheMiddleware = true;
  return {
    s3: new S3Client({ forcePathStyle, cacheMiddleware }),
    sqs: new SQSClient({ useQueueUrlAsEndpoint, cacheMiddleware }),
    dynamodb: new DynamoDBClient({ cacheMiddleware }),
  };
}

/** The production wiring: Powertools logger and metrics, AWS adapters over `clients`. */
export function createLakeIndexerHandlerFromConfig(config: LakeIndexerConfig, clients: AwsClients): LakeIndexerHandler {
  const logger = new Logger({ serviceName: SERVICE_NAME });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  const indexer = new LakeIndexer({
    contractId: config.mpcContractId,
    maxObjectBytes: config.maxObjectBytes,
    lake: new S3LakeBucket(clients.s3),
    ledger: new DynamoDbRequestLedger(clients.dynamodb, config.requestsTableName),
    queue: new SqsSignRequestQueue(clients.sqs, config.signRequestsQueueUrl),
    metrics,
    logger,
  });
  return createLakeIndexerHandler({ indexer, logger, metrics });
}
