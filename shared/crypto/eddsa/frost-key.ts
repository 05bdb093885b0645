/**
 * The Ed25519 key material FROST signing works with: a {@link KeyShare} from key generation, turned
 * into noble's FROST key package by keygen's bridge (participant p is FROST identifier p + 1, the
 * point at which its Shamir share was evaluated), and the NEAR derivation tweak applied to it.
 */
import { ProtocolInputError } from '../errors.js';
import { ED25519 } from '../group.js';
import { ed25519TweakScalar, type Ed25519Point } from '../kdf.js';
import type { KeyShare } from '../key-share.js';
import { frostIdentifierOf, type FrostKeyPackage } from '../keygen/index.js';
import type { ParticipantId } from '../protocol.js';
import { decodePrimeOrder, rememberPrimeOrder } from './frost-suite.js';

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

function addToPoint(encoded: Uint8Array, offset: Ed25519Point): Uint8Array<ArrayBuffer> {
  return new Uint8Array(ED25519.pointFromBytes(encoded).add(offset).toBytes());
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
 * the others may be left out. Each shift costs a point decoding and encoding per request, and only
 * a coordinator reads them, for the signers only; noble's `signShare` never does.
 */
export function deriveFrostKey(key: FrostKeyPackage, tweak: Uint8Array, verifyingSharesOf?: readonly ParticipantId[]): DerivedFrostKey {
  if (tweak.length !== 32) throw new RangeError(`NEAR tweak must be 32 bytes, got ${tweak.length}`);
  const [rootKey, ...higherCommitments] = key.public.commitments;
  if (rootKey === undefined) throw new RangeError('FROST public package has no group key commitment');
  const epsilon = ed25519TweakScalar(tweak);
  // The suite's decoder validates the root once per process; root + ε·B is then prime-order by
  // construction and is remembered as such, so signing never repeats a subgroup check on it.
  const root = decodePrimeOrder(rootKey);
  if (epsilon === 0n) return { ...key, derivedPublicKey: rememberPrimeOrder(root) };
  const offset = ED25519.scaleBase(epsilon);
  const derivedPublicKey = rememberPrimeOrder(root.add(offset));
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
          .map(([id, share]) => [id, addToPoint(share, offset)]),
      ),
    },
    derivedPublicKey,
  };
}
