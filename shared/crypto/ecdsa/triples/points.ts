/**
 * Points in triple generation are their 65-byte uncompressed SEC1 encodings from end to end: that is
 * how they travel (decompressing costs a square root), how libsecp256k1 takes and returns them
 * (../../native/libsecp256k1.ts), and what every hash and proof transcript covers. A decoded point is
 * checked on the curve once, here; the identity has no encoding and never appears.
 */
import type { ByteReader } from '../../../codec/binary.js';
import { addPoints, isPoint, UNCOMPRESSED_POINT_BYTES } from '../../native/libsecp256k1.js';

/** A secp256k1 point other than the identity, as its uncompressed encoding 0x04 ‖ x ‖ y. */
export type EncodedPoint = Uint8Array;

export const POINT_BYTES = UNCOMPRESSED_POINT_BYTES;

/** Reads one uncompressed point; anything else (off-curve, compressed, hybrid) is a DecodeError. */
export function readPoint(reader: ByteReader): EncodedPoint {
  const bytes = reader.fixed(POINT_BYTES);
  if (bytes[0] !== 0x04) reader.fail('point is not in uncompressed form');
  if (!isPoint(bytes)) reader.fail('bytes are not a secp256k1 point');
  return bytes;
}

/** Σ points; throws when the sum is the identity, which no honest run produces. */
export function sumPoints(points: readonly EncodedPoint[], what: string): EncodedPoint {
  const sum = addPoints(points);
  if (sum === undefined) throw new RangeError(`${what} sum to the identity`);
  return sum;
}
