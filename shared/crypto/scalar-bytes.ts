/**
 * Fast conversions between 32-byte big-endian strings and bigints for the OT and MTA layers,
 * which move hundreds of thousands of scalars per run, and for the native secp256k1 calls: DataView
 * 64-bit reads avoid the hex round trip of the generic helpers.
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
