/**
 * The body of a lake-events SQS message: an S3 event notification (`{"Records": [...]}`), possibly
 * wrapped in an SNS envelope when the bucket notifies a topic the queue subscribes to, or the
 * `s3:TestEvent` S3 sends when notifications are configured. And the NEAR Lake key layout:
 * `<height12>/block.json`, `<height12>/shard_<i>.json`.
 */
import { z } from 'zod';
import { lakeBlockFolder } from '../../shared/near/lake-types.js';

/** A lake-events message that is not an S3 notification; retrying cannot fix it, so it ends in the DLQ. */
export class S3NotificationError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`lake-events message is not an S3 event notification: ${reason}`, options);
    this.name = 'S3NotificationError';
  }
}

export interface LakeObjectRef {
  readonly bucket: string;
  /** Decoded key (S3 notifications URL-encode keys, with `+` for spaces). */
  readonly key: string;
}

export type LakeEventsMessage = { readonly kind: 'test-event' } | { readonly kind: 'objects-created'; readonly objects: readonly LakeObjectRef[] };

const snsEnvelope = z.object({ Type: z.literal('Notification'), Message: z.string() });
const testEvent = z.object({ Event: z.literal('s3:TestEvent') });
const notification = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      s3: z.object({ bucket: z.object({ name: z.string().min(1) }), object: z.object({ key: z.string().min(1) }) }),
    }),
  ),
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new S3NotificationError(`not JSON (${(error as Error).message})`, { cause: error });
  }
}

export function parseLakeEventsMessage(body: string): LakeEventsMessage {
  let json = parseJson(body);
  const sns = snsEnvelope.safeParse(json);
  if (sns.success) json = parseJson(sns.data.Message);
  if (testEvent.safeParse(json).success) return { kind: 'test-event' };
  const parsed = notification.safeParse(json);
  if (!parsed.success) throw new S3NotificationError(z.prettifyError(parsed.error).replaceAll('\n', '; '));
  return {
    kind: 'objects-created',
    objects: parsed.data.Records.filter((record) => record.eventName.startsWith('ObjectCreated:')).map((record) => ({
      bucket: record.s3.bucket.name,
      key: decodeURIComponent(record.s3.object.key.replaceAll('+', ' ')),
    })),
  };
}

export type LakeKey =
  | { readonly kind: 'block'; readonly height: number }
  | { readonly kind: 'shard'; readonly height: number; readonly shardId: number }
  | { readonly kind: 'other' };

const LAKE_KEY = /^(\d{12})\/(?:(block)\.json|shard_(\d{1,6})\.json)$/;

export function classifyLakeKey(key: string): LakeKey {
  const match = LAKE_KEY.exec(key);
  if (match === null) return { kind: 'other' };
  const height = Number(match[1]);
  return match[2] === 'block' ? { kind: 'block', height } : { kind: 'shard', height, shardId: Number(match[3]) };
}

/** `<height12>/block.json`, where the block of a shard lives. */
export function blockKeyOf(height: number): string {
  return `${lakeBlockFolder(height)}/block.json`;
}
