// The follower's S3 side against fauxqs: every request to the stand-in public lake says the requester pays
// (NEAR's Lake buckets refuse other accounts' GETs and LISTs without it), none to the operator's bucket does;
// only the needed objects land in the operator's bucket; the checkpoint round-trips through S3.
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { HttpRequest } from '@smithy/types';
import { randomUUID } from 'node:crypto';
import { deleteBucket } from '../../../services/devnet/network/aws-resources.js';
import { LakeFollower, type FollowerLogger } from '../../../services/lake-follower/follower.js';
import { FollowerMetrics } from '../../../services/lake-follower/metrics.js';
import { S3OperatorLake, S3PublicLake } from '../../../services/lake-follower/s3-lakes.js';
import { parseShardLayout } from '../../../services/lake-follower/shard-layout.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';
import { acceptedSign, blockFile, ecdsaArgs, MPC_CONTRACT, shardFile, signCallback } from '../lake-indexer/lake-fixtures.js';

interface SentRequest {
  readonly command: string;
  readonly bucket: string;
  readonly requestPayer: string | undefined;
}

/** An S3 client for the emulator that records each request as it goes on the wire. */
function recordingClient(sent: SentRequest[]): S3Client {
  const aws = localAwsFromEnvironment();
  const client = new S3Client({ region: aws.region, endpoint: aws.s3, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as HttpRequest;
      sent.push({ command: context.commandName as string, bucket: request.path.split('/')[1] ?? '', requestPayer: request.headers['x-amz-request-payer'] });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'recordRequests' },
  );
  return client;
}

const silent: FollowerLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const folder = (height: number) => String(height).padStart(12, '0');

describe('lake follower on S3 (fauxqs)', () => {
  const suffix = randomUUID().slice(0, 8);
  const publicBucket = `lf-public-${suffix}`;
  const operatorBucket = `lf-operator-${suffix}`;
  const sent: SentRequest[] = [];
  let s3: S3Client;

  beforeAll(async () => {
    s3 = recordingClient(sent);
    for (const bucket of [publicBucket, operatorBucket]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    // Blocks 100–105 on one shard; the contract is active at 101 (a sign) and 104 (its callback, an answer: not copied).
    for (let height = 100; height <= 105; height += 1) {
      const outcomes = height === 101 ? [acceptedSign(101, 'a', 'alice.near', ecdsaArgs('p', '33'.repeat(32)))] : height === 104 ? [signCallback(104, 'a', 'answered')] : [];
      await s3.send(new PutObjectCommand({ Bucket: publicBucket, Key: `${folder(height)}/shard_0.json`, Body: JSON.stringify(shardFile(height, 0, outcomes)) }));
      await s3.send(new PutObjectCommand({ Bucket: publicBucket, Key: `${folder(height)}/block.json`, Body: JSON.stringify(blockFile(height)) }));
    }
    sent.length = 0;
  });

  afterAll(async () => {
    for (const bucket of [publicBucket, operatorBucket]) await deleteBucket(s3, bucket).catch(() => undefined);
    s3.destroy();
  });

  function startFollower(startHeight: number) {
    return new LakeFollower({
      contractId: MPC_CONTRACT,
      publicLake: new S3PublicLake(s3, publicBucket, 1 << 20),
      operatorLake: new S3OperatorLake(s3, operatorBucket, 'lake-follower/checkpoint'),
      chain: { shardLayoutAt: async () => parseShardLayout({ V0: { num_shards: 1, version: 0 } }), finalHeight: async () => startHeight },
      metrics: new FollowerMetrics(),
      logger: silent,
      startHeight,
      // List at once when a height is absent, so the run below needs no clock.
      listAfterMs: 0,
      maxListIntervalMs: 0,
      checkpointIntervalMs: 0,
      maxObjectBytes: 1 << 20,
    });
  }

  async function keysOf(bucket: string): Promise<string[]> {
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    return Contents.map((object) => object.Key!).sort();
  }

  it('asks the public lake as the paying requester, copies only the active blocks and resumes from its checkpoint', async () => {
    const first = startFollower(99);
    await first.start();
    const handled: number[] = [];
    for (let step = 0; step < 3; step += 1) {
      const result = await first.step();
      if (result.kind === 'handled') handled.push(result.height);
    }
    // Height 99 is not in the lake: the first step lists, finds 100 onwards and handles 100.
    expect(handled).toEqual([100, 101, 102]);
    await first.checkpoint(true);

    const second = startFollower(0);
    await second.start();
    for (let result = await second.step(); result.kind === 'handled'; result = await second.step()) handled.push(result.height);
    expect(handled).toEqual([100, 101, 102, 103, 104, 105]);

    expect(await keysOf(operatorBucket)).toEqual([`${folder(101)}/shard_0.json`, 'lake-follower/checkpoint']);
    const copied = await s3.send(new HeadObjectCommand({ Bucket: operatorBucket, Key: `${folder(101)}/shard_0.json` }));
    expect(copied.Metadata).toMatchObject({ 'near-block-height': '101' });
    const toPublic = sent.filter((request) => request.bucket === publicBucket);
    expect(new Set(toPublic.map((request) => request.command))).toEqual(new Set(['GetObjectCommand', 'ListObjectsV2Command']));
    expect(toPublic.filter((request) => request.requestPayer !== 'requester')).toEqual([]);
    const toOperator = sent.filter((request) => request.bucket === operatorBucket);
    expect(toOperator.filter((request) => request.command === 'PutObjectCommand')).toHaveLength(1 + 1);
    expect(toOperator.filter((request) => request.requestPayer !== undefined)).toEqual([]);
    expect(second.lastHandled()).toMatchObject({ height: 105, shardId: 0 });
  });
});
