/**
 * The devnet's stand-in for Lambda's SQS event source mapping: receive a batch from a queue, invoke
 * a handler with the Lambda SQS event shape, delete only the messages the handler did not list in
 * `batchItemFailures`. Failed messages become visible again after the visibility timeout and, past
 * the queue's `maxReceiveCount`, SQS moves them to the dead-letter queue — as in AWS.
 *
 * A small loop of our own rather than sqs-consumer: `pollOnce` lets tests drive redelivery step by
 * step without timers, and the mapping to the Lambda event is the part that matters.
 *
 * Run the lake indexer this way: `node --import tsx lambdas/lake-indexer/local-poller.ts` with the
 * indexer's variables (./config.ts) plus `LAKE_EVENTS_QUEUE_URL` (and optionally
 * `LAKE_EVENTS_WAIT_SECONDS`); the devnet launcher runs one such process per operator.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { LakeIndexerConfigError, loadLakeIndexerConfig } from './config.js';
import { SERVICE_NAME, createLakeIndexerHandlerFromConfig, defaultAwsClients } from './create-handler.js';

export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface SqsLambdaPollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly handler: SqsBatchHandler;
  /** Names the function in the Lambda context the handler sees. */
  readonly functionName: string;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** 1–10, Lambda's default batch size for SQS is 10. */
  readonly batchSize?: number;
  /** Long-poll wait; 0 returns at once when the queue is empty. */
  readonly waitTimeSeconds?: number;
  /** Per-receive visibility timeout; the queue's own when undefined. */
  readonly visibilityTimeoutSeconds?: number;
  /** What `context.getRemainingTimeInMillis()` counts down from. */
  readonly invocationTimeoutMs?: number;
}

export interface PollResult {
  readonly received: number;
  readonly deleted: number;
  /** Left on the queue for redelivery. */
  readonly failed: number;
}

const MAX_BACKOFF_MS = 30_000;

function toLambdaAttributes(message: Message): SQSRecord['attributes'] {
  const attributes = message.Attributes ?? {};
  return {
    ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
    SentTimestamp: attributes.SentTimestamp ?? '0',
    SenderId: attributes.SenderId ?? 'devnet',
    ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '0',
    ...(attributes.MessageGroupId === undefined ? {} : { MessageGroupId: attributes.MessageGroupId }),
    ...(attributes.MessageDeduplicationId === undefined ? {} : { MessageDeduplicationId: attributes.MessageDeduplicationId }),
    ...(attributes.SequenceNumber === undefined ? {} : { SequenceNumber: attributes.SequenceNumber }),
  };
}

function toLambdaMessageAttributes(message: Message): SQSMessageAttributes {
  return Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      {
        dataType: value.DataType ?? 'String',
        ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
        ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      },
    ]),
  );
}

/** An SQS message as Lambda's event source mapping presents it. */
export function toLambdaRecord(message: Message, queueArn: string, region: string): SQSRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: toLambdaAttributes(message),
    messageAttributes: toLambdaMessageAttributes(message),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes === undefined ? {} : { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function lambdaContext(functionName: string, region: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'devnet',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export class SqsLambdaPoller {
  private queueArn: string | undefined;

  constructor(private readonly options: SqsLambdaPollerOptions) {
    const batchSize = options.batchSize ?? 10;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) throw new RangeError(`batchSize must be 1..10, got ${batchSize}`);
  }

  /** One receive → invoke → delete cycle. */
  async pollOnce(abortSignal?: AbortSignal): Promise<PollResult> {
    const { sqs, queueUrl, handler, logger } = this.options;
    const region = await sqs.config.region();
    const queueArn = await this.arn();
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: this.options.batchSize ?? 10,
        WaitTimeSeconds: this.options.waitTimeSeconds ?? 20,
        VisibilityTimeout: this.options.visibilityTimeoutSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal },
    );
    if (messages.length === 0) return { received: 0, deleted: 0, failed: 0 };
    const event: SQSEvent = { Records: messages.map((message) => toLambdaRecord(message, queueArn, region)) };
    let succeeded: readonly Message[];
    try {
      const response = await handler(event, lambdaContext(this.options.functionName, region, this.options.invocationTimeoutMs ?? 30_000));
      const failedIds = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
      // Lambda treats a failure naming no message of the batch as a failed batch; so does this.
      const known = [...failedIds].every((id) => messages.some((message) => message.MessageId === id));
      succeeded = known ? messages.filter((message) => !failedIds.has(message.MessageId!)) : [];
    } catch (error) {
      logger.error('handler invocation failed; the whole batch will be redelivered', { error: error as Error });
      succeeded = [];
    }
    if (succeeded.length > 0) {
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: succeeded.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }),
      );
      // An undeleted message is redelivered; the handler is idempotent, so this costs time only.
      for (const failure of deleted.Failed ?? []) logger.warn('could not delete a processed message', { failure });
    }
    return { received: messages.length, deleted: succeeded.length, failed: messages.length - succeeded.length };
  }

  /** Polls until `signal` aborts; receive errors back off (1 s doubling to 30 s) instead of spinning. */
  async run(signal: AbortSignal): Promise<void> {
    let backoffMs = 1000;
    while (!signal.aborted) {
      try {
        await this.pollOnce(signal);
        backoffMs = 1000;
      } catch (error) {
        if (signal.aborted) break;
        this.options.logger.error('polling failed', { queueUrl: this.options.queueUrl, retryInMs: backoffMs, error: error as Error });
        await sleep(backoffMs, undefined, { signal }).catch(() => undefined);
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
      }
    }
  }

  private async arn(): Promise<string> {
    if (this.queueArn === undefined) {
      const { Attributes } = await this.options.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.options.queueUrl, AttributeNames: ['QueueArn'] }));
      this.queueArn = Attributes?.QueueArn ?? this.options.queueUrl;
    }
    return this.queueArn;
  }
}

const pollerEnvironment = z.object({
  LAKE_EVENTS_QUEUE_URL: z.url({ error: 'must be the lake-events SQS queue URL' }),
  /** Long-poll wait of each receive (SQS allows 0–20 s); default 20, as Lambda's event source mapping. */
  LAKE_EVENTS_WAIT_SECONDS: z.coerce.number().int().min(0).max(20).default(20),
});

/** The devnet process: the lake indexer handler fed from the lake-events queue until SIGINT/SIGTERM. */
export async function runLakeIndexerPoller(environment: Readonly<Record<string, string | undefined>>, signal: AbortSignal): Promise<void> {
  const parsed = pollerEnvironment.safeParse(environment);
  if (!parsed.success) throw new LakeIndexerConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  const clients = defaultAwsClients();
  const logger = new Logger({ serviceName: `${SERVICE_NAME}-poller` });
  const poller = new SqsLambdaPoller({
    sqs: clients.sqs,
    queueUrl: parsed.data.LAKE_EVENTS_QUEUE_URL,
    handler: createLakeIndexerHandlerFromConfig(loadLakeIndexerConfig(environment), clients),
    functionName: SERVICE_NAME,
    logger,
    waitTimeSeconds: parsed.data.LAKE_EVENTS_WAIT_SECONDS,
  });
  logger.info('polling lake-events', { queueUrl: parsed.data.LAKE_EVENTS_QUEUE_URL });
  try {
    await poller.run(signal);
  } finally {
    // Kept-alive connections would hold the process open after a stop.
    for (const client of Object.values(clients)) client.destroy();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stop = new AbortController();
  for (const signalName of ['SIGINT', 'SIGTERM'] as const) process.once(signalName, () => stop.abort());
  // Started by the devnet launcher with an IPC channel: stop with it, so a launcher that dies leaves no poller behind.
  if (process.env.LAKE_INDEXER_EXIT_WITH_PARENT === '1' && process.connected) process.once('disconnect', () => stop.abort());
  runLakeIndexerPoller(process.env, stop.signal)
    // An open IPC channel to the launcher would keep this process alive after the poller stopped.
    .then(() => {
      if (process.connected) process.disconnect();
    })
    .catch((error: unknown) => {
      process.stderr.write(`lake-indexer poller: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
