/**
 * Strict readers for JSON method arguments. Every reader names the field it rejects (`where`), so a
 * malformed call ends in a message such as `InvalidArguments: request.domain_id: expected a
 * non-negative integer, got "0"`.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { fail } from './errors.js';

export type JsonObject = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function invalid(where: string, expected: string, value: unknown): never {
  return fail('InvalidArguments', `${where}: expected ${expected}, got ${describe(value)}`);
}

/** Parses call input as a JSON object. Empty input counts as `{}` (NEAR clients send nothing for no arguments). */
export function parseJsonObject(input: Uint8Array, maxBytes: number): JsonObject {
  if (input.length > maxBytes) fail('InvalidArguments', `arguments are ${input.length} bytes, more than the limit of ${maxBytes}`);
  if (input.length === 0) return {};
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    return fail('InvalidArguments', 'arguments are not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail('InvalidArguments', `arguments are not valid JSON (${(error as Error).message})`);
  }
  return object(value, 'arguments');
}

export function object(value: unknown, where: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(where, 'an object', value);
  return value as JsonObject;
}

/** Rejects fields other than `allowed`: a misspelt field name must not be silently ignored. */
export function onlyKeys(value: JsonObject, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail('InvalidArguments', `${where}: unknown field "${key}" (allowed: ${allowed.join(', ')})`);
  }
}

export function string(value: unknown, where: string, maxLength = 1024): string {
  if (typeof value !== 'string') invalid(where, 'a string', value);
  if (value.length > maxLength) fail('InvalidArguments', `${where}: longer than ${maxLength} characters`);
  return value;
}

export function boolean(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') invalid(where, 'true or false', value);
  return value;
}

/** A JSON number that is an integer in [0, max] (u32 / u64 ids, block heights, thresholds). */
export function integer(value: unknown, where: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    invalid(where, `an integer from 0 to ${max}`, value);
  }
  return value;
}

export const U32_MAX = 0xffff_ffff;

/** A yoctoNEAR amount as NEAR's JSON `U128` (a decimal string). */
export function yocto(value: unknown, where: string): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,38})$/.test(value)) invalid(where, 'a yoctoNEAR amount as a decimal string', value);
  const amount = BigInt(value);
  if (amount >= 1n << 128n) invalid(where, 'an amount below 2^128', value);
  return amount;
}

/** A JSON array of byte values (Rust `Vec<u8>` / `[u8; N]` in serde JSON). */
export function byteArray(value: unknown, where: string, length: { exact?: number; max?: number }): Uint8Array {
  if (!Array.isArray(value)) invalid(where, 'an array of bytes', value);
  if (length.exact !== undefined && value.length !== length.exact) fail('InvalidArguments', `${where}: expected ${length.exact} bytes, got ${value.length}`);
  if (length.max !== undefined && value.length > length.max) fail('InvalidArguments', `${where}: ${value.length} bytes, more than the limit of ${length.max}`);
  const bytes = new Uint8Array(value.length);
  value.forEach((byte, index) => {
    if (typeof byte !== 'number' || !Number.isInteger(byte) || byte < 0 || byte > 255) invalid(`${where}[${index}]`, 'a byte (0..255)', byte);
    bytes[index] = byte;
  });
  return bytes;
}

/** Hex without `0x`, either case (Rust's `hex` crate accepts both). */
export function hexBytes(value: unknown, where: string, length: { exact?: number; max?: number }): Uint8Array {
  if (typeof value !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(value)) invalid(where, 'hex of whole bytes', value);
  const size = value.length / 2;
  if (length.exact !== undefined && size !== length.exact) fail('InvalidArguments', `${where}: expected ${length.exact} bytes of hex, got ${size}`);
  if (length.max !== undefined && size > length.max) fail('InvalidArguments', `${where}: ${size} bytes, more than the limit of ${length.max}`);
  return hexToBytes(value.toLowerCase());
}

// NEAR account id rules (nearcore `AccountId::validate`): 2..64 characters, parts of [a-z0-9] joined by
// single '-', '_' or '.'; 64 lower-case hex characters are implicit accounts and match the same rule.
const ACCOUNT_ID = /^(?:[a-z0-9]+[-_])*[a-z0-9]+(?:\.(?:[a-z0-9]+[-_])*[a-z0-9]+)*$/;

export function accountId(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length < 2 || value.length > 64 || !ACCOUNT_ID.test(value)) {
    invalid(where, 'a valid NEAR account id', value);
  }
  return value;
}

export function optional<T>(value: unknown, read: (value: unknown) => T): T | undefined {
  return value === undefined || value === null ? undefined : read(value);
}

export function array(value: unknown, where: string, maxLength: number): unknown[] {
  if (!Array.isArray(value)) invalid(where, 'an array', value);
  if (value.length > maxLength) fail('InvalidArguments', `${where}: ${value.length} entries, more than the limit of ${maxLength}`);
  return value;
}
