/**
 * TEST ONLY. Key shares for the FROST signing tests come from the project's DKG; the known-answer
 * tests also need shares of a given secret, which only a dealer can make — exactly what product code
 * must never do (security invariant 1). Nothing outside *.test.ts files and test/bench imports this
 * file, and messages.test.ts checks that for this folder.
 */
import { ED25519 } from '../group.js';
import { deriveEd25519PublicKey } from '../kdf.js';
import type { KeyShare } from '../key-share.js';
import { runDkg } from '../keygen/test-helpers.js';
import { evaluatePolynomial, participantScalar, randomPolynomial } from '../polynomial.js';
import type { ParticipantId, Protocol } from '../protocol.js';
import type { EddsaPresignature } from './presign.js';
import { EddsaSignProtocol, type EddsaSignOptions, type EddsaSignOutput } from './sign.js';

/** A t-of-n Ed25519 key from a real DKG run among `participants`. */
export function dkgKeyShares(threshold: number, participants: readonly ParticipantId[]): Map<ParticipantId, KeyShare> {
  return runDkg('ed25519', participants, threshold);
}

/** Key shares from known share values (the RFC 9591 vector gives shares, not a key generation run). */
export function keySharesFromShares(threshold: number, publicKey: Uint8Array, shares: ReadonlyMap<ParticipantId, bigint>): Map<ParticipantId, KeyShare> {
  const participants = [...shares.keys()].sort((a, b) => a - b);
  const verifyingShares = new Map([...shares].map(([p, share]) => [p, ED25519.scaleBase(share).toBytes()]));
  return new Map(
    participants.map((me) => [me, { curve: 'ed25519', participants, threshold, me, privateShare: shares.get(me)!, publicKey, verifyingShares }]),
  );
}

/** Shamir shares of a chosen secret (TEST ONLY: a dealer), for known-answer derivation tests. */
export function dealtKeyShares(secret: bigint, threshold: number, participants: readonly ParticipantId[]): Map<ParticipantId, KeyShare> {
  const polynomial = randomPolynomial(ED25519.Fn, secret, threshold - 1);
  const shares = new Map(participants.map((p) => [p, evaluatePolynomial(ED25519.Fn, polynomial, participantScalar(p))]));
  return keySharesFromShares(threshold, ED25519.scaleBase(secret).toBytes(), shares);
}

export type SignRequest = Pick<EddsaSignOptions, 'payload' | 'tweak' | 'coordinator'> & {
  readonly signers: readonly ParticipantId[];
  readonly presignatures?: ReadonlyMap<ParticipantId, EddsaPresignature>;
};

/** One sign protocol per signer, ready for `runProtocols` / `settleProtocols`. */
export function signingParties(keyShares: ReadonlyMap<ParticipantId, KeyShare>, request: SignRequest): Map<ParticipantId, Protocol<EddsaSignOutput>> {
  return new Map(
    request.signers.map((me) => [
      me,
      new EddsaSignProtocol({
        keyShare: keyShares.get(me)!,
        signers: request.signers,
        coordinator: request.coordinator,
        payload: request.payload,
        tweak: request.tweak,
        presignature: request.presignatures?.get(me),
      }),
    ]),
  );
}

/** The coordinator's signature from a finished run; throws if the coordinator returned none. */
export function coordinatorSignature(outputs: ReadonlyMap<ParticipantId, EddsaSignOutput>, coordinator: ParticipantId): Uint8Array {
  const output = outputs.get(coordinator);
  if (output?.role !== 'coordinator') throw new Error(`participant ${coordinator} returned no signature`);
  return output.signature;
}

/** root + ε·B for a key share's group key: what the signature must verify under. */
export function derivedPublicKeyOf(keyShare: KeyShare, tweak: Uint8Array): Uint8Array {
  return deriveEd25519PublicKey(ED25519.pointFromBytes(keyShare.publicKey), tweak).toBytes();
}

