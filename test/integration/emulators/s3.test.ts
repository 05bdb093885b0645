import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { localAwsFromEnvironment } from '../../support/local-aws.js';

const heightKey = (height: number): string => String(height).padStart(12, '0');

// Runs against fauxqs's S3 started by the global setup; no emulator, no pass.
describe('S3 (fauxqs) smoke with the NEAR Lake key layout', () => {
  const local = localAwsFromEnvironment();
  const s3 = new S3Client({ region: local.region, endpoint: local.s3, forcePathStyle: true });
  const bucket = `lake-${randomUUID().slice(0, 8)}`;
  const heights = [1000, 1001, 1003];

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const height of heights) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${heightKey(height)}/block.json`, Body: JSON.stringify({ header: { height } }) }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${heightKey(height)}/shard_0.json`, Body: JSON.stringify({ shard_id: 0 }) }));
    }
  });

  afterAll(() => s3.destroy());

  it('gets back what was put', async () => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${heightKey(1001)}/block.json` }));
    expect(JSON.parse(await object.Body!.transformToString())).toEqual({ header: { height: 1001 } });
  });

  it('lists block folders from a height the way near-lake-framework does', async () => {
    // StartAfter is the bare height, so that height's own folder ("…1001/" > "…1001") is listed too.
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', StartAfter: heightKey(1001), MaxKeys: 200 }));
    expect(listed.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual([`${heightKey(1001)}/`, `${heightKey(1003)}/`]);
  });

  it('paginates a listing', async () => {
    const first = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: heightKey(1000).slice(0, 9), MaxKeys: 4 }));
    expect(first.Contents).toHaveLength(4);
    expect(first.IsTruncated).toBe(true);
    const second = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: heightKey(1000).slice(0, 9), MaxKeys: 4, ContinuationToken: first.NextContinuationToken }),
    );
    expect(second.Contents?.map((object) => object.Key)).toEqual([`${heightKey(1003)}/block.json`, `${heightKey(1003)}/shard_0.json`]);
  });
});
