/**
 * Where the follower resumes: the last block it handled (height and hash, so the next block it reads must
 * name it as parent), the epoch and shard it was following. Kept as one small object in the operator's
 * lake bucket, under a key no lake notification filter matches (no `.json` suffix).
 *
 * The checkpoint is written every `checkpointIntervalMs`, not per block, so after a crash the blocks
 * since it are read again. That costs GETs only: before copying, the follower lists what the operator's
 * bucket already holds above the checkpoint and puts only what is missing, so a replay neither skips a
 * block nor puts an object twice.
 */
import { z } from 'zod';

export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  readonly height: number;
  readonly hash: string;
  readonly epochId: string;
  readonly shardId: number;
}

/** A checkpoint object that is not one this code wrote; the follower stops rather than guess where to resume. */
export class CheckpointCorrupt extends Error {
  constructor(readonly reason: string) {
    super(`lake follower checkpoint is unreadable: ${reason}`);
    this.name = 'CheckpointCorrupt';
  }
}

const checkpointSchema = z.strictObject({
  version: z.literal(CHECKPOINT_VERSION),
  height: z.number().int().nonnegative(),
  hash: z.string().min(1),
  epochId: z.string().min(1),
  shardId: z.number().int().nonnegative(),
  writtenAt: z.string(),
});

export function encodeCheckpoint(checkpoint: Checkpoint, writtenAt: Date): string {
  return JSON.stringify({ version: CHECKPOINT_VERSION, ...checkpoint, writtenAt: writtenAt.toISOString() });
}

export function decodeCheckpoint(text: string): Checkpoint {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CheckpointCorrupt(`not JSON (${(error as Error).message})`);
  }
  const parsed = checkpointSchema.safeParse(json);
  if (!parsed.success) throw new CheckpointCorrupt(z.prettifyError(parsed.error).replaceAll('\n', '; '));
  const { height, hash, epochId, shardId } = parsed.data;
  return { height, hash, epochId, shardId };
}
