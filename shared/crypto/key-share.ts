import type { CurveId } from './group.js';
import type { ParticipantId } from './protocol.js';

/**
 * One participant's share of a threshold key, as key generation, resharing and refresh produce it
 * and as ECDSA and FROST signing consume it. The secret key x is never held anywhere: each
 * participant p holds f(p + 1) of a degree-(threshold − 1) polynomial with f(0) = x.
 */
export interface KeyShare {
  readonly curve: CurveId;
  /** Every participant holding a share of this key, ascending. */
  readonly participants: readonly ParticipantId[];
  /** Shares needed to sign (polynomial degree + 1). */
  readonly threshold: number;
  readonly me: ParticipantId;
  /** This participant's secret share f(me + 1). Never logged, never stored in plaintext. */
  readonly privateShare: bigint;
  /** The group public key x·G, compressed. */
  readonly publicKey: Uint8Array;
  /** Every participant's public share f(p + 1)·G, compressed, keyed by participant. */
  readonly verifyingShares: ReadonlyMap<ParticipantId, Uint8Array>;
}
