import { CheckpointCorrupt, decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';

describe('checkpoint encoding', () => {
  const checkpoint = { height: 123_456_789, hash: 'Fq3y8…hash', epochId: 'epoch-1', shardId: 11 };

  it('reads back what it wrote', () => {
    const text = encodeCheckpoint(checkpoint, new Date('2026-12-01T10:00:00Z'));
    expect(JSON.parse(text)).toEqual({ version: 1, ...checkpoint, writtenAt: '2026-12-01T10:00:00.000Z' });
    expect(decodeCheckpoint(text)).toEqual(checkpoint);
  });

  it('refuses anything else rather than guess where to resume', () => {
    expect(() => decodeCheckpoint('{')).toThrow(CheckpointCorrupt);
    expect(() => decodeCheckpoint(JSON.stringify({ version: 2, ...checkpoint, writtenAt: 'x' }))).toThrow(CheckpointCorrupt);
    expect(() => decodeCheckpoint(JSON.stringify({ version: 1, ...checkpoint, height: -1, writtenAt: 'x' }))).toThrow(/height/);
    expect(() => decodeCheckpoint(JSON.stringify({ version: 1, ...checkpoint, writtenAt: 'x', extra: 1 }))).toThrow(CheckpointCorrupt);
  });
});
