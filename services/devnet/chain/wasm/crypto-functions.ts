/**
 * The cryptographic host functions, as pure functions over bytes with nearcore's input rules:
 * `ecrecover` (secp256k1 public key recovery), `ed25519_verify`, and BLS12-381 point decompression
 * and pairing check (ZCash serialization, as blst). The arithmetic is @noble/curves'; invalid input
 * that nearcore reports as a result (0, 1, 2) is a result here too, input it refuses is a `HostFailure`.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { verifyEd25519Native } from '../../../../shared/crypto/ed25519-native.js';
import { HostFailure } from '../gas.js';

const SECP256K1_ORDER = secp256k1.Point.CURVE().n;
const ECRECOVER_HASH_BYTES = 32;
const ECRECOVER_SIGNATURE_BYTES = 64;

/**
 * nearcore `ecrecover`: the 64-byte uncompressed key (x‖y) that signed `hash` with (r‖s, v), or null.
 * With `malleabilityFlag` 1, a high s (above n/2) is refused, as Ethereum transactions require.
 */
export function ecrecover(hash: Uint8Array, signature: Uint8Array, v: bigint, malleabilityFlag: bigint): Uint8Array | null {
  if (signature.length !== ECRECOVER_SIGNATURE_BYTES) {
    throw new HostFailure({ ECRecoverError: { msg: `The length of the signature: ${signature.length}, exceeds the limit of 64 bytes` } });
  }
  if (v > 3n) throw new HostFailure({ ECRecoverError: { msg: `V recovery byte 0 through 3 are valid but was provided ${v}` } });
  if (hash.length !== ECRECOVER_HASH_BYTES) throw new HostFailure({ ECRecoverError: { msg: `The length of the hash: ${hash.length}, exceeds the limit of 32 bytes` } });
  if (malleabilityFlag !== 0n && malleabilityFlag !== 1n) {
    throw new HostFailure({ ECRecoverError: { msg: `Malleability flag needs to be 0 or 1, but is instead ${malleabilityFlag}` } });
  }
  const r = bytesToNumberBE(signature.subarray(0, 32));
  const s = bytesToNumberBE(signature.subarray(32, 64));
  const sLimit = malleabilityFlag === 1n ? SECP256K1_ORDER / 2n + 1n : SECP256K1_ORDER;
  if (r === 0n || s === 0n || r >= SECP256K1_ORDER || s >= sLimit) return null;
  try {
    return new secp256k1.Signature(r, s).addRecoveryBit(Number(v)).recoverPublicKey(hash).toBytes(false).subarray(1);
  } catch {
    // No point with that x (or x + n), or the recovered point is the identity: nothing signed it.
    return null;
  }
}

/** nearcore `ed25519_verify`: lengths are checked (a `HostFailure`), everything else is a false result. */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64) throw new HostFailure({ Ed25519VerifyInvalidInput: { msg: 'invalid signature length' } });
  if (publicKey.length !== 32) throw new HostFailure({ Ed25519VerifyInvalidInput: { msg: 'invalid public key length' } });
  // The pre-v2 ed25519-dalek check nearcore keeps: S's top three bits must be clear.
  if ((signature[63]! & 0b1110_0000) !== 0) return false;
  return verifyEd25519Native(signature, message, publicKey);
}

// ---- BLS12-381 (ZCash serialization: compressed 0x80, infinity 0x40, sign of y 0x20 in the first byte) ----

const { G1, G2, fields } = bls12_381;
const { Fp, Fp2, Fp12 } = fields;
const FP_BYTES = 48;
export const P1_COMPRESSED_BYTES = 48;
export const P2_COMPRESSED_BYTES = 96;
const P1_BYTES = 96;
const P2_BYTES = 192;
const PAIRING_ITEM_BYTES = P1_BYTES + P2_BYTES;
const COMPRESSED_FLAG = 0x80;
const INFINITY_FLAG = 0x40;
const SIGN_FLAG = 0x20;
const FLAG_BITS = 0b1110_0000;
const HALF_P = (Fp.ORDER - 1n) / 2n;

function checkInputSize(data: Uint8Array, itemBytes: number, functionName: string): void {
  if (data.length % itemBytes !== 0) {
    throw new HostFailure({ BLS12381InvalidInput: { msg: `Incorrect input length for ${functionName}: ${data.length} is not divisible by ${itemBytes}` } });
  }
}

/** A field element from big-endian bytes; null if not below the modulus. */
function readFp(bytes: Uint8Array): bigint | null {
  const value = bytesToNumberBE(bytes);
  return value < Fp.ORDER ? value : null;
}

/** ZCash's "lexicographically largest" y of the pair (y, −y). */
const fpIsLarger = (y: bigint): boolean => y > HALF_P;
const fp2IsLarger = (y: { c0: bigint; c1: bigint }): boolean => (y.c1 === 0n ? fpIsLarger(y.c0) : fpIsLarger(y.c1));

interface CompressedPoint {
  readonly infinity: boolean;
  readonly largerY: boolean;
  /** The x bytes with the flag bits cleared. */
  readonly x: Uint8Array;
}

/** Splits a compressed encoding; null if it is not marked compressed or its infinity encoding is not all zero. */
function readCompressedFlags(item: Uint8Array): CompressedPoint | null {
  const first = item[0]!;
  if ((first & COMPRESSED_FLAG) === 0) return null;
  const x = item.slice();
  x[0] = first & ~FLAG_BITS;
  const infinity = (first & INFINITY_FLAG) !== 0;
  if (infinity && ((first & SIGN_FLAG) !== 0 || x.some((byte) => byte !== 0))) return null;
  return { infinity, largerY: (first & SIGN_FLAG) !== 0, x };
}

/** The uncompressed encoding of the point at infinity: the infinity flag, then zeros. */
function uncompressedInfinity(bytes: number): Uint8Array {
  const encoded = new Uint8Array(bytes);
  encoded[0] = INFINITY_FLAG;
  return encoded;
}

/** Uncompressed ZCash encoding of affine coordinates (Fp2 elements as c1 ‖ c0). Written out here because noble serializes subgroup points only. */
const encodeFp = (values: readonly bigint[]): Uint8Array => Uint8Array.from(values.flatMap((value) => [...numberToBytesBE(value, FP_BYTES)]));

function decompressP1(item: Uint8Array): Uint8Array | null {
  const flags = readCompressedFlags(item);
  if (flags === null) return null;
  if (flags.infinity) return uncompressedInfinity(P1_BYTES);
  const x = readFp(flags.x);
  if (x === null) return null;
  let y: bigint;
  try {
    y = Fp.sqrt(Fp.add(Fp.mul(Fp.sqr(x), x), G1.Point.CURVE().b));
  } catch {
    return null; // x³ + 4 is not a square: no point with this x
  }
  if (fpIsLarger(y) !== flags.largerY) y = Fp.neg(y);
  // On the curve, not necessarily in G1: nearcore accepts such points since NEP-488, as blst decodes them.
  return encodeFp([x, y]);
}

function decompressP2(item: Uint8Array): Uint8Array | null {
  const flags = readCompressedFlags(item);
  if (flags === null) return null;
  if (flags.infinity) return uncompressedInfinity(P2_BYTES);
  // x = c0 + c1·u is encoded c1 ‖ c0.
  const c1 = readFp(flags.x.subarray(0, FP_BYTES));
  const c0 = readFp(flags.x.subarray(FP_BYTES));
  if (c0 === null || c1 === null) return null;
  const x = Fp2.create({ c0, c1 });
  let y: ReturnType<typeof Fp2.create>;
  try {
    y = Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), G2.Point.CURVE().b));
  } catch {
    return null;
  }
  if (fp2IsLarger(y) !== flags.largerY) y = Fp2.neg(y);
  return encodeFp([x.c1, x.c0, y.c1, y.c0]);
}

function decompressAll(data: Uint8Array, itemBytes: number, functionName: string, decompress: (item: Uint8Array) => Uint8Array | null): Uint8Array | null {
  checkInputSize(data, itemBytes, functionName);
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; offset += itemBytes) {
    const point = decompress(data.subarray(offset, offset + itemBytes));
    if (point === null) return null;
    out.push(point);
  }
  return Uint8Array.from(out.flatMap((point) => [...point]));
}

/** nearcore `bls12381_p1_decompress`: 96-byte uncompressed points for 48-byte compressed ones; null if any is invalid. */
export const bls12381P1Decompress = (data: Uint8Array): Uint8Array | null => decompressAll(data, P1_COMPRESSED_BYTES, 'bls12381_p1_decompress', decompressP1);

/** nearcore `bls12381_p2_decompress`: 192-byte uncompressed points for 96-byte compressed ones; null if any is invalid. */
export const bls12381P2Decompress = (data: Uint8Array): Uint8Array | null => decompressAll(data, P2_COMPRESSED_BYTES, 'bls12381_p2_decompress', decompressP2);

/** nearcore's result codes of `bls12381_pairing_check`. */
export const PAIRING_CHECK = { holds: 0n, invalidPoint: 1n, fails: 2n } as const;

/**
 * nearcore `bls12381_pairing_check` over (G1, G2) pairs in uncompressed form: whether the product of
 * their pairings is one. A point that is compressed, off the curve or outside its subgroup gives 1.
 */
export function bls12381PairingCheck(data: Uint8Array): bigint {
  checkInputSize(data, PAIRING_ITEM_BYTES, 'bls12381_pairing_check');
  const pairs: { g1: InstanceType<typeof G1.Point>; g2: InstanceType<typeof G2.Point> }[] = [];
  for (let offset = 0; offset < data.length; offset += PAIRING_ITEM_BYTES) {
    const g1Bytes = data.subarray(offset, offset + P1_BYTES);
    const g2Bytes = data.subarray(offset + P1_BYTES, offset + PAIRING_ITEM_BYTES);
    if ((g1Bytes[0]! & COMPRESSED_FLAG) !== 0 || (g2Bytes[0]! & COMPRESSED_FLAG) !== 0) return PAIRING_CHECK.invalidPoint;
    let g1: InstanceType<typeof G1.Point>;
    let g2: InstanceType<typeof G2.Point>;
    try {
      // noble checks the encoding, the curve equation and the subgroup.
      g1 = G1.Point.fromBytes(g1Bytes);
      g2 = G2.Point.fromBytes(g2Bytes);
    } catch {
      return PAIRING_CHECK.invalidPoint;
    }
    // A pairing with the identity is one: it does not change the product.
    if (!g1.is0() && !g2.is0()) pairs.push({ g1, g2 });
  }
  return Fp12.eql(bls12_381.pairingBatch(pairs), Fp12.ONE) ? PAIRING_CHECK.holds : PAIRING_CHECK.fails;
}
