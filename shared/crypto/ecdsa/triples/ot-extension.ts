/**
 * Random OT extension, KOS15 style: 128 base OTs (with crossed roles) are stretched by a PRG
 * into `count` correlated OTs Qⱼ = Tⱼ ⊕ rⱼ·Δ, checked for consistency, then hashed into random
 * OTs whose messages are 256-bit strings (reduced to scalars by the MTA layer).
 *
 * Consistency check (KOS15 §3, with a polynomial universal hash as in SoftSpoken, Roy 2022):
 * after the receiver has sent U, the sender picks a fresh 128-bit key K; both sides hash rows
 * with the linear polynomial hash Φ_K over GF(2¹²⁸) (GHASH with H = AES_K(0)). The receiver
 * sends x = Φ_K(r·1) and t = Φ_K(T); the sender accepts iff Φ_K(Q) = t ⊕ x·Δ. A receiver who
 * used inconsistent choice bits in some column passes only by guessing the matching bits of Δ
 * (one bit per cheated position) or by a hash collision (probability ≤ (rows+1)/2¹²⁸).
 * `CHECK_PADDING_ROWS` extra rows with random choice bits, discarded afterwards, keep x from
 * revealing anything about the choice bits that are used.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { expandSeed, GF128_ONE, gf128Multiply, polynomialHash, SEED_BYTES, tccrHashRows } from './aes.js';
import { baseOtReceive, baseOtSenderFinish, baseOtSenderStart, type BaseOtSenderSecret } from './base-ot.js';
import { BASE_OT_COUNT, getBit, ROW_BYTES, transposeColumnsToRows } from './bit-matrix.js';
import type { EncodedPoint } from './points.js';

/** κ + λ rows with random choice bits that only serve the consistency check. */
export const CHECK_PADDING_ROWS = 256;
/** The receiver's answer to the challenge: x ‖ t, 16 bytes each. */
export const CHECK_BYTES = 2 * ROW_BYTES;
/** Bytes of one random-OT message. */
export const OT_MESSAGE_BYTES = 32;

const HASH_KEY_DOMAIN = new TextEncoder().encode('chainsig/triples/ot-hash-key/v1');

/** Total extended rows for `count` used OTs: padded for the check, a multiple of 128. */
export function extendedRowCount(count: number): number {
  return Math.ceil((count + CHECK_PADDING_ROWS) / 128) * 128;
}

/** Bytes of the receiver's U matrix for `count` used OTs. */
export function correctionBytes(count: number): number {
  return (BASE_OT_COUNT * extendedRowCount(count)) / 8;
}

function hashKeyFor(context: Uint8Array): Uint8Array {
  const input = new Uint8Array(HASH_KEY_DOMAIN.length + context.length);
  input.set(HASH_KEY_DOMAIN);
  input.set(context, HASH_KEY_DOMAIN.length);
  return sha256(input).subarray(0, 16);
}

/** The extension receiver (the base-OT sender): chooses the bits, learns one message per OT. */
export class OtExtensionReceiver {
  private readonly rowCount: number;
  private readonly baseOt: BaseOtSenderSecret;
  private choices: Uint8Array | undefined;
  private rows: Uint8Array | undefined;

  constructor(
    private readonly context: Uint8Array,
    /** Number of random OTs the caller will use. */
    private readonly count: number,
    private readonly rng: (length: number) => Uint8Array,
  ) {
    this.rowCount = extendedRowCount(count);
    this.baseOt = baseOtSenderStart(rng);
  }

  /** The base-OT sender's point Y, the first message. */
  get bigY(): EncodedPoint {
    return this.baseOt.bigY;
  }

  /** Completes the base OTs and returns U, column-major (column k at k·rows/8). */
  extend(bigX: readonly EncodedPoint[]): Uint8Array {
    const { seeds0, seeds1 } = baseOtSenderFinish(this.context, this.baseOt, bigX);
    const columnBytes = this.rowCount / 8;
    const choices = this.rng(columnBytes);
    const t0 = new Uint8Array(BASE_OT_COUNT * columnBytes);
    const correction = new Uint8Array(BASE_OT_COUNT * columnBytes);
    for (let k = 0; k < BASE_OT_COUNT; k += 1) {
      const column0 = expandSeed(seeds0.subarray(k * SEED_BYTES, (k + 1) * SEED_BYTES), columnBytes);
      const column1 = expandSeed(seeds1.subarray(k * SEED_BYTES, (k + 1) * SEED_BYTES), columnBytes);
      t0.set(column0, k * columnBytes);
      const at = k * columnBytes;
      for (let i = 0; i < columnBytes; i += 1) correction[at + i] = column0[i]! ^ column1[i]! ^ choices[i]!;
    }
    this.choices = choices;
    this.rows = transposeColumnsToRows(t0, this.rowCount);
    return correction;
  }

  /** x ‖ t for the sender's challenge key. */
  answerChallenge(challenge: Uint8Array): Uint8Array {
    const { choices, rows } = this.extended();
    // Row j is rⱼ·1; GCM's 1 is a single bit in the first byte, masked in by the choice bit.
    const choiceRows = new Uint8Array(this.rowCount * ROW_BYTES);
    for (let j = 0; j < this.rowCount; j += 1) choiceRows[j * ROW_BYTES] = GF128_ONE[0]! & -getBit(choices, j);
    const answer = new Uint8Array(CHECK_BYTES);
    answer.set(polynomialHash(challenge, choiceRows), 0);
    answer.set(polynomialHash(challenge, rows), ROW_BYTES);
    return answer;
  }

  /** The used OTs: choice bits (LSB-first) and the chosen 32-byte message of each (at 32·j). */
  output(): { readonly choices: Uint8Array; readonly messages: Uint8Array } {
    const { choices, rows } = this.extended();
    return { choices, messages: tccrHashRows(hashKeyFor(this.context), rows, this.count, 0) };
  }

  private extended(): { choices: Uint8Array; rows: Uint8Array } {
    if (this.choices === undefined || this.rows === undefined) throw new Error('OT extension receiver has not extended yet');
    return { choices: this.choices, rows: this.rows };
  }
}

/** The extension sender (the base-OT receiver with choice bits Δ): learns both messages of every OT. */
export class OtExtensionSender {
  private readonly rowCount: number;
  private readonly delta: Uint8Array;
  private seeds: Uint8Array | undefined;
  private rows: Uint8Array | undefined;
  private challenge: Uint8Array | undefined;
  private checked = false;

  constructor(
    private readonly context: Uint8Array,
    private readonly count: number,
    private readonly rng: (length: number) => Uint8Array,
  ) {
    this.rowCount = extendedRowCount(count);
    this.delta = rng(ROW_BYTES);
  }

  /** Base OT as receiver with choices Δ: returns the points X to send. */
  receiveBaseOt(bigY: EncodedPoint): EncodedPoint[] {
    const { bigX, seeds } = baseOtReceive(this.context, bigY, this.delta, this.rng);
    this.seeds = seeds;
    return bigX;
  }

  /** Takes the receiver's U (validated length) and returns a fresh challenge key. */
  receiveCorrection(correction: Uint8Array): Uint8Array {
    if (this.seeds === undefined) throw new Error('OT extension sender has no base OT seeds yet');
    const columnBytes = this.rowCount / 8;
    if (correction.length !== BASE_OT_COUNT * columnBytes) throw new RangeError('correction matrix has the wrong size');
    const q = new Uint8Array(BASE_OT_COUNT * columnBytes);
    for (let k = 0; k < BASE_OT_COUNT; k += 1) {
      const column = expandSeed(this.seeds.subarray(k * SEED_BYTES, (k + 1) * SEED_BYTES), columnBytes);
      const at = k * columnBytes;
      // Qₖ = column ⊕ Δₖ·Uₖ, with Δₖ applied as a byte mask rather than a branch.
      const mask = -getBit(this.delta, k) & 0xff;
      for (let i = 0; i < columnBytes; i += 1) q[at + i] = column[i]! ^ (correction[at + i]! & mask);
    }
    this.rows = transposeColumnsToRows(q, this.rowCount);
    this.challenge = this.rng(16);
    return this.challenge;
  }

  /** True iff the receiver's answer passes the check; no output is available otherwise. */
  check(answer: Uint8Array): boolean {
    if (this.rows === undefined || this.challenge === undefined) throw new Error('OT extension sender has not issued a challenge');
    if (answer.length !== CHECK_BYTES) throw new RangeError('consistency answer has the wrong size');
    const expected = gf128Multiply(answer.subarray(0, ROW_BYTES), this.delta);
    const t = answer.subarray(ROW_BYTES);
    const actual = polynomialHash(this.challenge, this.rows);
    let difference = 0;
    for (let i = 0; i < ROW_BYTES; i += 1) difference |= actual[i]! ^ expected[i]! ^ t[i]!;
    this.checked = difference === 0;
    return this.checked;
  }

  /** Both 32-byte messages of every used OT (message j at 32·j). Only after a passed check. */
  output(): { readonly messages0: Uint8Array; readonly messages1: Uint8Array } {
    if (!this.checked || this.rows === undefined) throw new Error('OT extension output requested before a passed consistency check');
    const key = hashKeyFor(this.context);
    return {
      messages0: tccrHashRows(key, this.rows, this.count, 0),
      messages1: tccrHashRows(key, this.rows, this.count, 0, this.delta),
    };
  }
}
