/**
 * The `response` of `respond` and the value the signer's caller receives, in near/mpc's JSON:
 *
 *   {"scheme":"Secp256k1","big_r":{"affine_point":"<hex 33>"},"s":{"scalar":"<hex 32>"},"recovery_id":0..3}
 *   {"scheme":"Ed25519","signature":[64 bytes]}
 *
 * Legacy requests receive the ECDSA form without `scheme`. Verification follows near/mpc's
 * `respond`: ECDSA by public-key recovery with low s required, Ed25519 by strict verification.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Ed25519Point, Secp256k1Point } from '../../shared/crypto/kdf.js';
import type { EcdsaSignatureResponse, LegacyEcdsaSignatureResponse } from '../../shared/near/signature-response.js';
import { byteArray, hexBytes, integer, object, onlyKeys } from '../common/args.js';
import { fail } from '../common/errors.js';

export type EcdsaResponse = EcdsaSignatureResponse;
export type Ed25519Response = { readonly scheme: 'Ed25519'; readonly signature: readonly number[] };
export type SignatureResponse = EcdsaResponse | Ed25519Response;

export function readSignatureResponse(value: unknown, where: string): SignatureResponse {
  const response = object(value, where);
  if (response.scheme === 'Secp256k1') {
    onlyKeys(response, ['scheme', 'big_r', 's', 'recovery_id'], where);
    const bigR = object(response.big_r, `${where}.big_r`);
    onlyKeys(bigR, ['affine_point'], `${where}.big_r`);
    const s = object(response.s, `${where}.s`);
    onlyKeys(s, ['scalar'], `${where}.s`);
    return {
      scheme: 'Secp256k1',
      big_r: { affine_point: bytesToHex(hexBytes(bigR.affine_point, `${where}.big_r.affine_point`, { exact: 33 })) },
      s: { scalar: bytesToHex(hexBytes(s.scalar, `${where}.s.scalar`, { exact: 32 })) },
      recovery_id: integer(response.recovery_id, `${where}.recovery_id`, 3),
    };
  }
  if (response.scheme === 'Ed25519') {
    onlyKeys(response, ['scheme', 'signature'], where);
    return { scheme: 'Ed25519', signature: [...byteArray(response.signature, `${where}.signature`, { exact: 64 })] };
  }
  return fail('InvalidArguments', `${where}.scheme: expected "Secp256k1" or "Ed25519"`);
}

export function toLegacyResponse(response: EcdsaResponse): LegacyEcdsaSignatureResponse {
  return { big_r: response.big_r, s: response.s, recovery_id: response.recovery_id };
}

const N = secp256k1.Point.Fn.ORDER;

/** Checks an ECDSA response against the derived key by recovering the signer from (r, s, v). */
export function verifyEcdsaResponse(response: EcdsaResponse, payloadHash: Uint8Array, derivedKey: Secp256k1Point): void {
  let bigR: Secp256k1Point;
  try {
    bigR = secp256k1.Point.fromBytes(hexBytes(response.big_r.affine_point, 'big_r', { exact: 33 }));
  } catch {
    return fail('InvalidSignature', 'big_r.affine_point is not a compressed secp256k1 point');
  }
  const r = secp256k1.Point.Fn.create(bigR.x);
  const s = bytesToNumberBE(hexBytes(response.s.scalar, 's', { exact: 32 }));
  if (r === 0n || s === 0n || s >= N) fail('InvalidSignature', 'r or s is out of range');
  // Only low s is accepted, so a signature has one valid encoding (near/mpc `ecrecover(…, malleability=true)`).
  if (s > N >> 1n) fail('InvalidSignature', 's is not low (s > n/2)');
  let recovered: Secp256k1Point;
  try {
    recovered = new secp256k1.Signature(r, s).addRecoveryBit(response.recovery_id).recoverPublicKey(payloadHash);
  } catch {
    return fail('InvalidSignature', `no public key recovers from this signature with recovery_id ${response.recovery_id}`);
  }
  if (!recovered.equals(derivedKey)) fail('InvalidSignature', 'the signature does not verify against the derived public key');
}

export function verifyEd25519Response(response: Ed25519Response, message: Uint8Array, derivedKey: Ed25519Point): void {
  let valid: boolean;
  try {
    valid = ed25519.verify(Uint8Array.from(response.signature), message, derivedKey.toBytes(), { zip215: false });
  } catch {
    valid = false;
  }
  if (!valid) fail('InvalidSignature', 'the Ed25519 signature does not verify against the derived public key');
}
