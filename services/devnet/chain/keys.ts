/** NEAR public keys and signatures in borsh and text form, and signature verification. */
import { verifyEd25519Native } from '../../../shared/crypto/ed25519-native.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { fromBase58, toBase58 } from './encoding.js';
import type { PublicKeyText } from './types.js';

export type KeyCurve = 'ed25519' | 'secp256k1';

/** Key and signature lengths in NEAR's borsh forms (secp256k1 keys are x‖y, signatures r‖s‖v). */
const PUBLIC_KEY_LENGTH: Record<KeyCurve, number> = { ed25519: 32, secp256k1: 64 };
const SIGNATURE_LENGTH: Record<KeyCurve, number> = { ed25519: 64, secp256k1: 65 };

export interface NearSignature {
  readonly curve: KeyCurve;
  readonly bytes: Uint8Array;
}

export function formatPublicKey(curve: KeyCurve, bytes: Uint8Array): PublicKeyText {
  return `${curve}:${toBase58(bytes)}`;
}

export function formatSignature(signature: NearSignature): string {
  return `${signature.curve}:${toBase58(signature.bytes)}`;
}

/** Parses `ed25519:…` / `secp256k1:…`; null if the text is not a well-formed key. */
function parsePublicKeyText(text: string): { curve: KeyCurve; bytes: Uint8Array } | null {
  const [prefix, body, extra] = text.split(':');
  if (extra !== undefined || body === undefined || (prefix !== 'ed25519' && prefix !== 'secp256k1')) return null;
  let bytes: Uint8Array;
  try {
    bytes = fromBase58(body);
  } catch {
    return null;
  }
  return bytes.length === PUBLIC_KEY_LENGTH[prefix] ? { curve: prefix, bytes } : null;
}

/** Canonical text of a key (re-encodes the base58 so equal keys compare equal); null if malformed. */
export function normalisePublicKey(text: string): PublicKeyText | null {
  const parsed = parsePublicKeyText(text);
  return parsed === null ? null : formatPublicKey(parsed.curve, parsed.bytes);
}

function signatureLengthMatches(signature: NearSignature): boolean {
  return signature.bytes.length === SIGNATURE_LENGTH[signature.curve];
}

/**
 * Verifies a NEAR signature over `message` (for transactions: the SHA-256 of the borsh Transaction).
 * secp256k1 signatures are r‖s‖v over the message as the prehashed digest, as nearcore checks them.
 */
export function verifyNearSignature(publicKey: PublicKeyText, signature: NearSignature, message: Uint8Array): boolean {
  const key = parsePublicKeyText(publicKey);
  if (key === null || key.curve !== signature.curve || !signatureLengthMatches(signature)) return false;
  try {
    if (key.curve === 'ed25519') return verifyEd25519Native(signature.bytes, message, key.bytes);
    const recoveryId = signature.bytes[64]!;
    if (recoveryId > 3) return false;
    const uncompressed = new Uint8Array(65);
    uncompressed[0] = 0x04;
    uncompressed.set(key.bytes, 1);
    return secp256k1.verify(signature.bytes.subarray(0, 64), message, uncompressed, { prehash: false, lowS: false });
  } catch {
    return false;
  }
}
