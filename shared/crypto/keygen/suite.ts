/**
 * What key generation needs per curve beyond the shared {@link Group}: noble's RFC 9591 FROST object
 * (whose DKG round 1 this package uses), the subgroup check Ed25519 needs, fast variable-time
 * arithmetic on public data, and a check of the DKG proof of knowledge that, unlike noble's batch
 * check, names the participant whose proof fails.
 */
import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js';
import { secp256k1, secp256k1_FROST, secp256k1_hasher } from '@noble/curves/secp256k1.js';
import { mulAddUnsafe } from '@noble/curves/abstract/curve.js';
import type { FROST } from '@noble/curves/abstract/frost.js';
import { bytesToNumberLE, concatBytes } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { ED25519, SECP256K1, type CurveId, type Group, type GroupPoint } from '../group.js';
import type { Ed25519Point, Secp256k1Point } from '../kdf.js';
import type { ParticipantId } from '../protocol.js';
import { participantScalar } from '../polynomial.js';

export interface KeygenSuite<P extends GroupPoint<P>> {
  readonly group: Group<P>;
  readonly frost: FROST;
  /**
   * Whether a point lies in the prime-order subgroup (always, on secp256k1). `Group.pointFromBytes`
   * accepts Ed25519 points with a small-order component; the protocols check the summed commitments
   * with this — the key and every verifying share are combinations of them — instead of every point
   * received, since one check costs a full scalar multiplication.
   */
  isPrimeOrder(point: P): boolean;
  /** The RFC 9591 DKG challenge H_dkg(id ‖ φ ‖ R), computed exactly as noble's `DKG.round2` does. */
  proofOfKnowledgeChallenge(message: Uint8Array): bigint;
  /**
   * Σ sᵢ·Pᵢ in variable time, for PUBLIC points and scalars only (commitments, participant points,
   * challenges): checking a peer's commitments need not be constant-time, and the constant-time
   * ladder of `Group.scale` would make a 7-party DKG several times slower.
   */
  publicCombination(points: readonly P[], scalars: readonly bigint[]): P;
}

/** noble FROST suite names; the DKG challenge hashes with the domain-separation tag `name + "dkg"`. */
const SECP256K1_DKG_TAG = utf8ToBytes('FROST-secp256k1-SHA256-v1dkg');
const ED25519_DKG_TAG = utf8ToBytes('FROST-ED25519-SHA512-v1dkg');

export const SECP256K1_SUITE: KeygenSuite<Secp256k1Point> = {
  group: SECP256K1,
  frost: secp256k1_FROST,
  isPrimeOrder: () => true,
  proofOfKnowledgeChallenge: (message) => secp256k1_hasher.hashToScalar(message, { DST: SECP256K1_DKG_TAG }),
  // Separate multiplications use noble's GLV endomorphism, which its MSM does not: ~5× faster here.
  publicCombination: (points, scalars) =>
    points.reduce((sum, point, i) => sum.add(point.multiplyUnsafe(secp256k1.Point.Fn.create(scalars[i]!))), secp256k1.Point.ZERO),
};

export const ED25519_SUITE: KeygenSuite<Ed25519Point> = {
  group: ED25519,
  frost: ed25519_FROST,
  isPrimeOrder: (point) => point.isTorsionFree(),
  proofOfKnowledgeChallenge: (message) => ed25519.Point.Fn.create(bytesToNumberLE(sha512(concatBytes(ED25519_DKG_TAG, message)))),
  publicCombination: (points, scalars) => mulAddUnsafe(ed25519.Point, [...points], scalars.map((s) => ed25519.Point.Fn.create(s))),
};

/** Runs `body` with the suite of `curve`; keeps protocol code generic over the point type. */
export function withSuite<R>(curve: CurveId, body: <P extends GroupPoint<P>>(suite: KeygenSuite<P>) => R): R {
  switch (curve) {
    case 'secp256k1':
      return body(SECP256K1_SUITE);
    case 'ed25519':
      return body(ED25519_SUITE);
    default:
      throw new RangeError(`unknown curve ${String(curve)}`);
  }
}

/** F(x) = Σ xᵏ·Cₖ for public commitments (the variable-time twin of polynomial.ts `evaluateCommitment`). */
export function evaluatePublicCommitment<P extends GroupPoint<P>>(suite: KeygenSuite<P>, commitments: readonly P[], x: bigint): P {
  const powers: bigint[] = [];
  let power = 1n;
  for (let k = 0; k < commitments.length; k += 1) {
    powers.push(power);
    power = suite.group.Fn.mul(power, x);
  }
  return suite.publicCombination(commitments, powers);
}

/** Participant p's FROST identifier: the scalar p + 1, the same x at which polynomial.ts evaluates p's share. */
export function frostIdentifier(frost: FROST, participant: ParticipantId): string {
  return frost.Identifier.fromNumber(Number(participantScalar(participant)));
}

/**
 * Checks one participant's DKG proof of knowledge of its constant term: with (R, z) = proof and
 * c = H_dkg(id ‖ φ ‖ R), z·G − c·φ = R. Returns false on any malformed proof.
 */
export function verifyProofOfKnowledge<P extends GroupPoint<P>>(
  suite: KeygenSuite<P>,
  participant: ParticipantId,
  constantCommitment: P,
  proof: Uint8Array,
): boolean {
  const { group } = suite;
  if (proof.length !== group.pointBytes + group.scalarBytes) return false;
  let nonceCommitment: P;
  let response: bigint;
  try {
    nonceCommitment = group.pointFromBytes(proof.subarray(0, group.pointBytes));
    response = group.scalarFromBytes(proof.subarray(group.pointBytes));
  } catch {
    return false;
  }
  const challenge = suite.proofOfKnowledgeChallenge(
    concatBytes(group.scalarToBytes(participantScalar(participant)), constantCommitment.toBytes(true), nonceCommitment.toBytes(true)),
  );
  const negatedChallenge = group.Fn.neg(challenge);
  return suite.publicCombination([group.generator, constantCommitment], [response, negatedChallenge]).equals(nonceCommitment);
}
