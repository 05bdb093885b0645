import { BLOCK_WAIT_SCHEDULE_MS } from '../../../lambdas/lake-indexer/indexer.js';
import { LakeObjectMissing } from '../../../lambdas/lake-indexer/lake-bucket.js';
import { createIndexerHarness, s3Notification, type IndexerHarness } from './harness.js';
import { acceptedSign, blockFile, ecdsaArgs, requestIdOf, shardFile } from './lake-fixtures.js';

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
