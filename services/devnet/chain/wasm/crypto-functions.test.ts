/**
 * The cryptographic host functions against @noble/curves: BLS12-381 decompression and pairing check
 * with nearcore's result codes and input errors, and the input rules of ecrecover and ed25519_verify.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { numberToBytesBE } from '@noble/curves/utils.js';
import { HostFailure } from '../gas.js';
import { PAIRING_CHECK, bls12381P1Decompress, bls12381P2Decompress, bls12381PairingCheck, ecrecover, ed25519Verify } from './crypto-functions.js';

const { G1, G2, fields } = bls12_381;
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((part) => [...part]));
const randomScalar = (): bigint => fields.Fr.create(BigInt(`0x${Buffer.from(bls12_381.utils.randomSecretKey()).toString('hex')}`));
const randomG1 = () => G1.Point.BASE.multiply(randomScalar());
const randomG2 = () => G2.Point.BASE.multiply(randomScalar());

/**
 * Compressed and uncompressed encodings of a point on E(Fp) outside G1 (the cofactor is large, so the
 * first x with a root almost surely gives one). Built by hand: noble serializes subgroup points only.
 */
function offSubgroupG1(): { compressed: Uint8Array; uncompressed: Uint8Array } {
  const { Fp } = fields;
  for (let x = 1n; ; x += 1n) {
    let y: bigint;
    try {
      y = Fp.sqrt(Fp.add(Fp.mul(Fp.sqr(x), x), 4n));
    } catch {
      continue; // no root: try the next x
    }
    if (new G1.Point(x, y, 1n).isTorsionFree()) continue;
    const compressed = numberToBytesBE(x, 48);
    compressed[0]! |= 0x80 | (y > (Fp.ORDER - 1n) / 2n ? 0x20 : 0);
    return { compressed, uncompressed: concat(numberToBytesBE(x, 48), numberToBytesBE(y, 48)) };
  }
}

describe('bls12381 decompression', () => {
  it('turns compressed G1 and G2 points into noble\'s uncompressed encodings, several at a time, y signs included', () => {
    const g1 = [randomG1(), randomG1(), randomG1().negate(), G1.Point.ZERO];
    expect(bls12381P1Decompress(concat(...g1.map((p) => p.toBytes(true))))).toEqual(concat(...g1.map((p) => p.toBytes(false))));
    const g2 = [randomG2(), randomG2().negate(), G2.Point.ZERO];
    expect(bls12381P2Decompress(concat(...g2.map((p) => p.toBytes(true))))).toEqual(concat(...g2.map((p) => p.toBytes(false))));
  });

  it('answers null (nearcore: 1) for an uncompressed flag, x ≥ p, x with no point, or a malformed infinity', () => {
    const valid = randomG1().toBytes(true);
    const notCompressed = valid.slice();
    notCompressed[0]! &= 0x7f;
    const tooLarge = numberToBytesBE(fields.Fp.ORDER, 48);
    tooLarge[0]! |= 0x80;
    const infinityWithBits = G1.Point.ZERO.toBytes(true);
    infinityWithBits[47] = 1;
    for (const bad of [notCompressed, tooLarge, infinityWithBits]) expect(bls12381P1Decompress(concat(valid, bad))).toBeNull();
    let noPoint: Uint8Array | null = null;
    for (let x = 1n; noPoint === null; x += 1n) {
      const candidate = numberToBytesBE(x, 48);
      candidate[0]! |= 0x80;
      if (bls12381P1Decompress(candidate) === null) noPoint = candidate;
    }
    expect(noPoint).not.toBeNull();
  });

  it('accepts a point on the curve outside the subgroup, as nearcore does since NEP-488', () => {
    const point = offSubgroupG1();
    expect(bls12381P1Decompress(point.compressed)).toEqual(point.uncompressed);
  });

  it('refuses a length that is not a whole number of points with BLS12381InvalidInput', () => {
    expect(() => bls12381P1Decompress(new Uint8Array(47))).toThrow(new HostFailure({ BLS12381InvalidInput: { msg: 'Incorrect input length for bls12381_p1_decompress: 47 is not divisible by 48' } }));
    expect(() => bls12381P2Decompress(new Uint8Array(95))).toThrow(HostFailure);
  });
});

describe('bls12381 pairing check', () => {
  const pair = (g1: InstanceType<typeof G1.Point>, g2: InstanceType<typeof G2.Point>): Uint8Array => concat(g1.toBytes(false), g2.toBytes(false));

  it('is 0 when the product of pairings is one and 2 when it is not', () => {
    const a = randomScalar();
    const p = randomG1();
    const q = randomG2();
    expect(bls12381PairingCheck(concat(pair(p.multiply(a), q), pair(p.negate(), q.multiply(a))))).toBe(PAIRING_CHECK.holds);
    expect(bls12381PairingCheck(concat(pair(p, q), pair(p, q)))).toBe(PAIRING_CHECK.fails);
    expect(bls12381PairingCheck(new Uint8Array())).toBe(PAIRING_CHECK.holds);
    // A pair with the identity contributes one.
    expect(bls12381PairingCheck(pair(G1.Point.ZERO, q))).toBe(PAIRING_CHECK.holds);
  });

  it('is 1 for a compressed encoding, a point off the curve or a point outside its subgroup', () => {
    const q = randomG2();
    const compressed = pair(randomG1(), q);
    compressed[0]! |= 0x80;
    const offCurve = pair(randomG1(), q);
    offCurve[95]! ^= 1;
    const outside = concat(offSubgroupG1().uncompressed, q.toBytes(false));
    for (const bad of [compressed, offCurve, outside]) expect(bls12381PairingCheck(bad)).toBe(PAIRING_CHECK.invalidPoint);
    expect(() => bls12381PairingCheck(new Uint8Array(100))).toThrow(HostFailure);
  });
});

describe('ecrecover and ed25519_verify input rules', () => {
  const hash = new Uint8Array(32).fill(7);
  const secret = secp256k1.utils.randomSecretKey();
  const signature = secp256k1.Signature.fromBytes(secp256k1.sign(hash, secret, { prehash: false, format: 'recovered' }), 'recovered');
  const compact = signature.toBytes('compact');

  it('recovers the key, and answers null for r or s zero or out of range', () => {
    expect(ecrecover(hash, compact, BigInt(signature.recovery!), 0n)).toEqual(secp256k1.getPublicKey(secret, false).subarray(1));
    const n = secp256k1.Point.CURVE().n;
    const withS = (s: bigint): Uint8Array => concat(compact.subarray(0, 32), numberToBytesBE(s, 32));
    expect(ecrecover(hash, withS(0n), 0n, 0n)).toBeNull();
    expect(ecrecover(hash, withS(n), 0n, 0n)).toBeNull();
    expect(ecrecover(hash, concat(new Uint8Array(32), compact.subarray(32)), 0n, 0n)).toBeNull();
  });

  it('refuses a wrong signature or hash length and a malleability flag other than 0 or 1', () => {
    expect(() => ecrecover(hash, compact.subarray(1), 0n, 0n)).toThrow(new HostFailure({ ECRecoverError: { msg: 'The length of the signature: 63, exceeds the limit of 64 bytes' } }));
    expect(() => ecrecover(hash.subarray(1), compact, 0n, 0n)).toThrow(new HostFailure({ ECRecoverError: { msg: 'The length of the hash: 31, exceeds the limit of 32 bytes' } }));
    expect(() => ecrecover(hash, compact, 0n, 2n)).toThrow(new HostFailure({ ECRecoverError: { msg: 'Malleability flag needs to be 0 or 1, but is instead 2' } }));
  });

  it('ed25519_verify refuses wrong lengths and answers false for an S with its top bits set', () => {
    const key = ed25519.utils.randomSecretKey();
    const message = new TextEncoder().encode('m');
    const sig = ed25519.sign(message, key);
    expect(ed25519Verify(sig, message, ed25519.getPublicKey(key))).toBe(true);
    const highS = sig.slice();
    highS[63]! |= 0x80;
    expect(ed25519Verify(highS, message, ed25519.getPublicKey(key))).toBe(false);
    expect(() => ed25519Verify(sig.subarray(1), message, ed25519.getPublicKey(key))).toThrow(new HostFailure({ Ed25519VerifyInvalidInput: { msg: 'invalid signature length' } }));
    expect(() => ed25519Verify(sig, message, new Uint8Array(31))).toThrow(new HostFailure({ Ed25519VerifyInvalidInput: { msg: 'invalid public key length' } }));
  });
});
