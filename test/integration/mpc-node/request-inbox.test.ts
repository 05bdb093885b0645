// The node's sign-requests inbox against fauxqs: finished requests' messages are deleted ten per
// DeleteMessageBatch call and nothing is left behind. (fauxqs accepts any receipt handle, so the
// per-entry failure of a stale one is tested beside the code, services/mpc-node/signing.)
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteMessageBatchCommand, DeleteQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseLakeBlock, parseLakeShard } from '../../../shared/near/lake-parser.js';
import { attachBlock, encodeSignRequest, extractSignActivity, type SignRequest } from '../../../shared/near/sign-request.js';
import { SqsSignRequestInbox } from '../../../services/mpc-node/signing/request-inbox.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';
import { acceptedSign, blockFile, ecdsaArgs, MPC_CONTRACT, shardFile } from '../lake-indexer/lake-fixtures.js';

const HEIGHT = 500;
const REQUESTS = 13;
const limits = { source: 'fixture', maxBytes: 1 << 20 };

function signRequests(count: number): SignRequest[] {
  const outcomes = Array.from({ length: count }, (_, i) => acceptedSign(HEIGHT, `inbox-${i}`, 'alice.test.near', ecdsaArgs(`path-${i}`, 'ab'.repeat(32))));
  const { signCalls } = extractSignActivity(parseLakeShard(JSON.stringify(shardFile(HEIGHT, 0, outcomes)), limits), MPC_CONTRACT);
  return attachBlock(signCalls, parseLakeBlock(JSON.stringify(blockFile(HEIGHT)), limits), MPC_CONTRACT);
}

describe('SqsSignRequestInbox', () => {
  const local = localAwsFromEnvironment();
  const sqs = new SQSClient({ region: local.region, endpoint: local.sqs, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  let queueUrl: string;

  beforeAll(async () => {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: `inbox-${randomUUID().slice(0, 8)}.fifo`, Attributes: { FifoQueue: 'true' } }));
    queueUrl = created.QueueUrl!;
  });
  afterAll(async () => {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    sqs.destroy();
  });

  it('deletes finished messages ten per call, and every one of them goes', async () => {
    for (const request of signRequests(REQUESTS)) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: encodeSignRequest(request), MessageGroupId: request.requestId, MessageDeduplicationId: request.requestId }));
    }
    const inbox = new SqsSignRequestInbox({ sqs, queueUrl, contractId: MPC_CONTRACT, waitTimeSeconds: 1 });
    const handles: string[] = [];
    for (let polls = 0; polls < 20 && handles.length < REQUESTS; polls += 1) {
      const { messages, unreadable } = await inbox.receive(10);
      expect(unreadable).toEqual([]);
      handles.push(...messages.map((message) => message.receiptHandle));
    }
    expect(handles).toHaveLength(REQUESTS);

    // Observe (not change) the calls the inbox makes.
    let batchCalls = 0;
    const send = sqs.send.bind(sqs) as (command: unknown) => Promise<unknown>;
    (sqs as unknown as { send: (command: unknown) => Promise<unknown> }).send = (command) => {
      if (command instanceof DeleteMessageBatchCommand) batchCalls += 1;
      return send(command);
    };
    try {
      await Promise.all(handles.map((handle) => inbox.complete(handle)));
      expect(batchCalls).toBe(2);
    } finally {
      (sqs as unknown as { send: unknown }).send = send;
    }
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    expect(Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });
});
