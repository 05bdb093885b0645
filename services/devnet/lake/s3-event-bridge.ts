/**
 * S3 → SQS event notifications for the devnet, which the emulators do not deliver: the bridge reads
 * the Lake bucket's listing — when nudged (the Lake writer does after each block, as S3 notifies on
 * each put), else every `pollIntervalMs` — and, for each new `shard_*.json` of a complete block folder (one whose
 * `block.json` exists, which the writer puts last, or whose shard carries its block header: the public-lake
 * follower's single object per block, decision 0016), sends the `ObjectCreated:Put` notification S3
 * would send to the lake-events queue — one record per message, key URL-encoded, size and ETag
 * from the listing, sequencers increasing. Given several queues (one per operator), it sends each
 * notification to every one of them, as an SNS topic between the bucket and the queues would on AWS.
 */
import { HeadObjectCommand, ListObjectsV2Command, type S3Client, type _Object } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { BLOCK_HEADER_METADATA } from '../../../shared/near/lake-parser.js';
import { lakeBlockFolder } from '../../../shared/near/lake-types.js';

const DEFAULT_POLL_MS = 200;
const LIST_PAGE_SIZE = 1_000;
const SHARD_FILE = /^shard_\d+\.json$/;

export interface S3EventBridgeOptions {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly bucket: string;
  /** The lake-events queue, or several (one per operator) that each get every notification. */
  readonly queueUrl: string | readonly string[];
  readonly region: string;
  /** The notification configuration's id, as S3 puts it in each record. */
  readonly configurationId?: string;
  /** Announce blocks from this height on (default 0: everything in the bucket). */
  readonly fromHeight?: number;
  /** How long the bridge waits for a nudge before it looks anyway (default 200 ms). */
  readonly pollIntervalMs?: number;
  /** Told about a failed poll before the next one (default: stderr). */
  readonly onError?: (error: unknown) => void;
}

export interface RunningS3EventBridge {
  /** Objects announced so far (each to every queue). */
  sentCount(): number;
  /** Something was put: look at the listing now instead of at the next interval. */
  nudge(): void;
  stop(): Promise<void>;
}

/** S3 URL-encodes keys in notifications (form encoding: spaces as `+`), leaving `/` readable. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

/** One notification record, field for field as S3 writes `ObjectCreated:Put`. */
export function objectCreatedRecord(options: {
  region: string;
  bucket: string;
  configurationId: string;
  key: string;
  size: number;
  eTag: string;
  eventTime: Date;
  sequencer: string;
}): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: options.region,
    eventTime: options.eventTime.toISOString(),
    eventName: 'ObjectCreated:Put',
    userIdentity: { principalId: 'AWS:DEVNETLAKEWRITER' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(), 'x-amz-id-2': randomBytes(48).toString('base64') },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: options.configurationId,
      bucket: { name: options.bucket, ownerIdentity: { principalId: 'DEVNET' }, arn: `arn:aws:s3:::${options.bucket}` },
      object: { key: encodeEventKey(options.key), size: options.size, eTag: options.eTag.replace(/"/g, ''), sequencer: options.sequencer },
    },
  };
}

const folderOf = (key: string): string => key.slice(0, key.indexOf('/'));
const fileOf = (key: string): string => key.slice(key.indexOf('/') + 1);

export async function startS3EventBridge(options: S3EventBridgeOptions): Promise<RunningS3EventBridge> {
  const configurationId = options.configurationId ?? 'lake-events';
  const queueUrls: readonly string[] = typeof options.queueUrl === 'string' ? [options.queueUrl] : options.queueUrl;
  if (queueUrls.length === 0) throw new RangeError('the S3 event bridge needs at least one queue');
  const onError = options.onError ?? ((error: unknown) => process.stderr.write(`s3 event bridge: ${String(error)}\n`));
  // Keys sort by height (12-digit folders); everything up to the cursor has been announced.
  let cursor: string | undefined = options.fromHeight === undefined || options.fromHeight === 0 ? undefined : lakeBlockFolder(options.fromHeight - 1) + '/~';
  let sent = 0;
  let sequence = 0n;
  let stopped = false;

  const nextSequencer = (eventTime: Date): string => {
    sequence += 1n;
    return (BigInt(eventTime.getTime()) * 1_000_000n + sequence).toString(16).toUpperCase().padStart(18, '0');
  };

  async function announce(object: _Object): Promise<void> {
    const eventTime = object.LastModified ?? new Date();
    const event: S3Event = {
      Records: [
        objectCreatedRecord({
          region: options.region,
          bucket: options.bucket,
          configurationId,
          key: object.Key!,
          size: object.Size ?? 0,
          eTag: object.ETag ?? '',
          eventTime,
          sequencer: nextSequencer(eventTime),
        }),
      ],
    };
    // One failed send fails the poll, which announces the folder again to every queue: at least once, as S3
    // notifications are; the indexer's requests ledger makes a repeated notification harmless.
    const body = JSON.stringify(event);
    await Promise.all(queueUrls.map((queueUrl) => options.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }))));
    sent += 1;
  }

  /** A listed folder is complete once block.json is in it, or a shard that carries the block's header (the follower's). */
  async function isComplete(files: readonly _Object[]): Promise<boolean> {
    if (files.some((object) => fileOf(object.Key!) === 'block.json')) return true;
    for (const object of files) {
      if (!SHARD_FILE.test(fileOf(object.Key!))) continue;
      const head = await options.s3.send(new HeadObjectCommand({ Bucket: options.bucket, Key: object.Key! }));
      if (head.Metadata?.[BLOCK_HEADER_METADATA.height] !== undefined) return true;
    }
    return false;
  }

  /** Announces every complete folder after the cursor; stops at the first incomplete one. */
  async function poll(): Promise<void> {
    for (;;) {
      const page = await options.s3.send(new ListObjectsV2Command({ Bucket: options.bucket, StartAfter: cursor, MaxKeys: LIST_PAGE_SIZE }));
      const objects = (page.Contents ?? []).filter((object) => object.Key?.includes('/'));
      const folders = new Map<string, _Object[]>();
      for (const object of objects) folders.set(folderOf(object.Key!), [...(folders.get(folderOf(object.Key!)) ?? []), object]);
      const names = [...folders.keys()];
      // A truncated page may have cut its last folder short; that folder waits for the next page.
      if (page.IsTruncated && names.length > 1) names.pop();
      for (const name of names) {
        const files = folders.get(name)!;
        if (!(await isComplete(files))) return;
        for (const object of files) if (SHARD_FILE.test(fileOf(object.Key!))) await announce(object);
        cursor = `${name}/~`;
      }
      if (!page.IsTruncated) return;
    }
  }

  // A nudge during a poll is kept, so the objects put meanwhile are announced right after it.
  let nudged = false;
  let wake: (() => void) | null = null;
  const nudge = (): void => {
    nudged = true;
    wake?.();
  };
  const nudgeOrInterval = (): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => wake?.(), options.pollIntervalMs ?? DEFAULT_POLL_MS);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
      if (nudged || stopped) wake();
    });

  const loop = (async (): Promise<void> => {
    while (!stopped) {
      nudged = false;
      try {
        await poll();
      } catch (error) {
        if (!stopped) onError(error);
      }
      await nudgeOrInterval();
    }
  })();

  return {
    sentCount: () => sent,
    nudge,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
