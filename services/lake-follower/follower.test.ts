import { jest } from '@jest/globals';
import { blockHeaderMetadata, parseLakeBlock } from '../../shared/near/lake-parser.js';
import { acceptedSign, blockHashAt, ecdsaArgs, executedReceipt, functionCall, hashOf, MPC_CONTRACT, signCallback } from '../../test/integration/lake-indexer/lake-fixtures.js';
import { FakeChain, FakeOperatorLake, FakePublicLake, folder, TWO_SHARD_LAYOUT as LAYOUT } from '../../test/support/lake-follower-fakes.js';
import { ChainDiscontinuity, LakeFollower, runFollower, ShardFileMissing, type FollowerLogger, type LakeFollowerOptions } from './follower.js';
import { FollowerMetric, FollowerMetrics } from './metrics.js';
import { parseShardLayout } from './shard-layout.js';

// A resharding splits shard 7 at "u": the contract moves to shard 9.
const SPLIT_LAYOUT = parseShardLayout({ V2: { boundary_accounts: ['m', 'u'], shard_ids: [3, 8, 9] } });

const silent: FollowerLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const sign = (height: number, label: string) => acceptedSign(height, label, 'alice.near', ecdsaArgs(label, '22'.repeat(32)));
const otherContractCall = (height: number) =>
  executedReceipt(height, { receiptId: hashOf(`other ${height}`), predecessorId: 'alice.near', receiverId: 'token.near', actions: [functionCall('ft_transfer', {})], status: { SuccessValue: '' } });

/** The signer's shard file of a block (shard 7 in the two-shard layout). */
const signerShard = (height: number, shardId = 7) => `${folder(height)}/shard_${shardId}.json`;

interface World {
  readonly publicLake: FakePublicLake;
  readonly operatorLake: FakeOperatorLake;
  readonly chain: FakeChain;
  readonly clock: { now: number };
}

function world(chain = new FakeChain()): World {
  return { publicLake: new FakePublicLake(), operatorLake: new FakeOperatorLake(), chain, clock: { now: 1_000_000 } };
}

function follower(w: World, overrides: Partial<LakeFollowerOptions> = {}) {
  const metrics = new FollowerMetrics();
  const instance = new LakeFollower({
    contractId: MPC_CONTRACT,
    publicLake: w.publicLake,
    operatorLake: w.operatorLake,
    chain: w.chain,
    metrics,
    logger: silent,
    startHeight: 10,
    listAfterMs: 1_000,
    maxListIntervalMs: 8_000,
    checkpointIntervalMs: 5_000,
    maxObjectBytes: 1 << 20,
    now: () => w.clock.now,
    ...overrides,
  });
  return { follower: instance, metrics };
}

/** Steps until the follower waits; returns the heights handled. */
async function drain(instance: LakeFollower): Promise<number[]> {
  const handled: number[] = [];
  for (let step = 0; step < 1000; step += 1) {
    const result = await instance.step();
    if (result.kind === 'waiting') return handled;
    handled.push(result.height);
  }
  throw new Error('never waited');
}

describe('LakeFollower copies only what the indexer needs', () => {
  it('puts the signer shard of blocks with contract activity other than answers, with its block header as metadata, nothing else', async () => {
    const w = world();
    w.publicLake.write(10);
    w.publicLake.write(11, { shards: { 3: [otherContractCall(11)], 7: [sign(11, 'a')] } });
    // Activity on another shard only: not the signer's.
    w.publicLake.write(12, { shards: { 3: [otherContractCall(12)], 7: [] } });
    w.publicLake.write(13);
    // The request's end (its yield callback) only: not copied.
    w.publicLake.write(14, { shards: { 3: [], 7: [signCallback(14, 'a', 'answered')] } });
    // Any other method of the contract is copied (a vote here).
    const vote = executedReceipt(15, { receiptId: hashOf('vote 15'), predecessorId: 'node0.near', receiverId: MPC_CONTRACT, actions: [functionCall('vote_new_parameters', {})], status: { SuccessValue: '' } });
    w.publicLake.write(15, { shards: { 3: [], 7: [vote] } });
    const { follower: instance, metrics } = follower(w);
    await instance.start();
    expect(await drain(instance)).toEqual([10, 11, 12, 13, 14, 15]);

    expect(w.operatorLake.puts).toEqual([signerShard(11), signerShard(15)]);
    for (const height of [11, 15]) {
      // Byte for byte what the public lake holds, and the block.json fields the indexer reads (decision 0016).
      expect(w.operatorLake.objects.get(signerShard(height))).toEqual(w.publicLake.objects.get(signerShard(height)));
      const block = parseLakeBlock(w.publicLake.objects.get(`${folder(height)}/block.json`)!, { source: 'block.json', maxBytes: 1 << 20 });
      expect(w.operatorLake.metadata.get(signerShard(height))).toEqual(blockHeaderMetadata(block));
      expect(block.height).toBe(height);
    }
    // Two GETs per block (block.json, the signer's shard) and the miss of height 16 that ended the drain; no listing.
    const handledGets = w.publicLake.gets.filter((key) => key < folder(16));
    expect(handledGets).toHaveLength(2 * 6);
    expect(new Set(handledGets.filter((key) => key.includes('shard_')).map((key) => key.slice(13)))).toEqual(new Set(['shard_7.json']));
    expect(w.publicLake.lists).toEqual([]);
    expect(w.chain.layoutCalls).toEqual([10]);
    expect(metrics.drain(w.clock.now).counters).toEqual({ BlocksRead: 6, ActiveBlocks: 2, ObjectsCopied: 2, PublicLakeGets: 2 * 6 + 1 });
  });

  it('fails the step and puts nothing when an active block has no header field the indexer needs', async () => {
    const w = world();
    w.publicLake.write(10, { shards: { 3: [], 7: [sign(10, 'q')] } });
    const key = `${folder(10)}/block.json`;
    const block = JSON.parse(new TextDecoder().decode(w.publicLake.objects.get(key)!)) as { header: Record<string, unknown> };
    delete block.header.random_value;
    w.publicLake.objects.set(key, new TextEncoder().encode(JSON.stringify(block)));
    const { follower: instance } = follower(w);
    await instance.start();
    await expect(instance.step()).rejects.toMatchObject({ name: 'LakeParseError', source: key, path: '$.header.random_value' });
    expect(w.operatorLake.puts).toEqual([]);
    expect(instance.lastHandled()).toBeNull();
  });

  it('begins at the final block when no start height is configured', async () => {
    const w = world(new FakeChain(() => LAYOUT, 42));
    w.publicLake.write(42, { shards: { 3: [], 7: [sign(42, 'x')] } });
    const { follower: instance } = follower(w, { startHeight: undefined });
    await instance.start();
    expect(await drain(instance)).toEqual([42]);
    expect(w.operatorLake.puts).toEqual([signerShard(42)]);
  });
});

describe('LakeFollower never skips a block', () => {
  it('passes over a height the chain never produced only once the next block names the one before as parent', async () => {
    const w = world();
    w.publicLake.write(10);
    w.publicLake.write(11);
    // 12 was never produced: 13's parent is 11.
    w.publicLake.write(13, { parent: 11, shards: { 3: [], 7: [sign(13, 'b')] } });
    const { follower: instance, metrics } = follower(w);
    await instance.start();
    expect(await drain(instance)).toEqual([10, 11]);
    // Absent for less than listAfterMs: no listing yet (it costs 12.5 GETs).
    w.clock.now += 999;
    expect(await drain(instance)).toEqual([]);
    expect(w.publicLake.lists).toEqual([]);
    w.clock.now += 1;
    expect(await drain(instance)).toEqual([13]);
    expect(w.publicLake.lists).toEqual([11]);
    expect(w.operatorLake.puts).toEqual([signerShard(13)]);
    expect(metrics.drain(w.clock.now).counters).toMatchObject({ BlocksRead: 3, SkippedHeights: 1, PublicLakeLists: 1 });
  });

  it('refuses a block whose parent it has not handled, and takes both once the missing one appears', async () => {
    const w = world();
    w.publicLake.write(10);
    // The writer finished 12 before it wrote anything of 11.
    w.publicLake.write(12, { shards: { 3: [], 7: [sign(12, 'd')] } });
    const { follower: instance } = follower(w);
    await instance.start();
    expect(await drain(instance)).toEqual([10]);
    w.clock.now += 1_000;
    await expect(instance.step()).rejects.toMatchObject({ name: ChainDiscontinuity.name, lastHeight: 10, height: 12 });
    expect(instance.lastHandled()?.height).toBe(10);
    w.publicLake.write(11, { shards: { 3: [], 7: [sign(11, 'c')] } });
    expect(await drain(instance)).toEqual([11, 12]);
    expect(w.operatorLake.puts).toEqual([signerShard(11), signerShard(12)]);
  });

  it('waits for a listed folder until its block.json, written last, is there', async () => {
    const w = world();
    w.publicLake.write(10);
    w.publicLake.write(11, { shards: { 3: [], 7: [sign(11, 'e')] }, writeBlockJson: false });
    const { follower: instance } = follower(w);
    await instance.start();
    expect(await drain(instance)).toEqual([10]);
    w.clock.now += 1_000;
    expect(await drain(instance)).toEqual([]);
    expect(w.publicLake.lists).toEqual([10]);
    w.publicLake.write(11, { shards: { 3: [], 7: [sign(11, 'e')] } });
    expect(await drain(instance)).toEqual([11]);
    expect(w.operatorLake.puts).toEqual([signerShard(11)]);
  });

  it('fails the step when the signer shard is missing beside an existing block.json', async () => {
    const w = world();
    w.publicLake.write(10);
    w.publicLake.objects.delete(`${folder(10)}/shard_7.json`);
    const { follower: instance } = follower(w);
    await instance.start();
    await expect(instance.step()).rejects.toMatchObject({ name: ShardFileMissing.name, key: `${folder(10)}/shard_7.json` });
    expect(instance.lastHandled()).toBeNull();
  });

  it('lists less often while the source stays silent, and from the last handled block', async () => {
    const w = world();
    w.publicLake.write(10);
    const { follower: instance } = follower(w);
    await instance.start();
    await drain(instance);
    const listTimes: number[] = [];
    for (let tick = 0; tick < 300; tick += 1) {
      w.clock.now += 100;
      const before = w.publicLake.lists.length;
      await instance.step();
      if (w.publicLake.lists.length > before) listTimes.push(w.clock.now);
    }
    const gaps = listTimes.slice(1).map((time, index) => time - listTimes[index]!);
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(new Set(w.publicLake.lists)).toEqual(new Set([10]));
  });
});

describe('LakeFollower resumes after a crash from its checkpoint, with no gap and no duplicate', () => {
  it('replays from the checkpoint and puts only the objects the bucket does not have', async () => {
    const w = world();
    for (let height = 10; height <= 30; height += 1) w.publicLake.write(height, height % 4 === 0 ? { shards: { 3: [], 7: [sign(height, `r${height}`)] } } : {});
    const first = follower(w);
    await first.follower.start();
    for (let height = 10; height <= 17; height += 1) await first.follower.step();
    w.clock.now += 5_000;
    await first.follower.checkpoint();
    expect(w.operatorLake.checkpointValue).toMatchObject({ height: 17, hash: blockHashAt(17), shardId: 7 });
    for (let height = 18; height <= 25; height += 1) await first.follower.step();
    // Crash at block 28: its shard is not put (20 and 24 are, after the checkpoint at 17).
    w.operatorLake.failPutOf = signerShard(28);
    await first.follower.step(); // 26
    await first.follower.step(); // 27
    await expect(first.follower.step()).rejects.toThrow(/S3 is down/);
    w.operatorLake.failPutOf = null;
    const putsBeforeCrash = [...w.operatorLake.puts];

    const second = follower(w);
    await second.follower.start();
    expect(await drain(second.follower)).toEqual(Array.from({ length: 13 }, (_, index) => 18 + index));
    const putsAfterRestart = w.operatorLake.puts.slice(putsBeforeCrash.length);
    expect(putsAfterRestart).toEqual([signerShard(28)]);
    expect(w.operatorLake.puts).toEqual([12, 16, 20, 24, 28].map((height) => signerShard(height)));
    expect(second.metrics.drain(w.clock.now).counters).toMatchObject({ BlocksRead: 13, ObjectsAlreadyPresent: 2, ObjectsCopied: 1 });
    // The replay checks continuity against the checkpointed hash: a checkpoint from another chain is refused.
    expect(second.follower.lastHandled()).toMatchObject({ height: 30, hash: blockHashAt(30) });
  });

  it('writes the checkpoint on the interval, only when it moved, and at shutdown', async () => {
    const w = world();
    w.publicLake.write(10);
    w.publicLake.write(11);
    const { follower: instance } = follower(w);
    await instance.start();
    await instance.step();
    await instance.checkpoint();
    expect(w.operatorLake.checkpointWrites).toBe(0);
    w.clock.now += 5_000;
    await instance.checkpoint();
    expect(w.operatorLake.checkpointValue?.height).toBe(10);
    w.clock.now += 5_000;
    await instance.checkpoint();
    expect(w.operatorLake.checkpointWrites).toBe(1);
    await instance.step();
    await instance.checkpoint(true);
    expect(w.operatorLake.checkpointValue?.height).toBe(11);
  });

  it('refuses to resume from a checkpoint the next block does not continue', async () => {
    const w = world();
    w.publicLake.write(18);
    w.operatorLake.checkpointValue = { height: 17, hash: 'not-block-17', epochId: 'epoch-1', shardId: 7 };
    const { follower: instance } = follower(w);
    await instance.start();
    await expect(instance.step()).rejects.toBeInstanceOf(ChainDiscontinuity);
  });
});

describe('LakeFollower follows the signer across a resharding', () => {
  it('reads the layout once per epoch, and counts a layout change and the signer moving to shard 9', async () => {
    const chain = new FakeChain((height) => (height >= 12 ? SPLIT_LAYOUT : LAYOUT));
    const w = world(chain);
    w.publicLake.write(10, { shards: { 3: [], 7: [sign(10, 'old')] } });
    w.publicLake.write(11);
    w.publicLake.write(12, { epoch: 'epoch-2', shards: { 3: [], 8: [], 9: [sign(12, 'new')] } });
    w.publicLake.write(13, { epoch: 'epoch-2', shards: { 3: [], 8: [], 9: [] } });
    const warnings: string[] = [];
    const { follower: instance, metrics } = follower(w, { logger: { ...silent, warn: (message: string) => void warnings.push(message) } });
    await instance.start();
    expect(await drain(instance)).toEqual([10, 11, 12, 13]);
    expect(chain.layoutCalls).toEqual([10, 12]);
    expect(w.operatorLake.puts).toEqual([signerShard(10), signerShard(12, 9)]);
    expect(metrics.drain(w.clock.now).counters).toMatchObject({ ShardLayoutChanges: 1, SignerShardMoves: 1 });
    expect(warnings).toEqual(['no checkpoint: following from a start height; earlier blocks are not read', 'NEAR shard layout changed', 'signer contract moved to another shard']);
    expect(instance.lastHandled()).toMatchObject({ epochId: 'epoch-2', shardId: 9 });
  });

  it('fails the step when the layout names a shard the block has no chunk for', async () => {
    const w = world(new FakeChain(() => SPLIT_LAYOUT));
    w.publicLake.write(10);
    const { follower: instance } = follower(w);
    await instance.start();
    await expect(instance.step()).rejects.toMatchObject({ name: 'ShardNotInBlock', shardId: 9, blockShardIds: [3, 7] });
  });
});

describe('runFollower', () => {
  it('backs off on failures, doubling up to the bound, retries the same block and checkpoints at the end', async () => {
    const w = world();
    w.publicLake.write(10, { shards: { 3: [], 7: [sign(10, 'z')] } });
    const { follower: instance, metrics } = follower(w);
    await instance.start();
    const failing = jest.spyOn(instance, 'step');
    for (let failure = 0; failure < 4; failure += 1) failing.mockRejectedValueOnce(new Error('S3 throttled'));
    const stop = new AbortController();
    const sleeps: number[] = [];
    const errors: string[] = [];
    await runFollower(instance, stop.signal, {
      pollIntervalMs: 50,
      retryBaseMs: 100,
      retryMaxMs: 500,
      metrics,
      logger: { ...silent, error: (message: string) => void errors.push(message) },
      sleep: async (ms) => {
        sleeps.push(ms);
        if (ms === 50) stop.abort();
      },
    });
    expect(sleeps).toEqual([100, 200, 400, 500, 50]);
    expect(errors).toHaveLength(4);
    expect(w.operatorLake.puts).toEqual([signerShard(10)]);
    expect(w.operatorLake.checkpointValue?.height).toBe(10);
    expect(metrics.drain(w.clock.now).counters).toMatchObject({ StepFailures: 4, BlocksRead: 1 });
  });
});

describe('runFollower paces itself to the chain', () => {
  it('looks again at once while catching up, and waits a poll interval after a block found at the head', async () => {
    const w = world();
    for (const height of [10, 11, 12]) w.publicLake.write(height);
    const { follower: instance, metrics } = follower(w);
    await instance.start();
    const stop = new AbortController();
    const sleeps: { ms: number; gets: number }[] = [];
    await runFollower(instance, stop.signal, {
      pollIntervalMs: 500,
      retryBaseMs: 100,
      retryMaxMs: 500,
      metrics,
      logger: silent,
      sleep: async (ms) => {
        sleeps.push({ ms, gets: w.publicLake.gets.length });
        // The chain makes a block during each of the first two waits; the third wait ends the run.
        if (sleeps.length === 1) w.publicLake.write(13);
        if (sleeps.length === 2) w.publicLake.write(14);
        if (sleeps.length === 3) stop.abort();
      },
    });
    // 10, 11, 12 back to back (3 block.json + 3 shard GETs), then 13 missed: wait. 13 found at the head:
    // wait instead of missing 14 at once. 14 found after that wait: look at once (it may be catching up).
    expect(sleeps.map(({ ms }) => ms)).toEqual([500, 500, 500]);
    expect(sleeps.map(({ gets }) => gets)).toEqual([7, 9, 12]);
    expect(w.publicLake.gets.filter((key) => key.endsWith('block.json')).map((key) => Number(key.slice(0, 12)))).toEqual([10, 11, 12, 13, 13, 14, 15]);
  });
});

describe('FollowerMetrics', () => {
  it('reports the lag from the last handled block, growing while nothing arrives', () => {
    const metrics = new FollowerMetrics();
    expect(metrics.drain(0)).toEqual({ counters: {}, lagSeconds: undefined });
    metrics.count(FollowerMetric.BlocksRead);
    metrics.blockHandled(5_000_000_000n);
    expect(metrics.drain(7_500)).toEqual({ counters: { BlocksRead: 1 }, lagSeconds: 2.5 });
    expect(metrics.drain(65_000)).toEqual({ counters: {}, lagSeconds: 60 });
  });
});
