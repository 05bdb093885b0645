import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { addPoints, Ed25519OperationError, isPrimeOrderPoint, multiply, multiplyBase, reduceScalar, verifySignature } from './libsodium.js';

// Every libsodium operation against noble's arithmetic, the oracle.
const Point = ed25519.Point;
const Fn = Point.Fn;
const scalar = fc.oneof(fc.bigInt({ min: 1n, max: Fn.ORDER - 1n }), fc.constantFrom(1n, 2n, Fn.ORDER - 1n, 1n << 252n));
const point = fc.bigInt({ min: 1n, max: Fn.ORDER - 1n }).map((s) => Point.BASE.multiply(s));
/** A point of order 8. */
const ORDER_8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa');

describe('libsodium Ed25519 operations agree with noble', () => {
  it('s·B, s·P and P + Q', () => {
    fc.assert(
      fc.property(scalar, point, point, (s, p, q) => {
        expect(bytesToHex(multiplyBase(Fn.toBytes(s)))).toBe(Point.BASE.multiply(s).toHex());
        expect(bytesToHex(multiply(p.toBytes(), Fn.toBytes(s)))).toBe(p.multiply(s).toHex());
        expect(bytesToHex(addPoints(p.toBytes(), q.toBytes()))).toBe(p.add(q).toHex());
      }),
      { numRuns: 60 },
    );
  });

  it('reduces 64-byte integers mod ℓ as noble does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (wide) => {
        expect(bytesToNumberLE(reduceScalar(wide))).toBe(Fn.create(bytesToNumberLE(wide)));
      }),
      { numRuns: 100 },
    );
  });

  it('takes as prime-order exactly what noble decodes (canonically) as a torsion-free point other than the identity', () => {
    const nobleAccepts = (bytes: Uint8Array) => {
      try {
        const decoded = Point.fromBytes(bytes);
        return !decoded.is0() && decoded.isTorsionFree();
      } catch {
        return false;
      }
    };
    const valid = Point.BASE.multiply(0xabcdefn);
    const edgeCases = [
      valid.toBytes(),
      ORDER_8.toBytes(),
      valid.add(ORDER_8).toBytes(),
      Point.ZERO.toBytes(),
      numberToBytesLE(Point.Fp.ORDER + 1n, 32),
      numberToBytesLE(2n, 32),
      new Uint8Array(31),
    ];
    for (const bytes of edgeCases) expect(isPrimeOrderPoint(bytes)).toBe(nobleAccepts(bytes));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), point.map((p) => p.toBytes()), point.map((p) => p.add(ORDER_8).toBytes())), (bytes) => {
        expect(isPrimeOrderPoint(bytes)).toBe(nobleAccepts(bytes));
      }),
      { numRuns: 150 },
    );
  });

  it('verifies Ed25519 signatures as noble does (RFC 8032), refusing a changed message, a non-canonical S and bad lengths', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (message) => {
        const secret = ed25519.utils.randomSecretKey();
        const publicKey = ed25519.getPublicKey(secret);
        const signature = ed25519.sign(message, secret);
        expect(verifySignature(signature, message, publicKey)).toBe(true);
        expect(verifySignature(signature, Uint8Array.of(...message, 0), publicKey)).toBe(ed25519.verify(signature, Uint8Array.of(...message, 0), publicKey));
        const nonCanonical = signature.slice();
        nonCanonical.set(numberToBytesLE(bytesToNumberLE(signature.subarray(32)) + Fn.ORDER, 32), 32);
        expect(verifySignature(nonCanonical, message, publicKey)).toBe(false);
        expect(verifySignature(signature.subarray(0, 63), message, publicKey)).toBe(false);
        expect(verifySignature(signature, message, publicKey.subarray(0, 31))).toBe(false);
      }),
      { numRuns: 30 },
    );
  });

  it('refuses a zero scalar and a point outside the prime-order subgroup, with a typed error', () => {
    expect(() => multiplyBase(new Uint8Array(32))).toThrow(Ed25519OperationError);
    expect(() => multiply(Point.BASE.toBytes(), new Uint8Array(32))).toThrow(Ed25519OperationError);
    expect(() => multiply(ORDER_8.toBytes(), Fn.toBytes(5n))).toThrow(Ed25519OperationError);
    expect(() => multiply(Point.BASE.add(ORDER_8).toBytes(), Fn.toBytes(5n))).toThrow(Ed25519OperationError);
    expect(() => addPoints(numberToBytesLE(2n, 32), Point.BASE.toBytes())).toThrow(Ed25519OperationError);
  });
});
