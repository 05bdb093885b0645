/**
 * Peers' claims to lead a request, from their `leading` notices (./signature-service.ts). A claim holds
 * back this node's takeover for a lease from each `started`, and ends with `done` or `released`.
 *
 * A notice costs its sender nothing, so what one peer can hold is bounded: a peer's claims to one
 * request hold for at most `maxHoldMs` from its first `started` for that request, however often it
 * renews them or releases and claims again; after that its notices for the request are ignored. A peer
 * that claims and never finishes thus holds a request up for that long, once. (An honest node that
 * claims and releases again and again, during an RPC outage say, uses its hold up the same way: after
 * that the others no longer wait for it, and concurrent leads are settled by the signing commitments.) Each peer's claims are
 * remembered for at most `capacityPerPeer` requests (its oldest go first), so a peer that claims
 * requests by the thousand forgets only its own claims, never another peer's.
 */
import type { ParticipantId } from '../../../shared/crypto/protocol.js';
import { setBounded } from '../bounded-map.js';

export interface LeadClaimsOptions {
  /** How long one `started` holds (ms). */
  readonly leaseMs: number;
  /** How long all of one peer's claims to one request hold together, from its first `started` (ms). */
  readonly maxHoldMs: number;
  readonly capacityPerPeer: number;
  readonly now?: () => number;
}

/** What a `started` notice did: it holds (`claimed`), or the peer's hold of the request is used up. */
export type ClaimNotice = 'claimed' | 'held-too-long';

interface Claim {
  /** The peer's first `started` for the request: the hold is counted from here. */
  readonly firstAt: number;
  /** The lease end; at or before now when the claim ended. */
  until: number;
}

export class LeadClaims {
  private readonly byPeer = new Map<ParticipantId, Map<string, Claim>>();
  private readonly now: () => number;

  constructor(private readonly options: LeadClaimsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A peer's `leading started`: claims (or renews) for one lease, within the peer's hold of the request. */
  started(peer: ParticipantId, requestId: string): ClaimNotice {
    const now = this.now();
    let claims = this.byPeer.get(peer);
    if (claims === undefined) {
      claims = new Map();
      this.byPeer.set(peer, claims);
    }
    const known = claims.get(requestId);
    const firstAt = known?.firstAt ?? now;
    const holdEnd = firstAt + this.options.maxHoldMs;
    if (holdEnd <= now) {
      known!.until = 0;
      return 'held-too-long';
    }
    setBounded(claims, requestId, { firstAt, until: Math.min(now + this.options.leaseMs, holdEnd) }, this.options.capacityPerPeer);
    return 'claimed';
  }

  /** A peer's `done` or `released`: its claim ends now (its hold keeps counting from its first claim). */
  ended(peer: ParticipantId, requestId: string): void {
    const claim = this.byPeer.get(peer)?.get(requestId);
    if (claim !== undefined) claim.until = 0;
  }

  /** The end (ms) of `peer`'s live claim to the request; undefined when it has none. */
  endOf(requestId: string, peer: ParticipantId): number | undefined {
    const until = this.byPeer.get(peer)?.get(requestId)?.until;
    return until !== undefined && until > this.now() ? until : undefined;
  }

  /** The peers with a live claim to the request. */
  claimants(requestId: string): ParticipantId[] {
    return [...this.byPeer.keys()].filter((peer) => this.endOf(requestId, peer) !== undefined);
  }

  /** The request is over: its claims are not needed any more. */
  forget(requestId: string): void {
    for (const claims of this.byPeer.values()) claims.delete(requestId);
  }
}
