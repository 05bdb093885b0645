/** What the follower reads and writes, as interfaces: S3 and the NEAR RPC in production, fakes in unit tests. */
import type { Checkpoint } from './checkpoint.js';
import type { ShardLayout } from './shard-layout.js';

/** NEAR's public Lake bucket (requester pays). */
export interface PublicLake {
  /** The object's bytes, or null when there is no such key (yet). */
  get(key: string): Promise<Uint8Array | null>;
  /** Heights of the block folders after `afterHeight` (all of them for null), ascending, at most `limit`. */
  listHeightsAfter(afterHeight: number | null, limit: number): Promise<number[]>;
}

/** The operator's own lake bucket, the one whose notifications feed the lake indexer. */
export interface OperatorLake {
  /** Puts an object with S3 user metadata (names without `x-amz-meta-`). */
  put(key: string, body: Uint8Array, metadata: Readonly<Record<string, string>>): Promise<void>;
  /** Every lake object key above block `height`. */
  blockKeysAbove(height: number): Promise<Set<string>>;
  readCheckpoint(): Promise<Checkpoint | null>;
  writeCheckpoint(checkpoint: Checkpoint): Promise<void>;
}

/** The chain's shard layout, from a NEAR RPC. */
export interface ChainInfo {
  /** The layout in force at block `height`. */
  shardLayoutAt(height: number): Promise<ShardLayout>;
  /** The newest final block's height. */
  finalHeight(): Promise<number>;
}
