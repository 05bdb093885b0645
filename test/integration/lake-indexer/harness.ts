/**
 * The lake indexer wired to the local emulators the way it runs in the devnet: a Lake bucket in
 * fauxqs S3, a lake-events queue (with a dead-letter queue) polled by the devnet poller, the
 * requests table in DynamoDB Local and the sign-requests FIFO queue. Each harness creates its own
 * uniquely named resources and deletes them in `destroy()`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { decodeSignRequest, type SignRequest } from '../../../shared/near/sign-request.js';
import { createLakeIndexerHandler, type LakeIndexerHandler } from '../../../lambdas/lake-indexer/create-handler.js';
import { LakeIndexer, type IndexerMetricUnit } from '../../../lambdas/lake-indexer/indexer.js';
import { S3LakeBucket } from '../../../lambdas/lake-indexer/lake-bucket.js';
import { SqsLambdaPoller, type PollResult } from '../../../lambdas/lake-indexer/local-poller.js';
import { DynamoDbRequestLedger, requestsTableDefinition, type RequestLedger } from '../../../lambdas/lake-indexer/request-ledger.js';
import { SqsSignRequestQueue, type SignRequestQueue } from '../../../lambdas/lake-indexer/sign-request-queue.js';
import { DEFAULT_MAX_OBJECT_BYTES } from '../../../lambdas/lake-indexer/config.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';
import { objectCreatedRecord } from '../../../services/devnet/lake/s3-event-bridge.js';
import { MPC_CONTRACT } from './lake-fixtures.js';

/** Totals per metric name, summed over everything the indexer reported. */
export class RecordingMetrics {
  readonly totals = new Map<string, number>();
  publishes = 0;

  addMetric(name: string, _unit: IndexerMetricUnit, value: number): void {
    this.totals.set(name, (this.totals.get(name) ?? 0) + value);
  }

  publishStoredMetrics(): this {
    this.publishes += 1;
    return this;
  }

  total(name: string): number {
    return this.totals.get(name) ?? 0;
  }
}

/** The real sign-requests queue adapter, counting the sends SQS acknowledged. */
export class CountingQueue implements SignRequestQueue {
  readonly sent: string[] = [];
  constructor(private readonly inner: SignRequestQueue) {}

  async send(requestId: string, messageBody: string): Promise<void> {
    await this.inner.send(requestId, messageBody);
    this.sent.push(requestId);
  }
}

export interface HarnessOptions {
  /** The MPC contract indexed (default: the fixtures' contract). */
  readonly contractId?: string;
  readonly maxReceiveCount?: number;
  readonly maxObjectBytes?: number;
  /** Replaces the indexer's wait for a block.json not written yet. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Fault injection around the real adapters. */
  readonly wrapQueue?: (queue: SignRequestQueue) => SignRequestQueue;
  readonly wrapLedger?: (ledger: RequestLedger) => RequestLedger;
}

export interface IndexerHarness {
  readonly bucket: string;
  readonly tableName: string;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly lakeEventsUrl: string;
  readonly deadLetterUrl: string;
  readonly signRequestsUrl: string;
  readonly indexer: LakeIndexer;
  readonly handler: LakeIndexerHandler;
  readonly poller: SqsLambdaPoller;
  readonly metrics: RecordingMetrics;
  readonly queue: CountingQueue;
  /** Puts a lake object, with S3 user metadata if given (as the public-lake follower attaches a block header). */
  putLakeFile(key: string, body: string | Uint8Array, metadata?: Record<string, string>): Promise<void>;
  /** Sends one S3 `ObjectCreated:Put` notification per key to the lake-events queue. */
  notify(keys: readonly string[]): Promise<void>;
  sendRawEvents(bodies: readonly string[]): Promise<void>;
  /** Polls the lake-events queue until a receive comes back empty. */
  pollUntilEmpty(): Promise<PollResult[]>;
  /** Receives and deletes everything on a queue (bodies in receive order). */
  drain(queueUrl: string): Promise<string[]>;
  drainSignRequests(): Promise<SignRequest[]>;
  requestItem(requestId: string): Promise<Record<string, AttributeValue> | undefined>;
  destroy(): Promise<void>;
}

/** fauxqs takes request bodies up to 11 MiB; larger objects go up in parts, as big uploads do on AWS. */
const MULTIPART_PART_BYTES = 8 * 1024 * 1024;

async function putMultipart(s3: S3Client, bucket: string, key: string, body: Buffer): Promise<void> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const parts = [];
  for (let offset = 0, partNumber = 1; offset < body.length; offset += MULTIPART_PART_BYTES, partNumber += 1) {
    const part = await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: partNumber, Body: body.subarray(offset, offset + MULTIPART_PART_BYTES) }),
    );
    parts.push({ PartNumber: partNumber, ETag: part.ETag });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
}

export function s3Notification(bucket: string, key: string): string {
  // The whole record S3 sends (Powertools Parser's S3 schema checks every field), as the devnet's bridge builds it.
  const eventTime = new Date('2026-11-21T06:00:00.000Z');
  return JSON.stringify({ Records: [objectCreatedRecord({ region: 'us-east-1', bucket, configurationId: 'lake-events', key, size: 1, eTag: '0', eventTime, sequencer: '0' })] });
}

export async function createIndexerHarness(name: string, options: HarnessOptions = {}): Promise<IndexerHarness> {
  const local = localAwsFromEnvironment();
  const s3 = new S3Client({ region: local.region, endpoint: local.s3, forcePathStyle: true });
  const sqs = new SQSClient({ region: local.region, endpoint: local.sqs });
  const dynamodb = new DynamoDBClient({ region: local.region, endpoint: local.dynamodb });
  const suffix = `${name}-${randomUUID().slice(0, 8)}`;
  const bucket = `lake-${suffix}`;
  const tableName = `requests-${suffix}`;

  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await dynamodb.send(new CreateTableCommand(requestsTableDefinition(tableName)));
  const deadLetterUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `lake-events-dlq-${suffix}` }))).QueueUrl!;
  const deadLetterArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const lakeEventsUrl = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: `lake-events-${suffix}`,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: options.maxReceiveCount ?? 3 }) },
      }),
    )
  ).QueueUrl!;
  const signRequestsUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `sign-requests-${suffix}.fifo`, Attributes: { FifoQueue: 'true' } }))).QueueUrl!;

  const metrics = new RecordingMetrics();
  const logger = new Logger({ serviceName: 'lake-indexer-test', logLevel: 'SILENT' });
  const queue = new CountingQueue(new SqsSignRequestQueue(sqs, signRequestsUrl));
  const ledger = new DynamoDbRequestLedger(dynamodb, tableName);
  const indexer = new LakeIndexer({
    contractId: options.contractId ?? MPC_CONTRACT,
    maxObjectBytes: options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES,
    lake: new S3LakeBucket(s3),
    ledger: options.wrapLedger?.(ledger) ?? ledger,
    queue: options.wrapQueue?.(queue) ?? queue,
    metrics,
    logger,
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });
  const handler = createLakeIndexerHandler({ indexer, logger, metrics });
  // Visibility 0: a failed message is visible again at the next poll, so redelivery needs no waiting.
  const poller = new SqsLambdaPoller({ sqs, queueUrl: lakeEventsUrl, handler, functionName: 'lake-indexer', logger, waitTimeSeconds: 0, visibilityTimeoutSeconds: 0 });

  const drain = async (queueUrl: string): Promise<string[]> => {
    const bodies: string[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 30 }));
      if (Messages.length === 0) return bodies;
      for (const message of Messages) {
        bodies.push(message.Body!);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
      }
    }
  };

  const sendRawEvents = async (bodies: readonly string[]): Promise<void> => {
    for (let start = 0; start < bodies.length; start += 10) {
      const entries = bodies.slice(start, start + 10).map((body, index) => ({ Id: String(index), MessageBody: body }));
      const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl: lakeEventsUrl, Entries: entries }));
      if ((sent.Failed ?? []).length > 0) throw new Error(`could not send lake events: ${JSON.stringify(sent.Failed)}`);
    }
  };

  return {
    bucket,
    tableName,
    s3,
    sqs,
    dynamodb,
    lakeEventsUrl,
    deadLetterUrl,
    signRequestsUrl,
    indexer,
    handler,
    poller,
    metrics,
    queue,
    putLakeFile: async (key, body, metadata) => {
      if (body.length <= MULTIPART_PART_BYTES) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...(metadata === undefined ? {} : { Metadata: metadata }) }));
      else await putMultipart(s3, bucket, key, Buffer.from(body));
    },
    notify: (keys) => sendRawEvents(keys.map((key) => s3Notification(bucket, key))),
    sendRawEvents,
    pollUntilEmpty: async () => {
      const results: PollResult[] = [];
      for (;;) {
        const result = await poller.pollOnce();
        if (result.received === 0) return results;
        results.push(result);
      }
    },
    drain,
    drainSignRequests: async () => (await drain(signRequestsUrl)).map(decodeSignRequest),
    requestItem: async (requestId) =>
      (await dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { requestId: { S: requestId } }, ConsistentRead: true }))).Item,
    destroy: async () => {
      // A listing holds at most 1000 keys; a Lake at fast blocks writes more than that.
      for (let listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })); (listed.Contents ?? []).length > 0; listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }))) {
        await Promise.all(listed.Contents!.map((object) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key! }))));
      }
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
      for (const queueUrl of [lakeEventsUrl, deadLetterUrl, signRequestsUrl]) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
      await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
      for (const client of [s3, sqs, dynamodb]) client.destroy();
    },
  };
}
