import { objectCreatedRecord } from '../../services/devnet/lake/s3-event-bridge.js';
import { S3NotificationError, blockKeyOf, classifyLakeKey, parseLakeEventsMessage } from './s3-notifications.js';

/** A record as S3 writes it (the documented notification structure, every field present). */
const record = (eventName: string, key: string, sourceIPAddress = '203.0.113.7') => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  awsRegion: 'us-east-1',
  eventTime: '2026-11-21T06:00:00.123Z',
  eventName,
  userIdentity: { principalId: 'AWS:AIDAEXAMPLEWRITER' },
  requestParameters: { sourceIPAddress },
  responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD' },
  s3: {
    s3SchemaVersion: '1.0',
    configurationId: 'lake-events',
    bucket: { name: 'lake', ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: 'arn:aws:s3:::lake' },
    object: { key, size: 10, eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer: '0055AED6DCD90281E5' },
  },
});

/** SNS's envelope around a message it delivers to an SQS subscriber (raw delivery off). */
const snsEnvelope = (message: string) => ({
  Type: 'Notification',
  MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
  TopicArn: 'arn:aws:sns:us-east-1:123456789012:lake-events',
  Subject: 'Amazon S3 Notification',
  Message: message,
  Timestamp: '2026-11-21T06:00:00.456Z',
  SignatureVersion: '1',
  Signature: 'EXAMPLE',
  SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
  UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:lake-events:0',
});

function failureOf(body: string): S3NotificationError {
  try {
    parseLakeEventsMessage(body);
  } catch (error) {
    expect(error).toBeInstanceOf(S3NotificationError);
    return error as S3NotificationError;
  }
  throw new Error(`parsed: ${body}`);
}

describe('parseLakeEventsMessage', () => {
  it('returns the created objects with decoded keys and skips removals', () => {
    const body = JSON.stringify({ Records: [record('ObjectCreated:Put', '000000000001/shard_0.json'), record('ObjectRemoved:Delete', 'x'), record('ObjectCreated:Copy', 'odd+name%2Bplus.json')] });
    expect(parseLakeEventsMessage(body)).toEqual({
      kind: 'objects-created',
      objects: [
        { bucket: 'lake', key: '000000000001/shard_0.json' },
        { bucket: 'lake', key: 'odd name+plus.json' },
      ],
    });
  });

  it('reads the notifications the devnet S3 event bridge sends, keys decoded back to what was put', () => {
    const keys = ['000000000012/shard_0.json', 'odd dir/a+b=é.json'];
    const records = keys.map((key, index) =>
      objectCreatedRecord({ region: 'eu-central-1', bucket: 'devnet-lake', configurationId: 'bridge', key, size: 7, eTag: '"e"', eventTime: new Date(), sequencer: String(index) }),
    );
    expect(parseLakeEventsMessage(JSON.stringify({ Records: records }))).toEqual({
      kind: 'objects-created',
      objects: keys.map((key) => ({ bucket: 'devnet-lake', key })),
    });
  });

  it('accepts a writer that reached S3 over IPv6 (Parser alone accepts only IPv4)', () => {
    const body = JSON.stringify({ Records: [record('ObjectCreated:Put', '000000000001/shard_0.json', '2001:db8::7')] });
    expect(parseLakeEventsMessage(body)).toEqual({ kind: 'objects-created', objects: [{ bucket: 'lake', key: '000000000001/shard_0.json' }] });
  });

  it("recognises S3's test event and unwraps SNS envelopes", () => {
    const testEvent = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-11-21T06:00:00.000Z', Bucket: 'lake' });
    expect(parseLakeEventsMessage(testEvent)).toEqual({ kind: 'test-event' });
    expect(parseLakeEventsMessage(JSON.stringify(snsEnvelope(testEvent)))).toEqual({ kind: 'test-event' });
    const wrapped = JSON.stringify(snsEnvelope(JSON.stringify({ Records: [record('ObjectCreated:Put', 'k')] })));
    expect(parseLakeEventsMessage(wrapped)).toEqual({ kind: 'objects-created', objects: [{ bucket: 'lake', key: 'k' }] });
  });

  it('rejects bodies that are not S3 notifications with a typed error naming the problem', () => {
    expect(failureOf('not json').message).toMatch(/the message body is not JSON/);
    expect(failureOf('{"hello":"world"}').message).toMatch(/→ at Records/);
    expect(failureOf(JSON.stringify({ Records: [] })).message).toMatch(/→ at Records/);
    const { object: _object, ...s3WithoutObject } = record('ObjectCreated:Put', 'k').s3;
    expect(failureOf(JSON.stringify({ Records: [{ ...record('ObjectCreated:Put', 'k'), s3: s3WithoutObject }] })).message).toMatch(/Records\[0\]\.s3\.object/);
    expect(failureOf(JSON.stringify({ Records: [{ ...record('ObjectCreated:Put', 'k'), eventSource: 'aws:sqs' }] })).message).toMatch(/Records\[0\]\.eventSource/);
    // A key S3 would never send (a lone `%`): typed, so it is counted as an invalid notification.
    expect(failureOf(JSON.stringify({ Records: [record('ObjectCreated:Put', '000000000001/shard_%.json')] })).message).toMatch(/object key "000000000001\/shard_%\.json" is not URL-encoded/);
  });

  it('names what is wrong with an SNS envelope or the message inside it', () => {
    const { TopicArn: _topicArn, ...withoutTopic } = snsEnvelope('{}');
    expect(failureOf(JSON.stringify(withoutTopic)).message).toMatch(/bad SNS envelope: .*→ at TopicArn/);
    expect(failureOf(JSON.stringify(snsEnvelope('not json'))).message).toMatch(/the SNS Message is not JSON/);
    expect(failureOf(JSON.stringify(snsEnvelope('{"hello":"world"}'))).message).toMatch(/→ at Records/);
  });
});

describe('classifyLakeKey', () => {
  it('tells block files, shard files and anything else apart', () => {
    expect(classifyLakeKey('000000123456/block.json')).toEqual({ kind: 'block', height: 123456 });
    expect(classifyLakeKey('000000123456/shard_3.json')).toEqual({ kind: 'shard', height: 123456, shardId: 3 });
    for (const key of ['123456/block.json', '000000123456/shard_.json', '000000123456/shard_1.json.tmp', 'prefix/000000123456/block.json']) {
      expect(classifyLakeKey(key)).toEqual({ kind: 'other' });
    }
    expect(blockKeyOf(42)).toBe('000000000042/block.json');
  });
});
