import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqsProcess } from '../../../services/devnet/emulators/fauxqs.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('fauxqs in its own process', () => {
  it('serves SQS on a loopback endpoint and is gone after stop', async () => {
    const fauxqs = await startFauxqsProcess({ maxLifetimeSeconds: 120 });
    const sqs = new SQSClient({ endpoint: fauxqs.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    try {
      expect(new URL(fauxqs.endpoint).hostname).toBe('127.0.0.1');
      await sqs.send(new CreateQueueCommand({ QueueName: 'fauxqs-process-test' }));
      const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({}));
      expect(QueueUrls.some((url) => url.endsWith('/fauxqs-process-test'))).toBe(true);
    } finally {
      await fauxqs.stop();
    }
    await expect(sqs.send(new ListQueuesCommand({}))).rejects.toThrow();
    sqs.destroy();
  });
});
