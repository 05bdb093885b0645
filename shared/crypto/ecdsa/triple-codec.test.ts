import fc from 'fast-check';
import { DecodeError } from '../errors.js';
import { SECP256K1 } from '../group.js';
import { dealTriple } from './test-fixtures.js';
import { decodeTriple, encodeTriple, TRIPLE_RECORD_TAG, TRIPLE_RECORD_VERSION } from './triple-codec.js';
import type { Triple } from './triple.js';

const points = [1n, 2n, 3n, 7n].map((k) => SECP256K1.scaleBase(k).toBytes(true));
const point = fc.constantFrom(...points);
const scalar = fc.bigInt({ min: 0n, max: SECP256K1.Fn.ORDER - 1n });
const triple: fc.Arbitrary<Triple> = fc
  .uniqueArray(fc.integer({ min: 0, max: 0xffff_ffff }), { minLength: 1, maxLength: 12 })
  .chain((ids) =>
    fc.record({
      participants: fc.constant([...ids].sort((a, b) => a - b)),
      threshold: fc.integer({ min: 1, max: ids.length }),
      bigA: point,
      bigB: point,
      bigC: point,
      a: scalar,
      b: scalar,
      c: scalar,
    }),
  )
  .map(({ a, b, c, ...pub }) => ({ share: { a, b, c }, pub }));

function decodesOrThrowsDecodeError(bytes: Uint8Array): void {
  try {
    decodeTriple(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
  }
}

describe('triple storage record', () => {
  it('round-trips a dealt triple share', () => {
    const shares = dealTriple([0, 3, 5], 2);
    for (const share of shares.values()) expect(decodeTriple(encodeTriple(share))).toEqual(share);
  });

  it('round-trips any well-formed triple', () => {
    fc.assert(
      fc.property(triple, (t) => {
        const bytes = encodeTriple(t);
        expect(bytes[0]).toBe(TRIPLE_RECORD_VERSION);
        expect(bytes[1]).toBe(TRIPLE_RECORD_TAG);
        expect(decodeTriple(bytes)).toEqual(t);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses every truncation and trailing garbage with a DecodeError', () => {
    const bytes = encodeTriple(dealTriple([0, 1], 2).get(0)!);
    for (let length = 0; length < bytes.length; length += 1) expect(() => decodeTriple(bytes.subarray(0, length))).toThrow(DecodeError);
    expect(() => decodeTriple(Uint8Array.from([...bytes, 0]))).toThrow(DecodeError);
  });

  it('refuses another version, another tag, a bad threshold, unsorted participants, a bad point and a scalar ≥ n', () => {
    const good = encodeTriple(dealTriple([0, 1], 2).get(1)!);
    const patched = (at: number, ...values: number[]): Uint8Array => {
      const copy = good.slice();
      copy.set(values, at);
      return copy;
    };
    expect(() => decodeTriple(patched(0, 2))).toThrow(/record version 2/);
    expect(() => decodeTriple(patched(1, 0x10))).toThrow(/record tag/);
    expect(() => decodeTriple(patched(2, 3, 0, 0, 0))).toThrow(/threshold 3 for 2/);
    expect(() => decodeTriple(patched(2, 0, 0, 0, 0))).toThrow(/threshold 0/);
    expect(() => decodeTriple(patched(10, 0, 0, 0, 0, 0, 0, 0, 0))).toThrow(/ascending/);
    expect(() => decodeTriple(patched(18, 0x05))).toThrow(/not a secp256k1 point/);
    const scalarAt = 18 + 3 * 33;
    expect(() => decodeTriple(patched(scalarAt, ...new Array<number>(32).fill(0xff)))).toThrow(/group order/);
    expect(() => decodeTriple(patched(6, 0xff, 0xff, 0xff, 0xff))).toThrow(DecodeError);
  });

  it('never throws anything but DecodeError on hostile bytes', () => {
    const hostile = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map((body) => new Uint8Array([TRIPLE_RECORD_VERSION, TRIPLE_RECORD_TAG, ...body])),
    );
    fc.assert(fc.property(hostile, (bytes) => decodesOrThrowsDecodeError(bytes)), { numRuns: 500 });
  });

  it('the encoder refuses a triple it could not read back', () => {
    const t = dealTriple([0, 1], 2).get(0)!;
    expect(() => encodeTriple({ ...t, pub: { ...t.pub, participants: [1, 0] } })).toThrow(RangeError);
    expect(() => encodeTriple({ ...t, pub: { ...t.pub, threshold: 3 } })).toThrow(RangeError);
  });
});
