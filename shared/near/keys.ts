/**
 * NEAR's text form of public keys (`secp256k1:` + base58 of the 64-byte x‖y, `ed25519:` + base58 of
 * 32 bytes), hex input for tools, and the Ethereum address of a secp256k1 key.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { base58 } from '@scure/base';
import type { Ed25519Point, Secp256k1Point } from '../crypto/kdf.js';

export type CurveName = 'secp256k1' | 'ed25519';

export type NearPublicKey =
  | { readonly curve: 'secp256k1'; readonly point: Secp256k1Point }
  | { readonly curve: 'ed25519'; readonly point: Ed25519Point };

/** A public key string or its bytes could not be read; the message says which rule it broke. */
export class InvalidPublicKey extends Error {
  constructor(readonly input: string, reason: string) {
    super(`invalid public key "${input.length > 120 ? `${input.slice(0, 120)}…` : input}": ${reason}`);
    this.name = 'InvalidPublicKey';
  }
}

/** The 64 bytes x‖y NEAR uses for secp256k1 keys (uncompressed without the 0x04 prefix). */
export function secp256k1RawXY(point: Secp256k1Point): Uint8Array {
  return point.toBytes(false).subarray(1);
}

export function formatNearPublicKey(key: NearPublicKey): string {
  return key.curve === 'secp256k1'
    ? `secp256k1:${base58.encode(secp256k1RawXY(key.point))}`
    : `ed25519:${base58.encode(key.point.toBytes())}`;
}

function secp256k1FromBytes(input: string, bytes: Uint8Array): Secp256k1Point {
  const encoded = bytes.length === 64 ? Uint8Array.from([0x04, ...bytes]) : bytes;
  if (![33, 65].includes(encoded.length)) throw new InvalidPublicKey(input, `secp256k1 key must be 33, 64 or 65 bytes, got ${bytes.length}`);
  try {
    return secp256k1.Point.fromBytes(encoded);
  } catch (error) {
    throw new InvalidPublicKey(input, `not a point on secp256k1 (${(error as Error).message})`);
  }
}

function ed25519FromBytes(input: string, bytes: Uint8Array): Ed25519Point {
  if (bytes.length !== 32) throw new InvalidPublicKey(input, `ed25519 key must be 32 bytes, got ${bytes.length}`);
  try {
    return ed25519.Point.fromBytes(bytes);
  } catch (error) {
    throw new InvalidPublicKey(input, `not a point on ed25519 (${(error as Error).message})`);
  }
}

/**
 * Reads a key in NEAR form (`secp256k1:…`, `ed25519:…`) or as hex (`0x` optional; secp256k1 as 33, 64
 * or 65 bytes, ed25519 as 32). For hex the curve must be given.
 */
export function parsePublicKey(input: string, curve?: CurveName): NearPublicKey {
  const trimmed = input.trim();
  const colon = trimmed.indexOf(':');
  let bytes: Uint8Array;
  let keyCurve: CurveName | undefined = curve;
  if (colon >= 0) {
    const prefix = trimmed.slice(0, colon);
    if (prefix !== 'secp256k1' && prefix !== 'ed25519') throw new InvalidPublicKey(input, `unknown key type "${prefix}"`);
    if (curve !== undefined && curve !== prefix) throw new InvalidPublicKey(input, `expected a ${curve} key, got ${prefix}`);
    keyCurve = prefix;
    try {
      bytes = base58.decode(trimmed.slice(colon + 1));
    } catch {
      throw new InvalidPublicKey(input, 'the part after the colon is not base58');
    }
  } else {
    const hex = trimmed.startsWith('0x') ? trimmed.slice(2) : trimmed;
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw new InvalidPublicKey(input, 'neither NEAR form (curve:base58) nor hex');
    bytes = hexToBytes(hex.toLowerCase());
    if (keyCurve === undefined) throw new InvalidPublicKey(input, 'a hex key needs its curve');
  }
  return keyCurve === 'secp256k1'
    ? { curve: 'secp256k1', point: secp256k1FromBytes(input, bytes) }
    : { curve: 'ed25519', point: ed25519FromBytes(input, bytes) };
}

/** Lower-case hex of the key as NEAR stores it (64-byte x‖y for secp256k1, 32 bytes for ed25519). */
export function publicKeyHex(key: NearPublicKey): string {
  return bytesToHex(key.curve === 'secp256k1' ? secp256k1RawXY(key.point) : key.point.toBytes());
}

/** EIP-55 checksummed Ethereum address: the last 20 bytes of keccak256(x‖y). */
export function ethereumAddress(point: Secp256k1Point): string {
  const address = bytesToHex(keccak_256(secp256k1RawXY(point)).subarray(12));
  const checksum = bytesToHex(keccak_256(new TextEncoder().encode(address)));
  let out = '0x';
  for (let i = 0; i < address.length; i += 1) {
    out += parseInt(checksum[i]!, 16) >= 8 ? address[i]!.toUpperCase() : address[i]!;
  }
  return out;
}

/**
 * A node's mesh identity as the MPC signer registers it (`tls_public_key`): `ed25519:<base58>` of the
 * Ed25519 public key of the node's 32-byte mesh secret (`MESH_SIGN_SECRET_KEY`).
 */
export function tlsPublicKeyOf(meshSecret: Uint8Array): string {
  return formatNearPublicKey({ curve: 'ed25519', point: ed25519.Point.fromBytes(ed25519.getPublicKey(meshSecret)) });
}
