import { parseLakeBlock } from '../../../shared/near/lake-parser.js';
import { attachBlock, encodeSignRequest, type SignRequest } from '../../../shared/near/sign-request.js';
import { SignRequestSendInProgress, readShardActivity } from '../../../lambdas/lake-indexer/indexer.js';
import { DynamoDbRequestLedger, REQUEST_RETENTION_SECONDS, type RequestLedger } from '../../../lambdas/lake-indexer/request-ledger.js';
import type { SignRequestQueue } from '../../../lambdas/lake-indexer/sign-request-queue.js';
import { createIndexerHarness, s3Notification, type HarnessOptions, type IndexerHarness } from './harness.js';
import { MPC_CONTRACT, acceptedSign, blockFile, ecdsaArgs, requestIdOf, shardFile } from './lake-fixtures.js';

const HEIGHT = 3000;
const SHARD_KEY = '000000003000/shard_0.json';
const shardJson = JSON.stringify(shardFile(HEIGHT, 0, [acceptedSign(HEIGHT, 'crash', 'alice.test.near', ecdsaArgs('p', '99'.repeat(32)))]));
const REQUEST_ID = requestIdOf('crash');

class InjectedFault extends Error {}

/** Fails the first call of `method`, then behaves. */
function failingOnce<T extends object>(target: T, method: keyof T & string): T {
  let failed = false;
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (property !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(object) : value;
      return async (...args: unknown[]) => {
        if (!failed) {
          failed = true;
          throw new InjectedFault(`injected failure of ${method}`);
        }
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

async function harnessWithShard(name: string, options: HarnessOptions = {}): Promise<IndexerHarness> {
  const harness = await createIndexerHarness(name, options);
  await harness.putLakeFile('000000003000/block.json', JSON.stringify(blockFile(HEIGHT)));
  await harness.putLakeFile(SHARD_KEY, shardJson);
  return harness;
}

function theRequest(): SignRequest {
  const activity = readShardActivity(shardJson, 'fixture', MPC_CONTRACT, 1 << 20);
  return attachBlock(activity.signCalls, parseLakeBlock(JSON.stringify(blockFile(HEIGHT)), { source: 'fixture', maxBytes: 1 << 20 }), MPC_CONTRACT)[0]!;
}

describe('lake indexer crash paths', () => {
  const harnesses: IndexerHarness[] = [];
  afterAll(() => Promise.all(harnesses.map((harness) => harness.destroy())));

  async function track(harness: Promise<IndexerHarness>): Promise<IndexerHarness> {
    harnesses.push(await harness);
    return harnesses.at(-1)!;
  }

  it('request recorded, send failed: the redelivery sends it, once', async () => {
    const harness = await track(harnessWithShard('send-fails', { wrapQueue: (queue: SignRequestQueue) => failingOnce(queue, 'send') }));
    await harness.notify([SHARD_KEY]);
    const polls = await harness.pollUntilEmpty();
    expect(polls.map((poll) => poll.failed)).toEqual([1, 0]);
    expect(harness.queue.sent).toEqual([REQUEST_ID]);
    expect((await harness.drainSignRequests()).map((request) => request.requestId)).toEqual([REQUEST_ID]);
    expect((await harness.requestItem(REQUEST_ID))?.enqueued?.BOOL).toBe(true);
  });

  it('sent but not marked enqueued: the redelivery sends again and FIFO deduplication keeps one message', async () => {
    const harness = await track(harnessWithShard('mark-fails', { wrapLedger: (ledger: RequestLedger) => failingOnce(ledger, 'markEnqueued') }));
    await harness.notify([SHARD_KEY]);
    await harness.pollUntilEmpty();
    expect(harness.queue.sent).toEqual([REQUEST_ID, REQUEST_ID]);
    expect((await harness.drainSignRequests()).map((request) => request.requestId)).toEqual([REQUEST_ID]);
    expect((await harness.requestItem(REQUEST_ID))?.enqueued?.BOOL).toBe(true);
  });

  it('a delivery holding an unexpired send claim makes a concurrent one back off, without sending', async () => {
    const harness = await track(harnessWithShard('claim-held'));
    const otherDelivery = new DynamoDbRequestLedger(harness.dynamodb, harness.tableName);
    const request = theRequest();
    expect(await otherDelivery.claimSend(request, encodeSignRequest(request))).toEqual({ kind: 'claimed', firstSeen: true });

    await expect(harness.indexer.processMessage(s3Notification(harness.bucket, SHARD_KEY))).rejects.toBeInstanceOf(SignRequestSendInProgress);
    expect(harness.queue.sent).toEqual([]);
  });

  it('a claim whose holder died expires, and the next delivery sends', async () => {
    const harness = await track(harnessWithShard('claim-expired'));
    const claimMillis = 20_000;
    // A delivery that claimed a minute ago and died before sending.
    const diedEarlier = new DynamoDbRequestLedger(harness.dynamodb, harness.tableName, { claimMillis, now: () => Date.now() - 60_000 });
    const request = theRequest();
    expect(await diedEarlier.claimSend(request, encodeSignRequest(request))).toEqual({ kind: 'claimed', firstSeen: true });

    await harness.indexer.processMessage(s3Notification(harness.bucket, SHARD_KEY));
    expect(harness.queue.sent).toEqual([REQUEST_ID]);
    expect(await diedEarlier.claimSend(request, encodeSignRequest(request))).toEqual({ kind: 'already-enqueued' });
  });

  it('never lets two deliveries both claim an expired claim', async () => {
    const harness = await track(harnessWithShard('claim-race'));
    const request = theRequest();
    const body = encodeSignRequest(request);
    const clock = { now: 1_000_000 };
    const ledger = new DynamoDbRequestLedger(harness.dynamodb, harness.tableName, { claimMillis: 1000, now: () => clock.now });
    await ledger.claimSend(request, body);
    clock.now += 5000;
    const claims = await Promise.all(Array.from({ length: 8 }, () => ledger.claimSend(request, body)));
    expect(claims.filter((claim) => claim.kind === 'claimed')).toEqual([{ kind: 'claimed', firstSeen: false }]);
    expect(claims.filter((claim) => claim.kind === 'claimed-elsewhere')).toHaveLength(7);
    // Kept (TTL) from the first write, as long as a lake-events message can live.
    expect((await harness.requestItem(REQUEST_ID))?.expiresAt).toEqual({ N: String(1000 + REQUEST_RETENTION_SECONDS) });
  });
});
