/**
 * The ECDSA signature response near/mpc's `respond` takes and its `sign` call returns
 * (near-mpc.md §3): R compressed and s as lower-case hex, and the recovery id. Current contracts use
 * the form with `"scheme":"Secp256k1"`; older clients expect the legacy form without it.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { EcdsaSignature } from '../crypto/ecdsa/sign.js';

export interface LegacyEcdsaSignatureResponse {
  readonly big_r: { readonly affine_point: string };
  readonly s: { readonly scalar: string };
  readonly recovery_id: number;
}

export interface EcdsaSignatureResponse extends LegacyEcdsaSignatureResponse {
  readonly scheme: 'Secp256k1';
}

function checkShape(signature: EcdsaSignature): void {
  if (signature.bigR.length !== 33) throw new RangeError(`big_r must be a 33-byte compressed point, got ${signature.bigR.length} bytes`);
  if (signature.s.length !== 32) throw new RangeError(`s must be 32 bytes, got ${signature.s.length}`);
  if (!Number.isInteger(signature.recoveryId) || signature.recoveryId < 0 || signature.recoveryId > 3) {
    throw new RangeError(`recovery id must be 0..3, got ${signature.recoveryId}`);
  }
}

/** `{"big_r":{"affine_point":…},"s":{"scalar":…},"recovery_id":n}`, keys in near/mpc's order. */
export function legacyEcdsaSignatureResponse(signature: EcdsaSignature): LegacyEcdsaSignatureResponse {
  checkShape(signature);
  return { big_r: { affine_point: bytesToHex(signature.bigR) }, s: { scalar: bytesToHex(signature.s) }, recovery_id: signature.recoveryId };
}

/** `{"scheme":"Secp256k1","big_r":…,"s":…,"recovery_id":n}`. */
export function ecdsaSignatureResponse(signature: EcdsaSignature): EcdsaSignatureResponse {
  return { scheme: 'Secp256k1', ...legacyEcdsaSignatureResponse(signature) };
}
