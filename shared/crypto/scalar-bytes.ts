/**
 * Conversions between 32-byte strings and bigints by DataView 64-bit reads and writes: fast (the OT
 * and MTA layers move hundreds of thousands of scalars per run) and, unlike the generic helpers'
 * hex round trip through lookup tables, without any table indexed by the bytes — so they serve
 * secret scalars too.
 */
const MASK_64 = (1n << 64n) - 1n;

/** The 256-bit big-endian integer at `offset` (not reduced). */
export function readUint256(bytes: Uint8Array, offset: number): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 32);
  // Two 128-bit halves first: shifting small BigInts is cheaper than growing one four times.
  const high = (view.getBigUint64(0) << 64n) | view.getBigUint64(8);
  const low = (view.getBigUint64(16) << 64n) | view.getBigUint64(24);
  return (high << 128n) | low;
}

/** Writes `value` (0 ≤ value < 2²⁵⁶) as 32 big-endian bytes at `offset`. */
export function writeUint256(bytes: Uint8Array, offset: number, value: bigint): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 32);
  view.setBigUint64(0, (value >> 192n) & MASK_64);
  view.setBigUint64(8, (value >> 128n) & MASK_64);
  view.setBigUint64(16, (value >> 64n) & MASK_64);
  view.setBigUint64(24, value & MASK_64);
}

/** The 256-bit little-endian integer at `offset` (not reduced). */
export function readUint256LE(bytes: Uint8Array, offset: number): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 32);
  const high = (view.getBigUint64(24, true) << 64n) | view.getBigUint64(16, true);
  const low = (view.getBigUint64(8, true) << 64n) | view.getBigUint64(0, true);
  return (high << 128n) | low;
}

/** Writes `value` (0 ≤ value < 2²⁵⁶) as 32 little-endian bytes at `offset`. */
export function writeUint256LE(bytes: Uint8Array, offset: number, value: bigint): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 32);
  view.setBigUint64(0, value & MASK_64, true);
  view.setBigUint64(8, (value >> 64n) & MASK_64, true);
  view.setBigUint64(16, (value >> 128n) & MASK_64, true);
  view.setBigUint64(24, (value >> 192n) & MASK_64, true);
}
