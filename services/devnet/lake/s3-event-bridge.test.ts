import { encodeEventKey, objectCreatedRecord } from './s3-event-bridge.js';

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
