/**
 * FROST(Ed25519, SHA-512) as noble's `createFROST` with exactly the parameters of `ed25519_FROST`
 * (RFC 9591 §6.1), except that each point encoding is validated once instead of on every call.
 *
 * noble's FROST deserializes every point on every `signShare` / `verifyShare` / `aggregate` call
 * and runs the full RFC 9591 DeserializeElement check each time; the `ed25519_FROST` suite's
 * `validatePoint` hook then repeats the subgroup check. The subgroup check is a variable-base
 * scalar multiplication, the most expensive step of a signature share. Here the suite's `Point`
 * decodes through a bounded memo of encodings that already passed the whole check (canonical, on
 * the curve, not the identity, in the prime-order subgroup), so a commitment that was validated
 * when it arrived is not validated again when it is signed against. Every FROST computation is
 * still noble's; noble still runs its own checks on every point it parses, and they still reject
 * anything that did not pass ours.
 */
import { createFROST } from '@noble/curves/abstract/frost.js';
import type { EdwardsPoint } from '@noble/curves/abstract/edwards.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';

/** How many validated encodings are remembered; the least recently used beyond this are forgotten. */
export const PRIME_ORDER_MEMO_LIMIT = 4096;

/**
 * A point whose encoding passed the full DeserializeElement check. Only this module constructs it,
 * and only after that check (or for a point it knows is prime-order by construction), so its
 * subgroup check is already answered. noble builds the results of arithmetic as plain points.
 */
class PrimeOrderPoint extends ed25519.Point {
  static override fromBytes(bytes: Uint8Array): EdwardsPoint {
    return decode(bytes);
  }

  override isTorsionFree(): boolean {
    return true;
  }
}
// Frozen like noble's own Point, so nothing can swap the decoder or the answered check later.
Object.freeze(PrimeOrderPoint.prototype);
Object.freeze(PrimeOrderPoint);

/** Encoding (hex) → its validated point; a Map iterates in insertion order, which makes it an LRU. */
const memo = new Map<string, PrimeOrderPoint>();

/** Makes `key` the most recently used entry, forgetting the least recently used beyond the limit. */
function touch(key: string, point: PrimeOrderPoint): PrimeOrderPoint {
  memo.delete(key);
  memo.set(key, point);
  if (memo.size > PRIME_ORDER_MEMO_LIMIT) memo.delete(memo.keys().next().value!);
  return point;
}

function remember(key: string, point: EdwardsPoint): PrimeOrderPoint {
  return touch(key, new PrimeOrderPoint(point.X, point.Y, point.Z, point.T));
}

/**
 * The memoized point for `bytes`, validating and memoizing it if it is new. An encoding that fails
 * the subgroup or identity check comes back as a plain point, so noble's own validation rejects it
 * with its usual error; one that does not decode at all throws here, as noble's decoder would.
 */
function decode(bytes: Uint8Array): EdwardsPoint {
  const key = bytesToHex(bytes);
  const known = memo.get(key);
  if (known !== undefined) return touch(key, known);
  // fromBytes without zip215: canonical encodings (y < p, no negative zero) on the curve only.
  const point = ed25519.Point.fromBytes(bytes);
  if (point.is0() || !point.isTorsionFree()) return point;
  return remember(key, point);
}

/**
 * RFC 9591 DeserializeElement — canonical, on the curve, not the identity, prime order — through
 * the memo, so it costs a scalar multiplication only the first time an encoding is seen.
 */
export function decodePrimeOrder(bytes: Uint8Array): EdwardsPoint {
  const point = decode(bytes);
  if (!(point instanceof PrimeOrderPoint)) throw new RangeError('not a prime-order Ed25519 point');
  return point;
}

/**
 * Records `point` as valid without the subgroup check, returning its encoding. Only for points
 * prime-order by construction: sums of validated points and multiples of the base point (a
 * NEAR-derived key, root + ε·B). The identity is refused.
 */
export function rememberPrimeOrder(point: EdwardsPoint): Uint8Array {
  if (point.is0()) throw new RangeError('the identity is not a valid FROST element');
  const bytes = point.toBytes();
  remember(bytesToHex(bytes), point);
  return bytes;
}

/** {@link rememberPrimeOrder} for an encoding, e.g. our own nonce commitment d·B as noble returns it. */
export function rememberPrimeOrderEncoding(bytes: Uint8Array): void {
  const point = ed25519.Point.fromBytes(bytes);
  if (point.is0()) throw new RangeError('the identity is not a valid FROST element');
  remember(bytesToHex(bytes), point);
}

/** How many encodings the memo holds now (at most {@link PRIME_ORDER_MEMO_LIMIT}). */
export function primeOrderMemoSize(): number {
  return memo.size;
}

/**
 * The FROST(Ed25519, SHA-512) suite all signing here uses: `ed25519_FROST`'s parameters (context
 * string, SHA-512, undecorated H2 for RFC 8032 compatibility) without its `validatePoint` hook,
 * which only repeated the checks `createFROST` makes on every point anyway.
 */
export const ed25519Frost = createFROST({
  name: 'FROST-ED25519-SHA512-v1',
  Point: PrimeOrderPoint,
  hash: sha512,
  H2: '',
});
