/**
 * Which blocks the operator's lake needs. The lake indexer reads each shard notification on its own —
 * no block order, no gap check — and everything it acts on (sign calls, yield callbacks, responds;
 * shared/near/sign-request.ts) is a receipt outcome whose executor is the MPC contract. So a shard with
 * no such outcome yields nothing, and only shards with one (and their block.json, for the entropy) are
 * copied. Any outcome of the contract counts, not just the ones the indexer reads today (votes, other
 * request kinds): they are rare, and a narrower filter here would silently hide what a newer indexer reads.
 */
import { LakeParseError, parseLakeShard } from '../../shared/near/lake-parser.js';

export type ShardVerdict =
  /** The contract executed receipts in this chunk: copy. */
  | { readonly copy: true; readonly reason: 'contract-activity'; readonly contractOutcomes: number }
  /** The follower cannot read it: copy anyway, so the indexer (which has its own parse-failure metric and DLQ) sees it too. */
  | { readonly copy: true; readonly reason: 'unreadable'; readonly error: LakeParseError }
  | { readonly copy: false; readonly reason: 'no-contract-activity' };

export function judgeShard(bytes: Uint8Array, source: string, contractId: string, maxBytes: number): ShardVerdict {
  let outcomes;
  try {
    outcomes = parseLakeShard(bytes, { source, maxBytes }).receiptOutcomes;
  } catch (error) {
    if (error instanceof LakeParseError) return { copy: true, reason: 'unreadable', error };
    throw error;
  }
  const contractOutcomes = outcomes.filter((outcome) => outcome.executorId === contractId).length;
  return contractOutcomes > 0 ? { copy: true, reason: 'contract-activity', contractOutcomes } : { copy: false, reason: 'no-contract-activity' };
}
