import { Logger } from '@aws-lambda-powertools/logger';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { SqsLambdaPoller, type SqsBatchHandler } from '../../../lambdas/lake-indexer/local-poller.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';

describe('devnet SQS poller (the Lambda event source mapping stand-in)', () => {
  const local = localAwsFromEnvironment();
  const sqs = new SQSClient({ region: local.region, endpoint: local.sqs });
  const logger = new Logger({ serviceName: 'poller-test', logLevel: 'SILENT' });
  const queues: string[] = [];

  afterAll(async () => {
    for (const queueUrl of queues) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    sqs.destroy();
  });

  async function queueWith(bodies: readonly string[]): Promise<{ url: string; arn: string }> {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: `poller-${randomUUID().slice(0, 8)}` }))).QueueUrl!;
    queues.push(url);
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: body })) }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    return { url, arn };
  }

  function pollerFor(queueUrl: string, handler: SqsBatchHandler): SqsLambdaPoller {
    return new SqsLambdaPoller({ sqs, queueUrl, handler, functionName: 'test-fn', logger, waitTimeSeconds: 0, visibilityTimeoutSeconds: 0 });
  }

  async function remainingBodies(queueUrl: string): Promise<string[]> {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
    return Messages.map((message) => message.Body!).sort();
  }

  it('invokes the handler with the Lambda SQS event shape and deletes only what did not fail', async () => {
    const queue = await queueWith(['ok-1', 'bad', 'ok-2']);
    const events: SQSEvent[] = [];
    const poller = pollerFor(queue.url, async (event) => {
      events.push(event);
      return { batchItemFailures: event.Records.filter((record) => record.body === 'bad').map((record) => ({ itemIdentifier: record.messageId })) };
    });

    expect(await poller.pollOnce()).toEqual({ received: 3, deleted: 2, failed: 1 });
    expect(events[0]!.Records.map((record) => record.body).sort()).toEqual(['bad', 'ok-1', 'ok-2']);
    expect(events[0]!.Records[0]).toMatchObject({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: local.region,
      attributes: { ApproximateReceiveCount: '1' },
    });
    expect(await remainingBodies(queue.url)).toEqual(['bad']);
  });

  it('leaves the whole batch when the handler throws or names a message that is not in the batch', async () => {
    const queue = await queueWith(['a', 'b']);
    expect(await pollerFor(queue.url, () => Promise.reject(new Error('handler crashed'))).pollOnce()).toEqual({ received: 2, deleted: 0, failed: 2 });
    expect(await pollerFor(queue.url, async () => ({ batchItemFailures: [{ itemIdentifier: 'not-a-message-id' }] })).pollOnce()).toEqual({
      received: 2,
      deleted: 0,
      failed: 2,
    });
    expect(await remainingBodies(queue.url)).toEqual(['a', 'b']);
  });

  it('runs until aborted, processing what arrives meanwhile', async () => {
    const queue = await queueWith(['first']);
    const stop = new AbortController();
    const seen: string[] = [];
    const poller = pollerFor(queue.url, async (event) => {
      seen.push(...event.Records.map((record) => record.body));
      stop.abort();
      return { batchItemFailures: [] };
    });
    await poller.run(stop.signal);
    expect(seen).toEqual(['first']);
    expect(await remainingBodies(queue.url)).toEqual([]);
  });
});
