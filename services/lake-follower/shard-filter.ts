/**
 * Which blocks the operator's lake needs. The lake indexer reads each shard notification on its own —
 * no block order, no gap check — and everything it acts on (shared/near/sign-request.ts) is a receipt
 * outcome whose executor is the MPC contract. A shard is copied (with its block's header, for the entropy)
 * when the contract executed a receipt there that is not merely the end of a request: a sign call,
 * a vote, any method a newer indexer may read. Shards whose only contract receipts are answers — a
 * node's `respond`, the yield callback, its timeout path — are not copied (decision 0012): they would
 * only close the request's ledger item, which its TTL removes anyway, while the nodes ask the contract
 * before they sign. Skipping them halves the PUTs per signature.
 */
import { LakeParseError, parseLakeShard, type ParsedReceiptOutcome } from '../../shared/near/lake-parser.js';
import { SIGNER_METHODS } from '../../shared/near/signer-abi.js';

/** Contract methods whose receipts only end a request the lake already showed. */
export const ANSWER_METHODS: ReadonlySet<string> = new Set([SIGNER_METHODS.respond, SIGNER_METHODS.returnSignature, SIGNER_METHODS.failOnTimeout]);

export type ShardVerdict =
  /** The contract executed receipts in this chunk other than answers: copy. */
  | { readonly copy: true; readonly reason: 'contract-activity'; readonly contractOutcomes: number }
  /** The follower cannot read it: copy anyway, so the indexer (which has its own parse-failure metric and DLQ) sees it too. */
  | { readonly copy: true; readonly reason: 'unreadable'; readonly error: LakeParseError }
  /** The contract's only receipts here end requests (respond, yield callback): not copied. */
  | { readonly copy: false; readonly reason: 'answers-only'; readonly answers: number }
  | { readonly copy: false; readonly reason: 'no-contract-activity' };

/** An action receipt made only of calls to answer methods; anything else (data receipts, other actions, other methods) is activity. */
function isAnswer(outcome: ParsedReceiptOutcome): boolean {
  const { body } = outcome.receipt;
  return body.kind === 'Action' && body.actions.length > 0 && body.actions.every((action) => action.kind === 'FunctionCall' && ANSWER_METHODS.has(action.methodName));
}

export function judgeShard(bytes: Uint8Array, source: string, contractId: string, maxBytes: number): ShardVerdict {
  let outcomes;
  try {
    outcomes = parseLakeShard(bytes, { source, maxBytes }).receiptOutcomes;
  } catch (error) {
    if (error instanceof LakeParseError) return { copy: true, reason: 'unreadable', error };
    throw error;
  }
  const ofContract = outcomes.filter((outcome) => outcome.executorId === contractId);
  const answers = ofContract.filter(isAnswer).length;
  const contractOutcomes = ofContract.length - answers;
  if (contractOutcomes > 0) return { copy: true, reason: 'contract-activity', contractOutcomes };
  return answers > 0 ? { copy: false, reason: 'answers-only', answers } : { copy: false, reason: 'no-contract-activity' };
}
