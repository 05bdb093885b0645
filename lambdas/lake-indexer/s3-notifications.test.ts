import { S3NotificationError, blockKeyOf, classifyLakeKey, parseLakeEventsMessage } from './s3-notifications.js';

const record = (eventName: string, key: string) => ({ eventName, s3: { bucket: { name: 'lake' }, object: { key, size: 10 } }, eventVersion: '2.1' });

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

  it("recognises S3's test event and unwraps SNS envelopes", () => {
    const testEvent = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-11-21T06:00:00.000Z', Bucket: 'lake' });
    expect(parseLakeEventsMessage(testEvent)).toEqual({ kind: 'test-event' });
    const wrapped = JSON.stringify({ Type: 'Notification', MessageId: 'm', Message: JSON.stringify({ Records: [record('ObjectCreated:Put', 'k')] }) });
    expect(parseLakeEventsMessage(wrapped)).toEqual({ kind: 'objects-created', objects: [{ bucket: 'lake', key: 'k' }] });
  });

  it('rejects bodies that are not S3 notifications with a typed error naming the problem', () => {
    expect(() => parseLakeEventsMessage('not json')).toThrow(S3NotificationError);
    expect(() => parseLakeEventsMessage('{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"}}}]}')).toThrow(/Records\[0\]\.s3\.object/);
    expect(() => parseLakeEventsMessage('{"hello":"world"}')).toThrow(/Records/);
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
