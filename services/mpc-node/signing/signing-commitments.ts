/**
 * Which signing run of a request this node takes part in. A node puts its part into at most one run of
 * a request at a time — its own lead, or one other leader's run — and a leader that made a signature
 * keeps it and answers with that same signature if it has to respond again. Every signing set has at
 * least `threshold` members and the contract keeps the threshold at 60 % of the participants or more,
 * so any two signing sets of a request share a node: two runs of one request cannot both finish while
 * those commitments hold, even when two nodes lead it at once.
 *
 * A commitment to another leader's run holds for `holdMs` from the moment this node joined it, and
 * after that for as long as that leader's lead claim is live (it renews the claim while it signs and
 * responds). It ends when that leader announces its lead ended (`done`, or `released` — e.g. the
 * contract refused its `respond` — sent only once its run is over, so that run can no longer finish),
 * or it lapses, so a leader that died mid-run does not hold the request up forever; by then a
 * signature it made has landed, and the next leader's contract check sees the request answered.
 *
 * What this guarantees is that runs of one request never finish concurrently while the nodes in them
 * are up and their commitments hold. After a commitment lapsed (a leader cut off, or holding longer
 * than peers accept its claim) or a node restarted, a second run can finish and make a second
 * signature; the contract accepts at most one `respond` per request either way.
 * The state is in memory: a node that restarts forgets its commitments (see the node README, Known limits).
 */
import type { SignatureResponse } from '../../../shared/near/signer-abi.js';
import type { ParticipantId } from '../../../shared/crypto/protocol.js';
import { setBounded } from '../bounded-map.js';

/** This node's part in a request: its own lead, or a share in another leader's run since `since` (ms). */
type Commitment = { readonly kind: 'leading' } | { readonly kind: 'following'; readonly leader: ParticipantId; readonly since: number };

/** The end (ms) of `leader`'s live claim to lead the request, known here; undefined when it has none or is unreachable. */
export type ClaimEnd = (leader: ParticipantId) => number | undefined;

export interface SigningCommitmentsOptions {
  /** How long joining another leader's run holds this node, whatever that leader's claim (SIGN_TAKEOVER_MS). */
  readonly holdMs: number;
  /** Requests remembered at most; the oldest are forgotten first. */
  readonly capacity: number;
  readonly now?: () => number;
}

/** A share put into another leader's run; `withdraw` takes it back while nothing derived from it has left the node. */
export interface FollowedRun {
  withdraw(): void;
}

export class SigningCommitments {
  private readonly parts = new Map<string, Commitment>();
  private readonly signatures = new Map<string, SignatureResponse>();
  private readonly now: () => number;

  constructor(private readonly options: SigningCommitmentsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Until when (ms) another leader's run keeps this node from leading the request; undefined when none does. */
  heldUntil(requestId: string, claimEnd: ClaimEnd): number | undefined {
    const part = this.parts.get(requestId);
    if (part?.kind !== 'following') return undefined;
    const until = Math.max(part.since + this.options.holdMs, claimEnd(part.leader) ?? 0);
    if (until > this.now()) return until;
    this.parts.delete(requestId);
    return undefined;
  }

  /** Starts this node's own lead of the request, unless another leader's run holds it: then returns until when. */
  beginLead(requestId: string, claimEnd: ClaimEnd): number | undefined {
    const until = this.heldUntil(requestId, claimEnd);
    if (until === undefined) setBounded(this.parts, requestId, { kind: 'leading' }, this.options.capacity);
    return until;
  }

  /** Ends this node's own lead; a signature it made stays kept. */
  endLead(requestId: string): void {
    if (this.parts.get(requestId)?.kind === 'leading') this.parts.delete(requestId);
  }

  /**
   * Joins `leader`'s run of the request, or says why not: this node leads the request itself, made a
   * signature for it, or takes part in a live run of another leader. A leader's newer run replaces its
   * older one (a leader starts a new run only when the old one made no signature).
   */
  follow(requestId: string, leader: ParticipantId, claimEnd: ClaimEnd): FollowedRun | string {
    if (this.signatures.has(requestId)) return 'this node signed the request already, as its leader';
    const part = this.parts.get(requestId);
    if (part?.kind === 'leading') return 'this node leads the request itself';
    if (part?.kind === 'following' && part.leader !== leader && this.heldUntil(requestId, claimEnd) !== undefined) {
      return `this node takes part in participant ${part.leader}'s run of the request`;
    }
    const joined: Commitment = { kind: 'following', leader, since: this.now() };
    setBounded(this.parts, requestId, joined, this.options.capacity);
    return {
      withdraw: () => {
        if (this.parts.get(requestId) === joined) this.parts.delete(requestId);
      },
    };
  }

  /**
   * `leader` announced that its lead of the request ended (`done` or `released`, sent once its run was
   * over): a run of its can no longer finish, so this node's part in it no longer keeps it from another.
   */
  leaderEnded(requestId: string, leader: ParticipantId): void {
    const part = this.parts.get(requestId);
    if (part?.kind === 'following' && part.leader === leader) this.parts.delete(requestId);
  }

  /**
   * The contract refused this node's `respond` with its kept signature (the call ran and failed, or was
   * turned away before it ran): that signature can never be accepted, so it no longer binds this node.
   */
  dropSignature(requestId: string): void {
    this.signatures.delete(requestId);
  }

  /** Keeps the signature this node's own run made: from now on it answers the request with this one. */
  keepSignature(requestId: string, response: SignatureResponse): void {
    setBounded(this.signatures, requestId, response, this.options.capacity);
  }

  signatureOf(requestId: string): SignatureResponse | undefined {
    return this.signatures.get(requestId);
  }

  /** The request is over: nothing about it is needed any more. */
  forget(requestId: string): void {
    this.parts.delete(requestId);
    this.signatures.delete(requestId);
  }
}
