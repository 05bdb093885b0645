import fc from 'fast-check';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, numberToBytesBE } from '@noble/curves/utils.js';
import {
  addGeneratorMultiple,
  addPoints,
  compressPoint,
  decompressPoint,
  isPoint,
  linearCombination,
  multiplyGenerator,
  multiplyPublic,
  multiplySecret,
  negatePoint,
  recoverPublicKey,
  Secp256k1OperationError,
  SECP256K1_ORDER,
} from './libsecp256k1.js';

// Every libsecp256k1 operation against noble's arithmetic, the oracle.
const Point = secp256k1.Point;
const n = SECP256K1_ORDER;
const hex = (bytes: Uint8Array | undefined) => (bytes === undefined ? 'identity' : bytesToHex(bytes));
const nobleHex = (point: InstanceType<typeof Point>) => (point.is0() ? 'identity' : point.toHex(false));

const scalar = fc.oneof(fc.bigInt({ min: 1n, max: n - 1n }), fc.constantFrom(1n, 2n, n - 1n, n - 2n, 1n << 128n, (1n << 128n) - 1n, n >> 1n));
const point = fc.bigInt({ min: 1n, max: n - 1n }).map((s) => Point.BASE.multiply(s));
const anyScalar = fc.oneof(scalar, fc.constant(0n), fc.bigInt({ min: -(n * 3n), max: n * 3n }));

describe('libsecp256k1 operations agree with noble', () => {
  it('k·G and k·P, constant time and variable time', () => {
    fc.assert(
      fc.property(scalar, point, (k, p) => {
        expect(hex(multiplyGenerator(k))).toBe(Point.BASE.multiply(k).toHex(false));
        const expected = p.multiply(k).toHex(false);
        expect(hex(multiplySecret(p.toBytes(false), k))).toBe(expected);
        expect(hex(multiplySecret(p.toBytes(true), k))).toBe(expected);
        expect(hex(multiplyPublic(p.toBytes(false), k))).toBe(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('sums (including sums that are the identity), negation, P + k·G', () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 6 }), fc.bigInt({ min: 0n, max: n - 1n }), (points, k) => {
        const expected = points.reduce((sum, p) => sum.add(p), Point.ZERO);
        expect(hex(addPoints(points.map((p) => p.toBytes(false))))).toBe(nobleHex(expected));
        expect(hex(addPoints([...points, points[0]!.negate()].map((p) => p.toBytes(true))))).toBe(nobleHex(expected.subtract(points[0]!)));
        expect(addPoints([points[0]!.toBytes(false), negatePoint(points[0]!.toBytes(false))])).toBeUndefined();
        expect(hex(negatePoint(points[0]!.toBytes(true)))).toBe(points[0]!.negate().toHex(false));
        expect(hex(addGeneratorMultiple(points[0]!.toBytes(true), k))).toBe(nobleHex(points[0]!.add(k === 0n ? Point.ZERO : Point.BASE.multiply(k))));
      }),
      { numRuns: 40 },
    );
    expect(addPoints([])).toBeUndefined();
  });

  it('linear combinations with any integer scalars, zero and cancelling terms', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(point, anyScalar), { minLength: 1, maxLength: 8 }), (terms) => {
        const expected = terms.reduce((sum, [p, s]) => sum.add(p.multiplyUnsafe(Point.Fn.create(s))), Point.ZERO);
        const points = terms.map(([p]) => p.toBytes(false));
        expect(hex(linearCombination(points, terms.map(([, s]) => s)))).toBe(nobleHex(expected));
        // The same point with opposite scalars cancels to the identity.
        expect(linearCombination([points[0]!, points[0]!], [5n, -5n])).toBeUndefined();
      }),
      { numRuns: 30 },
    );
  });

  it('compression both ways', () => {
    fc.assert(
      fc.property(point, (p) => {
        expect(hex(compressPoint(p.toBytes(false)))).toBe(p.toHex(true));
        expect(hex(decompressPoint(p.toBytes(true)))).toBe(p.toHex(false));
      }),
      { numRuns: 30 },
    );
  });

  it('accepts exactly the encodings noble accepts', () => {
    const nobleAccepts = (bytes: Uint8Array) => {
      try {
        Point.fromBytes(bytes);
        return true;
      } catch {
        return false;
      }
    };
    const valid = Point.BASE.multiply(987654321n);
    const hybrid = valid.toBytes(false);
    hybrid[0] = 0x06 | Number(valid.toAffine().y & 1n);
    const xAboveP = Uint8Array.of(0x02, ...numberToBytesBE(Point.Fp.ORDER + 1n, 32).subarray(0, 32));
    const offCurve = valid.toBytes(false);
    offCurve[64]! ^= 1;
    const candidates = [valid.toBytes(true), valid.toBytes(false), hybrid, xAboveP, offCurve, new Uint8Array(33), new Uint8Array(65), valid.toBytes(true).subarray(0, 32)];
    for (const bytes of candidates) expect(isPoint(bytes)).toBe(nobleAccepts(bytes));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 33, maxLength: 33 }), fc.uint8Array({ minLength: 65, maxLength: 65 })), fc.constantFrom(2, 3, 4, 6, 7), (bytes, prefix) => {
        bytes[0] = prefix;
        expect(isPoint(bytes)).toBe(nobleAccepts(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it('ecrecover gives the key noble recovers, for every recovery id', () => {
    fc.assert(
      fc.property(scalar, fc.uint8Array({ minLength: 32, maxLength: 32 }), (secret, digest) => {
        const signature = secp256k1.Signature.fromBytes(secp256k1.sign(digest, numberToBytesBE(secret, 32), { prehash: false, format: 'recovered' }), 'recovered');
        const compact = signature.toBytes('compact');
        expect(hex(recoverPublicKey(compact, signature.recovery!, digest))).toBe(Point.BASE.multiply(secret).toHex(true));
        for (const other of [0, 1, 2, 3].filter((id) => id !== signature.recovery)) {
          let expected: string;
          try {
            expected = signature.addRecoveryBit(other).recoverPublicKey(digest).toHex(true);
          } catch {
            expected = 'identity';
          }
          expect(hex(recoverPublicKey(compact, other, digest))).toBe(expected);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('refuses scalars outside [1, n) for multiplications and invalid points, with a typed error', () => {
    for (const bad of [0n, n, n + 1n, -1n]) {
      expect(() => multiplyGenerator(bad)).toThrow(Secp256k1OperationError);
      expect(() => multiplySecret(Point.BASE.toBytes(false), bad)).toThrow(Secp256k1OperationError);
      expect(() => multiplyPublic(Point.BASE.toBytes(false), bad)).toThrow(Secp256k1OperationError);
    }
    const offCurve = Point.BASE.toBytes(false);
    offCurve[64]! ^= 1;
    expect(() => multiplySecret(offCurve, 5n)).toThrow(Secp256k1OperationError);
    expect(() => addPoints([offCurve])).toThrow(Secp256k1OperationError);
  });
});
