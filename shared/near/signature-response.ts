/**
 * The ECDSA signature response near/mpc's `respond` takes and its `sign` call returns
 * (near-mpc.md §3; the type is in signer-abi.ts): R compressed and s as lower-case hex, and the
 * recovery id. Since 3.14 legacy requests get this form too; contracts before it answered them
 * without `scheme`.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { EcdsaSignature } from '../crypto/ecdsa/sign.js';
import type { EcdsaSignatureResponse } from './signer-abi.js';

function checkShape(signature: EcdsaSignature): void {
  if (signature.bigR.length !== 33) throw new RangeError(`big_r must be a 33-byte compressed point, got ${signature.bigR.length} bytes`);
  if (signature.s.length !== 32) throw new RangeError(`s must be 32 bytes, got ${signature.s.length}`);
  if (!Number.isInteger(signature.recoveryId) || signature.recoveryId < 0 || signature.recoveryId > 3) {
    throw new RangeError(`recovery id must be 0..3, got ${signature.recoveryId}`);
  }
}

/** `{"scheme":"Secp256k1","big_r":{"affine_point":…},"s":{"scalar":…},"recovery_id":n}`, keys in near/mpc's order. */
export function ecdsaSignatureResponse(signature: EcdsaSignature): EcdsaSignatureResponse {
  checkShape(signature);
  return { scheme: 'Secp256k1', big_r: { affine_point: bytesToHex(signature.bigR) }, s: { scalar: bytesToHex(signature.s) }, recovery_id: signature.recoveryId };
}
