/**
 * Which peers join the owner's next run. Every asset is made by exactly `threshold` participants:
 * the owner and threshold − 1 peers, because a presignature's set is its signing set and a smaller
 * set means fewer peers to wait for at signing time. Peers are picked among the reachable ones,
 * least-used first, so the load of follower runs and the spread of sets stay balanced; a set whose
 * run failed is backed off (exponentially, per set) so the owner tries another one.
 */
import { ascending, type ParticipantId } from '../../../shared/crypto/protocol.js';
import { participantSetKey } from '../assets.js';

/** All k-subsets of `items` (in order), or `undefined` when there are more than `limit` of them. */
export function combinations<T>(items: readonly T[], k: number, limit: number): T[][] | undefined {
  if (k < 0 || k > items.length) return [];
  let total = 1;
  for (let i = 0; i < k; i += 1) {
    total = (total * (items.length - i)) / (i + 1);
    if (total > limit) return undefined;
  }
  const out: T[][] = [];
  const pick = (start: number, chosen: T[]): void => {
    if (chosen.length === k) {
      out.push([...chosen]);
      return;
    }
    for (let i = start; i <= items.length - (k - chosen.length); i += 1) pick(i + 1, [...chosen, items[i]!]);
  };
  pick(0, []);
  return out;
}

export interface SetRotationOptions {
  /** Sets enumerated in full up to this many; beyond, that many are sampled (large networks). */
  readonly maxCandidates?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

interface Backoff {
  readonly failures: number;
  readonly until: number;
}

export class SetRotation {
  private readonly peerUses = new Map<ParticipantId, number>();
  private readonly backoffs = new Map<string, Backoff>();
  private readonly maxCandidates: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(options: SetRotationOptions = {}) {
    this.maxCandidates = options.maxCandidates ?? 256;
    this.baseBackoffMs = options.baseBackoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Every set of `threshold` participants made of `me` and reachable peers (sampled when there are too many). */
  candidateSets(me: ParticipantId, peers: readonly ParticipantId[], threshold: number): ParticipantId[][] {
    const others = ascending(new Set(peers.filter((id) => id !== me)));
    const all = combinations(others, threshold - 1, this.maxCandidates);
    if (all !== undefined) return all.map((chosen) => ascending([me, ...chosen]));
    const sampled = new Map<string, ParticipantId[]>();
    // The least-used peers always make one candidate, so sampling never hides the balanced choice.
    const leastUsed = ascending(
      [...others].sort((a, b) => this.uses(a) - this.uses(b) || a - b).slice(0, threshold - 1).concat(me),
    );
    sampled.set(participantSetKey(leastUsed), leastUsed);
    for (let attempt = 0; attempt < this.maxCandidates * 2 && sampled.size < this.maxCandidates; attempt += 1) {
      const pool = [...others];
      const chosen: ParticipantId[] = [me];
      for (let i = 0; i < threshold - 1; i += 1) chosen.push(pool.splice(Math.floor(this.random() * pool.length), 1)[0]!);
      const set = ascending(chosen);
      sampled.set(participantSetKey(set), set);
    }
    return [...sampled.values()];
  }

  /** The candidate that is not backed off and whose peers have served the fewest runs; ties broken at random. */
  pick(me: ParticipantId, candidates: readonly (readonly ParticipantId[])[]): ParticipantId[] | undefined {
    const now = this.now();
    let best: ParticipantId[] | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    let ties = 0;
    for (const set of candidates) {
      if ((this.backoffs.get(participantSetKey(set))?.until ?? 0) > now) continue;
      const score = set.reduce((sum, id) => (id === me ? sum : sum + this.uses(id)), 0);
      if (score < bestScore) {
        best = [...set];
        bestScore = score;
        ties = 1;
      } else if (score === bestScore) {
        // Reservoir choice among equals, so equal sets take turns instead of the first always winning.
        ties += 1;
        if (this.random() * ties < 1) best = [...set];
      }
    }
    return best;
  }

  isBackedOff(set: readonly ParticipantId[]): boolean {
    return (this.backoffs.get(participantSetKey(set))?.until ?? 0) > this.now();
  }

  recordUse(me: ParticipantId, set: readonly ParticipantId[]): void {
    for (const id of set) if (id !== me) this.peerUses.set(id, this.uses(id) + 1);
  }

  recordFailure(set: readonly ParticipantId[]): number {
    const key = participantSetKey(set);
    const failures = (this.backoffs.get(key)?.failures ?? 0) + 1;
    const delay = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** (failures - 1));
    this.backoffs.set(key, { failures, until: this.now() + delay });
    return delay;
  }

  recordSuccess(set: readonly ParticipantId[]): void {
    this.backoffs.delete(participantSetKey(set));
  }

  uses(peer: ParticipantId): number {
    return this.peerUses.get(peer) ?? 0;
  }
}
