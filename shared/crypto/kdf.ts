/**
 * NEAR chain-signatures key derivation, bit-compatible with near/mpc (crates/near-mpc-crypto-types
 * kdf.rs): the tweak is SHA3-256 over a fixed prefix, the predecessor account and the path; the
 * derived public key is root + tweak·G, with the tweak read big-endian for secp256k1 (and required
 * to be below n) and little-endian mod ℓ for Ed25519.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, bytesToNumberLE } from '@noble/curves/utils.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

export const TWEAK_DERIVATION_PREFIX = 'near-mpc-recovery v0.1.0 epsilon derivation:';

export type Secp256k1Point = InstanceType<typeof secp256k1.Point>;
export type Ed25519Point = InstanceType<typeof ed25519.Point>;

/** A tweak that cannot be used as a secp256k1 scalar (probability ≈ 2⁻¹²⁸; near/mpc's `TweakNotOnCurve`). */
export class TweakNotOnCurve extends Error {
  constructor(readonly tweak: Uint8Array) {
    super('derivation tweak is not below the secp256k1 group order');
    this.name = 'TweakNotOnCurve';
  }
}

/** SHA3-256("near-mpc-recovery v0.1.0 epsilon derivation:" ‖ predecessor ‖ "," ‖ path). */
export function deriveTweak(predecessor: string, path: string): Uint8Array {
  // Account ids cannot contain ',', which keeps the concatenation unambiguous.
  if (predecessor.includes(',')) throw new RangeError(`predecessor "${predecessor}" contains ','`);
  return sha3_256(utf8ToBytes(`${TWEAK_DERIVATION_PREFIX}${predecessor},${path}`));
}

/** The tweak as a secp256k1 scalar (big-endian; must be below n). */
export function secp256k1TweakScalar(tweak: Uint8Array): bigint {
  const scalar = bytesToNumberBE(tweak);
  if (scalar >= secp256k1.Point.Fn.ORDER) throw new TweakNotOnCurve(tweak);
  return scalar;
}

/** The tweak as an Ed25519 scalar (little-endian, reduced mod ℓ). */
export function ed25519TweakScalar(tweak: Uint8Array): bigint {
  return ed25519.Point.Fn.create(bytesToNumberLE(tweak));
}

/** root + tweak·G on secp256k1. */
export function deriveSecp256k1PublicKey(root: Secp256k1Point, tweak: Uint8Array): Secp256k1Point {
  const scalar = secp256k1TweakScalar(tweak);
  return scalar === 0n ? root : root.add(secp256k1.Point.BASE.multiply(scalar));
}

/** root + tweak·B on Ed25519. */
export function deriveEd25519PublicKey(root: Ed25519Point, tweak: Uint8Array): Ed25519Point {
  const scalar = ed25519TweakScalar(tweak);
  return scalar === 0n ? root : root.add(ed25519.Point.BASE.multiply(scalar));
}
