import { DecodeError } from '../crypto/errors.js';

/**
 * Compact little-endian binary encoding used by every protocol message. Writers grow a buffer;
 * readers check every length against the remaining bytes and throw {@link DecodeError}, never a
 * RangeError or an out-of-bounds read.
 */
export class ByteWriter {
  private buffer: Uint8Array;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(initialCapacity);
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  u8(value: number): this {
    this.reserve(1);
    this.buffer[this.length++] = value & 0xff;
    return this;
  }

  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new RangeError(`u32 out of range: ${value}`);
    this.reserve(4);
    new DataView(this.buffer.buffer, this.buffer.byteOffset).setUint32(this.length, value, true);
    this.length += 4;
    return this;
  }

  /** Bytes whose length both sides know (points, scalars, hashes). */
  fixed(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  /** Bytes prefixed with their u32 length. */
  bytes(bytes: Uint8Array): this {
    return this.u32(bytes.length).fixed(bytes);
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

export class ByteReader {
  private offset = 0;

  constructor(
    private readonly data: Uint8Array,
    /** Names the structure being decoded, for error messages. */
    private readonly what: string,
  ) {}

  private take(count: number): Uint8Array {
    if (count < 0 || this.offset + count > this.data.length) {
      throw new DecodeError(this.what, this.offset, `needs ${count} more bytes, ${this.data.length - this.offset} left`);
    }
    const slice = this.data.subarray(this.offset, this.offset + count);
    this.offset += count;
    return slice;
  }

  u8(): number {
    return this.take(1)[0]!;
  }

  u32(): number {
    const slice = this.take(4);
    return new DataView(slice.buffer, slice.byteOffset, 4).getUint32(0, true);
  }

  fixed(count: number): Uint8Array {
    return this.take(count).slice();
  }

  /** A u32-length-prefixed byte string, at most `maxLength` long. */
  bytes(maxLength: number): Uint8Array {
    const at = this.offset;
    const length = this.u32();
    if (length > maxLength) throw new DecodeError(this.what, at, `length ${length} exceeds the limit ${maxLength}`);
    return this.fixed(length);
  }

  /** A u32 count, at most `maxCount`. */
  count(maxCount: number): number {
    const at = this.offset;
    const value = this.u32();
    if (value > maxCount) throw new DecodeError(this.what, at, `count ${value} exceeds the limit ${maxCount}`);
    return value;
  }

  fail(message: string): never {
    throw new DecodeError(this.what, this.offset, message);
  }

  /** Throws unless every byte was consumed (trailing garbage is an error, not ignored). */
  end(): void {
    if (this.offset !== this.data.length) {
      throw new DecodeError(this.what, this.offset, `${this.data.length - this.offset} trailing bytes`);
    }
  }

  get position(): number {
    return this.offset;
  }
}

/**
 * A u32 count (at most `maxCount`), then that many u32 participant ids in strictly ascending order —
 * the one canonical encoding of a participant set in records and messages.
 */
export function readAscendingIds(reader: ByteReader, maxCount: number): number[] {
  const count = reader.count(maxCount);
  const ids: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const id = reader.u32();
    if (i > 0 && id <= ids[i - 1]!) reader.fail('participants are not strictly ascending');
    ids.push(id);
  }
  return ids;
}

/**
 * Every protocol message starts with a version byte and a message-type tag, so a node can refuse
 * messages from an incompatible peer with a clear error instead of misreading them.
 */
export const WIRE_VERSION = 1;

export function writeHeader(writer: ByteWriter, tag: number): ByteWriter {
  return writer.u8(WIRE_VERSION).u8(tag);
}

/** Reads and checks the header; returns the tag. */
export function readHeader(reader: ByteReader, allowedTags: readonly number[]): number {
  const version = reader.u8();
  if (version !== WIRE_VERSION) reader.fail(`wire version ${version}, expected ${WIRE_VERSION}`);
  const tag = reader.u8();
  if (!allowedTags.includes(tag)) reader.fail(`unknown message tag ${tag}`);
  return tag;
}
