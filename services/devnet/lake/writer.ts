/**
 * The devnet's NEAR Lake writer: for every block, `<height12>/shard_0.json` and then
 * `<height12>/block.json` (block.json last, so a reader or the S3-event bridge that sees it finds
 * the whole block) in the shapes of shared/near/lake-types.ts. Blocks are written in order, one at
 * a time; a failed put is retried with backoff until it succeeds or the writer stops.
 */
import { CreateBucketCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { lakeBlockFolder } from '../../../shared/near/lake-types.js';
import type { DevnetChain } from '../chain/chain.js';
import type { ChainBlock } from '../chain/types.js';
import { blockView, chainIdentity, shardView, type ChainIdentity } from '../chain/views.js';
import { LakeGapError } from './errors.js';

const RETRY_BASE_MS = 50;
const RETRY_MAX_MS = 2_000;

export interface LakeWriterOptions {
  readonly chain: DevnetChain;
  /** Configured for the bucket's endpoint (fauxqs needs `forcePathStyle`). */
  readonly s3: S3Client;
  readonly bucket: string;
  /** Create the bucket if it does not exist (default true). */
  readonly createBucket?: boolean;
  /**
   * First height to write. Default: the highest block folder already in the bucket (rewritten, in
   * case a crash left it half written), or the chain's earliest retained block for an empty bucket.
   */
  readonly fromHeight?: number;
  /** Told about each failed attempt before it is retried (default: stderr). */
  readonly onRetry?: (error: unknown, height: number) => void;
  /** Told each time a block's files are all in the bucket (the S3-event bridge announces them then). */
  readonly onBlockWritten?: (height: number) => void;
}

export interface RunningLakeWriter {
  /** The highest height fully written, or null before the first. */
  writtenHeight(): number | null;
  /** Resolves true once `height` is written, false after `timeoutMs`. */
  waitForHeight(height: number, timeoutMs: number): Promise<boolean>;
  /** Stops after the block in flight; blocks not yet written stay unwritten. */
  stop(): Promise<void>;
}

/** The Lake files of one block: key → JSON body. */
export function lakeFiles(block: ChainBlock, identity: ChainIdentity): { key: string; body: string }[] {
  const folder = lakeBlockFolder(block.header.height);
  return [
    { key: `${folder}/shard_0.json`, body: JSON.stringify(shardView(block, identity)) },
    { key: `${folder}/block.json`, body: JSON.stringify(blockView(block, identity)) },
  ];
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

/** The highest `<height12>/` folder in the bucket, or null if it has none. */
async function highestFolder(s3: S3Client, bucket: string): Promise<number | null> {
  let highest: number | null = null;
  let continuationToken: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', ContinuationToken: continuationToken }));
    for (const prefix of page.CommonPrefixes ?? []) {
      const height = Number.parseInt(prefix.Prefix ?? '', 10);
      if (Number.isSafeInteger(height) && (highest === null || height > highest)) highest = height;
    }
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken !== undefined);
  return highest;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startLakeWriter(options: LakeWriterOptions): Promise<RunningLakeWriter> {
  const { chain, s3, bucket } = options;
  if (options.createBucket ?? true) await ensureBucket(s3, bucket);
  const identity = chainIdentity(chain.config);
  const onRetry = options.onRetry ?? ((error: unknown, height: number) => process.stderr.write(`lake writer: block ${height}: ${String(error)}; retrying\n`));
  let nextHeight = options.fromHeight ?? (await highestFolder(s3, bucket)) ?? chain.earliestRetainedHeight();
  let written: number | null = null;
  let stopped = false;
  let wake: (() => void) | null = null;
  const writtenWaiters = new Set<() => void>();
  const unsubscribe = chain.onBlock(() => wake?.());

  async function writeBlock(block: ChainBlock): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        for (const file of lakeFiles(block, identity)) {
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: file.key, Body: file.body, ContentType: 'application/json' }));
        }
        return;
      } catch (error) {
        if (stopped) throw error;
        onRetry(error, block.header.height);
        await sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt));
      }
    }
  }

  const loop = (async (): Promise<void> => {
    while (!stopped) {
      if (nextHeight > chain.head().header.height) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
        continue;
      }
      const block = chain.blockAt(nextHeight);
      if (block === undefined) throw new LakeGapError(nextHeight);
      await writeBlock(block);
      written = nextHeight;
      nextHeight += 1;
      options.onBlockWritten?.(written);
      for (const notify of [...writtenWaiters]) notify();
    }
  })();
  // The loop ends only by stop() or a gap; a gap is reported to whoever awaits stop().
  loop.catch(() => undefined);

  return {
    writtenHeight: () => written,
    waitForHeight(height, timeoutMs) {
      return new Promise((resolve) => {
        const check = (): void => {
          if (written !== null && written >= height) finish(true);
        };
        const finish = (reached: boolean): void => {
          clearTimeout(timer);
          writtenWaiters.delete(check);
          resolve(reached);
        };
        const timer = setTimeout(() => finish(false), timeoutMs);
        writtenWaiters.add(check);
        check();
      });
    },
    async stop() {
      stopped = true;
      unsubscribe();
      wake?.();
      await loop.catch((error: unknown) => {
        if (error instanceof LakeGapError) throw error;
      });
    },
  };
}
