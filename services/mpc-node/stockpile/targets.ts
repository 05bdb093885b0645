/**
 * How much to generate. Pure arithmetic, so the policy is testable without a network.
 *
 * A presignature counts toward the target only while its whole set is reachable: one whose set
 * includes a peer that is down cannot sign now, and counting it would stall generation exactly when
 * a node fails. So that a flapping peer cannot make the stockpile grow without bound, everything the
 * node owns for the domain (usable or not) is capped at `maxOwned`.
 */
export interface PresignatureLevel {
  readonly target: number;
  /** Owned presignatures whose whole set is reachable now. */
  readonly usable: number;
  /** Every owned presignature of the domain and epoch. */
  readonly owned: number;
  /** Owner runs for the domain under way. */
  readonly inFlight: number;
  readonly maxOwned: number;
}

export function presignatureDeficit(level: PresignatureLevel): number {
  const toTarget = level.target - level.usable - level.inFlight;
  const toCap = level.maxOwned - level.owned - level.inFlight;
  return Math.max(0, Math.min(toTarget, toCap));
}

/** Triples a set's partition can still give: presign uses them in pairs, so an odd one out is not counted. */
export function pairableTriples(available: number): number {
  return Math.max(0, available - (available % 2));
}

export interface TripleLevel {
  /** Presignatures still to start across the node's ECDSA domains (each needs two triples). */
  readonly ecdsaDeficit: number;
  /** Σ over usable triple partitions of {@link pairableTriples}. */
  readonly pairable: number;
  /** Owned triples whose whole set is reachable now. */
  readonly usable: number;
  /** Every owned triple of the parameters' sets, usable or not. */
  readonly owned: number;
  /** Triples that batches under way will produce. */
  readonly inFlight: number;
  /** Usable triples kept ahead of need. */
  readonly tripleTarget: number;
  /** The most owned and in flight together, so that a flapping peer cannot grow the stock without bound. */
  readonly maxOwned: number;
  readonly batchSize: number;
  /**
   * Keep triples up to the target ahead of need (signing is not busy). While it is, batches start only
   * for what presignatures need: a triple batch is the heaviest work a node does.
   */
  readonly fillAhead: boolean;
}

/**
 * Whether to start one more triple batch now: for the presignatures still to make, or — when filling
 * ahead — to keep the usable stock at the target, so that presignatures made during a burst find their
 * triples ready (near/mpc keeps a triple buffer the same way). As for presignatures, only triples
 * whose set is reachable count toward the target: those of a set with a peer that is down cannot make
 * a presignature now, and counting them would stop generation for the sets that can, exactly when a
 * node fails. Everything owned stays under `maxOwned`.
 */
export function needsTripleBatch(level: TripleLevel): boolean {
  const needed = 2 * level.ecdsaDeficit - level.pairable - level.inFlight;
  // A batch always yields `batchSize` triples, so it starts only if all of them fit.
  const ahead = level.fillAhead && level.tripleTarget - level.usable - level.inFlight >= level.batchSize;
  const room = level.maxOwned - level.owned - level.inFlight;
  return (needed > 0 || ahead) && room >= level.batchSize;
}
