/**
 * The public-lake follower's reads while it keeps up with the chain: what its requester-pays GETs cost
 * (docs/cost.md, decision 0012). The real `LakeFollower` and `runFollower` on their real timers, against
 * an in-memory public lake (test/support/lake-follower-fakes.ts) that a writer fills with a block every
 * BLOCK_MS ± JITTER_MS (seeded). Mainnet's ~0.6 s blocks and the follower's 500 ms poll are both scaled
 * by TIME_SCALE, so the ratio that decides the misses is mainnet's and the run takes half the time.
 *
 * Records (`n`, `t` do not apply: 0), all over the blocks of one run:
 * `follower.block_json_gets_per_block` (GETs of block.json per block handled, misses included; 1 is the
 * floor), `follower.gets_per_block` (with the signer shard's GET), `follower.delay_ms` (median time from
 * a block's write to the follower handling it, in mainnet time: divided by TIME_SCALE) and
 * `follower.public_lake_usd_per_month` (gets per block × 4.38 M blocks × $0.0004 per 1,000 GETs).
 */
import { LakeFollower, runFollower, type FollowerLogger } from '../../services/lake-follower/follower.js';
import { blockKey } from '../../services/lake-follower/lake-block.js';
import { FollowerMetrics } from '../../services/lake-follower/metrics.js';
import { MPC_CONTRACT } from '../integration/lake-indexer/lake-fixtures.js';
import { seededRandom } from '../support/faults/seed.js';
import { FakeChain, FakeOperatorLake, FakePublicLake } from '../support/lake-follower-fakes.js';
import { median, type BenchRecord, type BenchSuite } from './records.js';

const TIME_SCALE = 0.5;
const MAINNET_BLOCK_MS = 600;
const BLOCK_MS = MAINNET_BLOCK_MS * TIME_SCALE;
const JITTER_MS = 150 * TIME_SCALE;
/** The follower's defaults (services/lake-follower/config.ts), scaled. */
const POLL_INTERVAL_MS = 500 * TIME_SCALE;
const LIST_AFTER_MS = 1_500 * TIME_SCALE;
const BLOCKS = 150;
const FIRST_HEIGHT = 1_000;
const SEED = 22;
const MAINNET_BLOCKS_PER_MONTH = 4.38e6;
const USD_PER_GET = 0.0004 / 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const lakeFollowerSuite: BenchSuite = {
  name: 'lake follower: public-lake GETs per block at mainnet block and poll intervals (scaled ×0.5)',
  group: 'follower',
  async run(progress) {
    const publicLake = new FakePublicLake();
    const writtenAt = new Map<number, number>();
    const handledAt = new Map<number, number>();
    const quiet = () => undefined;
    const logger: FollowerLogger = {
      debug: (message, ...extra) => {
        const fields = extra[0] as { height?: number } | undefined;
        if (message === 'block handled' && fields?.height !== undefined) handledAt.set(fields.height, performance.now());
      },
      info: quiet,
      warn: quiet,
      error: quiet,
    };
    const metrics = new FollowerMetrics();
    const follower = new LakeFollower({
      contractId: MPC_CONTRACT,
      publicLake,
      operatorLake: new FakeOperatorLake(),
      chain: new FakeChain(),
      metrics,
      logger,
      startHeight: FIRST_HEIGHT,
      listAfterMs: LIST_AFTER_MS,
      maxListIntervalMs: 30_000,
      checkpointIntervalMs: 60_000,
      maxObjectBytes: 1 << 20,
    });
    await follower.start();
    const stop = new AbortController();
    const following = runFollower(follower, stop.signal, { pollIntervalMs: POLL_INTERVAL_MS, retryBaseMs: 100, retryMaxMs: 1_000, metrics, logger });

    const random = seededRandom(SEED);
    for (let height = FIRST_HEIGHT; height < FIRST_HEIGHT + BLOCKS; height += 1) {
      publicLake.write(height);
      writtenAt.set(height, performance.now());
      await sleep(BLOCK_MS + (2 * random() - 1) * JITTER_MS);
    }
    const last = FIRST_HEIGHT + BLOCKS - 1;
    while (!handledAt.has(last)) await sleep(POLL_INTERVAL_MS);
    stop.abort();
    await following;

    // Every GET up to the last block; the polls for the block after it are the next block's.
    const lastGet = publicLake.gets.lastIndexOf(blockKey(last));
    const gets = publicLake.gets.slice(0, lastGet + 2);
    const blockJsonGets = gets.filter((key) => key.endsWith('block.json')).length;
    const delays = [...handledAt].map(([height, at]) => (at - writtenAt.get(height)!) / TIME_SCALE);
    const record = (metric: string, value: number, unit: string): BenchRecord => ({ metric, n: 0, t: 0, value, unit });
    const perBlock = gets.length / BLOCKS;
    progress(
      `${BLOCKS} blocks every ${BLOCK_MS} ± ${JITTER_MS} ms, poll ${POLL_INTERVAL_MS} ms: ${(blockJsonGets / BLOCKS).toFixed(2)} block.json GETs per block, ` +
        `${perBlock.toFixed(2)} GETs in all, median delay ${median(delays).toFixed(0)} ms (mainnet time), LISTs ${publicLake.lists.length}`,
    );
    return [
      record('follower.block_json_gets_per_block', blockJsonGets / BLOCKS, 'GETs'),
      record('follower.gets_per_block', perBlock, 'GETs'),
      record('follower.delay_ms', median(delays), 'ms'),
      record('follower.public_lake_usd_per_month', perBlock * MAINNET_BLOCKS_PER_MONTH * USD_PER_GET, 'USD'),
    ];
  },
};
