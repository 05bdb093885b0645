/**
 * The public-lake follower: reads NEAR's public Lake block by block and puts into the operator's lake
 * bucket only the signer contract's shard file, for blocks where that shard has contract activity
 * (./shard-filter.ts), with the fields of its block.json the indexer uses attached as S3 metadata
 * (decision 0016: one PUT per such block instead of two). The operator's bucket then raises the same S3
 * notifications as with an own Lake writer, and its PUTs follow sign activity instead of the block rate.
 *
 * No block is skipped: each block must name the previous one as its parent (prev_hash), and the next
 * height is found by trying `last + 1` and, when it stays absent, by listing — a height the chain never
 * produced is only passed over once a listed block names the block before it as parent. Anything that
 * fails (S3, the RPC, a discontinuity) fails the step, which is retried after a backoff with the state
 * unchanged. A restart resumes from the checkpoint (./checkpoint.ts) and puts only what is missing.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { blockHeaderMetadata, parseLakeBlock } from '../../shared/near/lake-parser.js';
import { lakeBlockFolder } from '../../shared/near/lake-types.js';
import type { Checkpoint } from './checkpoint.js';
import { blockKey, parseLakeBlockHead, shardKey, type LakeBlockHead } from './lake-block.js';
import { FollowerMetric, type FollowerMetrics } from './metrics.js';
import type { ChainInfo, OperatorLake, PublicLake } from './ports.js';
import { judgeShard } from './shard-filter.js';
import { layoutKey, shardOfAccount, type ShardLayout } from './shard-layout.js';

export type FollowerLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** The block read does not continue the chain the follower has handled; the step is retried. */
export class ChainDiscontinuity extends Error {
  constructor(
    readonly lastHeight: number,
    readonly lastHash: string,
    readonly height: number,
    readonly prevHash: string,
    readonly prevHeight: number | null,
  ) {
    super(`block ${height} follows ${prevHash} (height ${prevHeight ?? '?'}), not the last block handled, ${lastHash} at ${lastHeight}: a block in between is not in the public lake yet`);
    this.name = 'ChainDiscontinuity';
  }
}

/** block.json is in the public lake but the signer's shard file beside it is not (writers put block.json last). */
export class ShardFileMissing extends Error {
  constructor(readonly key: string) {
    super(`public lake object ${key} is missing although its block.json exists`);
    this.name = 'ShardFileMissing';
  }
}

/** The layout says the signer lives on a shard the block has no chunk header for: layout and lake disagree. */
export class ShardNotInBlock extends Error {
  constructor(
    readonly height: number,
    readonly shardId: number,
    readonly blockShardIds: readonly number[],
  ) {
    super(`block ${height} has chunks for shards [${blockShardIds.join(', ')}], not for the signer's shard ${shardId}`);
    this.name = 'ShardNotInBlock';
  }
}

export interface LakeFollowerOptions {
  readonly contractId: string;
  readonly publicLake: PublicLake;
  readonly operatorLake: OperatorLake;
  readonly chain: ChainInfo;
  readonly metrics: FollowerMetrics;
  readonly logger: FollowerLogger;
  /** Where to begin when there is no checkpoint; default the chain's newest final block. */
  readonly startHeight?: number;
  /** How long the next height may be absent before the follower lists the lake (a skipped height, or a stalled source). */
  readonly listAfterMs: number;
  /** Longest wait between listings while nothing new appears. */
  readonly maxListIntervalMs: number;
  readonly checkpointIntervalMs: number;
  /** Objects above this size are not read (the indexer's own limit is the same idea). */
  readonly maxObjectBytes: number;
  readonly now?: () => number;
}

/** Folders per listing: one LIST call returns up to 1,000 keys and prefixes. */
const LIST_LIMIT = 1000;

export type StepResult =
  | { readonly kind: 'handled'; readonly height: number; readonly copied: readonly string[] }
  /** Nothing new yet; the caller waits a poll interval. */
  | { readonly kind: 'waiting' };

export class LakeFollower {
  private readonly now: () => number;
  private last: Checkpoint | null = null;
  private startHeight: number | null = null;
  /** The layout read for the current epoch; null until the first block of this run. */
  private layout: ShardLayout | null = null;
  private shardId: number | null = null;
  /** Heights from the last listing still to handle, ascending. */
  private pending: number[] = [];
  /** Keys known to be in the operator's bucket above the last block handled (a replay after a restart puts none of them again). */
  private readonly present = new Set<string>();
  private missingSince: number | null = null;
  private nextListAt = 0;
  private listIntervalMs: number;
  private checkpointedHeight: number | null = null;
  private lastCheckpointAt: number;

  constructor(private readonly options: LakeFollowerOptions) {
    this.now = options.now ?? Date.now;
    this.listIntervalMs = options.listAfterMs;
    this.lastCheckpointAt = this.now();
  }

  /** The last block handled (what a checkpoint now would say). */
  lastHandled(): Checkpoint | null {
    return this.last;
  }

  /** Loads the checkpoint and what the operator's bucket holds above it; without one, decides where to begin. */
  async start(): Promise<void> {
    const { operatorLake, chain, logger } = this.options;
    const checkpoint = await operatorLake.readCheckpoint();
    if (checkpoint !== null) {
      this.last = checkpoint;
      this.checkpointedHeight = checkpoint.height;
      this.shardId = checkpoint.shardId;
      for (const key of await operatorLake.blockKeysAbove(checkpoint.height)) this.present.add(key);
      logger.info('resuming after the checkpointed block', { height: checkpoint.height, hash: checkpoint.hash, shardId: checkpoint.shardId, objectsAbove: this.present.size });
      return;
    }
    this.startHeight = this.options.startHeight ?? (await chain.finalHeight());
    logger.warn('no checkpoint: following from a start height; earlier blocks are not read', { startHeight: this.startHeight, configured: this.options.startHeight !== undefined });
  }

  /** Handles the next block if the public lake has it. Throws on any failure, leaving the state as it was. */
  async step(): Promise<StepResult> {
    const next = await this.nextBlock();
    if (next === null) return { kind: 'waiting' };
    return this.handle(next.head, next.bytes);
  }

  /** Writes the checkpoint if it moved since the last one (on the interval, and at shutdown). */
  async checkpoint(force = false): Promise<void> {
    if (this.last === null || this.last.height === this.checkpointedHeight) return;
    if (!force && this.now() - this.lastCheckpointAt < this.options.checkpointIntervalMs) return;
    await this.options.operatorLake.writeCheckpoint(this.last);
    this.checkpointedHeight = this.last.height;
    this.lastCheckpointAt = this.now();
  }

  private expectedHeight(): number {
    return this.last === null ? this.startHeight! : this.last.height + 1;
  }

  private async nextBlock(): Promise<{ head: LakeBlockHead; bytes: Uint8Array } | null> {
    const { publicLake } = this.options;
    const height = this.pending[0] ?? this.expectedHeight();
    this.options.metrics.count(FollowerMetric.PublicLakeGets);
    const bytes = await publicLake.get(blockKey(height));
    if (bytes !== null) {
      const head = parseLakeBlockHead(bytes, height);
      if (this.last !== null && head.prevHash !== this.last.hash) {
        this.pending = [];
        throw new ChainDiscontinuity(this.last.height, this.last.hash, head.height, head.prevHash, head.prevHeight);
      }
      return { head, bytes };
    }
    // A listed folder whose block.json is not there yet is still being written (block.json comes last).
    if (this.pending.length > 0) return null;
    // The next height is absent: not produced yet, or never (a skipped height). Only a listing tells, and
    // listings cost 12.5 GETs each, so list only once it has been absent a while, less often while nothing comes.
    const now = this.now();
    this.missingSince ??= now;
    if (now - this.missingSince < this.options.listAfterMs || now < this.nextListAt) return null;
    this.options.metrics.count(FollowerMetric.PublicLakeLists);
    const heights = await publicLake.listHeightsAfter(this.expectedHeight() - 1 < 0 ? null : this.expectedHeight() - 1, LIST_LIMIT);
    if (heights.length === 0) {
      this.nextListAt = now + this.listIntervalMs;
      this.listIntervalMs = Math.min(this.options.maxListIntervalMs, this.listIntervalMs * 2);
      return null;
    }
    this.pending = heights;
    return this.nextBlock();
  }

  private async handle(head: LakeBlockHead, blockBytes: Uint8Array): Promise<StepResult> {
    const { publicLake, operatorLake, metrics, logger, contractId, maxObjectBytes } = this.options;
    const shardId = await this.signerShard(head);
    const key = shardKey(head.height, shardId);
    metrics.count(FollowerMetric.PublicLakeGets);
    const shardBytes = await publicLake.get(key);
    if (shardBytes === null) throw new ShardFileMissing(key);
    const verdict = judgeShard(shardBytes, key, contractId, maxObjectBytes);
    const copied: string[] = [];
    if (verdict.copy) {
      if (verdict.reason === 'unreadable') {
        metrics.count(FollowerMetric.UnreadableShards);
        logger.error('signer shard unreadable; copied for the indexer to report', { key, error: verdict.error });
      }
      if (this.present.has(key)) {
        metrics.count(FollowerMetric.ObjectsAlreadyPresent);
      } else {
        const block = parseLakeBlock(blockBytes, { source: blockKey(head.height), maxBytes: maxObjectBytes });
        await operatorLake.put(key, shardBytes, blockHeaderMetadata(block));
        this.present.add(key);
        copied.push(key);
        metrics.count(FollowerMetric.ObjectsCopied);
        logger.info('object copied', { key, height: head.height, bytes: shardBytes.byteLength });
      }
      metrics.count(FollowerMetric.ActiveBlocks);
    }
    if (this.last !== null) metrics.count(FollowerMetric.SkippedHeights, head.height - this.last.height - 1);
    metrics.count(FollowerMetric.BlocksRead);
    metrics.blockHandled(head.timestampNanosec);
    this.advance(head, shardId);
    logger.debug('block handled', { height: head.height, copied: copied.length });
    return { kind: 'handled', height: head.height, copied };
  }

  private advance(head: LakeBlockHead, shardId: number): void {
    this.last = { height: head.height, hash: head.hash, epochId: head.epochId, shardId };
    if (this.pending[0] === head.height) this.pending.shift();
    this.missingSince = null;
    this.nextListAt = 0;
    this.listIntervalMs = this.options.listAfterMs;
    const passed = `${lakeBlockFolder(head.height)}/~`;
    for (const key of this.present) if (key < passed) this.present.delete(key);
  }

  /**
   * The signer's shard for this block. The layout is read from the RPC on the first block of a run and
   * whenever the epoch changes (layouts change only at epoch boundaries), and again if the block has no
   * chunk for the shard in use; a changed layout and a moved signer are counted and logged.
   */
  private async signerShard(head: LakeBlockHead): Promise<number> {
    const { chain, contractId, metrics, logger } = this.options;
    const current = this.shardId;
    const layoutFresh = this.layout !== null && this.last?.epochId === head.epochId;
    if (layoutFresh && current !== null && head.chunkShardIds.includes(current)) return current;
    const layout = await chain.shardLayoutAt(head.height);
    const shardId = shardOfAccount(layout, contractId);
    if (!head.chunkShardIds.includes(shardId)) throw new ShardNotInBlock(head.height, shardId, head.chunkShardIds);
    if (this.layout !== null && layoutKey(layout) !== layoutKey(this.layout)) {
      metrics.count(FollowerMetric.ShardLayoutChanges);
      logger.warn('NEAR shard layout changed', { height: head.height, epochId: head.epochId, layout });
    }
    if (current !== null && shardId !== current) {
      metrics.count(FollowerMetric.SignerShardMoves);
      logger.warn('signer contract moved to another shard', { height: head.height, contractId, fromShard: current, toShard: shardId });
    }
    this.layout = layout;
    this.shardId = shardId;
    return shardId;
  }
}

export interface RunFollowerOptions {
  /**
   * Wait between looks when the next block is not there yet, and after a block found at the head (one
   * that followed a miss): the block after it is about a block time away, so looking at once would
   * only miss. While catching up (a block found right after another) the next look is immediate.
   */
  readonly pollIntervalMs: number;
  /** Backoff after a failed step: base, doubling per consecutive failure, up to max. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly metrics: FollowerMetrics;
  readonly logger: FollowerLogger;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Waits `ms`, ending early when `signal` aborts. */
export const abortableSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });

/** Steps until `signal` aborts, backing off on failures; writes a last checkpoint on the way out. */
export async function runFollower(follower: LakeFollower, signal: AbortSignal, options: RunFollowerOptions): Promise<void> {
  const { metrics, logger } = options;
  const sleep = options.sleep ?? abortableSleep;
  let failures = 0;
  let lastMissed = false;
  while (!signal.aborted) {
    let waitMs = 0;
    try {
      const result = await follower.step();
      failures = 0;
      // At 0.6 s blocks and a 500 ms poll this takes the public lake GETs from ≈ 2.2 to ≈ 1.65 per block at the same delay (decision 0012).
      if (result.kind === 'waiting' || lastMissed) waitMs = options.pollIntervalMs;
      lastMissed = result.kind === 'waiting';
    } catch (error) {
      failures += 1;
      waitMs = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** (failures - 1));
      metrics.count(FollowerMetric.StepFailures);
      logger.error('step failed; retrying the same block', { error: error as Error, failures, retryInMs: waitMs, last: follower.lastHandled() ?? undefined });
    }
    try {
      await follower.checkpoint();
    } catch (error) {
      // Only the replay after a crash grows (in GETs) while the checkpoint cannot be written.
      logger.warn('checkpoint not written; retrying at the next block', { error: error as Error });
    }
    if (waitMs > 0) await sleep(waitMs, signal);
  }
  await follower.checkpoint(true);
}
