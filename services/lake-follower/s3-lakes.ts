/**
 * The two buckets over the AWS SDK. NEAR's public Lake buckets are requester-pays: S3 refuses a GET or
 * LIST from another account unless the request says the requester pays (`x-amz-request-payer:
 * requester`), so every call to the public bucket carries `RequestPayer: 'requester'`.
 */
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { lakeBlockFolder } from '../../shared/near/lake-types.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint.js';
import type { OperatorLake, PublicLake } from './ports.js';

/** An object over the size bound; it is not read (a retry will not change it, the step fails loudly). */
export class LakeObjectOversize extends Error {
  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly limit: number,
  ) {
    super(`s3://${bucket}/${key} is larger than ${limit} bytes`);
    this.name = 'LakeObjectOversize';
  }
}

const BLOCK_FOLDER = /^(\d{12})\//;
/** Sorts after every file name in a block folder, so listing from `<folder>/~` starts at the next folder. */
const afterFolder = (height: number): string => `${lakeBlockFolder(height)}/~`;

async function getBytes(s3: S3Client, input: { Bucket: string; Key: string; RequestPayer?: 'requester' }, maxBytes: number): Promise<Uint8Array | null> {
  let response;
  try {
    response = await s3.send(new GetObjectCommand(input));
  } catch (error) {
    if (error instanceof NoSuchKey) return null;
    throw error;
  }
  if (response.Body === undefined) return null;
  if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
    (response.Body as { destroy?: () => void }).destroy?.();
    throw new LakeObjectOversize(input.Bucket, input.Key, maxBytes);
  }
  const bytes = await response.Body.transformToByteArray();
  if (bytes.byteLength > maxBytes) throw new LakeObjectOversize(input.Bucket, input.Key, maxBytes);
  return bytes;
}

export class S3PublicLake implements PublicLake {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly maxObjectBytes: number,
  ) {}

  get(key: string): Promise<Uint8Array | null> {
    return getBytes(this.s3, { Bucket: this.bucket, Key: key, RequestPayer: 'requester' }, this.maxObjectBytes);
  }

  async listHeightsAfter(afterHeight: number | null, limit: number): Promise<number[]> {
    const page = await this.s3.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Delimiter: '/',
        MaxKeys: limit,
        RequestPayer: 'requester',
        ...(afterHeight === null ? {} : { StartAfter: afterFolder(afterHeight) }),
      }),
    );
    return (page.CommonPrefixes ?? []).flatMap(({ Prefix }) => {
      const match = BLOCK_FOLDER.exec(Prefix ?? '');
      return match === null ? [] : [Number(match[1])];
    });
  }
}

export class S3OperatorLake implements OperatorLake {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly checkpointKey: string,
  ) {}

  async put(key: string, body: Uint8Array, metadata: Readonly<Record<string, string>>): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json', Metadata: { ...metadata } }));
  }

  async blockKeysAbove(height: number): Promise<Set<string>> {
    const keys = new Set<string>();
    let continuationToken: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, StartAfter: afterFolder(height), ContinuationToken: continuationToken }));
      for (const { Key } of page.Contents ?? []) if (Key !== undefined && BLOCK_FOLDER.test(Key)) keys.add(Key);
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
    return keys;
  }

  async readCheckpoint(): Promise<Checkpoint | null> {
    const bytes = await getBytes(this.s3, { Bucket: this.bucket, Key: this.checkpointKey }, 64 * 1024);
    return bytes === null ? null : decodeCheckpoint(new TextDecoder().decode(bytes));
  }

  async writeCheckpoint(checkpoint: Checkpoint): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.checkpointKey, Body: encodeCheckpoint(checkpoint, new Date()), ContentType: 'application/json' }));
  }
}
