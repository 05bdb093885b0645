import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { S3Event } from 'aws-lambda';
import { encodeEventKey, objectCreatedRecord, startS3EventBridge } from './s3-event-bridge.js';

describe('S3 event notification records', () => {
  it('URL-encodes keys the way S3 notifications do', () => {
    expect(encodeEventKey('000000000012/shard_0.json')).toBe('000000000012/shard_0.json');
    expect(encodeEventKey('a b/c+d=é.json')).toBe('a+b/c%2Bd%3D%C3%A9.json');
  });

  it('builds an ObjectCreated:Put record with an unquoted ETag', () => {
    const record = objectCreatedRecord({
      region: 'us-east-1',
      bucket: 'lake',
      configurationId: 'lake-events',
      key: '000000000012/shard_0.json',
      size: 321,
      eTag: '"abc123"',
      eventTime: new Date('2026-11-21T06:00:00.000Z'),
      sequencer: '0000000000000000AB',
    });
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: '2026-11-21T06:00:00.000Z',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'lake-events',
        bucket: { name: 'lake', arn: 'arn:aws:s3:::lake' },
        object: { key: '000000000012/shard_0.json', size: 321, eTag: 'abc123', sequencer: '0000000000000000AB' },
      },
    });
  });
});

describe('S3 event bridge fan-out', () => {
  /** A bucket listing (with objects' user metadata), and an SQS that records what it is sent. */
  function fakes(keys: readonly string[], metadata: Readonly<Record<string, Record<string, string>>> = {}) {
    const sent: { queueUrl: string; body: string }[] = [];
    const s3 = {
      send: async (command: unknown) => {
        if (command instanceof HeadObjectCommand) return { Metadata: metadata[command.input.Key!] ?? {} };
        if (!(command instanceof ListObjectsV2Command)) throw new Error('unexpected S3 call');
        const after = command.input.StartAfter ?? '';
        return { Contents: keys.filter((key) => key > after).map((Key) => ({ Key, Size: 10, ETag: '"e"', LastModified: new Date(0) })), IsTruncated: false };
      },
    } as unknown as S3Client;
    const sqs = {
      send: async (command: unknown) => {
        if (!(command instanceof SendMessageCommand)) throw new Error('unexpected SQS call');
        sent.push({ queueUrl: command.input.QueueUrl!, body: command.input.MessageBody! });
        return {};
      },
    } as unknown as SQSClient;
    return { s3, sqs, sent };
  }

  async function until(condition: () => boolean): Promise<void> {
    for (let attempt = 0; attempt < 200 && !condition(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  it('sends each shard notification, the same one, to every queue', async () => {
    const keys = ['000000000001/block.json', '000000000001/shard_0.json', '000000000002/block.json', '000000000002/shard_0.json'];
    const { s3, sqs, sent } = fakes(keys);
    const queueUrls = ['http://sqs/op0-lake-events', 'http://sqs/op1-lake-events', 'http://sqs/op2-lake-events'];
    const bridge = await startS3EventBridge({ s3, sqs, bucket: 'lake', queueUrl: queueUrls, region: 'us-east-1', pollIntervalMs: 1 });
    await until(() => bridge.sentCount() >= 2);
    await bridge.stop();
    expect(bridge.sentCount()).toBe(2);
    for (const queueUrl of queueUrls) {
      const keysSent = sent.filter((message) => message.queueUrl === queueUrl).map((message) => (JSON.parse(message.body) as S3Event).Records[0]!.s3.object.key);
      expect(keysSent).toEqual(['000000000001/shard_0.json', '000000000002/shard_0.json']);
    }
    // One notification per object, fanned out: the queues get identical bodies (same sequencer and x-amz-request-id).
    const bodiesOf = (queueUrl: string) => sent.filter((message) => message.queueUrl === queueUrl).map((message) => message.body);
    expect(bodiesOf(queueUrls[1]!)).toEqual(bodiesOf(queueUrls[0]!));
    expect(bodiesOf(queueUrls[2]!)).toEqual(bodiesOf(queueUrls[0]!));
  });

  it("announces a folder without block.json once its shard carries the block header (the follower's), not before", async () => {
    const keys = ['000000000001/block.json', '000000000001/shard_0.json', '000000000002/shard_3.json', '000000000003/shard_3.json', '000000000004/shard_3.json'];
    // 2 and 4 come from the follower (header attached); 3 is a writer's folder still without its block.json.
    const header = { 'near-block-height': '2', 'near-block-hash': 'h', 'near-block-timestamp-nanosec': '1', 'near-block-random-value': 'r' };
    const { s3, sqs, sent } = fakes(keys, { '000000000002/shard_3.json': header, '000000000004/shard_3.json': { ...header, 'near-block-height': '4' } });
    const bridge = await startS3EventBridge({ s3, sqs, bucket: 'lake', queueUrl: 'http://sqs/lake-events', region: 'us-east-1', pollIntervalMs: 1 });
    await until(() => bridge.sentCount() >= 2);
    // Several more polls: folder 3 stays incomplete, so nothing after it is announced either.
    await new Promise((resolve) => setTimeout(resolve, 30));
    await bridge.stop();
    expect(sent.map((message) => (JSON.parse(message.body) as S3Event).Records[0]!.s3.object.key)).toEqual(['000000000001/shard_0.json', '000000000002/shard_3.json']);
  });

  it('needs at least one queue', async () => {
    const { s3, sqs } = fakes([]);
    await expect(startS3EventBridge({ s3, sqs, bucket: 'lake', queueUrl: [], region: 'us-east-1' })).rejects.toThrow(RangeError);
  });
});
