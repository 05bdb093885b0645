import { bytesToHex } from '@noble/hashes/utils.js';
import { base58 } from '@scure/base';
import { BLOCK_WAIT_SCHEDULE_MS, IndexerMetric } from '../../../lambdas/lake-indexer/indexer.js';
import { LakeObjectMissing } from '../../../lambdas/lake-indexer/lake-bucket.js';
import { BLOCK_HEADER_METADATA, LakeParseError, blockHeaderMetadata, parseLakeBlock } from '../../../shared/near/lake-parser.js';
import { createIndexerHarness, s3Notification, type IndexerHarness } from './harness.js';
import { acceptedSign, blockFile, ecdsaArgs, randomValueAt, requestIdOf, shardFile } from './lake-fixtures.js';

// Lake writers put block.json last, so a shard's notification usually beats its block.json.
describe('a shard indexed before its block.json exists', () => {
  const harnesses: IndexerHarness[] = [];
  afterAll(() => Promise.all(harnesses.map((harness) => harness.destroy())));

  const SHARD_KEY = '000000005000/shard_0.json';
  const shardJson = JSON.stringify(shardFile(5000, 0, [acceptedSign(5000, 'early', 'alice.test.near', ecdsaArgs('p', '31'.repeat(32)))]));

  it('waits for the block.json that lands meanwhile instead of failing the message', async () => {
    const waits: number[] = [];
    const harness: IndexerHarness = await createIndexerHarness('block-late', {
      // The writer finishes the block while the indexer waits for the second time.
      sleep: async (ms) => {
        waits.push(ms);
        if (waits.length === 2) await harness.putLakeFile('000000005000/block.json', JSON.stringify(blockFile(5000)));
      },
    });
    harnesses.push(harness);
    await harness.putLakeFile(SHARD_KEY, shardJson);
    await harness.notify([SHARD_KEY]);

    expect(await harness.pollUntilEmpty()).toEqual([{ received: 1, deleted: 1, failed: 0 }]);
    expect(waits).toEqual(BLOCK_WAIT_SCHEDULE_MS.slice(0, 2));
    expect(harness.queue.sent).toEqual([requestIdOf('early')]);
  });

  it('fails the message with LakeObjectMissing when the block.json never comes, for a later retry', async () => {
    const waits: number[] = [];
    const harness = await createIndexerHarness('block-never', { sleep: async (ms) => void waits.push(ms) });
    harnesses.push(harness);
    await harness.putLakeFile(SHARD_KEY, shardJson);
    await expect(harness.indexer.processMessage(s3Notification(harness.bucket, SHARD_KEY))).rejects.toMatchObject({
      name: LakeObjectMissing.name,
      object: { bucket: harness.bucket, key: '000000005000/block.json' },
    });
    expect(waits).toEqual(BLOCK_WAIT_SCHEDULE_MS);
    expect(harness.queue.sent).toEqual([]);
  });
});

// The public-lake follower copies only the signer's shard and attaches the block header to it (decision 0016).
describe('a shard that carries its block header as metadata', () => {
  const harnesses: IndexerHarness[] = [];
  afterAll(() => Promise.all(harnesses.map((harness) => harness.destroy())));

  const SHARD_KEY = '000000006000/shard_0.json';
  const shardJson = JSON.stringify(shardFile(6000, 0, [acceptedSign(6000, 'attached', 'alice.test.near', ecdsaArgs('p', '41'.repeat(32)))]));
  const header = blockHeaderMetadata(parseLakeBlock(JSON.stringify(blockFile(6000)), { source: 'block.json', maxBytes: 1 << 20 }));

  async function harnessWithShard(name: string, metadata: Record<string, string>) {
    const waits: number[] = [];
    const harness = await createIndexerHarness(name, { sleep: async (ms) => void waits.push(ms) });
    harnesses.push(harness);
    await harness.putLakeFile(SHARD_KEY, shardJson, metadata);
    return { harness, waits };
  }

  it('enqueues the request with that block, without block.json and without waiting for it', async () => {
    const { harness, waits } = await harnessWithShard('block-attached', header);
    await harness.indexer.processMessage(s3Notification(harness.bucket, SHARD_KEY));
    expect(waits).toEqual([]);
    const [request, ...rest] = await harness.drainSignRequests();
    expect(rest).toEqual([]);
    expect(request).toMatchObject({
      requestId: requestIdOf('attached'),
      entropy: bytesToHex(base58.decode(randomValueAt(6000))),
      block: { height: 6000, hash: blockFile(6000).header.hash, timestampNanosec: blockFile(6000).header.timestamp_nanosec },
    });
    // The attached header is the block the lag metric sees.
    expect(harness.metrics.total(IndexerMetric.BlocksProcessed)).toBe(1);
    expect(harness.metrics.totals.has(IndexerMetric.BlockLagSeconds)).toBe(true);
  });

  it('refuses a header of another height, or a partial one, with LakeParseError and sends nothing', async () => {
    const { harness } = await harnessWithShard('block-attached-bad', { ...header, [BLOCK_HEADER_METADATA.height]: '6001' });
    await expect(harness.indexer.processMessage(s3Notification(harness.bucket, SHARD_KEY))).rejects.toMatchObject({
      name: LakeParseError.name,
      source: `s3://${harness.bucket}/${SHARD_KEY}`,
      path: 'metadata near-block-height',
      reason: 'block 6001 attached to a shard stored under height 6000',
    });
    const { [BLOCK_HEADER_METADATA.random_value]: _dropped, ...partial } = header;
    await harness.putLakeFile(SHARD_KEY, shardJson, partial);
    await expect(harness.indexer.processMessage(s3Notification(harness.bucket, SHARD_KEY))).rejects.toMatchObject({ name: LakeParseError.name, path: 'metadata near-block-random-value' });
    expect(harness.queue.sent).toEqual([]);
  });
});
