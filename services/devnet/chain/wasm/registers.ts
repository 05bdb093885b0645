/**
 * NEAR's registers: host functions leave results in numbered registers and the contract copies them
 * into its memory (`read_register`), so the host never writes where the contract did not ask.
 * Limits and errors are nearcore's: a missing register is `InvalidRegisterId`, going over a limit is
 * `MemoryAccessViolation` (even when replacing a register at the count limit, a quirk nearcore keeps).
 */
import { HostFailure } from '../gas.js';

/** nearcore `limit_config`: `max_register_size`, `max_number_registers`, `registers_memory_limit`. */
export const REGISTER_LIMITS = {
  maxRegisterBytes: 100 * 1024 * 1024,
  maxRegisters: 100,
  totalMemoryBytes: 1024 * 1024 * 1024,
} as const;

/** nearcore counts each register as its length plus a u64. */
const REGISTER_OVERHEAD_BYTES = 8;

export class Registers {
  private readonly values = new Map<bigint, Uint8Array>();
  private memoryUsage = 0;

  get(registerId: bigint): Uint8Array {
    const value = this.values.get(registerId);
    if (value === undefined) throw new HostFailure({ InvalidRegisterId: { register_id: Number(registerId) } });
    return value;
  }

  /** The register's length, or null if it was never written. */
  length(registerId: bigint): number | null {
    return this.values.get(registerId)?.length ?? null;
  }

  set(registerId: bigint, value: Uint8Array): void {
    if (value.length > REGISTER_LIMITS.maxRegisterBytes || this.values.size >= REGISTER_LIMITS.maxRegisters) throw new HostFailure('MemoryAccessViolation');
    const previous = this.values.get(registerId);
    const usage = this.memoryUsage - (previous === undefined ? 0 : previous.length + REGISTER_OVERHEAD_BYTES) + value.length + REGISTER_OVERHEAD_BYTES;
    if (usage > REGISTER_LIMITS.totalMemoryBytes) throw new HostFailure('MemoryAccessViolation');
    this.memoryUsage = usage;
    this.values.set(registerId, value.slice());
  }
}
