/** Byte and text encodings the chain shares with NEAR's JSON: base58 hashes, base64 payloads, hex storage keys. */
import { sha256 } from '@noble/hashes/sha2.js';
import { base58, base64 } from '@scure/base';

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Base58 of the all-zero 32-byte hash, NEAR's "no hash" (`11111111111111111111111111111111`). */
export const ZERO_HASH = base58.encode(new Uint8Array(32));

export function sha256Bytes(...parts: readonly (Uint8Array | string)[]): Uint8Array {
  const hash = sha256.create();
  for (const part of parts) hash.update(typeof part === 'string' ? utf8.encode(part) : part);
  return hash.digest();
}

/** Base58 SHA-256 of the parts: receipt ids, data ids, block and chunk hashes. */
export function hashId(...parts: readonly (Uint8Array | string)[]): string {
  return base58.encode(sha256Bytes(...parts));
}

export function u64Bytes(value: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
  return out;
}

export const toBase64 = (bytes: Uint8Array): string => base64.encode(bytes);
export const toBase58 = (bytes: Uint8Array): string => base58.encode(bytes);

/** Strict base64 (padding required, as nearcore's decoder); throws on anything else. */
export function fromBase64(text: string): Uint8Array {
  return base64.decode(text);
}

export function fromBase58(text: string): Uint8Array {
  return base58.decode(text);
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Decodes UTF-8 and fails on invalid sequences instead of substituting U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8Strict.decode(bytes);
}

// NEAR account id rules (nearcore `AccountId::validate`): 2–64 characters, lower-case alphanumeric
// parts separated by `-` or `_`, joined with dots; no leading, trailing or doubled separators.
const ACCOUNT_ID_PATTERN = /^(([a-z\d]+[-_])*[a-z\d]+\.)*([a-z\d]+[-_])*[a-z\d]+$/;

export function isValidAccountId(accountId: string): boolean {
  return accountId.length >= 2 && accountId.length <= 64 && ACCOUNT_ID_PATTERN.test(accountId);
}

/** NEAR implicit accounts: 64 lower-case hex characters (the ed25519 public key). */
export function isImplicitAccountId(accountId: string): boolean {
  return /^[0-9a-f]{64}$/.test(accountId);
}

/** Whether `accountId` is a direct sub-account of `parentId` (`a.parent` of `parent`). */
export function isSubAccountOf(accountId: string, parentId: string): boolean {
  return accountId.endsWith(`.${parentId}`) && !accountId.slice(0, -parentId.length - 1).includes('.');
}

export function isTopLevelAccountId(accountId: string): boolean {
  return !accountId.includes('.');
}
