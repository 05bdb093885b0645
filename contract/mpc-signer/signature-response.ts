/**
 * The `response` of `respond` in near/mpc's JSON (shared/near/signer-abi.ts), read strictly, and its
 * verification as near/mpc's `respond` does it: ECDSA by public-key recovery with low s required
 * (`ecrecover` with the malleability check), Ed25519 by RFC 8032 verification. A signature that does
 * not verify is refused with near/mpc's message.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Ed25519Point, Secp256k1Point } from '../../shared/crypto/kdf.js';
import { SIGNER_ERRORS, type EcdsaSignatureResponse, type Ed25519SignatureResponse, type SignatureResponse } from '../../shared/near/signer-abi.js';
import { byteArray, hexBytes, integer, object, onlyKeys } from '../common/args.js';
import { fail, failWith } from '../common/errors.js';

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

const N = secp256k1.Point.Fn.ORDER;
const invalid = (): never => failWith('InvalidSignature', SIGNER_ERRORS.invalidSignature);

/** Whether the ECDSA response recovers to the derived key. */
export function verifyEcdsaResponse(response: EcdsaSignatureResponse, payloadHash: Uint8Array, derivedKey: Secp256k1Point): void {
  let bigR: Secp256k1Point;
  try {
    bigR = secp256k1.Point.fromBytes(hexBytes(response.big_r.affine_point, 'big_r', { exact: 33 }));
  } catch {
    return invalid();
  }
  const r = secp256k1.Point.Fn.create(bigR.x);
  const s = bytesToNumberBE(hexBytes(response.s.scalar, 's', { exact: 32 }));
  // Only low s is accepted, so a signature has one valid encoding.
  if (r === 0n || s === 0n || s > N >> 1n) invalid();
  let recovered: Secp256k1Point;
  try {
    recovered = new secp256k1.Signature(r, s).addRecoveryBit(response.recovery_id).recoverPublicKey(payloadHash);
  } catch {
    return invalid();
  }
  if (!recovered.equals(derivedKey)) invalid();
}

export function verifyEd25519Response(response: Ed25519SignatureResponse, message: Uint8Array, derivedKey: Ed25519Point): void {
  let valid: boolean;
  try {
    valid = ed25519.verify(Uint8Array.from(response.signature), message, derivedKey.toBytes(), { zip215: false });
  } catch {
    valid = false;
  }
  if (!valid) invalid();
}
