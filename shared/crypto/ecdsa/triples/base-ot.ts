/**
 * Batch random OT, "Simplest OT" (Chou–Orlandi 2015) over secp256k1, 128 instances per run. The
 * base-OT sender draws y and sends Y = y·G; the receiver, with choice bits Δ, sends
 * Xₖ = xₖ·G + Δₖ·Y and keeps H(k, xₖ·Y); the sender derives H(k, y·Xₖ) and H(k, y·(Xₖ − Y)).
 * Every key hash binds the run's context (session and pair), the instance index and both
 * messages, so keys of different runs, pairs or instances never collide.
 *
 * In OT extension the roles cross: the extension receiver is the base-OT sender, and the
 * extension sender's secret Δ is the base-OT choice vector. Every multiplication by a secret is
 * libsecp256k1's constant-time one, and the receiver computes both xₖ·G and xₖ·G + Y for every k
 * and picks one by masking bytes with Δₖ: no branch or table index depends on Δ.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { randomScalar, SECP256K1 } from '../../group.js';
import { addPoints, multiplyGenerator, multiplySecret, negatePoint } from '../../native/libsecp256k1.js';
import { BASE_OT_COUNT, getBit } from './bit-matrix.js';
import { SEED_BYTES } from './aes.js';
import { sumPoints, type EncodedPoint } from './points.js';

const KEY_DOMAIN = new TextEncoder().encode('chainsig/triples/base-ot/v1');

export interface BaseOtSenderSecret {
  readonly y: bigint;
  readonly bigY: EncodedPoint;
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

/** `ifZero` when `bit` is 0, `ifOne` when it is 1, by masking every byte (no branch on `bit`). */
function selectBytes(bit: number, ifZero: Uint8Array, ifOne: Uint8Array): Uint8Array {
  const mask = -bit & 0xff;
  const selected = new Uint8Array(ifZero.length);
  for (let i = 0; i < selected.length; i += 1) selected[i] = ifZero[i]! ^ (mask & (ifZero[i]! ^ ifOne[i]!));
  return selected;
}

/** Sender, step 1: Y = y·G. */
export function baseOtSenderStart(rng: (length: number) => Uint8Array): BaseOtSenderSecret {
  const y = randomScalar(SECP256K1.Fn, rng);
  return { y, bigY: multiplyGenerator(y) };
}

/**
 * Receiver: for each of the 128 choice bits Δₖ (LSB-first in `choices`), Xₖ and the chosen key.
 * Returns the X points to send and the 128 chosen 16-byte seeds (seed k at 16·k).
 */
export function baseOtReceive(
  context: Uint8Array,
  bigY: EncodedPoint,
  choices: Uint8Array,
  rng: (length: number) => Uint8Array,
): { readonly bigX: EncodedPoint[]; readonly seeds: Uint8Array } {
  if (choices.length !== BASE_OT_COUNT / 8) throw new RangeError('base OT needs 128 choice bits');
  const bigX: EncodedPoint[] = [];
  const seeds = new Uint8Array(BASE_OT_COUNT * SEED_BYTES);
  for (let k = 0; k < BASE_OT_COUNT; k += 1) {
    const x = randomScalar(SECP256K1.Fn, rng);
    const xG = multiplyGenerator(x);
    const point = selectBytes(getBit(choices, k), xG, sumPoints([xG, bigY], 'a base-OT receiver point and Y'));
    bigX.push(point);
    seeds.set(deriveKey(context, k, bigY, point, multiplySecret(bigY, x)), k * SEED_BYTES);
  }
  return { bigX, seeds };
}

/** Sender, step 2: both keys of every instance (seed k of each array at 16·k). */
export function baseOtSenderFinish(
  context: Uint8Array,
  secret: BaseOtSenderSecret,
  bigX: readonly EncodedPoint[],
): { readonly seeds0: Uint8Array; readonly seeds1: Uint8Array } {
  if (bigX.length !== BASE_OT_COUNT) throw new RangeError('base OT needs 128 receiver points');
  const minusYY = negatePoint(multiplySecret(secret.bigY, secret.y));
  const seeds0 = new Uint8Array(BASE_OT_COUNT * SEED_BYTES);
  const seeds1 = new Uint8Array(BASE_OT_COUNT * SEED_BYTES);
  for (let k = 0; k < BASE_OT_COUNT; k += 1) {
    const shared0 = multiplySecret(bigX[k]!, secret.y);
    // Xₖ = Y would make the second key the hash of the identity: only a cheating receiver does that.
    const shared1 = addPoints([shared0, minusYY]);
    if (shared1 === undefined) throw new RangeError('a base-OT receiver point equals the sender point Y');
    seeds0.set(deriveKey(context, k, secret.bigY, bigX[k]!, shared0), k * SEED_BYTES);
    seeds1.set(deriveKey(context, k, secret.bigY, bigX[k]!, shared1), k * SEED_BYTES);
  }
  return { seeds0, seeds1 };
}
