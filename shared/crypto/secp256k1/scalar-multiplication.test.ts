import fc from 'fast-check';
import { pippenger } from '@noble/curves/abstract/curve.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { randomScalar, SECP256K1 } from '../group.js';
import { multiplySecret } from './glv-multiply.js';
import { multiScalarMultiply } from './msm.js';
import { multiplyBase } from './base-multiply.js';

describe('GLV secret multiplication', () => {
  it('agrees with noble on random points and scalars, including edge scalars', () => {
    const scalar = fc.oneof(fc.bigInt({ min: 1n, max: SECP256K1.Fn.ORDER - 1n }), fc.constantFrom(1n, 2n, SECP256K1.Fn.ORDER - 1n, 1n << 128n));
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: SECP256K1.Fn.ORDER - 1n }), scalar, (base, k) => {
        const point = SECP256K1.scaleBase(base).double();
        expect(multiplySecret(point, k).equals(point.multiply(k))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('refuses scalars outside [1, n)', () => {
    expect(() => multiplySecret(SECP256K1.generator, 0n)).toThrow(RangeError);
    expect(() => multiplySecret(SECP256K1.generator, SECP256K1.Fn.ORDER)).toThrow(RangeError);
  });
});

describe('multi-scalar multiplication', () => {
  it('agrees with noble pippenger for full, short and zero scalars', () => {
    const points = Array.from({ length: 40 }, (_, i) => SECP256K1.scaleBase(BigInt(i) * 7919n + 3n));
    const scalars = points.map((_, i) => (i % 3 === 0 ? randomScalar(SECP256K1.Fn) : i % 3 === 1 ? BigInt(i) << 100n : 0n));
    scalars[1] = SECP256K1.Fn.ORDER - 1n;
    expect(multiScalarMultiply(points, scalars).equals(pippenger(secp256k1.Point, points, scalars))).toBe(true);
    expect(multiScalarMultiply([], []).is0()).toBe(true);
    // Few points (the smallest window) with scalars just below 2¹²⁸, where signed digits carry out.
    const top = (1n << 128n) - 1n;
    expect(multiScalarMultiply(points.slice(0, 2), [top, top - 5n]).equals(pippenger(secp256k1.Point, points.slice(0, 2), [top, top - 5n]))).toBe(true);
    expect(multiScalarMultiply(points.slice(0, 2), [5n, SECP256K1.Fn.ORDER - 5n]).equals(points[0]!.multiply(5n).subtract(points[1]!.multiply(5n)))).toBe(true);
  });
});

describe('comb multiplication of the generator', () => {
  it('agrees with noble, including 0 and scalars with zero bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ min: 0n, max: SECP256K1.Fn.ORDER - 1n }), fc.constantFrom(0n, 1n, 1n << 200n, SECP256K1.Fn.ORDER - 1n)), (k) => {
        expect(multiplyBase(k).equals(k === 0n ? secp256k1.Point.ZERO : secp256k1.Point.BASE.multiply(k))).toBe(true);
      }),
      { numRuns: 25 },
    );
    expect(() => multiplyBase(SECP256K1.Fn.ORDER)).toThrow(RangeError);
  });
});
