/**
 * TEST ONLY. Keys for the FROST signing tests come from noble's trusted dealer, which product code
 * must never use (security invariant 1: keys come from DKG); nothing outside *.test.ts files and
 * test/bench imports this file, and eddsa.test.ts checks that for this folder.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js';
import type { ParticipantId, Protocol } from '../protocol.js';
import { frostIdentifier, type FrostKeyPackage } from './frost-key.js';
import type { EddsaPresignature } from './presign.js';
import { EddsaSignProtocol, type EddsaSignOptions, type EddsaSignOutput } from './sign.js';

/** A t-of-n key dealt to `participants` (TEST ONLY), optionally with a fixed group secret (32 bytes LE). */
export function dealFrostKeys(threshold: number, participants: readonly ParticipantId[], groupSecret?: Uint8Array): Map<ParticipantId, FrostKeyPackage> {
  const identifiers = participants.map(frostIdentifier);
  const dealt = ed25519_FROST.trustedDealer({ min: threshold, max: participants.length }, identifiers, groupSecret);
  return new Map(participants.map((p) => [p, { secret: dealt.secretShares[frostIdentifier(p)]!, public: dealt.public }]));
}

/** Builds key packages from known shares (the RFC 9591 vector gives shares, not a dealer run). */
export function frostKeysFromShares(
  threshold: number,
  groupPublicKey: Uint8Array,
  shares: ReadonlyMap<ParticipantId, Uint8Array>,
): Map<ParticipantId, FrostKeyPackage> {
  const verifyingShares = Object.fromEntries(
    [...shares].map(([p, share]) => [frostIdentifier(p), new Uint8Array(ed25519.Point.BASE.multiply(ed25519.Point.Fn.fromBytes(share)).toBytes())]),
  );
  const pub = { signers: { min: threshold, max: shares.size }, commitments: [new Uint8Array(groupPublicKey)], verifyingShares };
  return new Map([...shares].map(([p, share]) => [p, { secret: { identifier: frostIdentifier(p), signingShare: new Uint8Array(share) }, public: pub }]));
}

export type SignRequest = Pick<EddsaSignOptions, 'payload' | 'tweak' | 'coordinator'> & {
  readonly signers: readonly ParticipantId[];
  readonly presignatures?: ReadonlyMap<ParticipantId, EddsaPresignature>;
};

/** One sign protocol per signer, ready for `runProtocols` / `settleProtocols`. */
export function signingParties(keys: ReadonlyMap<ParticipantId, FrostKeyPackage>, request: SignRequest): Map<ParticipantId, Protocol<EddsaSignOutput>> {
  return new Map(
    request.signers.map((me) => [
      me,
      new EddsaSignProtocol({
        key: keys.get(me)!,
        me,
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

/** DER SubjectPublicKeyInfo prefix of an Ed25519 key (RFC 8410): the 32 raw key bytes follow it. */
const ED25519_SPKI_PREFIX = Uint8Array.from(Buffer.from('302a300506032b6570032100', 'hex'));

/** Verifies with Node's built-in (OpenSSL) Ed25519, independent of noble. */
export function verifyWithNodeCrypto(signature: Uint8Array, payload: Uint8Array, publicKey: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
  return nodeVerify(null, payload, key, signature);
}
