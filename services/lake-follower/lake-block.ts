/**
 * The fields of a NEAR Lake `block.json` the follower reads: where the block sits in the chain (height,
 * hash, parent), its epoch (shard layouts change only at epoch boundaries), its time (lag), and which
 * shards have a chunk header in it. Other fields are neither validated nor copied.
 */
import { z } from 'zod';
import { lakeBlockFolder } from '../../shared/near/lake-types.js';

/** A block.json the follower cannot use; the block is retried, never skipped. */
export class LakeBlockReadError extends Error {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`cannot read Lake block ${key}: ${reason}`);
    this.name = 'LakeBlockReadError';
  }
}

export interface LakeBlockHead {
  readonly height: number;
  readonly hash: string;
  readonly prevHash: string;
  /** null for the genesis block. */
  readonly prevHeight: number | null;
  readonly epochId: string;
  readonly timestampNanosec: bigint;
  /** Shard ids of the block's chunk headers, in the order of the file. */
  readonly chunkShardIds: readonly number[];
}

const blockSchema = z.object({
  header: z.object({
    height: z.number().int().nonnegative(),
    hash: z.string().min(1),
    prev_hash: z.string().min(1),
    prev_height: z.number().int().nonnegative().nullable().optional(),
    epoch_id: z.string().min(1),
    timestamp_nanosec: z.string().regex(/^\d{1,20}$/),
  }),
  chunks: z.array(z.object({ shard_id: z.number().int().nonnegative() })),
});

export const blockKey = (height: number): string => `${lakeBlockFolder(height)}/block.json`;
export const shardKey = (height: number, shardId: number): string => `${lakeBlockFolder(height)}/shard_${shardId}.json`;

export function parseLakeBlockHead(bytes: Uint8Array, expectedHeight: number): LakeBlockHead {
  const key = blockKey(expectedHeight);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new LakeBlockReadError(key, `not UTF-8 JSON (${(error as Error).message})`);
  }
  const parsed = blockSchema.safeParse(json);
  if (!parsed.success) throw new LakeBlockReadError(key, z.prettifyError(parsed.error).replaceAll('\n', '; '));
  const { header, chunks } = parsed.data;
  if (header.height !== expectedHeight) throw new LakeBlockReadError(key, `holds block ${header.height}`);
  return {
    height: header.height,
    hash: header.hash,
    prevHash: header.prev_hash,
    prevHeight: header.prev_height ?? null,
    epochId: header.epoch_id,
    timestampNanosec: BigInt(header.timestamp_nanosec),
    chunkShardIds: chunks.map((chunk) => chunk.shard_id),
  };
}
