/**
 * The follower's metrics: counters summed between flushes, and the lag computed at each flush from the
 * last handled block's timestamp, so a follower that stops advancing (its source stalled, or it is stuck
 * on a block) shows a growing lag even though it handles nothing. Published as CloudWatch EMF by
 * main.ts; cdk/lib/lake-follower.ts alarms on these names with the dimension service=lake-follower.
 */
export const FollowerMetric = {
  /** Blocks read from the public lake (block.json and the signer's shard). */
  BlocksRead: 'BlocksRead',
  /** Blocks whose signer shard had contract activity, hence copied. */
  ActiveBlocks: 'ActiveBlocks',
  /** GET requests to the public lake, misses included (requester pays: $0.0004 per 1,000). */
  PublicLakeGets: 'PublicLakeGets',
  /** LIST requests to the public lake (requester pays: $0.005 per 1,000). */
  PublicLakeLists: 'PublicLakeLists',
  /** Objects put into the operator's bucket. */
  ObjectsCopied: 'ObjectsCopied',
  /** Objects a replay after a restart found already in the operator's bucket (not put again). */
  ObjectsAlreadyPresent: 'ObjectsAlreadyPresent',
  /** Heights the chain never produced (the next block names an older parent); NEAR skips heights when a producer misses its slot. */
  SkippedHeights: 'SkippedHeights',
  /** Signer shards the follower could not parse, copied anyway for the indexer to report. */
  UnreadableShards: 'UnreadableShards',
  /** The chain's shard layout differs from the one the follower used for the previous epoch (a resharding). */
  ShardLayoutChanges: 'ShardLayoutChanges',
  /** The signer contract's shard id changed: the follower copies the new shard from that block on. */
  SignerShardMoves: 'SignerShardMoves',
  /** A step failed (S3, RPC, a discontinuity) and is retried after a backoff. */
  StepFailures: 'StepFailures',
  /** Seconds between now and the timestamp of the last block handled. */
  LagSeconds: 'LagSeconds',
} as const;

export type FollowerCounter = Exclude<(typeof FollowerMetric)[keyof typeof FollowerMetric], 'LagSeconds'>;

export interface FollowerMetricsSnapshot {
  readonly counters: Readonly<Partial<Record<FollowerCounter, number>>>;
  /** Undefined before the first block is handled. */
  readonly lagSeconds: number | undefined;
}

export class FollowerMetrics {
  private counters: Partial<Record<FollowerCounter, number>> = {};
  private lastBlockTimestampMs: number | undefined;

  count(name: FollowerCounter, value = 1): void {
    if (value === 0) return;
    this.counters[name] = (this.counters[name] ?? 0) + value;
  }

  blockHandled(timestampNanosec: bigint): void {
    this.lastBlockTimestampMs = Number(timestampNanosec / 1_000_000n);
  }

  /** The counters since the last drain (then reset) and the lag now. */
  drain(nowMs: number): FollowerMetricsSnapshot {
    const counters = this.counters;
    this.counters = {};
    const lagSeconds = this.lastBlockTimestampMs === undefined ? undefined : Math.max(0, (nowMs - this.lastBlockTimestampMs) / 1000);
    return { counters, lagSeconds };
  }
}
