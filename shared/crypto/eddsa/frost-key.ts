/**
 * The Ed25519 key material FROST signing works with: a {@link KeyShare} from key generation, turned
 * into noble's FROST key package by keygen's bridge (participant p is FROST identifier p + 1, the
 * point at which its Shamir share was evaluated), and the NEAR derivation tweak applied to it.
 */
import { ProtocolInputError } from '../errors.js';
import { ED25519 } from '../group.js';
import { ed25519TweakScalar } from '../kdf.js';
import type { KeyShare } from '../key-share.js';
import { frostIdentifierOf, type FrostKeyPackage } from '../keygen/index.js';
import type { ParticipantId } from '../protocol.js';
import { addPoints, multiplyBase } from '../native/libsodium.js';

/** Bad inputs to `eddsa-sign` or `eddsa-presign`; see {@link ProtocolInputError}. */
export class EddsaInputError extends ProtocolInputError {}

const ED25519_KEY = { curve: 'ed25519' } as const satisfies Pick<KeyShare, 'curve'>;

/** The FROST(Ed25519) identifier of a participant, in noble's canonical hex form. */
export function frostIdentifier(participant: ParticipantId): string {
  return frostIdentifierOf(ED25519_KEY, participant);
}

/** A key moved to the NEAR-derived key root + ε·B; signing with it yields plain Ed25519 signatures under `derivedPublicKey`. */
export interface DerivedFrostKey extends FrostKeyPackage {
  /** root + ε·B, 32 bytes: what the signature verifies under and what the contract checks. */
  readonly derivedPublicKey: Uint8Array;
}

/**
 * Applies the NEAR tweak ε = tweak little-endian mod ℓ (near/mpc: nodes add ε to every FROST share
 * and to the group key). Every share f(xᵢ) becomes f(xᵢ) + ε, which is a sharing of x + ε with the
 * same threshold: interpolation weights sum to one, Σ λᵢ(f(xᵢ) + ε) = x + ε. So the aggregate of
 * shares made with the tweaked key is an ordinary Ed25519 signature under A + ε·B. Publicly the same
 * shift is ε·B on the constant-term commitment and on each verifying share, which keeps share
 * verification (zᵢ·B = Rᵢ + c·λᵢ·Yᵢ) consistent with the tweaked shares.
 *
 * `verifyingSharesOf` names whose verifying shares the result must carry (default: everyone's);
 * the others may be left out. Each shift is a point addition per request, and only a coordinator
 * reads them, for the signers only; signing never does. Nothing here validates the points: signing
 * validates the derived key (RFC 9591 DeserializeElement, ./frost-ed25519.ts) and share
 * verification each verifying share it uses.
 */
export function deriveFrostKey(key: FrostKeyPackage, tweak: Uint8Array, verifyingSharesOf?: readonly ParticipantId[]): DerivedFrostKey {
  if (tweak.length !== 32) throw new RangeError(`NEAR tweak must be 32 bytes, got ${tweak.length}`);
  const [rootKey, ...higherCommitments] = key.public.commitments;
  if (rootKey === undefined) throw new RangeError('FROST public package has no group key commitment');
  const epsilon = ed25519TweakScalar(tweak);
  if (epsilon === 0n) return { ...key, derivedPublicKey: new Uint8Array(rootKey) };
  const offset = multiplyBase(ED25519.scalarToBytes(epsilon));
  const derivedPublicKey = addPoints(rootKey, offset);
  const kept = verifyingSharesOf === undefined ? undefined : new Set(verifyingSharesOf.map(frostIdentifier));
  const shiftedShare = ED25519.Fn.add(ED25519.scalarFromBytes(key.secret.signingShare), epsilon);
  return {
    secret: { identifier: key.secret.identifier, signingShare: new Uint8Array(ED25519.scalarToBytes(shiftedShare)) },
    public: {
      signers: { ...key.public.signers },
      commitments: [new Uint8Array(derivedPublicKey), ...higherCommitments],
      verifyingShares: Object.fromEntries(
        Object.entries(key.public.verifyingShares)
          .filter(([id]) => kept === undefined || kept.has(id))
          .map(([id, share]) => [id, addPoints(share, offset)]),
      ),
    },
    derivedPublicKey,
  };
}
