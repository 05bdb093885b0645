/** The child key NEAR chain signatures derive from a root key for (predecessor, path). */
import { deriveEd25519PublicKey, deriveSecp256k1PublicKey, deriveTweak } from '../../shared/crypto/kdf.js';
import type { NearPublicKey } from '../../shared/near/keys.js';

export function deriveChildKey(root: NearPublicKey, predecessor: string, path: string): { tweak: Uint8Array; derived: NearPublicKey } {
  const tweak = deriveTweak(predecessor, path);
  const derived: NearPublicKey =
    root.curve === 'secp256k1' ? { curve: 'secp256k1', point: deriveSecp256k1PublicKey(root.point, tweak) } : { curve: 'ed25519', point: deriveEd25519PublicKey(root.point, tweak) };
  return { tweak, derived };
}
