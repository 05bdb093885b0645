/**
 * Rust `{:?}` forms of the values near/mpc's SignatureSchemeMismatch error prints: the response
 * (`dtos::SignatureResponse`, derived Debug) and the domain's stored key (`PublicKeyExtended`, whose
 * `near_sdk::PublicKey` prints its curve byte and key bytes, and whose Edwards point prints
 * curve25519-dalek's limbs: edwards-point-debug.ts).
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { parsePublicKey, secp256k1RawXY } from '../../shared/near/keys.js';
import type { PublicKeyExtended, SignatureResponse } from '../../shared/near/signer-abi.js';
import { edwardsPointDebug } from './edwards-point-debug.js';

const bytesDebug = (bytes: ArrayLike<number>): string => `[${Array.from(bytes).join(', ')}]`;

export function signatureResponseDebug(response: SignatureResponse): string {
  if (response.scheme === 'Ed25519') return `Ed25519 { signature: Ed25519Signature(${bytesDebug(response.signature)}) }`;
  const bigR = `K256AffinePoint { affine_point: ${bytesDebug(hexToBytes(response.big_r.affine_point))} }`;
  const s = `K256Scalar { scalar: ${bytesDebug(hexToBytes(response.s.scalar))} }`;
  return `Secp256k1(K256Signature { big_r: ${bigR}, s: ${s}, recovery_id: ${response.recovery_id} })`;
}

/** `near_sdk::PublicKey`: its curve byte (0 for ed25519, 1 for secp256k1), then the key (64 bytes x‖y for secp256k1). */
function nearSdkPublicKeyDebug(text: string): string {
  const key = parsePublicKey(text);
  const data = key.curve === 'ed25519' ? [0, ...key.point.toBytes()] : [1, ...secp256k1RawXY(key.point)];
  return `PublicKey { data: ${bytesDebug(data)} }`;
}

export function publicKeyExtendedDebug(key: PublicKeyExtended): string {
  if ('Secp256k1' in key) return `Secp256k1 { near_public_key: ${nearSdkPublicKeyDebug(key.Secp256k1.near_public_key)} }`;
  if ('Ed25519' in key) {
    const point = edwardsPointDebug(Uint8Array.from(key.Ed25519.edwards_point));
    return `Ed25519 { near_public_key_compressed: ${nearSdkPublicKeyDebug(key.Ed25519.near_public_key_compressed)}, edwards_point: SerializableEdwardsPoint(${point}) }`;
  }
  // `vote_pk` stores only secp256k1 and Ed25519 keys (publicKeyExtended in contract.ts).
  throw new Error('the model stores no Bls12381 keys');
}
