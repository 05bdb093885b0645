/**
 * Bit-matrix helpers for OT extension. The extension works on a 128 × rows bit matrix stored
 * column-major (one column per base OT, as produced by the PRG) and needs it row-major (one
 * 128-bit row per extended OT). Both layouts number bits LSB-first inside each byte, so the
 * transpose below works on little-endian 32-bit words; the module refuses to load on a
 * big-endian host rather than silently producing a different bit order from its peers.
 */
import { endianness } from 'node:os';

if (endianness() !== 'LE') throw new Error('OT extension bit matrices assume a little-endian host');

/** Number of base OTs and width of every extended-OT row, in bits. */
export const BASE_OT_COUNT = 128;
/** Bytes in one 128-bit row. */
export const ROW_BYTES = BASE_OT_COUNT / 8;

/** In-place transpose of a 32 × 32 bit block held as 32 words (bit c of word r ↔ bit r of word c). */
function transpose32(block: Uint32Array): void {
  let mask = 0x0000ffff;
  for (let width = 16; width !== 0; width >>>= 1, mask ^= mask << width) {
    for (let row = 0; row < 32; row = ((row | width) + 1) & ~width) {
      const swap = ((block[row]! >>> width) ^ block[row | width]!) & mask;
      block[row | width]! ^= swap;
      block[row]! ^= swap << width;
    }
  }
}

/**
 * Transposes 128 columns of `rowCount` bits (column c at byte offset c·rowCount/8) into
 * `rowCount` rows of 128 bits (row r at byte offset 16·r). `rowCount` must be a multiple of 32.
 */
export function transposeColumnsToRows(columns: Uint8Array, rowCount: number): Uint8Array {
  if (rowCount % 32 !== 0) throw new RangeError(`row count ${rowCount} is not a multiple of 32`);
  if (columns.length !== (BASE_OT_COUNT * rowCount) / 8) throw new RangeError('column matrix has the wrong size');
  const columnWords = new Uint32Array(columns.buffer, columns.byteOffset, columns.length / 4);
  const rows = new Uint8Array(rowCount * ROW_BYTES);
  const rowWords = new Uint32Array(rows.buffer);
  const wordsPerColumn = rowCount / 32;
  const block = new Uint32Array(32);
  for (let rowBlock = 0; rowBlock < wordsPerColumn; rowBlock += 1) {
    for (let columnBlock = 0; columnBlock < 4; columnBlock += 1) {
      const firstColumn = columnBlock * 32;
      for (let i = 0; i < 32; i += 1) block[i] = columnWords[(firstColumn + i) * wordsPerColumn + rowBlock]!;
      transpose32(block);
      const firstRow = rowBlock * 32;
      for (let i = 0; i < 32; i += 1) rowWords[(firstRow + i) * 4 + columnBlock] = block[i]!;
    }
  }
  return rows;
}

/** Bit `index` of a LSB-first bit string. */
export function getBit(bits: Uint8Array, index: number): number {
  return (bits[index >>> 3]! >>> (index & 7)) & 1;
}
