/**
 * The bridge from this project's {@link KeyShare} to noble's RFC 9591 FROST key packages, for FROST
 * signing (`FROST.commit / signShare / verifyShare / aggregate`). Works for both curves' suites.
 */
import type { FrostPublic, FrostSecret } from '@noble/curves/abstract/frost.js';
import type { KeyShare } from '../key-share.js';
import type { ParticipantId } from '../protocol.js';
import { frostIdentifier, withSuite } from './suite.js';

export interface FrostKeyPackage {
  readonly secret: FrostSecret;
  /**
   * `commitments` holds only the group public key: a KeyShare keeps the verifying shares, not the
   * key's full Feldman commitment vector, and signing, share verification and aggregation read only
   * `commitments[0]`. noble's `validateSecret` needs the full vector and does not apply; the share
   * is checked against `verifyingShares` instead (decodeKeyShare does that).
   */
  readonly public: FrostPublic;
}

/** The FROST identifier of a participant: the hex scalar p + 1, matching polynomial.ts. */
export function frostIdentifierOf(share: Pick<KeyShare, 'curve'>, participant: ParticipantId): string {
  return withSuite(share.curve, ({ frost }) => frostIdentifier(frost, participant));
}

export function toFrostKeyPackage(share: KeyShare): FrostKeyPackage {
  return withSuite(share.curve, ({ frost, group }) => {
    const verifyingShares: Record<string, Uint8Array<ArrayBuffer>> = {};
    for (const [participant, point] of share.verifyingShares) verifyingShares[frostIdentifier(frost, participant)] = new Uint8Array(point);
    return {
      secret: { identifier: frostIdentifier(frost, share.me), signingShare: new Uint8Array(group.scalarToBytes(share.privateShare)) },
      public: {
        signers: { min: share.threshold, max: share.participants.length },
        commitments: [new Uint8Array(share.publicKey)],
        verifyingShares,
      },
    };
  });
}
