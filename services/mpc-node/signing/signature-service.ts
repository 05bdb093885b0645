/**
 * Answers sign requests (ARCHITECTURE.md, "every node sees every request"). Each node receives every
 * request from its own queue and computes the same leader order, SHA-256(participant ‖ request id)
 * (./leader.ts), over the running participants it can reach. The first leads at once: it takes a
 * presignature it owns, tells the presignature's other participants to sign with it, runs the one-round
 * signature as coordinator, and sends `respond`. Every later node in the order waits `takeoverMs` per
 * place, then asks the contract whether the request is still pending and, only if it is, leads itself.
 * A node that leads says so to its peers (`leading started`, renewed while it lasts), and every other node
 * holds back for the lease of that claim — under load a signing round plus a `respond` waiting for
 * FINAL can take longer than a takeover step, and taking over then would sign the request twice. The
 * claim ends with `done` or `released` (the others re-check at once), with its lease, or when the
 * leader drops off the mesh. Only participants' claims count, and one peer's claims to one request
 * hold for a bounded time (./lead-claims.ts): a peer that claims and never finishes delays a request,
 * it cannot hold it. Two nodes that claim at the same moment settle it by the leader order. A leader
 * whose `respond` is refused releases the request to the next. Beyond the claims, a node takes part
 * in at most one run of a request at a time and a leader that signed answers with that signature again
 * unless the contract refused it (./signing-commitments.ts); the contract accepts at most one signature
 * per request.
 * Followers sign only requests their own indexer delivered (invariant 5) with a presignature share they
 * take atomically first (invariant 2). A request's message leaves the queue only when the request is over.
 */
import { baseDecode } from '@near-js/utils';
import { hexToBytes } from '@noble/hashes/utils.js';
import { randomBytes } from 'node:crypto';
import { decodePresignatureShare, EcdsaSign } from '../../../shared/crypto/ecdsa/index.js';
import { decodeEddsaPresignature, EddsaSignProtocol } from '../../../shared/crypto/eddsa/index.js';
import { ascending, sameParticipantSet, type ParticipantId, type Protocol } from '../../../shared/crypto/protocol.js';
import type { SignRequest } from '../../../shared/near/sign-request.js';
import { SIGNER_ERRORS, type SignatureRequest, type SignatureResponse } from '../../../shared/near/signer-abi.js';
import { ecdsaSignatureResponse } from '../../../shared/near/signature-response.js';
import { parsePartition, type PresignatureScheme } from '../assets.js';
import { ChainCallFailed, ChainRequestRejected, ChainUnavailable } from '../chain/errors.js';
import { RunRefused, type ControlMessage, type ControlMessageOf } from '../control.js';
import { leadOrder, leaderOrder } from '../leader.js';
import type { NodeContext, ServingKey, ServingState } from '../node-context.js';
import type { Asset } from '../storage/asset-store.js';
import { LeadClaims } from './lead-claims.js';
import type { InboxMessage } from './request-inbox.js';
import { SigningCommitments, type ClaimEnd } from './signing-commitments.js';

/** The node's single-use presignatures, as the stockpile hands them out. */
export interface PresignatureSource {
  /** Atomically takes one presignature this node owns for the domain whose signing set passes `usable`; undefined when none. */
  takePresignature(scheme: PresignatureScheme, domainId: number, usable: (participants: readonly ParticipantId[]) => boolean): Promise<Asset | undefined>;
}

/** What the service does with a request's queue message. */
export interface RequestMessages {
  complete(receiptHandle: string): Promise<void>;
  extend(receiptHandle: string): Promise<void>;
  release(receiptHandle: string): Promise<void>;
  readonly visibilitySeconds: number;
}

/** Why this node could not sign a request (it stays pending; another node, or a later attempt, may). */
export class SigningFailed extends Error {
  constructor(
    readonly requestId: string,
    readonly reason: 'no-key' | 'no-presignature' | 'no-signers',
    detail: string,
  ) {
    super(`cannot sign request ${requestId} (${reason}): ${detail}`);
    this.name = 'SigningFailed';
  }
}

/** A peer asked this node to sign something it must refuse. */
export class SignRefused extends Error {
  constructor(
    readonly from: ParticipantId,
    readonly requestId: string,
    reason: string,
  ) {
    super(`sign run for request ${requestId} from participant ${from} refused: ${reason}`);
    this.name = 'SignRefused';
  }
}

export interface SignatureServiceOptions {
  readonly context: NodeContext;
  readonly messages: RequestMessages;
  readonly presignatures: PresignatureSource;
  /** Wait per place in the leader order before taking over (SIGN_TAKEOVER_MS). */
  readonly takeoverMs: number;
  /** Requests this node leads at once (MAX_CONCURRENT_SIGNATURES). */
  readonly maxConcurrent: number;
  /** The contract's yield timeout; a request older than this many blocks is over. Default 200 (NEAR). */
  readonly yieldTimeoutBlocks?: number;
  /** How long another node's claim to lead a request holds back this node's takeover. Default 3 × `takeoverMs`; the leader renews it every third of that. */
  readonly leaderLeaseMs?: number;
  /**
   * How long one peer's claims to one request hold back this node at most, from its first claim, however
   * often renewed (./lead-claims.ts): what a peer that claims and never finishes costs. Default the
   * protocol timeout plus 3 leases. An honest lead must stay within it even when it waits for a lead slot
   * in a burst and its `respond` goes unanswered and is looked at again: past the bound the others lead
   * too, and the commitments to its run lapse, so a second signature can be made (the contract accepts
   * one). With 3 leases alone, a 200-request burst on the devnet made 75 second signatures.
   */
  readonly leadClaimMaxMs?: number;
  /** How long a follower waits for a request its leader names to arrive from its own queue. Default 30 s. */
  readonly followerRequestWaitMs?: number;
  /**
   * How long a leader waits for the stockpile to produce a presignature before it releases the request
   * to the next node in the order (which may have one). Default `takeoverMs`.
   */
  readonly presignatureWaitMs?: number;
  /** Called with each answered request's latency (ms, from its block to `respond` landing). */
  readonly onAnswered?: (latencyMs: number, request: SignRequest) => void;
}

interface PendingRequest {
  readonly request: SignRequest;
  readonly receivedAt: number;
  receiptHandle: string;
  extendedAt: number;
  timer: NodeJS.Timeout | undefined;
  leading: boolean;
}

const DEFAULT_YIELD_TIMEOUT_BLOCKS = 200;
const LEAD_ATTEMPTS = 3;
const PRESIGNATURE_POLL_MS = 25;
/** Requests whose message was deleted are remembered this long, so a late redelivery or sign run is recognised. */
const FINISHED_MEMORY = 10_000;
/**
 * How long a stop waits for the requests this node leads. A lead normally ends within a few seconds
 * (signing round and `respond`); one that is still running waits for a peer that stopped or died, and
 * would hold the stop for the whole protocol timeout.
 */
const STOP_LEAD_GRACE_MS = 10_000;
const LATENCY_BUCKETS_MS = [50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10_000, 20_000, 60_000];

export function contractRequestOf(request: SignRequest): SignatureRequest {
  return {
    tweak: [...hexToBytes(request.tweak)],
    payload: request.payload.scheme === 'Ecdsa' ? { Ecdsa: request.payload.hex } : { Eddsa: request.payload.hex },
    domain_id: request.domainId,
  };
}

/**
 * How a lead ended: the request is over (`answered`, `answered-elsewhere`, `expired`); an earlier node in
 * the order claimed it meanwhile (`yielded`); the respond got no answer and may still land
 * (`unconfirmed`); the contract or the RPC refused the respond, which will not land (`refused`); or
 * signing failed and the request stays pending (`retry`).
 */
type LeadOutcome = 'answered' | 'answered-elsewhere' | 'expired' | 'yielded' | 'unconfirmed' | 'refused' | 'retry';

/** Why a `respond` failed, as counted: no answer (may still land), the contract refused it, the RPC refused it, anything else. */
type RespondFailure = 'unavailable' | 'contract-refused' | 'rpc-rejected' | 'error';

function respondFailureOf(error: unknown): RespondFailure {
  if (error instanceof ChainUnavailable) return 'unavailable';
  if (error instanceof ChainCallFailed) return 'contract-refused';
  if (error instanceof ChainRequestRejected) return 'rpc-rejected';
  return 'error';
}

const schemeOf = (key: ServingKey): PresignatureScheme => (key.domain.scheme === 'Secp256k1' ? 'ecdsa' : 'eddsa');

export class SignatureService {
  private readonly pending = new Map<string, PendingRequest>();
  private readonly finished = new Set<string>();
  private readonly arrivals = new Map<string, Array<() => void>>();
  /** Participants' claims to lead a request, also for requests not delivered here yet. */
  private readonly claims: LeadClaims;
  private readonly leaseMs: number;
  /** The one run of each request this node takes part in, and the signatures it made as leader. */
  private readonly commitments: SigningCommitments;
  private leadingNow = 0;
  private readonly leadQueue: Array<() => void> = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly metrics;

  constructor(private readonly options: SignatureServiceOptions) {
    this.leaseMs = options.leaderLeaseMs ?? 3 * options.takeoverMs;
    this.claims = new LeadClaims({ leaseMs: this.leaseMs, maxHoldMs: options.leadClaimMaxMs ?? options.context.protocolTimeoutMs + 3 * this.leaseMs, capacityPerPeer: FINISHED_MEMORY });
    this.commitments = new SigningCommitments({ holdMs: options.takeoverMs, capacity: FINISHED_MEMORY });
    const registry = options.context.metrics;
    this.metrics = {
      received: registry.counter('sign_requests_received_total', 'Sign requests received from the queue (redeliveries included)'),
      finished: registry.counter('sign_requests_finished_total', 'Requests whose message left the queue, by outcome'),
      runs: registry.counter('sign_runs_total', 'Signing protocol runs, by role, scheme and outcome'),
      latency: registry.histogram('sign_latency_ms', 'Block of the request to its respond landing, for requests this node answered', LATENCY_BUCKETS_MS),
      pending: registry.gauge('sign_requests_pending', 'Requests this node holds in flight'),
      secondRunsRefused: registry.counter('sign_second_runs_refused_total', 'Runs of a request refused because this node takes part in another run of it or signed it already'),
      noticesIgnored: registry.counter('sign_lead_notices_ignored_total', 'Lead notices ignored, by reason: the sender is not a participant, or its claim to the request held too long'),
      respondFailures: registry.counter('sign_respond_failures_total', 'respond calls of this node that failed, by reason (unavailable: may still land; the others released the request)'),
    };
    options.context.network.control.on('sign', (from, message) => this.follow(from, message));
    options.context.network.control.on('leading', async (from, message) => this.onLeadNotice(from, message.requestId, message.phase));
    const heartbeatMs = (options.messages.visibilitySeconds * 1000) / 3;
    this.heartbeat = setInterval(() => void this.extendVisibility(heartbeatMs), heartbeatMs);
    this.heartbeat.unref();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** A request from this node's queue (first delivery or redelivery). */
  accept(message: InboxMessage): void {
    const { request } = message;
    this.metrics.received.inc();
    if (this.stopped) {
      void this.options.messages.release(message.receiptHandle).catch(() => undefined);
      return;
    }
    if (this.finished.has(request.requestId)) {
      void this.finish(request.requestId, message.receiptHandle, 'duplicate');
      return;
    }
    const known = this.pending.get(request.requestId);
    if (known !== undefined) {
      // A redelivery: only the newest receipt handle can delete the message.
      known.receiptHandle = message.receiptHandle;
      return;
    }
    const entry: PendingRequest = { request, receivedAt: Date.now(), receiptHandle: message.receiptHandle, extendedAt: Date.now(), timer: undefined, leading: false };
    this.pending.set(request.requestId, entry);
    this.metrics.pending.set(this.pending.size);
    for (const wake of this.arrivals.get(request.requestId) ?? []) wake();
    this.arrivals.delete(request.requestId);
    // A peer may already have claimed it (its announcement beat our queue): then our turn counts from its lease end.
    this.schedule(entry, this.turnDelayMs(request));
  }

  /**
   * Stops taking work: requests not being led right now go back to the queue; leads in progress get
   * `graceMs` to finish, and the requests of those still running then go back too (their runs end when
   * the node's network stops; a `respond` already sent may still land, which the next leader's contract
   * check sees).
   */
  async stop(graceMs = STOP_LEAD_GRACE_MS): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    await this.releaseAll((entry) => !entry.leading);
    const deadline = Date.now() + graceMs;
    while ([...this.pending.values()].some((entry) => entry.leading) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await this.releaseAll(() => true);
  }

  /** Hands the pending requests that `which` selects back to the queue and forgets them. */
  private async releaseAll(which: (entry: PendingRequest) => boolean): Promise<void> {
    const releases: Promise<void>[] = [];
    for (const [requestId, entry] of this.pending) {
      clearTimeout(entry.timer);
      if (!which(entry)) continue;
      this.pending.delete(requestId);
      if (entry.leading) this.options.context.logger.warn('handing back a request whose lead did not finish in time', { requestId });
      releases.push(this.options.messages.release(entry.receiptHandle).catch(() => undefined));
    }
    await Promise.all(releases);
  }

  /** Milliseconds until every reachable participant had its turn. */
  private lastTurnDelayMs(): number {
    const { context } = this.options;
    const peers = new Set(context.network.reachablePeers());
    return (context.serving()?.participants ?? []).filter((id) => peers.has(id)).length * this.options.takeoverMs + this.options.takeoverMs;
  }

  /** Milliseconds until this node's turn: its place among the reachable participants times `takeoverMs`. */
  private myTurnDelayMs(request: SignRequest): number {
    const serving = this.options.context.serving();
    if (serving === null) return this.options.takeoverMs;
    const place = this.reachableOrder(serving, request).indexOf(this.options.context.me);
    return place < 0 ? this.options.takeoverMs * serving.participants.length : place * this.options.takeoverMs;
  }

  /** The request's lead order (./leader.ts) over this node, the peers it reaches, and `alsoCounted`. */
  private reachableOrder(serving: ServingState, request: SignRequest, alsoCounted: readonly ParticipantId[] = []): ParticipantId[] {
    const { me, network } = this.options.context;
    const reachable = new Set([me, ...alsoCounted, ...network.reachablePeers()]);
    return leadOrder(serving.participants, baseDecode(request.requestId), reachable, serving.responders);
  }

  /** Milliseconds until this node's turn, counted from the end of a peer's live claim if there is one. */
  private turnDelayMs(request: SignRequest): number {
    const claimEnd = this.liveClaimEnd(request.requestId);
    return this.myTurnDelayMs(request) + (claimEnd === undefined ? 0 : claimEnd - Date.now());
  }

  /** The reachable peers with a live claim to lead the request. */
  private liveClaimants(requestId: string): ParticipantId[] {
    const reachable = new Set(this.options.context.network.reachablePeers());
    return this.claims.claimants(requestId).filter((leader) => reachable.has(leader));
  }

  /** The latest lease end among live claims of reachable peers, or undefined when no peer holds one. */
  private liveClaimEnd(requestId: string): number | undefined {
    const ends = this.liveClaimants(requestId).map((leader) => this.claims.endOf(requestId, leader)!);
    return ends.length === 0 ? undefined : Math.max(...ends);
  }

  /** The end of a reachable peer's live claim to lead the request, for the commitments (./signing-commitments.ts). */
  private claimEndOf(requestId: string): ClaimEnd {
    return (leader) => (this.options.context.network.reachablePeers().includes(leader) ? this.claims.endOf(requestId, leader) : undefined);
  }

  /** Whether a reachable peer that comes before this node in the request's leader order claims it. */
  private claimedByEarlierLeader(request: SignRequest): boolean {
    const serving = this.options.context.serving();
    const claimants = this.liveClaimants(request.requestId);
    if (serving === null || claimants.length === 0) return false;
    const order = this.reachableOrder(serving, request);
    const myPlace = order.indexOf(this.options.context.me);
    return claimants.some((leader) => {
      const place = order.indexOf(leader);
      return place >= 0 && place < myPlace;
    });
  }

  private schedule(entry: PendingRequest, delayMs: number): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => void this.takeTurn(entry), delayMs);
  }

  private async takeTurn(entry: PendingRequest): Promise<void> {
    const { request } = entry;
    const { requestId } = request;
    if (this.stopped || this.pending.get(requestId) !== entry || entry.leading) return;
    if (this.liveClaimEnd(requestId) !== undefined) {
      this.schedule(entry, this.turnDelayMs(request));
      return;
    }
    entry.leading = true;
    // Claim first, before the slot and the contract check, so the window in which two nodes both lead is short.
    this.announceLead(request, 'started');
    const renewal = setInterval(() => this.announceLead(request, 'started'), this.leaseMs / 3);
    let outcome: LeadOutcome;
    try {
      await this.acquireLeadSlot();
      try {
        outcome = await this.lead(request, entry.receivedAt);
      } finally {
        this.releaseLeadSlot();
      }
    } catch (error) {
      // An RPC outage fails every turn until it ends: expected, and said once per turn at warn.
      if (error instanceof ChainUnavailable) this.options.context.logger.warn('contract unreachable; will look again', { requestId, error: String(error) });
      else this.options.context.logger.error('sign request failed', { requestId, error: String(error) });
      // A signature made here must be the one that answers: keep the claim and send it again later.
      outcome = this.commitments.signatureOf(requestId) === undefined ? 'retry' : 'unconfirmed';
    } finally {
      clearInterval(renewal);
      this.commitments.endLead(requestId);
      entry.leading = false;
    }
    if (outcome === 'answered' || outcome === 'answered-elsewhere' || outcome === 'expired') {
      this.announceLead(request, 'done');
      await this.finish(requestId, entry.receiptHandle, outcome);
      return;
    }
    if (this.stopped || this.pending.get(requestId) !== entry) return;
    if (outcome === 'yielded') {
      // An earlier node in the order claimed it while we checked, or this node takes part in another leader's
      // run of it: that one leads, we drop our claim and wait behind its lease and our commitment to it.
      this.announceLead(request, 'released');
      const heldMs = (this.commitments.heldUntil(requestId, this.claimEndOf(requestId)) ?? 0) - Date.now();
      this.schedule(entry, Math.max(this.turnDelayMs(request), heldMs));
    } else if (outcome === 'unconfirmed') {
      // Our respond may still land: keep the claim (its last renewal runs for one lease) and look again halfway through it.
      this.schedule(entry, this.leaseMs / 2);
    } else if (outcome === 'refused') {
      // The others take their turns from now; this node comes back after all of them (or when one says `done`).
      this.announceLead(request, 'released');
      this.schedule(entry, this.lastTurnDelayMs());
    } else {
      this.announceLead(request, 'released');
      // Two nodes whose turns came before either's claim reached the other refuse each other's runs (each
      // leads the request itself) and both release: a random part of a step keeps them from meeting again.
      this.schedule(entry, this.options.takeoverMs * (1 + Math.random()));
    }
  }

  private async lead(request: SignRequest, receivedAt: number): Promise<LeadOutcome> {
    const { contract, logger } = this.options.context;
    const startedAt = Date.now();
    const contractRequest = contractRequestOf(request);
    // Invariant 5: sign only what the contract still waits for (an answer by another node ends it here).
    const [pending, height] = await Promise.all([contract.pendingRequest(contractRequest), contract.chain.blockHeight()]);
    if (pending === null) return 'answered-elsewhere';
    if (height > request.block.height + (this.options.yieldTimeoutBlocks ?? DEFAULT_YIELD_TIMEOUT_BLOCKS)) return 'expired';
    if (this.claimedByEarlierLeader(request)) return 'yielded';
    // A signature this node made before answers again; otherwise it signs only if no other leader's run holds it.
    if (this.commitments.signatureOf(request.requestId) === undefined && this.commitments.beginLead(request.requestId, this.claimEndOf(request.requestId)) !== undefined) return 'yielded';
    const checkedAt = Date.now();
    // Peers that refused an attempt are left out of the next: one participant that refuses every run
    // would otherwise fail every attempt whose signers it is among (an EdDSA signing set in two rounds
    // is the same each time).
    const refusers = new Set<ParticipantId>();
    for (let attempt = 1; attempt <= LEAD_ATTEMPTS && !this.stopped; attempt += 1) {
      let response = this.commitments.signatureOf(request.requestId);
      let signedAt = Date.now();
      if (response === undefined) {
        try {
          response = await this.signAsLeader(request, refusers);
          signedAt = Date.now();
          this.commitments.keepSignature(request.requestId, response);
        } catch (error) {
          logger.warn('signing attempt failed', { requestId: request.requestId, attempt, error: String(error) });
          // Without a presignature, signers or key here, another attempt would fail the same way while our
          // claim holds back nodes that may have them: release the request instead.
          if (error instanceof SigningFailed) return 'retry';
          if (error instanceof RunRefused) refusers.add(error.from);
          continue;
        }
      }
      try {
        await contract.respond(contractRequest, response);
      } catch (error) {
        if (error instanceof ChainCallFailed && error.panicMessage?.includes(SIGNER_ERRORS.requestNotFound) === true) return 'answered-elsewhere';
        const reason = respondFailureOf(error);
        this.metrics.respondFailures.inc({ reason });
        // No answer from the RPC: the transaction may still land, so this is not a reason to sign again yet.
        if (reason === 'unavailable') {
          logger.warn('respond unconfirmed', { requestId: request.requestId, error: String(error) });
          return 'unconfirmed';
        }
        // Refused (balance, access key, nonce, congestion, a contract panic …): trying again here would
        // hold the request for nothing, so the next leader answers it. A refusal by the contract or the
        // RPC means this signature never lands, so it no longer binds this node; after an error of
        // another kind that is not known, and the signature is kept.
        logger.error('respond refused; releasing the request to the next leader', { requestId: request.requestId, reason, error: String(error) });
        if (reason !== 'error') this.commitments.dropSignature(request.requestId);
        return 'refused';
      }
      const blockTimeMs = Number(BigInt(request.block.timestampNanosec) / 1_000_000n);
      const latencyMs = Date.now() - blockTimeMs;
      this.metrics.latency.observe(latencyMs);
      this.options.onAnswered?.(latencyMs, request);
      // Where the time went: indexing to this node, the contract checks, the signing round, the respond transaction.
      logger.info('request answered', {
        requestId: request.requestId,
        domainId: request.domainId,
        latencyMs,
        phasesMs: { delivery: receivedAt - blockTimeMs, checks: checkedAt - startedAt, sign: signedAt - checkedAt, respond: Date.now() - signedAt },
      });
      return 'answered';
    }
    return 'retry';
  }

  /** Tells every other running participant where this node's lead of `request` stands. */
  private announceLead(request: SignRequest, phase: 'started' | 'done' | 'released'): void {
    const { context } = this.options;
    const others = (context.serving()?.participants ?? []).filter((id) => id !== context.me);
    // Best effort: every peer is sent to even if one send fails, and a peer that misses the notice only
    // takes over (or re-checks) on its own schedule.
    context.network.control.sendTo(others, { type: 'leading', requestId: request.requestId, phase }).catch(() => undefined);
  }

  /**
   * A peer's lead notice. `started` holds back this node's takeover until the claim's lease ends (renewals
   * extend it, up to the peer's hold of the request); `done` and `released` end the peer's claim, and this
   * node looks at the request again now: its turn asks the contract before anything is signed, so a false
   * notice costs one view.
   */
  private async onLeadNotice(from: ParticipantId, requestId: string, phase: 'started' | 'done' | 'released'): Promise<void> {
    // Only a participant can lead: anyone else on the mesh (a removed participant, say) would only hold requests up.
    if (!this.isParticipant(from)) {
      this.metrics.noticesIgnored.inc({ reason: 'not-participant' });
      return;
    }
    if (this.finished.has(requestId)) return;
    if (phase === 'started') {
      if (this.claims.started(from, requestId) === 'held-too-long') {
        this.metrics.noticesIgnored.inc({ reason: 'held-too-long' });
        return;
      }
    } else {
      this.claims.ended(from, requestId);
      // Its run is over: a part this node put into it does not keep it from the next leader's run.
      this.commitments.leaderEnded(requestId, from);
    }
    const entry = this.pending.get(requestId);
    if (entry === undefined || entry.leading) return;
    if (phase === 'done') this.schedule(entry, 0);
    else if (phase === 'released') this.schedule(entry, this.turnDelayAfterMs(entry.request, from));
    else this.schedule(entry, this.turnDelayMs(entry.request));
  }

  /** Whether `id` is a participant of the serving set or of the resharing under way. */
  private isParticipant(id: ParticipantId): boolean {
    const { context } = this.options;
    return context.serving()?.participants.includes(id) === true || context.upcoming()?.participants.includes(id) === true;
  }

  /**
   * This node's turn once `releaser` gave a request up: the nodes after it in the order go one step
   * apart, starting now (a node before it did not lead, so it goes now as well). A live claim of
   * another peer still comes first.
   */
  private turnDelayAfterMs(request: SignRequest, releaser: ParticipantId): number {
    const serving = this.options.context.serving();
    const claimEnd = this.liveClaimEnd(request.requestId);
    const afterClaim = claimEnd === undefined ? 0 : claimEnd - Date.now();
    if (serving === null) return afterClaim + this.options.takeoverMs;
    const order = this.reachableOrder(serving, request, [releaser]);
    const stepsAfter = order.indexOf(this.options.context.me) - order.indexOf(releaser) - 1;
    return afterClaim + Math.max(0, stepsAfter) * this.options.takeoverMs;
  }

  private servingKey(serving: ServingState | null, request: SignRequest): { serving: ServingState; key: ServingKey } {
    const key = serving?.keys.get(request.domainId);
    if (serving === null || key === undefined) throw new SigningFailed(request.requestId, 'no-key', `this node holds no key for domain ${request.domainId}`);
    const expected = request.payload.scheme === 'Ecdsa' ? 'Secp256k1' : 'Ed25519';
    if (key.domain.scheme !== expected) throw new SigningFailed(request.requestId, 'no-key', `domain ${request.domainId} is ${key.domain.scheme}, the request is ${request.payload.scheme}`);
    return { serving, key };
  }

  /** One signing run as leader, with signers among the reachable participants other than `leftOut`. */
  private async signAsLeader(request: SignRequest, leftOut: ReadonlySet<ParticipantId>): Promise<SignatureResponse> {
    const { context } = this.options;
    const { serving, key } = this.servingKey(context.serving(), request);
    const scheme = schemeOf(key);
    const reachable = new Set([context.me, ...context.network.reachablePeers().filter((id) => !leftOut.has(id))]);
    const members = new Set(serving.participants);
    const usable = (participants: readonly ParticipantId[]) => participants.every((id) => reachable.has(id) && members.has(id));
    const presignature =
      scheme === 'ecdsa'
        ? await this.waitForPresignature(scheme, request, usable)
        : // EdDSA signs in two rounds when no pre-committed nonces are at hand.
          await this.options.presignatures.takePresignature(scheme, request.domainId, usable);
    const signers = presignature?.participants ?? this.twoRoundSigners(serving, reachable, request);
    const instance = new Uint8Array(randomBytes(32));
    const start: ControlMessage = {
      type: 'sign',
      instance: Buffer.from(instance).toString('hex'),
      participants: [...signers],
      requestId: request.requestId,
      domainId: request.domainId,
      epochId: key.epochId,
      presignature: presignature === undefined ? null : { partition: presignature.partition, id: presignature.id },
    };
    const output = await this.run(instance, this.signProtocol(request, key, signers, context.me, presignature), signers, 'leader', scheme, start);
    if (output.role !== 'coordinator') throw new Error('the coordinator run returned no signature');
    return output.response;
  }

  private async waitForPresignature(scheme: PresignatureScheme, request: SignRequest, usable: (participants: readonly ParticipantId[]) => boolean): Promise<Asset> {
    const deadline = Date.now() + (this.options.presignatureWaitMs ?? this.options.takeoverMs);
    for (;;) {
      const taken = await this.options.presignatures.takePresignature(scheme, request.domainId, usable);
      if (taken !== undefined) return taken;
      if (Date.now() >= deadline || this.stopped) throw new SigningFailed(request.requestId, 'no-presignature', `no usable ${scheme} presignature for domain ${request.domainId}`);
      await new Promise((resolve) => setTimeout(resolve, PRESIGNATURE_POLL_MS));
    }
  }

  /** Threshold signers for a two-round EdDSA signature: this node and the first reachable peers in the request's order. */
  private twoRoundSigners(serving: ServingState, reachable: ReadonlySet<ParticipantId>, request: SignRequest): ParticipantId[] {
    const me = this.options.context.me;
    const peers = leaderOrder(serving.participants, baseDecode(request.requestId)).filter((id) => id !== me && reachable.has(id));
    if (peers.length < serving.threshold - 1) throw new SigningFailed(request.requestId, 'no-signers', `${peers.length + 1} of ${serving.threshold} signers reachable`);
    return ascending([me, ...peers.slice(0, serving.threshold - 1)]);
  }

  private signProtocol(
    request: SignRequest,
    key: ServingKey,
    signers: readonly ParticipantId[],
    coordinator: ParticipantId,
    presignature: Asset | undefined,
  ): Protocol<{ role: 'coordinator'; response: SignatureResponse } | { role: 'signer' }> {
    const tweak = hexToBytes(request.tweak);
    const payload = hexToBytes(request.payload.hex);
    if (schemeOf(key) === 'ecdsa') {
      if (presignature === undefined) throw new SigningFailed(request.requestId, 'no-presignature', 'ECDSA needs a presignature');
      const protocol = new EcdsaSign(decodePresignatureShare(presignature.payload), { payloadHash: payload, tweak, entropy: hexToBytes(request.entropy) }, coordinator);
      return mapOutput(protocol, (output) => (output.role === 'coordinator' ? { role: 'coordinator', response: ecdsaSignatureResponse(output.signature) } : { role: 'signer' }));
    }
    const protocol = new EddsaSignProtocol({
      keyShare: key.share,
      signers,
      coordinator,
      payload,
      tweak,
      ...(presignature === undefined ? {} : { presignature: decodeEddsaPresignature(presignature.payload) }),
    });
    return mapOutput(protocol, (output) =>
      output.role === 'coordinator' ? { role: 'coordinator', response: { scheme: 'Ed25519', signature: [...output.signature] } } : { role: 'signer' },
    );
  }

  /** Runs a signing protocol and counts its outcome; the leader's run starts with its `sign` message to the other signers. */
  private async run<T>(instance: Uint8Array, protocol: Protocol<T>, signers: readonly ParticipantId[], role: 'leader' | 'follower', scheme: PresignatureScheme, start?: ControlMessage): Promise<T> {
    const { network, protocolTimeoutMs } = this.options.context;
    try {
      const output = await (start === undefined ? network.router.run(instance, protocol, signers, protocolTimeoutMs) : network.startRun(instance, protocol, signers, protocolTimeoutMs, start));
      this.metrics.runs.inc({ role, scheme, outcome: 'ok' });
      return output;
    } catch (error) {
      this.metrics.runs.inc({ role, scheme, outcome: 'failed' });
      throw error;
    }
  }

  /** A leader's `sign` control message: check everything, take the named presignature share, sign. A refusal is told to the leader (control.ts). */
  private async follow(from: ParticipantId, message: ControlMessageOf<'sign'>): Promise<void> {
    const { context } = this.options;
    const refuse = (reason: string): never => {
      throw new SignRefused(from, message.requestId, reason);
    };
    if (!message.participants.includes(from) || !message.participants.includes(context.me)) refuse('the sender or this node is not a signer');
    const entry = this.pending.get(message.requestId) ?? (await this.awaitArrival(message.requestId));
    if (entry === undefined) refuse('this node\'s indexer has not delivered the request');
    const request = entry!.request;
    if (request.domainId !== message.domainId) refuse(`the request is for domain ${request.domainId}, not ${message.domainId}`);
    const { serving, key } = this.servingKey(context.serving(), request);
    if (key.epochId !== message.epochId) refuse(`epoch ${message.epochId} is not the current epoch ${key.epochId}`);
    const members = new Set(serving.participants);
    if (!message.participants.every((id) => members.has(id))) refuse('a signer is not a running participant');
    const scheme = schemeOf(key);
    if (message.presignature !== null) {
      const named = parsePartition(message.presignature.partition);
      if (named === null || named.kind !== scheme || named.owner !== from || named.domainId !== request.domainId || named.epochId !== key.epochId || !sameParticipantSet(named.participants, message.participants)) {
        refuse(`presignature partition ${message.presignature.partition} does not belong to this run`);
      }
    } else if (scheme === 'ecdsa') {
      refuse('an ECDSA signature needs a presignature');
    } else if (message.participants.length !== serving.threshold) {
      refuse(`a two-round EdDSA run needs exactly ${serving.threshold} signers`);
    }
    // One run per request (./signing-commitments.ts): the check and the commitment are one synchronous
    // step, so two leaders' runs that reach this node together cannot both get its part.
    const joined = this.commitments.follow(request.requestId, from, this.claimEndOf(request.requestId));
    if (typeof joined === 'string') {
      this.metrics.secondRunsRefused.inc();
      return refuse(joined);
    }
    let presignature: Asset | undefined;
    try {
      if (message.presignature !== null) {
        // Invariant 2: the share is gone from the store before anything derived from it is sent.
        presignature = await context.stores.presignatures.take(message.presignature.partition, message.presignature.id);
        if (presignature === undefined) refuse(`presignature ${message.presignature.id} is not here (never stored, or already used)`);
      }
    } catch (error) {
      // Nothing of this node's part has left it: another leader's run may have it.
      joined.withdraw();
      throw error;
    }
    await this.run(hexToBytes(message.instance), this.signProtocol(request, key, message.participants, from, presignature), message.participants, 'follower', scheme);
  }

  private awaitArrival(requestId: string): Promise<PendingRequest | undefined> {
    if (this.finished.has(requestId)) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const waiting = this.arrivals.get(requestId)?.filter((wake) => wake !== onArrival) ?? [];
        if (waiting.length === 0) this.arrivals.delete(requestId);
        else this.arrivals.set(requestId, waiting);
        resolve(this.pending.get(requestId));
      }, this.options.followerRequestWaitMs ?? 30_000);
      const onArrival = () => {
        clearTimeout(timer);
        resolve(this.pending.get(requestId));
      };
      this.arrivals.set(requestId, [...(this.arrivals.get(requestId) ?? []), onArrival]);
    });
  }

  private async finish(requestId: string, receiptHandle: string, outcome: string): Promise<void> {
    const entry = this.pending.get(requestId);
    if (entry !== undefined) clearTimeout(entry.timer);
    this.pending.delete(requestId);
    this.metrics.pending.set(this.pending.size);
    this.commitments.forget(requestId);
    this.claims.forget(requestId);
    this.finished.add(requestId);
    if (this.finished.size > FINISHED_MEMORY) this.finished.delete(this.finished.values().next().value!);
    this.metrics.finished.inc({ outcome });
    try {
      await this.options.messages.complete(receiptHandle);
    } catch (error) {
      // The message comes back after its visibility timeout and is recognised as finished then.
      this.options.context.logger.warn('could not delete a finished request\'s message', { requestId, error: String(error) });
    }
  }

  private async extendVisibility(olderThanMs: number): Promise<void> {
    const now = Date.now();
    for (const entry of this.pending.values()) {
      if (now - entry.extendedAt < olderThanMs) continue;
      entry.extendedAt = now;
      await this.options.messages.extend(entry.receiptHandle).catch((error: unknown) => {
        this.options.context.logger.warn('could not extend a request message\'s visibility', { requestId: entry.request.requestId, error: String(error) });
      });
    }
  }

  private acquireLeadSlot(): Promise<void> {
    if (this.leadingNow < this.options.maxConcurrent) {
      this.leadingNow += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.leadQueue.push(resolve));
  }

  private releaseLeadSlot(): void {
    const next = this.leadQueue.shift();
    if (next !== undefined) next();
    else this.leadingNow -= 1;
  }
}

/** The same protocol with its output converted (the router runs protocols of any output type). */
function mapOutput<A, B>(protocol: Protocol<A>, convert: (output: A) => B): Protocol<B> {
  return {
    message: (from, data) => protocol.message(from, data),
    poke: () => {
      const action = protocol.poke();
      return action.kind === 'return' ? { kind: 'return', output: convert(action.output) } : action;
    },
  };
}
