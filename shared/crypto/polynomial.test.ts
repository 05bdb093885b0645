import fc from 'fast-check';
import { ED25519, SECP256K1, type Group, type GroupPoint } from './group.js';
import {
  commitPolynomial,
  evaluateCommitment,
  evaluatePolynomial,
  lagrangeCoefficient,
  participantScalar,
  randomPolynomial,
} from './polynomial.js';

function polynomialSuite<P extends GroupPoint<P>>(group: Group<P>): void {
  const Fn = group.Fn;

  it('any t shares interpolate the secret; t−1 shares give something else', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 1000 }), { minLength: 4, maxLength: 7 }), fc.bigInt({ min: 1n, max: Fn.ORDER - 1n }), (ids, secret) => {
        const threshold = 3;
        const f = randomPolynomial(Fn, secret, threshold - 1);
        const shares = new Map(ids.map((id) => [id, evaluatePolynomial(Fn, f, participantScalar(id))]));
        const interpolate = (subset: number[]) =>
          subset.reduce((sum, id) => Fn.add(sum, Fn.mul(lagrangeCoefficient(Fn, subset, id), shares.get(id)!)), 0n);
        expect(interpolate(ids.slice(0, threshold))).toBe(secret);
        expect(interpolate(ids.slice(1, threshold + 1))).toBe(secret);
        expect(interpolate(ids.slice(0, threshold - 1))).not.toBe(secret);
      }),
      { numRuns: 20 },
    );
  });

  it('the Feldman commitment evaluates to f(x)·G', () => {
    const f = randomPolynomial(Fn, 12345n, 3);
    const commitments = commitPolynomial(group, f);
    for (const id of [0, 1, 7]) {
      const x = participantScalar(id);
      expect(evaluateCommitment(group, commitments, x).equals(group.scaleBase(evaluatePolynomial(Fn, f, x)))).toBe(true);
    }
  });

  it('scale accepts zero and scalarFromBytes rejects non-canonical scalars', () => {
    expect(group.scale(group.generator, 0n).is0()).toBe(true);
    expect(group.scalarFromBytes(group.scalarToBytes(42n))).toBe(42n);
    const order = group.scalarToBytes(0n).map(() => 0xff);
    expect(() => group.scalarFromBytes(order)).toThrow(RangeError);
  });
}

describe('polynomials over secp256k1', () => polynomialSuite(SECP256K1));
describe('polynomials over ed25519', () => polynomialSuite(ED25519));
