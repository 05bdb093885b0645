/**
 * In-memory counts of the assets this node owns, per partition. Only the owner takes from its own
 * partitions (followers take from partitions owned by others, in their own stores), so after the
 * counts are read from the store at start they follow every put and take exactly; a periodic resync
 * is a safety net (a take that failed halfway, a crash of a previous process between put and count).
 */
import type { ParticipantId } from '../../../shared/crypto/protocol.js';
import { parsePartition, type ParsedPartition } from '../assets.js';

interface Entry {
  readonly parsed: ParsedPartition;
  count: number;
  /** Triples set aside for presign runs being started (triple partitions only). */
  reserved: number;
  /** Bumped on every local change, so a resync that raced with one is not applied. */
  version: number;
}

export class OwnAssets {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly me: ParticipantId) {}

  private entry(partition: string): Entry {
    let entry = this.entries.get(partition);
    if (entry === undefined) {
      const parsed = parsePartition(partition);
      if (parsed === null || parsed.owner !== this.me) throw new RangeError(`${partition} is not a partition owned by participant ${this.me}`);
      entry = { parsed, count: 0, reserved: 0, version: 0 };
      this.entries.set(partition, entry);
    }
    return entry;
  }

  track(partition: string): void {
    this.entry(partition);
  }

  added(partition: string, count = 1): void {
    const entry = this.entry(partition);
    entry.count += count;
    entry.version += 1;
  }

  removed(partition: string, count = 1): void {
    const entry = this.entry(partition);
    entry.count = Math.max(0, entry.count - count);
    entry.version += 1;
  }

  /** Stops counting a partition whose assets were all deleted (a retired epoch's). */
  forget(partition: string): void {
    this.entries.delete(partition);
  }

  /** Sets aside `count` assets for a run about to take them; false if there are not that many free. */
  reserve(partition: string, count: number): boolean {
    const entry = this.entry(partition);
    if (entry.count - entry.reserved < count) return false;
    entry.reserved += count;
    return true;
  }

  release(partition: string, count: number): void {
    const entry = this.entry(partition);
    entry.reserved = Math.max(0, entry.reserved - count);
  }

  count(partition: string): number {
    return this.entries.get(partition)?.count ?? 0;
  }

  available(partition: string): number {
    const entry = this.entries.get(partition);
    return entry === undefined ? 0 : entry.count - entry.reserved;
  }

  version(partition: string): number {
    return this.entries.get(partition)?.version ?? 0;
  }

  /** Applies a count read from the store, unless the partition changed locally since `versionBefore`. */
  resynced(partition: string, stored: number, versionBefore: number): boolean {
    const entry = this.entry(partition);
    if (entry.version !== versionBefore) return false;
    entry.count = stored;
    return true;
  }

  partitions(filter: (parsed: ParsedPartition) => boolean = () => true): { partition: string; parsed: ParsedPartition }[] {
    return [...this.entries].filter(([, entry]) => filter(entry.parsed)).map(([partition, entry]) => ({ partition, parsed: entry.parsed }));
  }
}
