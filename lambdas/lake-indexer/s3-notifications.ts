/**
 * The body of a lake-events SQS message: an S3 event notification (`{"Records": [...]}`), possibly
 * wrapped in an SNS envelope when the bucket notifies a topic the queue subscribes to, or the
 * `s3:TestEvent` S3 sends when notifications are configured. And the NEAR Lake key layout:
 * `<height12>/block.json`, `<height12>/shard_<i>.json`.
 *
 * The notification and envelope shapes are Powertools Parser's schemas (decision 0013), with one
 * field widened (see {@link lakeNotificationSchema}); Parser has none for the test event.
 */
// The per-service entry points keep the Lambda bundle to the two schemas used (the index pulls in all of them).
import { S3Schema } from '@aws-lambda-powertools/parser/schemas/s3';
import { SnsSqsNotificationSchema } from '@aws-lambda-powertools/parser/schemas/sns';
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

const s3Record = S3Schema.shape.Records.element;
/**
 * Parser's S3Schema, except that `sourceIPAddress` may be any string: Parser accepts only IPv4 (or
 * `s3.amazonaws.com`), so a Lake writer reaching S3 over IPv6 (dual-stack endpoint) would turn every
 * notification into a dead letter, and the indexer never reads the field.
 */
const lakeNotificationSchema = S3Schema.extend({
  Records: z.array(s3Record.extend({ requestParameters: z.object({ sourceIPAddress: z.string() }) })).min(1),
});
const testEventSchema = z.object({ Event: z.literal('s3:TestEvent') });

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new S3NotificationError(`${what} is not JSON (${(error as Error).message})`, { cause: error });
  }
}

function describeIssues(error: z.ZodError): string {
  return z.prettifyError(error).replaceAll('\n', '; ');
}

/** S3 notifications carry no top-level `Type`; SNS envelopes always do. */
function isSnsEnvelope(json: unknown): boolean {
  return typeof json === 'object' && json !== null && 'Type' in json;
}

export function parseLakeEventsMessage(body: string): LakeEventsMessage {
  let json = parseJson(body, 'the message body');
  if (isSnsEnvelope(json)) {
    const envelope = SnsSqsNotificationSchema.safeParse(json);
    if (!envelope.success) throw new S3NotificationError(`bad SNS envelope: ${describeIssues(envelope.error)}`);
    json = parseJson(envelope.data.Message, 'the SNS Message');
  }
  if (testEventSchema.safeParse(json).success) return { kind: 'test-event' };
  const parsed = lakeNotificationSchema.safeParse(json);
  if (!parsed.success) throw new S3NotificationError(describeIssues(parsed.error));
  return {
    kind: 'objects-created',
    objects: parsed.data.Records.filter((record) => record.eventName.startsWith('ObjectCreated:')).map((record) => ({
      bucket: record.s3.bucket.name,
      key: decodeObjectKey(record.s3.object.key),
    })),
  };
}

/** S3 notifications URL-encode keys, with `+` for spaces; a key that does not decode is not a notification S3 sent. */
function decodeObjectKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replaceAll('+', ' '));
  } catch (error) {
    throw new S3NotificationError(`object key ${JSON.stringify(encoded)} is not URL-encoded (${(error as Error).message})`, { cause: error });
  }
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
