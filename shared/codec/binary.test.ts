import fc from 'fast-check';
import { DecodeError } from '../crypto/errors.js';
import { ByteReader, ByteWriter, readHeader, writeHeader, WIRE_VERSION } from './binary.js';

describe('binary codec', () => {
  it('round-trips u8, u32, fixed and length-prefixed bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.nat({ max: 0xffffffff }), fc.uint8Array({ maxLength: 64 }), (a, b, bytes) => {
        const encoded = new ByteWriter(1).u8(a).u32(b).bytes(bytes).fixed(bytes).finish();
        const reader = new ByteReader(encoded, 'test');
        expect([reader.u8(), reader.u32(), reader.bytes(64), reader.fixed(bytes.length)]).toEqual([a, b, bytes, bytes]);
        reader.end();
      }),
    );
  });

  it('turns any truncation or random bytes into a DecodeError, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        try {
          const reader = new ByteReader(bytes, 'random');
          readHeader(reader, [1, 2]);
          reader.bytes(16);
          reader.u32();
          reader.end();
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });

  it('rejects an unknown version, an unknown tag, oversize lengths and trailing bytes', () => {
    expect(() => readHeader(new ByteReader(Uint8Array.of(WIRE_VERSION + 1, 1), 'm'), [1])).toThrow(/wire version/);
    expect(() => readHeader(new ByteReader(Uint8Array.of(WIRE_VERSION, 9), 'm'), [1])).toThrow(/unknown message tag 9/);
    expect(() => new ByteReader(new ByteWriter().bytes(new Uint8Array(10)).finish(), 'm').bytes(4)).toThrow(/exceeds the limit/);
    const trailing = new ByteReader(writeHeader(new ByteWriter(), 1).u8(0).finish(), 'm');
    readHeader(trailing, [1]);
    expect(() => trailing.end()).toThrow(/1 trailing bytes/);
  });
});
