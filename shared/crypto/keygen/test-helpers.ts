/**
 * Test-only helpers for the key-lifecycle tests. Reconstructing a secret from shares is exactly what
 * product code must never do (security invariant 1); it lives here so the tests can check that the
 * shares really encode the key behind `publicKey`. Nothing outside *.test.ts files imports this.
 */
import { equalBytes } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { CurveId, GroupPoint } from '../group.js';
import type { KeyShare } from '../key-share.js';
import { lagrangeCoefficient } from '../polynomial.js';
import type { ParticipantId, Protocol } from '../protocol.js';
import { runProtocols } from '../runner.js';
import { createDkg } from './dkg.js';
import { withSuite } from './suite.js';

export function newSessionId(): Uint8Array {
  return randomBytes(16);
}

/** A deterministic byte stream SHA-256(seed ‖ counter) ‖ …, so two runs can be given identical randomness. */
export function seededRng(seed: string): (length: number) => Uint8Array {
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += 32) {
      const block = sha256(Uint8Array.of(...utf8ToBytes(seed), counter >>> 24, counter >>> 16, counter >>> 8, counter));
      counter += 1;
      out.set(block.subarray(0, Math.min(32, length - offset)), offset);
    }
    return out;
  };
}

/** The numbers 0 … n−1 spread out, so tests do not rely on participant ids being 0-based and dense. */
export function participantIds(count: number): ParticipantId[] {
  return Array.from({ length: count }, (_, i) => i * 3 + 1);
}

export function runDkg(curve: CurveId, participants: readonly ParticipantId[], threshold: number, sessionId = newSessionId()): Map<ParticipantId, KeyShare> {
  const parties = new Map<ParticipantId, Protocol<KeyShare>>(participants.map((me) => [me, createDkg({ curve, sessionId, participants, threshold, me })]));
  return new Map(runProtocols(parties).outputs);
}

/** Σ λᵢ·xᵢ over the given shares (TEST ONLY). */
export function interpolateSecret(shares: readonly KeyShare[]): bigint {
  return withSuite(shares[0]!.curve, ({ group }) => {
    const ids = shares.map((share) => share.me);
    return shares.reduce((sum, share) => group.Fn.add(sum, group.Fn.mul(lagrangeCoefficient(group.Fn, ids, share.me), share.privateShare)), 0n);
  });
}

/** Whether secret·G is the public key the shares claim (TEST ONLY). */
export function isSecretOf(secret: bigint, share: KeyShare): boolean {
  return withSuite(share.curve, <P extends GroupPoint<P>>({ group }: { group: import('../group.js').Group<P> }) =>
    equalBytes(group.scaleBase(secret).toBytes(true), share.publicKey),
  );
}

/** Every subset of `items` with exactly `size` elements. */
export function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  if (items.length < size) return [];
  const [first, ...rest] = items;
  return [...subsets(rest, size - 1).map((subset) => [first!, ...subset]), ...subsets(rest, size)];
}
