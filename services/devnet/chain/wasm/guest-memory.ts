/**
 * The contract's linear memory as host functions see it: every pointer and length is a u64, and an
 * access that does not fit the memory fails with nearcore's `MemoryAccessViolation` instead of
 * reading or writing anything. The buffer is looked up on every access because `memory.grow`
 * replaces it.
 */
import { HostFailure } from '../gas.js';

export const U64_MAX = (1n << 64n) - 1n;
const U128_BYTES = 16;

export class GuestMemory {
  /** `memory` is null for a module that has none: every access then fails. */
  constructor(private readonly memory: WebAssembly.Memory | null) {}

  private bytesAt(ptr: bigint, len: bigint): Uint8Array {
    const buffer = this.memory?.buffer;
    if (buffer === undefined || ptr < 0n || len < 0n || ptr + len > BigInt(buffer.byteLength)) throw new HostFailure('MemoryAccessViolation');
    return new Uint8Array(buffer, Number(ptr), Number(len));
  }

  /** A copy of `len` bytes at `ptr`. */
  read(ptr: bigint, len: bigint): Uint8Array {
    return this.bytesAt(ptr, len).slice();
  }

  write(ptr: bigint, bytes: Uint8Array): void {
    this.bytesAt(ptr, BigInt(bytes.length)).set(bytes);
  }

  readU128(ptr: bigint): bigint {
    const bytes = this.bytesAt(ptr, BigInt(U128_BYTES));
    let value = 0n;
    for (let index = U128_BYTES - 1; index >= 0; index -= 1) value = (value << 8n) | BigInt(bytes[index]!);
    return value;
  }

  writeU128(ptr: bigint, value: bigint): void {
    const bytes = new Uint8Array(U128_BYTES);
    let rest = BigInt.asUintN(128, value);
    for (let index = 0; index < U128_BYTES; index += 1) {
      bytes[index] = Number(rest & 0xffn);
      rest >>= 8n;
    }
    this.write(ptr, bytes);
  }

  /** The bytes from `ptr` up to (not including) the first `unit`-wide zero, at most `maxBytes` of them; null if none ends within that. */
  readTerminated(ptr: bigint, unit: 1 | 2, maxBytes: number): Uint8Array | null {
    for (let length = 0; length <= maxBytes; length += unit) {
      const unitBytes = this.bytesAt(ptr + BigInt(length), BigInt(unit));
      if (unitBytes.every((byte) => byte === 0)) return this.read(ptr, BigInt(length));
    }
    return null;
  }
}
