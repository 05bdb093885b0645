/** Reads Lake files from S3 with a size bound: an oversized object is refused without downloading it. */
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import type { LakeObjectRef } from './s3-notifications.js';

/** The object named by an event (or the block.json beside a shard) is not in the bucket. */
export class LakeObjectMissing extends Error {
  constructor(readonly object: LakeObjectRef, options?: { cause?: unknown }) {
    super(`Lake object s3://${object.bucket}/${object.key} does not exist`, options);
    this.name = 'LakeObjectMissing';
  }
}

/** The object is over the configured size limit; it is not read. */
export class LakeObjectTooLarge extends Error {
  constructor(
    readonly object: LakeObjectRef,
    /** Undefined when S3 did not say and reading stopped at the limit. */
    readonly size: number | undefined,
    readonly limit: number,
  ) {
    super(`Lake object s3://${object.bucket}/${object.key} is ${size === undefined ? 'larger than' : `${size} bytes, over`} the ${limit}-byte limit`);
    this.name = 'LakeObjectTooLarge';
  }
}

/** An object's bytes and its S3 user metadata (names lowercase, without `x-amz-meta-`). */
export interface LakeObjectContent {
  readonly bytes: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface LakeObjectSource {
  read(object: LakeObjectRef, maxBytes: number): Promise<LakeObjectContent>;
}

export class S3LakeBucket implements LakeObjectSource {
  constructor(private readonly s3: S3Client) {}

  async read(object: LakeObjectRef, maxBytes: number): Promise<LakeObjectContent> {
    let response;
    try {
      response = await this.s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }));
    } catch (error) {
      if (error instanceof NoSuchKey) throw new LakeObjectMissing(object, { cause: error });
      throw error;
    }
    const body = response.Body as (AsyncIterable<Uint8Array> & { destroy(): void }) | undefined;
    if (body === undefined) throw new LakeObjectMissing(object);
    if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
      body.destroy();
      throw new LakeObjectTooLarge(object, response.ContentLength, maxBytes);
    }
    // The length header is advisory for chunked responses: count while reading as well.
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        body.destroy();
        throw new LakeObjectTooLarge(object, undefined, maxBytes);
      }
      chunks.push(chunk);
    }
    return { bytes: Buffer.concat(chunks, size), metadata: response.Metadata ?? {} };
  }
}
