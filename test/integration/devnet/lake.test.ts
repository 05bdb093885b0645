// The devnet Lake writer and S3-event bridge against fauxqs (S3 + SQS) from the global setup:
// near-lake-framework 1.0.6 streams the written blocks back and sees exactly the chain's receipts
// and outcomes; the bridge's notifications on the queue have S3's ObjectCreated:Put format.
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { actionCreators } from '@near-js/transactions';
import type { S3Event } from 'aws-lambda';
import type { types as lakeTypes } from 'near-lake-framework';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { lakeBlockFolder } from '../../../shared/near/lake-types.js';
import { LocalSigner, startDevnetChain, type RunningDevnetChain } from '../../../services/devnet/chain/index.js';
import { chainIdentity, blockView, shardView } from '../../../services/devnet/chain/views.js';
import { startLakeWriter, startS3EventBridge, type RunningLakeWriter, type RunningS3EventBridge } from '../../../services/devnet/lake/index.js';
import { callerContract, storeContract } from '../../../services/devnet/test-contracts/index.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';

const TGAS = 10n ** 12n;
const WAIT_MS = 30_000;

/** near-lake-framework's key conversion: snake_case → camelCase, nothing else. */
function camelize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelize);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key.split('_').map((word, index) => (index > 0 ? word.charAt(0).toUpperCase() + word.slice(1) : word)).join(''), camelize(inner)]),
  );
}

/**
 * Streams blocks 0…`untilHeight` with near-lake-framework in a child process (it streams and
 * retries forever, so it is stopped by PID once it has delivered them).
 */
async function streamWithLakeFramework(bucket: string, region: string, port: number, untilHeight: number): Promise<lakeTypes.StreamerMessage[]> {
  const script = fileURLToPath(new URL('./lake-stream-child.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, bucket, region, String(port), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const received: lakeTypes.StreamerMessage[] = [];
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      const message = JSON.parse(line) as lakeTypes.StreamerMessage;
      received.push(message);
      if (message.block.header.height >= untilHeight) break;
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  return received;
}

describe('devnet NEAR Lake writer and S3-event bridge', () => {
  const local = localAwsFromEnvironment();
  const s3 = new S3Client({ region: local.region, endpoint: local.s3, forcePathStyle: true });
  const sqs = new SQSClient({ region: local.region, endpoint: local.sqs });
  const bucket = `lake-${randomUUID().slice(0, 8)}`;
  let queueUrl: string;
  let devnet: RunningDevnetChain;
  let writer: RunningLakeWriter;
  let bridge: RunningS3EventBridge;
  let lastHeight: number;
  let callReceiptIds: string[];

  beforeAll(async () => {
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `lake-events-${randomUUID().slice(0, 8)}` }))).QueueUrl!;
    devnet = await startDevnetChain({
      blockTimeMs: 25,
      contracts: [
        { accountId: 'store.devnet', definition: storeContract },
        { accountId: 'caller.devnet', definition: callerContract },
      ],
    });
    writer = await startLakeWriter({ chain: devnet.chain, s3, bucket });
    bridge = await startS3EventBridge({ s3, sqs, bucket, queueUrl, region: local.region, pollIntervalMs: 50 });
    const { keyPair } = await devnet.createAccount('alice.devnet');
    const alice = new LocalSigner(devnet.chain, 'alice.devnet', keyPair);
    await alice.execute('store.devnet', [actionCreators.functionCall('set', { key: 'k', value: 'v' }, 30n * TGAS, 0n)], WAIT_MS);
    const call = await alice.execute('caller.devnet', [actionCreators.functionCall('call', { target: 'store.devnet', method: 'get', args: { key: 'k' } }, 100n * TGAS, 0n)], WAIT_MS);
    callReceiptIds = call.receiptOutcomes.map((outcome) => outcome.id);
    lastHeight = Math.max(...call.receiptOutcomes.map((outcome) => devnet.chain.blockByHash(outcome.blockHash)!.header.height)) + 1;
    expect(await writer.waitForHeight(lastHeight, WAIT_MS)).toBe(true);
  });

  afterAll(async () => {
    await bridge?.stop();
    await writer?.stop();
    await devnet?.stop();
    s3.destroy();
    sqs.destroy();
  });

  it('writes block.json and shard_0.json for every block', async () => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${lakeBlockFolder(lastHeight)}/block.json` }));
    const block = JSON.parse(await object.Body!.transformToString());
    expect(block.header.height).toBe(lastHeight);
    expect(block.header.random_value).toBe(devnet.chain.blockAt(lastHeight)!.header.randomValue);
  });

  it('streams back through near-lake-framework with the same receipts and outcomes', async () => {
    const received = await streamWithLakeFramework(bucket, local.region, Number(new URL(local.s3).port), lastHeight);
    expect(received.map((message) => message.block.header.height)).toEqual(Array.from({ length: lastHeight + 1 }, (_, height) => height));
    const identity = chainIdentity(devnet.chain.config);
    for (const message of received) {
      const block = devnet.chain.blockAt(message.block.header.height)!;
      expect(message.block).toEqual(camelize(JSON.parse(JSON.stringify(blockView(block, identity)))));
      expect(message.shards).toEqual([camelize(JSON.parse(JSON.stringify(shardView(block, identity))))]);
    }
    const outcomes = received.flatMap((message) => message.shards.flatMap((shard) => shard.receiptExecutionOutcomes));
    const byId = new Map(outcomes.map((entry) => [entry.executionOutcome.id, entry]));
    for (const receiptId of callReceiptIds) expect(byId.has(receiptId)).toBe(true);
    const call = byId.get(callReceiptIds[0]!)!;
    if (call.receipt === null) throw new Error('a receipt execution outcome without its receipt');
    expect(call.receipt.receiverId).toBe('caller.devnet');
    expect(call.receipt.predecessorId).toBe('alice.devnet');
    const action = (call.receipt.receipt as unknown as { Action: { actions: { FunctionCall: { methodName: string; args: string } }[] } }).Action.actions[0]!.FunctionCall;
    expect(action.methodName).toBe('call');
    expect(JSON.parse(Buffer.from(action.args, 'base64').toString())).toEqual({ target: 'store.devnet', method: 'get', args: { key: 'k' } });
    const callback = callReceiptIds.find((id) => id !== callReceiptIds[0] && byId.get(id)!.receipt?.receiverId === 'caller.devnet');
    expect(call.executionOutcome.outcome.status).toEqual({ SuccessReceiptId: callback });
  });

  it('puts an AWS-shaped ObjectCreated:Put notification for each shard file on the queue', async () => {
    const events: S3Event[] = [];
    for (let polls = 0; !events.some((event) => event.Records[0]!.s3.object.key === `${lakeBlockFolder(lastHeight)}/shard_0.json`); polls += 1) {
      if (polls > 100) throw new Error('no notification for the last block arrived');
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const message of received.Messages ?? []) events.push(JSON.parse(message.Body!) as S3Event);
      if (received.Messages?.length) {
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: received.Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }));
      }
    }
    const keys = events.map((event) => event.Records[0]!.s3.object.key);
    for (let height = 0; height <= lastHeight; height += 1) expect(keys).toContain(`${lakeBlockFolder(height)}/shard_0.json`);
    expect(keys.every((key) => /^\d{12}\/shard_\d+\.json$/.test(key))).toBe(true);
    const sequencers = events.map((event) => event.Records[0]!.s3.object.sequencer);
    expect([...sequencers].sort()).toEqual(sequencers);
    for (const event of events.slice(-3)) {
      expect(event.Records).toHaveLength(1);
      const record = event.Records[0]!;
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: record.s3.object.key }));
      expect(record).toEqual({
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: local.region,
        eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: expect.any(String) },
        requestParameters: { sourceIPAddress: expect.any(String) },
        responseElements: { 'x-amz-request-id': expect.any(String), 'x-amz-id-2': expect.any(String) },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'lake-events',
          bucket: { name: bucket, ownerIdentity: { principalId: expect.any(String) }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: record.s3.object.key, size: head.ContentLength, eTag: head.ETag!.replace(/"/g, ''), sequencer: expect.stringMatching(/^[0-9A-F]{18}$/) },
        },
      });
    }
    expect(bridge.sentCount()).toBeGreaterThanOrEqual(lastHeight + 1);
  });

  it('a nudged bridge looks at the listing at once instead of at its interval', async () => {
    const otherQueue = (await sqs.send(new CreateQueueCommand({ QueueName: `lake-events-${randomUUID().slice(0, 8)}` }))).QueueUrl!;
    // Its first look, at start, finds at most the next block or two; the next one would be ten minutes later.
    const from = writer.writtenHeight()! + 1;
    const slow = await startS3EventBridge({ s3, sqs, bucket, queueUrl: otherQueue, region: local.region, pollIntervalMs: 10 * 60_000, fromHeight: from });
    try {
      const later = from + 20;
      expect(await writer.waitForHeight(later, WAIT_MS)).toBe(true);
      slow.nudge();
      for (let waits = 0; slow.sentCount() < later - from + 1; waits += 1) {
        if (waits > 200) throw new Error(`only ${slow.sentCount()} blocks announced after the nudge`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await slow.stop();
    }
  });
});
