// SQS redelivery: three nodes (threshold 2), each reading its own FIFO queue in fauxqs through the
// node's SqsSignRequestInbox, answer EdDSA requests on the REAL signer contract (in process). The
// nodes cannot extend their messages' visibility (1 s) and every `respond` takes 1.5 s, so each
// message comes back to its node while the request is being answered, and may come back again after.
// Each request still gets one `respond`, and every queue ends empty.
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ParticipantId } from '../../../shared/crypto/protocol.js';
import { encodeSignRequest, type SignRequest } from '../../../shared/near/sign-request.js';
import { SIGNER_METHODS } from '../../../shared/near/signer-abi.js';
import { SqsSignRequestInbox } from '../../../services/mpc-node/signing/request-inbox.js';
import { withFaultSeed } from '../../support/faults/seed.js';
import { startSigningCluster, type SigningCluster } from '../../support/faults/signing-cluster.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';

const PARTICIPANTS = [0, 1, 2];
const VISIBILITY_SECONDS = 1;
const RESPOND_MS = 1_500;

describe('signing with queue redelivery', () => {
  const local = localAwsFromEnvironment();
  const sqs = new SQSClient({ region: local.region, endpoint: local.sqs, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const queues = new Map<ParticipantId, string>();
  const inboxes = new Map<ParticipantId, SqsSignRequestInbox>();
  /** Receives of each request's message, by node. */
  const receives = new Map<string, Map<ParticipantId, number>>();
  let network: SigningCluster;
  let receiving = true;
  const loops: Promise<void>[] = [];

  beforeAll(async () => {
    for (const id of PARTICIPANTS) {
      const created = await sqs.send(new CreateQueueCommand({ QueueName: `redelivery-n${id}-${randomUUID().slice(0, 8)}.fifo`, Attributes: { FifoQueue: 'true' } }));
      queues.set(id, created.QueueUrl!);
      inboxes.set(id, new SqsSignRequestInbox({ sqs, queueUrl: created.QueueUrl!, contractId: 'signer.test', visibilitySeconds: VISIBILITY_SECONDS, waitTimeSeconds: 1 }));
    }
    network = await startSigningCluster({
      nodes: 3,
      threshold: 2,
      participants: PARTICIPANTS,
      services: PARTICIPANTS,
      yieldBlocks: 200,
      messagesFor: (id) => {
        const inbox = inboxes.get(id)!;
        return {
          complete: (handle) => inbox.complete(handle),
          // The node cannot keep its messages invisible: each comes back after its visibility timeout.
          extend: async () => {
            throw new Error('fault injected: ChangeMessageVisibility failed');
          },
          release: (handle) => inbox.release(handle),
          visibilitySeconds: VISIBILITY_SECONDS,
        };
      },
    });
    // Each node's receive loop, as the node runs it.
    for (const id of PARTICIPANTS) {
      loops.push(
        (async () => {
          while (receiving) {
            const { messages } = await inboxes.get(id)!.receive(10);
            for (const message of messages) {
              const byNode = receives.get(message.request.requestId) ?? new Map<ParticipantId, number>();
              byNode.set(id, (byNode.get(id) ?? 0) + 1);
              receives.set(message.request.requestId, byNode);
              network.services.get(id)!.accept(message);
            }
          }
        })(),
      );
    }
  });
  afterAll(async () => {
    receiving = false;
    await Promise.all(loops);
    await network?.stop();
    await Promise.all([...queues.values()].map((queueUrl) => sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }))));
    sqs.destroy();
  });

  async function queueIsEmpty(queueUrl: string): Promise<boolean> {
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Attributes.ApproximateNumberOfMessages === '0' && Attributes.ApproximateNumberOfMessagesNotVisible === '0';
  }

  it('responds once to each request whose message comes back during and after its answer, and empties every queue', () =>
    withFaultSeed('queue redelivery', async (random) => {
      network.reseed(random);
      network.faults.add({ operations: ['call'], methods: [SIGNER_METHODS.respond], fault: { kind: 'delay', ms: RESPOND_MS + Math.round(random() * 300) } });
      const requests: SignRequest[] = [network.submit('redelivered'), network.submit('redelivered')];
      for (const request of requests) {
        for (const queueUrl of queues.values()) {
          await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: encodeSignRequest(request), MessageGroupId: request.requestId, MessageDeduplicationId: request.requestId }));
        }
      }
      await network.settle(requests, 15_000);
      const answeredAt = Math.max(...requests.map((request) => network.landedResponds(request)[0]!.at));
      for (const request of requests) expect(network.landedResponds(request)).toHaveLength(1);
      // Every node got each message again at least once while the request was being answered.
      for (const request of requests) for (const id of PARTICIPANTS) expect(receives.get(request.requestId)?.get(id)).toBeGreaterThanOrEqual(2);
      const deadline = Date.now() + 10_000;
      while (!(await Promise.all([...queues.values()].map(queueIsEmpty))).every(Boolean)) {
        if (Date.now() > deadline) throw new Error('a queue still holds a message of an answered request');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      process.stdout.write(`queue redelivery: every queue empty ${Date.now() - answeredAt} ms after the last answer, one respond per request\n`);
    }));
});
