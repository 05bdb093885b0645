/**
 * Point encoding for triple-generation messages. Points travel uncompressed (65 bytes): decoding
 * a compressed point costs a square root (≈ 14× the on-curve check of an uncompressed one), and a
 * run decodes thousands of them, so 32 extra bytes per point are the cheaper side of the trade.
 * Encoding many points at once shares one field inversion (normalizeZ).
 */
import { normalizeZ } from '@noble/curves/abstract/curve.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { ByteReader } from '../../../codec/binary.js';
import type { Secp256k1Point } from '../../kdf.js';

export const POINT_BYTES = 65;

/** Uncompressed encodings of `points`, affine-normalised in one batch inversion. */
export function encodePointsUncompressed(points: readonly Secp256k1Point[]): Uint8Array[] {
  return normalizeZ(secp256k1.Point, [...points]).map((point) => point.toBytes(false));
}

/** The points themselves, affine-normalised in one batch (cheap hashing and encoding later). */
export function normalizePoints(points: readonly Secp256k1Point[]): Secp256k1Point[] {
  return normalizeZ(secp256k1.Point, [...points]);
}

/** Reads one uncompressed point; anything else (identity, off-curve, compressed) is a DecodeError. */
export function readPoint(reader: ByteReader): Secp256k1Point {
  const bytes = reader.fixed(POINT_BYTES);
  if (bytes[0] !== 0x04) reader.fail('point is not in uncompressed form');
  try {
    return secp256k1.Point.fromBytes(bytes);
  } catch {
    return reader.fail('bytes are not a secp256k1 point');
  }
}
