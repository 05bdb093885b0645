/**
 * AES-based symmetric primitives of the OT extension, all through node:crypto so they run on
 * AES-NI instead of in JavaScript (the extension pushes megabytes through them per run):
 *
 * - a PRG: AES-128-CTR keyed by a 16-byte base-OT seed, IV 0. Each seed is fresh per run and
 *   keys exactly one stream, so the (key, counter) pairs never repeat.
 * - a tweakable correlation-robust hash (TCCR, Guo–Katz–Wang–Yu 2020, "MMO with a tweak"):
 *   H(i, x) = π(π(x) ⊕ i) ⊕ π(x) with π = AES-128 under a key that is public but fresh per run
 *   (derived from the session id, so no precomputation against a global fixed key helps).
 *   Two tweaks per row give the 256 bits needed for a scalar.
 * - GHASH from AES-GCM as the polynomial hash Σ Xⱼ·H^(L−j+2) over GF(2¹²⁸), for the KOS
 *   consistency check; plus one software GF(2¹²⁸) multiplication for x·Δ.
 */
import { createCipheriv } from 'node:crypto';
import { ROW_BYTES } from './bit-matrix.js';

export const SEED_BYTES = 16;

function ecb(key: Uint8Array, data: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  return cipher.update(data);
}

/** `length` pseudorandom bytes from a 16-byte seed (AES-128-CTR keystream). */
export function expandSeed(seed: Uint8Array, length: number): Uint8Array {
  if (seed.length !== SEED_BYTES) throw new RangeError(`PRG seed must be ${SEED_BYTES} bytes`);
  return createCipheriv('aes-128-ctr', seed, new Uint8Array(16)).update(new Uint8Array(length));
}

/**
 * Hashes `count` 128-bit rows (optionally each XORed with `mask`, the sender's Δ) to 256-bit
 * outputs, row j under tweak `firstTweak + j`. Output row j is bytes [32j, 32j + 32).
 */
export function tccrHashRows(key: Uint8Array, rows: Uint8Array, count: number, firstTweak: number, mask?: Uint8Array): Uint8Array {
  const input = rows.slice(0, count * ROW_BYTES);
  if (mask !== undefined) {
    for (let j = 0; j < count; j += 1) for (let b = 0; b < ROW_BYTES; b += 1) input[j * ROW_BYTES + b]! ^= mask[b]!;
  }
  const permuted = ecb(key, input);
  const permutedWords = new Uint32Array(permuted.buffer, permuted.byteOffset, permuted.length / 4);
  const tweaked = new Uint32Array(count * 8);
  for (let j = 0; j < count; j += 1) {
    for (let w = 0; w < 4; w += 1) {
      const word = permutedWords[j * 4 + w]!;
      tweaked[j * 8 + w] = word;
      tweaked[j * 8 + 4 + w] = word;
    }
    // Tweak 2·(firstTweak + j) + half, in the first word of each half.
    const tweak = 2 * (firstTweak + j);
    tweaked[j * 8]! ^= tweak;
    tweaked[j * 8 + 4]! ^= tweak + 1;
  }
  const output = ecb(key, new Uint8Array(tweaked.buffer));
  const outputWords = new Uint32Array(output.buffer, output.byteOffset, output.length / 4);
  for (let j = 0; j < count; j += 1) {
    for (let w = 0; w < 4; w += 1) {
      const word = permutedWords[j * 4 + w]!;
      outputWords[j * 8 + w]! ^= word;
      outputWords[j * 8 + 4 + w]! ^= word;
    }
  }
  return output;
}

/**
 * X·Y in GF(2¹²⁸) with GCM's bit order and reduction polynomial (NIST SP 800-38D, Algorithm 1). Y is
 * the OT sender's secret Δ in the consistency check, so the bits of both operands select by masks,
 * never by branches.
 */
export function gf128Multiply(x: Uint8Array, y: Uint8Array): Uint8Array {
  const xv = new DataView(x.buffer, x.byteOffset, 16);
  const yv = new DataView(y.buffer, y.byteOffset, 16);
  let v0 = yv.getUint32(0);
  let v1 = yv.getUint32(4);
  let v2 = yv.getUint32(8);
  let v3 = yv.getUint32(12);
  let z0 = 0;
  let z1 = 0;
  let z2 = 0;
  let z3 = 0;
  for (let i = 0; i < 128; i += 1) {
    const take = -((xv.getUint8(i >>> 3) >>> (7 - (i & 7))) & 1);
    z0 ^= v0 & take;
    z1 ^= v1 & take;
    z2 ^= v2 & take;
    z3 ^= v3 & take;
    const reduce = -(v3 & 1) & 0xe1000000;
    v3 = (v3 >>> 1) | ((v2 & 1) << 31);
    v2 = (v2 >>> 1) | ((v1 & 1) << 31);
    v1 = (v1 >>> 1) | ((v0 & 1) << 31);
    v0 = (v0 >>> 1) ^ reduce;
  }
  const out = new Uint8Array(16);
  const ov = new DataView(out.buffer);
  ov.setUint32(0, z0 >>> 0);
  ov.setUint32(4, z1 >>> 0);
  ov.setUint32(8, z2 >>> 0);
  ov.setUint32(12, z3 >>> 0);
  return out;
}

/** GCM's representation of the field element 1. */
export const GF128_ONE = Uint8Array.of(0x80, ...new Array<number>(15).fill(0));

/**
 * The linear polynomial hash Σⱼ Xⱼ·H^(L−j+2) of L 16-byte rows, H = AES_key(0¹²⁸): GHASH over
 * the rows as GCM additional data, with GCM's own masking and its length block removed so the
 * result is linear in the rows (what the consistency check needs).
 */
export function polynomialHash(key: Uint8Array, rows: Uint8Array): Uint8Array {
  if (rows.length % ROW_BYTES !== 0) throw new RangeError('polynomial hash input is not whole rows');
  const iv = new Uint8Array(12);
  const gcm = createCipheriv('aes-128-gcm', key, iv);
  gcm.setAAD(rows);
  gcm.final();
  const tag = new Uint8Array(gcm.getAuthTag());
  // tag = GHASH_H(rows ‖ lengths) ⊕ AES_key(IV ‖ 0³¹1).
  const counterBlock = new Uint8Array(16);
  counterBlock[15] = 1;
  const encryptedCounter = ecb(key, counterBlock);
  const hashKey = ecb(key, new Uint8Array(16));
  const lengthBlock = new Uint8Array(16);
  new DataView(lengthBlock.buffer).setBigUint64(0, BigInt(rows.length) * 8n);
  const lengthTerm = gf128Multiply(lengthBlock, hashKey);
  for (let i = 0; i < 16; i += 1) tag[i]! ^= encryptedCounter[i]! ^ lengthTerm[i]!;
  return tag;
}
