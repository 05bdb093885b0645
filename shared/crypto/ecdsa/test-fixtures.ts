/**
 * TEST-ONLY fixtures: a trusted dealer for key shares and Beaver triples, and in-memory runs of
 * presign and sign. A dealer knows every secret, which is exactly what the product must never do
 * (security invariant 1: keys come from DKG, triples from the OT-based generator), so nothing
 * outside tests and benchmarks may import this file. It exists so presign and sign can be tested
 * before shared/crypto/keygen and shared/crypto/ecdsa/triples land, and so tests can check results
 * against the known secret.
 */
import { SECP256K1, randomScalar } from '../group.js';
import type { Secp256k1Point } from '../kdf.js';
import type { KeyShare } from '../key-share.js';
import { evaluatePolynomial, participantScalar, randomPolynomial } from '../polynomial.js';
import type { ParticipantId, Protocol } from '../protocol.js';
import { runProtocols, type RunOptions } from '../runner.js';
import { EcdsaPresign } from './presign.js';
import type { PresignatureShare } from './presignature.js';
import { EcdsaSign, type EcdsaSignature, type SignOutput, type SignRequest } from './sign.js';
import type { Triple } from './triple.js';

const Fn = SECP256K1.Fn;

/** Shamir shares f(p + 1) of `secret` with degree threshold − 1. */
function dealShares(participants: readonly ParticipantId[], threshold: number, secret: bigint): Map<ParticipantId, bigint> {
  const polynomial = randomPolynomial(Fn, secret, threshold - 1);
  return new Map(participants.map((id) => [id, evaluatePolynomial(Fn, polynomial, participantScalar(id))]));
}

export interface DealtKey {
  /** The whole secret key: tests use it to check results; the product never has it. */
  readonly secret: bigint;
  readonly publicKey: Secp256k1Point;
  readonly shares: ReadonlyMap<ParticipantId, KeyShare>;
}

export function dealKey(participants: readonly ParticipantId[], threshold: number, secret: bigint = randomScalar(Fn)): DealtKey {
  const sorted = [...participants].sort((a, b) => a - b);
  const privateShares = dealShares(sorted, threshold, secret);
  const verifyingShares = new Map([...privateShares].map(([id, share]) => [id, SECP256K1.scaleBase(share).toBytes(true)]));
  const publicKey = SECP256K1.scaleBase(secret);
  const shares = new Map<ParticipantId, KeyShare>(
    sorted.map((me) => [
      me,
      { curve: 'secp256k1', participants: sorted, threshold, me, privateShare: privateShares.get(me)!, publicKey: publicKey.toBytes(true), verifyingShares },
    ]),
  );
  return { secret, publicKey, shares };
}

/** A committed Beaver triple (a, b, c = a·b) dealt to `participants`, keyed by participant. */
export function dealTriple(participants: readonly ParticipantId[], threshold: number): Map<ParticipantId, Triple> {
  const sorted = [...participants].sort((a, b) => a - b);
  const a = randomScalar(Fn);
  const b = randomScalar(Fn);
  const c = Fn.mul(a, b);
  const [aShares, bShares, cShares] = [a, b, c].map((secret) => dealShares(sorted, threshold, secret));
  const pub = {
    participants: sorted,
    threshold,
    bigA: SECP256K1.scaleBase(a).toBytes(true),
    bigB: SECP256K1.scaleBase(b).toBytes(true),
    bigC: SECP256K1.scaleBase(c).toBytes(true),
  };
  return new Map(sorted.map((id) => [id, { share: { a: aShares!.get(id)!, b: bShares!.get(id)!, c: cShares!.get(id)! }, pub }]));
}

/** The protocol objects of one presign run among `signers` (the triples may cover more). */
export function presignParties(
  key: DealtKey,
  nonceTriple: ReadonlyMap<ParticipantId, Triple>,
  multiplicationTriple: ReadonlyMap<ParticipantId, Triple>,
  signers: readonly ParticipantId[],
): Map<ParticipantId, Protocol<PresignatureShare>> {
  return new Map(
    signers.map((id) => [
      id,
      new EcdsaPresign({
        participants: signers,
        keyShare: key.shares.get(id)!,
        nonceTriple: nonceTriple.get(id)!,
        multiplicationTriple: multiplicationTriple.get(id)!,
      }),
    ]),
  );
}

/** Deals two fresh triples to every key holder and presigns among `signers`. */
export function presign(key: DealtKey, signers: readonly ParticipantId[], options?: RunOptions): ReadonlyMap<ParticipantId, PresignatureShare> {
  const holders = [...key.shares.keys()];
  const threshold = key.shares.get(holders[0]!)!.threshold;
  return runProtocols(presignParties(key, dealTriple(holders, threshold), dealTriple(holders, threshold), signers), options).outputs;
}

export function signParties(
  presignatures: ReadonlyMap<ParticipantId, PresignatureShare>,
  request: SignRequest,
  coordinator: ParticipantId,
): Map<ParticipantId, Protocol<SignOutput>> {
  return new Map([...presignatures].map(([id, share]) => [id, new EcdsaSign(share, request, coordinator)]));
}

/** Runs sign and returns the coordinator's signature. */
export function sign(
  presignatures: ReadonlyMap<ParticipantId, PresignatureShare>,
  request: SignRequest,
  coordinator: ParticipantId,
  options?: RunOptions,
): EcdsaSignature {
  const output = runProtocols(signParties(presignatures, request, coordinator), options).outputs.get(coordinator);
  if (output?.role !== 'coordinator') throw new Error(`coordinator ${coordinator} returned no signature`);
  return output.signature;
}
