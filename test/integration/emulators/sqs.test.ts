import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { localAwsFromEnvironment } from '../../support/local-aws.js';

// Runs against fauxqs started by the global setup; no emulator, no pass.
describe('SQS (fauxqs) smoke', () => {
  const local = localAwsFromEnvironment();
  const sqs = new SQSClient({ region: local.region, endpoint: local.sqs });
  const suffix = randomUUID().slice(0, 8);

  afterAll(() => sqs.destroy());

  async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const url = created.QueueUrl!;
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    return { url, arn: Attributes!.QueueArn! };
  }

  async function receiveOne(url: string, visibilityTimeout = 30) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, VisibilityTimeout: visibilityTimeout }),
    );
    return Messages?.[0];
  }

  it('sends, receives and deletes on a standard queue', async () => {
    const queue = await createQueue(`smoke-standard-${suffix}`);
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: '{"hello":"world"}' }));
    const message = await receiveOne(queue.url);
    expect(message?.Body).toBe('{"hello":"world"}');
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message!.ReceiptHandle! }));
    expect(await receiveOne(queue.url)).toBeUndefined();
  });

  it('deduplicates on a FIFO queue by deduplication id', async () => {
    const queue = await createQueue(`smoke-${suffix}.fifo`, { FifoQueue: 'true' });
    for (const body of ['first', 'first-again']) {
      await sqs.send(
        new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body, MessageGroupId: 'domain-0', MessageDeduplicationId: 'request-1' }),
      );
    }
    const message = await receiveOne(queue.url);
    expect(message?.Body).toBe('first');
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message!.ReceiptHandle! }));
    expect(await receiveOne(queue.url)).toBeUndefined();
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
    const deadLetters = await createQueue(`smoke-dlq-${suffix}`);
    const maxReceiveCount = 2;
    const source = await createQueue(`smoke-source-${suffix}`, {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetters.arn, maxReceiveCount }),
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: 'poison' }));
    for (let receive = 1; receive <= maxReceiveCount; receive += 1) {
      const message = await receiveOne(source.url, 0);
      expect(message?.Body).toBe('poison');
      expect(message?.Attributes?.ApproximateReceiveCount ?? String(receive)).toBe(String(receive));
    }
    expect(await receiveOne(source.url, 0)).toBeUndefined();
    const dead = await receiveOne(deadLetters.url);
    expect(dead?.Body).toBe('poison');
  });
});
