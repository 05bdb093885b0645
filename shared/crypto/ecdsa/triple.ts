import type { ParticipantId } from '../protocol.js';

/**
 * A committed Beaver triple on secp256k1: secret a, b and c = a·b, Shamir-shared among the
 * participants who generated it (degree threshold − 1, participant p at x = p + 1), with public
 * commitments A = a·G, B = b·G, C = c·G. Single use: taken atomically from the store before any
 * share derived from it leaves the node.
 */
export interface TriplePublic {
  /** The participants who generated the triple, ascending; any `threshold` of them can use it. */
  readonly participants: readonly ParticipantId[];
  readonly threshold: number;
  /** Compressed points (33 bytes). */
  readonly bigA: Uint8Array;
  readonly bigB: Uint8Array;
  readonly bigC: Uint8Array;
}

/** One participant's secret shares of a triple. Never logged, never stored in plaintext. */
export interface TripleShare {
  readonly a: bigint;
  readonly b: bigint;
  readonly c: bigint;
}

export interface Triple {
  readonly share: TripleShare;
  readonly pub: TriplePublic;
}
