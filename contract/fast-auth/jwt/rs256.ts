/**
 * RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 8017 §8.2.2) verification in plain TypeScript with
 * bigint arithmetic, so that it runs inside a contract without node:crypto or WebCrypto.
 * Only public data is handled, so constant time is not needed; the encoded message is still compared
 * in full rather than stopping at the first difference.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { base64urlnopad } from '@scure/base';

/** A public key as stored on chain: the JWK members `kid`, `n` and `e` (base64url, no padding). */
export interface RsaJwk {
  readonly kid?: string;
  readonly n: string;
  readonly e: string;
}

export interface RsaPublicKey {
  readonly kid?: string;
  readonly modulus: bigint;
  readonly exponent: bigint;
  /** k in RFC 8017: the modulus length in bytes, which every signature must have. */
  readonly size: number;
}

export const MIN_MODULUS_BITS = 2048;
export const MAX_MODULUS_BITS = 4096;
const F4 = 65537n;

/** DER of `DigestInfo { AlgorithmIdentifier sha256, NULL }` without the digest (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO_PREFIX = Uint8Array.from([0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]);

export class InvalidRsaKey extends Error {
  constructor(reason: string) {
    super(`invalid RSA public key: ${reason}`);
    this.name = 'InvalidRsaKey';
  }
}

function toBigint(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function toBytes(value: bigint, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let rest = value;
  for (let index = length - 1; index >= 0; index -= 1) {
    bytes[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

function decodeMember(value: string, name: string): Uint8Array {
  try {
    return base64urlnopad.decode(value);
  } catch {
    throw new InvalidRsaKey(`${name} is not base64url without padding`);
  }
}

/** Reads a JWK's modulus and exponent; only 2048–4096-bit odd moduli and e = 65537 are accepted. */
export function rsaPublicKey(jwk: RsaJwk): RsaPublicKey {
  const modulus = toBigint(decodeMember(jwk.n, 'n'));
  const exponent = toBigint(decodeMember(jwk.e, 'e'));
  const bits = modulus.toString(2).length;
  if (bits < MIN_MODULUS_BITS || bits > MAX_MODULUS_BITS) throw new InvalidRsaKey(`the modulus has ${bits} bits; ${MIN_MODULUS_BITS} to ${MAX_MODULUS_BITS} are accepted`);
  if ((modulus & 1n) === 0n) throw new InvalidRsaKey('the modulus is even');
  // Every JWT issuer uses F4; refusing small exponents rules out e = 3 signature forgeries on sloppy parsers.
  if (exponent !== F4) throw new InvalidRsaKey('the exponent must be 65537');
  return { ...(jwk.kid === undefined ? {} : { kid: jwk.kid }), modulus, exponent, size: Math.ceil(bits / 8) };
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let square = base % modulus;
  for (let rest = exponent; rest > 0n; rest >>= 1n) {
    if (rest & 1n) result = (result * square) % modulus;
    square = (square * square) % modulus;
  }
  return result;
}

/** RSASSA-PKCS1-v1_5-VERIFY with SHA-256. */
export function verifyRs256(key: RsaPublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== key.size) return false;
  const s = toBigint(signature);
  if (s >= key.modulus) return false;
  const encoded = toBytes(modPow(s, key.exponent, key.modulus), key.size);
  const expected = new Uint8Array(key.size);
  const digestStart = key.size - SHA256_DIGEST_INFO_PREFIX.length - 32;
  expected[1] = 0x01;
  expected.fill(0xff, 2, digestStart - 1);
  expected.set(SHA256_DIGEST_INFO_PREFIX, digestStart);
  expected.set(sha256(message), digestStart + SHA256_DIGEST_INFO_PREFIX.length);
  let difference = 0;
  for (let index = 0; index < key.size; index += 1) difference |= encoded[index]! ^ expected[index]!;
  return difference === 0;
}
