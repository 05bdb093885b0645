/**
 * Batch random OT, "Simplest OT" (Chou–Orlandi 2015) over secp256k1, 128 instances per run. The
 * base-OT sender draws y and sends Y = y·G; the receiver, with choice bits Δ, sends
 * Xₖ = xₖ·G + Δₖ·Y and keeps H(k, xₖ·Y); the sender derives H(k, y·Xₖ) and H(k, y·(Xₖ − Y)).
 * Every key hash binds the run's context (session and pair), the instance index and both
 * messages, so keys of different runs, pairs or instances never collide.
 *
 * In OT extension the roles cross: the extension receiver is the base-OT sender, and the
 * extension sender's secret Δ is the base-OT choice vector.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { randomScalar, SECP256K1 } from '../../group.js';
import type { Secp256k1Point } from '../../kdf.js';
import { BASE_OT_COUNT, getBit } from './bit-matrix.js';
import { SEED_BYTES } from './aes.js';
import { encodePointsUncompressed } from './points.js';
import { multiplySecret } from '../../secp256k1/glv-multiply.js';
import { multiplyBase } from '../../secp256k1/base-multiply.js';

const KEY_DOMAIN = new TextEncoder().encode('chainsig/triples/base-ot/v1');

export interface BaseOtSenderSecret {
  readonly y: bigint;
  readonly bigY: Secp256k1Point;
}

function deriveKey(context: Uint8Array, index: number, bigY: Uint8Array, bigX: Uint8Array, shared: Uint8Array): Uint8Array {
  const input = new Uint8Array(KEY_DOMAIN.length + context.length + 4 + bigY.length + bigX.length + shared.length);
  let at = 0;
  for (const part of [KEY_DOMAIN, context]) {
    input.set(part, at);
    at += part.length;
  }
  new DataView(input.buffer).setUint32(at, index, true);
  at += 4;
  for (const part of [bigY, bigX, shared]) {
    input.set(part, at);
    at += part.length;
  }
  return sha256(input).subarray(0, SEED_BYTES);
}

/** Sender, step 1: Y = y·G. */
export function baseOtSenderStart(rng: (length: number) => Uint8Array): BaseOtSenderSecret {
  const y = randomScalar(SECP256K1.Fn, rng);
  return { y, bigY: multiplyBase(y) };
}

/**
 * Receiver: for each of the 128 choice bits Δₖ (LSB-first in `choices`), Xₖ and the chosen key.
 * Returns the X points to send and the 128 chosen 16-byte seeds (seed k at 16·k).
 */
export function baseOtReceive(
  context: Uint8Array,
  bigY: Secp256k1Point,
  choices: Uint8Array,
  rng: (length: number) => Uint8Array,
): { readonly bigX: Secp256k1Point[]; readonly seeds: Uint8Array } {
  if (choices.length !== BASE_OT_COUNT / 8) throw new RangeError('base OT needs 128 choice bits');
  // Y is the base of all 128 secret multiplications x_k·Y: one window table pays for itself
  // (width 6 measured cheapest for 128 uses, table build included).
  const base = secp256k1.Point.fromAffine(bigY.toAffine()).precompute(6, false);
  const xs: bigint[] = [];
  const bigX: Secp256k1Point[] = [];
  const sharedPoints: Secp256k1Point[] = [];
  for (let k = 0; k < BASE_OT_COUNT; k += 1) {
    const x = randomScalar(SECP256K1.Fn, rng);
    xs.push(x);
    bigX.push(multiplyBase(x).add(getBit(choices, k) === 1 ? bigY : SECP256K1.identity));
    sharedPoints.push(base.multiply(x));
  }
  const encodedY = bigY.toBytes(false);
  const encodedX = encodePointsUncompressed(bigX);
  const encodedShared = encodePointsUncompressed(sharedPoints);
  const seeds = new Uint8Array(BASE_OT_COUNT * SEED_BYTES);
  for (let k = 0; k < BASE_OT_COUNT; k += 1) {
    seeds.set(deriveKey(context, k, encodedY, encodedX[k]!, encodedShared[k]!), k * SEED_BYTES);
  }
  return { bigX, seeds };
}

/** Sender, step 2: both keys of every instance (seed k of each array at 16·k). */
export function baseOtSenderFinish(
  context: Uint8Array,
  secret: BaseOtSenderSecret,
  bigX: readonly Secp256k1Point[],
): { readonly seeds0: Uint8Array; readonly seeds1: Uint8Array } {
  if (bigX.length !== BASE_OT_COUNT) throw new RangeError('base OT needs 128 receiver points');
  const yY = multiplySecret(secret.bigY, secret.y);
  const shared0 = bigX.map((point) => multiplySecret(point, secret.y));
  const shared1 = shared0.map((point) => point.subtract(yY));
  // Xₖ = Y would make the second key the hash of the identity: only a cheating receiver does that.
  if (shared1.some((point) => point.is0())) throw new RangeError('a base-OT receiver point equals the sender point Y');
  const encodedY = secret.bigY.toBytes(false);
  const encodedX = encodePointsUncompressed(bigX);
  const encoded0 = encodePointsUncompressed(shared0);
  const encoded1 = encodePointsUncompressed(shared1);
  const seeds0 = new Uint8Array(BASE_OT_COUNT * SEED_BYTES);
  const seeds1 = new Uint8Array(BASE_OT_COUNT * SEED_BYTES);
  for (let k = 0; k < BASE_OT_COUNT; k += 1) {
    seeds0.set(deriveKey(context, k, encodedY, encodedX[k]!, encoded0[k]!), k * SEED_BYTES);
    seeds1.set(deriveKey(context, k, encodedY, encodedX[k]!, encoded1[k]!), k * SEED_BYTES);
  }
  return { seeds0, seeds1 };
}
