import fc from 'fast-check';
import { SECP256K1 } from '../../group.js';
import { multiplySecret } from './glv-multiply.js';

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
