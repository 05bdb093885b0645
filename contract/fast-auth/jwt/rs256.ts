/**
 * RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 8017 §8.2.2) verification in plain TypeScript with
 * bigint arithmetic, so that it runs inside a contract without node:crypto or WebCrypto.
 * Only public data is handled, so constant time is not needed; the encoded message is still compared
 * in full rather than stopping at the first difference.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { JWT_KEY_ERRORS, type JwtPublicKey } from '../../../shared/near/fast-auth-abi.js';

export interface RsaPublicKey {
  readonly kid?: string;
  readonly modulus: bigint;
  readonly exponent: bigint;
  /** k in RFC 8017: the modulus length in bytes, which every signature must have. */
  readonly size: number;
}

const MODULUS_BITS = [2048, 3072, 4096];
const F4 = 65537n;
const F4_BYTES = [0x01, 0x00, 0x01];

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

/**
 * Reads a stored key: an odd modulus of exactly 2048, 3072 or 4096 bits given in that many bytes
 * (Peersyst takes 2048 only) and e = 65537 as the three bytes 01 00 01.
 */
export function rsaPublicKey(key: JwtPublicKey): RsaPublicKey {
  const bits = key.n.length * 8;
  if (!MODULUS_BITS.includes(bits) || key.n[0]! < 0x80) throw new InvalidRsaKey(`${JWT_KEY_ERRORS.modulusLength}: the modulus must have 2048, 3072 or 4096 bits, in 256, 384 or 512 bytes`);
  if ((key.n[key.n.length - 1]! & 1) === 0) throw new InvalidRsaKey(JWT_KEY_ERRORS.evenModulus);
  // Every JWT issuer uses F4; refusing small exponents rules out e = 3 signature forgeries on sloppy parsers.
  if (key.e.length !== F4_BYTES.length || key.e.some((byte, index) => byte !== F4_BYTES[index])) throw new InvalidRsaKey(`${JWT_KEY_ERRORS.exponent}: only 65537 (01 00 01) is accepted`);
  return { ...(key.kid === undefined ? {} : { kid: key.kid }), modulus: toBigint(Uint8Array.from(key.n)), exponent: F4, size: key.n.length };
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
