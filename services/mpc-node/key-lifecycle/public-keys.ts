/**
 * Between the two forms of a root public key: compressed bytes (what `KeyShare.publicKey` holds and
 * the protocols take) and NEAR's string form (what the contract stores and `vote_pk` expects:
 * `secp256k1:` + base58 of the 64-byte x‖y, `ed25519:` + base58 of 32 bytes).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { CurveId } from '../../../shared/crypto/group.js';
import { formatNearPublicKey, parsePublicKey } from '../../../shared/near/keys.js';
import type { SignatureScheme } from '../chain/contract-state.js';

export function curveOfScheme(scheme: SignatureScheme): CurveId {
  return scheme === 'Secp256k1' ? 'secp256k1' : 'ed25519';
}

export function nearFormOfPublicKey(curve: CurveId, compressed: Uint8Array): string {
  return curve === 'secp256k1'
    ? formatNearPublicKey({ curve, point: secp256k1.Point.fromBytes(compressed) })
    : formatNearPublicKey({ curve, point: ed25519.Point.fromBytes(compressed) });
}

/** Throws `InvalidPublicKey` for a key that is not a point of `curve`. */
export function compressedPublicKey(nearKey: string, curve: CurveId): Uint8Array {
  const key = parsePublicKey(nearKey, curve);
  return key.curve === 'secp256k1' ? key.point.toBytes(true) : key.point.toBytes();
}
