import { LakeParseError } from '../../../shared/near/lake-parser.js';
import { IndexerMetric } from '../../../lambdas/lake-indexer/indexer.js';
import { LakeObjectMissing, LakeObjectTooLarge } from '../../../lambdas/lake-indexer/lake-bucket.js';
import { S3NotificationError } from '../../../lambdas/lake-indexer/s3-notifications.js';
import { DEFAULT_MAX_OBJECT_BYTES } from '../../../lambdas/lake-indexer/config.js';
import { createIndexerHarness, s3Notification, type IndexerHarness } from './harness.js';
import { acceptedSign, blockFile, ecdsaArgs, requestIdOf, shardFile } from './lake-fixtures.js';

const MAX_RECEIVE_COUNT = 2;
const GOOD_SHARD = '000000002000/shard_0.json';
const goodShardJson = JSON.stringify(shardFile(2000, 0, [acceptedSign(2000, 'good', 'alice.test.near', ecdsaArgs('p', '77'.repeat(32)))]));

/** Each poison input with the key it sits under (if any) and the typed error it must raise. */
const POISON = {
  truncated: { key: '000000002001/shard_0.json', body: goodShardJson.slice(0, goodShardJson.length - 40), error: LakeParseError },
  wrongTypes: { key: '000000002002/shard_0.json', body: goodShardJson.replace('"shard_id":0', '"shard_id":"zero"'), error: LakeParseError },
  missing: { key: '000000002003/shard_0.json', body: undefined, error: LakeObjectMissing },
  // Valid JSON in front, so only the size can make it fail.
  huge: { key: '000000002004/shard_0.json', body: Buffer.concat([Buffer.from(goodShardJson), Buffer.alloc(50 * 1024 * 1024, 0x20)]), error: LakeObjectTooLarge },
} as const;
const NOT_A_NOTIFICATION = '{"hello":"this is not an S3 event"}';

describe('lake indexer with poison input', () => {
  let harness: IndexerHarness;

  beforeAll(async () => {
    harness = await createIndexerHarness('poison', { maxReceiveCount: MAX_RECEIVE_COUNT });
    await harness.putLakeFile('000000002000/block.json', JSON.stringify(blockFile(2000)));
    await harness.putLakeFile(GOOD_SHARD, goodShardJson);
    for (const poison of Object.values(POISON)) if (poison.body !== undefined) await harness.putLakeFile(poison.key, poison.body);
  });

  afterAll(() => harness.destroy());

  it('fails each poison record with its typed error', async () => {
    for (const poison of Object.values(POISON)) {
      await expect(harness.indexer.processMessage(s3Notification(harness.bucket, poison.key))).rejects.toBeInstanceOf(poison.error);
    }
    await expect(harness.indexer.processMessage(NOT_A_NOTIFICATION)).rejects.toBeInstanceOf(S3NotificationError);
    const truncated = await harness.indexer.processMessage(s3Notification(harness.bucket, POISON.truncated.key)).catch((error: unknown) => error);
    expect(truncated).toMatchObject({ source: `s3://${harness.bucket}/${POISON.truncated.key}`, path: '$' });
    const wrongTypes = await harness.indexer.processMessage(s3Notification(harness.bucket, POISON.wrongTypes.key)).catch((error: unknown) => error);
    expect(wrongTypes).toMatchObject({ path: '$.shard_id', reason: 'expected a non-negative integer, got the string "zero"' });
    const huge = await harness.indexer.processMessage(s3Notification(harness.bucket, POISON.huge.key)).catch((error: unknown) => error);
    expect(huge).toMatchObject({ limit: DEFAULT_MAX_OBJECT_BYTES, size: POISON.huge.body.byteLength });
  });

  it('reports poison records as batch item failures and processes the rest of the batch', async () => {
    const poisonBodies = [...Object.values(POISON).map((poison) => s3Notification(harness.bucket, poison.key)), NOT_A_NOTIFICATION];
    const goodBody = s3Notification(harness.bucket, GOOD_SHARD);
    const event = {
      Records: [goodBody, ...poisonBodies].map((body, index) => ({
        messageId: `message-${index}`,
        receiptHandle: `handle-${index}`,
        body,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:lake-events',
        awsRegion: 'us-east-1',
      })),
    };
    const response = await harness.handler(event, {} as never);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(poisonBodies.map((_, index) => `message-${index + 1}`).sort());
  });

  it('moves poison messages to the dead-letter queue after max receives and enqueues the good request once', async () => {
    const poisonBodies = [...Object.values(POISON).map((poison) => s3Notification(harness.bucket, poison.key)), NOT_A_NOTIFICATION];
    const metricsBefore = harness.metrics.total(IndexerMetric.LakeParseFailures);
    await harness.sendRawEvents([s3Notification(harness.bucket, GOOD_SHARD), ...poisonBodies, s3Notification(harness.bucket, GOOD_SHARD)]);

    const polls = await harness.pollUntilEmpty();

    const deadLetters = await harness.drain(harness.deadLetterUrl);
    expect(deadLetters.sort()).toEqual([...poisonBodies].sort());
    // Each poison message was received MAX_RECEIVE_COUNT times, the two good ones once each.
    expect(polls.reduce((sum, poll) => sum + poll.received, 0)).toBe(poisonBodies.length * MAX_RECEIVE_COUNT + 2);
    expect(polls.reduce((sum, poll) => sum + poll.deleted, 0)).toBe(2);
    // Two parse failures (truncated, wrong types) per receive.
    expect(harness.metrics.total(IndexerMetric.LakeParseFailures) - metricsBefore).toBe(2 * MAX_RECEIVE_COUNT);

    // The previous test's direct handler call already enqueued the good request; nothing since sent it again.
    expect(harness.queue.sent).toEqual([requestIdOf('good')]);
    const queued = await harness.drainSignRequests();
    expect(queued.map((request) => request.requestId)).toEqual([requestIdOf('good')]);
  });
});
