/**
 * The node's key lifecycle service: turns the contract's key events (the `keygen` / `reshare` jobs of
 * each state change) into protocol runs with the other participants and the votes the contract needs.
 *
 * Per key event attempt:
 * - not started and this node is the leader → `start_*_instance`, once per attempt id (a state that has
 *   not caught up yet does not start it twice), retried with backoff while the state still asks for it;
 *   an open attempt that expired (the state does not change when one does) is followed by the next one.
 * - open and not voted here → one run: a share already stored for this attempt (a restart after the
 *   run) is voted again rather than regenerated; otherwise the protocol runs, the share is stored sealed
 *   under (domain, epoch, attempt) and the success vote is sent.
 * - a failed run → one `vote_abort_key_event_instance`; the leader then starts the next attempt.
 *
 * A key event for a domain this node cannot serve (docs/decisions/0009-unserved-domains.md) gets one
 * cancel vote (`vote_cancel_keygen` / `vote_cancel_resharing`) and an error log; nothing is run for it.
 */
import { equalBytes } from '@noble/curves/utils.js';
import type { KeyShare } from '../../../shared/crypto/key-share.js';
import { SIGNER_ERRORS, type KeyEventId } from '../../../shared/near/signer-abi.js';
import { ChainCallFailed, ChainUnavailable } from '../chain/errors.js';
import type { KeygenJob, ReshareJob, ServeJob, UnservableKeyEventJob } from '../chain/jobs.js';
import type { StateChange } from '../chain/state-sync.js';
import type { NodeContext } from '../node-context.js';
import type { Counter, MetricsRegistry } from '../observability/metrics.js';
import { KeyEventAttemptFailed, ProposedKeyMismatch, type KeyEventKind } from './errors.js';
import { keyEventInstanceId } from './instance-id.js';
import { compressedPublicKey, curveOfScheme, nearFormOfPublicKey } from './public-keys.js';
import { runKeyEventProtocol } from './run-protocol.js';

export interface KeyLifecycleOptions {
  readonly context: NodeContext;
  /** First delay before retrying a failed start or chain call; doubled per failure up to `maxRetryDelayMs`. Default 500 ms. */
  readonly retryDelayMs?: number;
  /** Default 10 s. */
  readonly maxRetryDelayMs?: number;
  /** How often the leader checks the head height against an open attempt's `expires_on`. Default 5 s. */
  readonly expiryCheckMs?: number;
  /** Chain calls that end in `ChainUnavailable` are sent again up to this many times in all. Default 4. */
  readonly chainCallTries?: number;
}

/** How an attempt ended for this node, as counted in `key_events_total{kind,outcome}`. */
export type KeyEventOutcome = 'voted' | 'revoted' | 'aborted' | 'superseded' | 'cancel-voted';

type KeyEventJob = KeygenJob | ReshareJob;

/** The attempt closed before this node's vote landed (aborted by someone else, expired, or replaced). */
class AttemptClosed extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'AttemptClosed';
  }
}

const attemptKey = (kind: KeyEventKind, id: KeyEventId): string => `${kind}/${id.epoch_id}/${id.domain_id}/${id.attempt_id}`;

/** near/mpc's refusals of a vote for an attempt that is no longer open (the contract moved on). */
const ATTEMPT_CLOSED_ERRORS = [SIGNER_ERRORS.keyEventIdMismatch, SIGNER_ERRORS.noActiveKeyEvent, SIGNER_ERRORS.notInitializing, SIGNER_ERRORS.notResharing];
const panicOf = (error: unknown): string => (error instanceof ChainCallFailed ? (error.panicMessage ?? '') : '');
const isAttemptClosed = (panic: string): boolean => ATTEMPT_CLOSED_ERRORS.some((text) => panic.includes(text));
const sameId = (a: KeyEventId, b: KeyEventId): boolean => a.epoch_id === b.epoch_id && a.domain_id === b.domain_id && a.attempt_id === b.attempt_id;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

// One registry may outlive a service instance (a restarted service in tests); the counter is registered once.
const counters = new WeakMap<MetricsRegistry, Counter>();
function keyEventsCounter(metrics: MetricsRegistry): Counter {
  let counter = counters.get(metrics);
  if (counter === undefined) {
    counter = metrics.counter('key_events_total', 'Key event attempts this node finished, by kind and outcome');
    counters.set(metrics, counter);
  }
  return counter;
}

export class KeyLifecycle {
  private readonly context: NodeContext;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly expiryCheckMs: number;
  private readonly chainCallTries: number;
  private readonly keyEvents: Counter;
  /** The latest key event job per kind; a run reads it to see how the contract moved on. */
  private readonly latest = new Map<KeyEventKind, KeyEventJob>();
  private latestServe: ServeJob | undefined;
  /** Attempts this node started or is starting (key → consecutive failures so far). */
  private readonly starts = new Set<string>();
  private readonly startFailures = new Map<string, number>();
  /** Attempts this node has run (or re-voted) since it started: each at most once. */
  private readonly runs = new Set<string>();
  /** Attempts whose protocol runs here now, and whether the contract has moved on from them. */
  private readonly inProtocol = new Map<string, { readonly kind: KeyEventKind; readonly id: KeyEventId; superseded: boolean }>();
  private readonly abortVotes = new Set<string>();
  /** Unservable key events this node voted (or is voting) to cancel. */
  private readonly cancelVotes = new Set<string>();
  private readonly expiryWatches = new Set<string>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(options: KeyLifecycleOptions) {
    this.context = options.context;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 10_000;
    this.expiryCheckMs = options.expiryCheckMs ?? 5_000;
    this.chainCallTries = options.chainCallTries ?? 4;
    this.keyEvents = keyEventsCounter(options.context.metrics);
  }

  /** Takes the jobs of one state change (StateSync's `onChange`); the work it implies runs in the background. */
  onStateChange(change: Pick<StateChange, 'jobs'>): void {
    if (this.stopped) return;
    const kinds = new Set<KeyEventKind>();
    this.latestServe = undefined;
    for (const job of change.jobs) {
      if (job.kind === 'serve') this.latestServe = job;
      else if (job.kind === 'unservable-key-event') this.cancelUnservable(job);
      else {
        kinds.add(job.kind);
        this.latest.set(job.kind, job);
      }
    }
    for (const kind of [...this.latest.keys()]) if (!kinds.has(kind)) this.latest.delete(kind);
    this.endSupersededRuns();
    for (const job of this.latest.values()) this.act(job);
  }

  /**
   * Ends the protocol runs of attempts the contract has moved on from (aborted, expired, or finished
   * without this node): their votes could no longer count, and each would otherwise hold its messages
   * and peers' until the protocol timeout — a stop of the node included.
   */
  private endSupersededRuns(): void {
    for (const run of this.inProtocol.values()) {
      const current = this.latest.get(run.kind);
      if (run.superseded || (current !== undefined && sameId(current.keyEventId, run.id))) continue;
      run.superseded = true;
      const instance = keyEventInstanceId(this.context.contract.chain.contractId, run.kind, run.id);
      this.context.network.router.abort(instance, new AttemptClosed('the contract moved on from this attempt'));
    }
  }

  /** Resolves once no start, run or vote is in progress (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /**
   * Stops taking state changes and retries, and waits for work in progress. A protocol run in progress
   * ends when the node's network stops (call that after this, before awaiting it); a run ended so is
   * not voted down here: the other participants see this node go and abort the attempt themselves.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.idle();
  }

  private act(job: KeyEventJob): void {
    if (job.attempt.status === 'not-started') {
      if (job.amLeader) this.requestStart(job.kind, job.keyEventId);
      return;
    }
    if (job.amLeader) this.watchExpiry(job);
    const key = attemptKey(job.kind, job.keyEventId);
    if (job.iVoted || this.runs.has(key)) return;
    this.runs.add(key);
    this.track(this.runAttempt(job));
  }

  private requestStart(kind: KeyEventKind, id: KeyEventId): void {
    const key = attemptKey(kind, id);
    if (this.starts.has(key)) return;
    this.starts.add(key);
    this.track(
      (async () => {
        const log = { kind, ...id };
        try {
          if (kind === 'keygen') await this.context.contract.startKeygenInstance(id);
          else await this.context.contract.startReshareInstance(id);
          this.startFailures.delete(key);
          this.context.logger.info('key event attempt started', log);
        } catch (error) {
          // Allow a new try; it happens only if the state still asks for this attempt then.
          this.starts.delete(key);
          const failures = (this.startFailures.get(key) ?? 0) + 1;
          this.startFailures.set(key, failures);
          const delayMs = this.backoff(failures);
          this.context.logger.warn('starting a key event attempt failed; will retry', { ...log, failures, retryInMs: delayMs, error: String(error) });
          this.later(delayMs, () => {
            const job = this.latest.get(kind);
            if (job !== undefined) this.act(job);
          });
        }
      })(),
    );
  }

  /**
   * The contract keeps an expired attempt in its state until the leader starts the next one, so the
   * state alone never shows that one is due: the leader compares the head height with `expires_on`.
   */
  private watchExpiry(job: KeyEventJob): void {
    if (job.attempt.status !== 'open') return;
    const key = attemptKey(job.kind, job.keyEventId);
    if (this.expiryWatches.has(key)) return;
    this.expiryWatches.add(key);
    const expiresOn = job.attempt.expiresOn;
    const check = async (): Promise<void> => {
      const current = this.latest.get(job.kind);
      if (current === undefined || current.attempt.status !== 'open' || !sameId(current.keyEventId, job.keyEventId)) {
        this.expiryWatches.delete(key);
        return;
      }
      let height: number | undefined;
      try {
        height = await this.context.contract.chain.blockHeight();
      } catch (error) {
        this.context.logger.warn('reading the head height failed', { error: String(error) });
      }
      if (height !== undefined && height >= expiresOn) {
        this.expiryWatches.delete(key);
        this.context.logger.info('key event attempt expired; starting the next one', { kind: job.kind, ...job.keyEventId, expiresOn, height });
        this.requestStart(job.kind, { ...job.keyEventId, attempt_id: job.keyEventId.attempt_id + 1 });
        return;
      }
      this.later(this.expiryCheckMs, () => this.track(check()));
    };
    this.later(this.expiryCheckMs, () => this.track(check()));
  }

  private async runAttempt(job: KeyEventJob): Promise<void> {
    const id = job.keyEventId;
    const log = { kind: job.kind, ...id };
    const store = this.context.stores.keyShares;
    try {
      let share = await store.get(id.domain_id, id.epoch_id, id.attempt_id);
      const revote = share !== undefined;
      if (share === undefined) {
        this.context.logger.info('key event protocol starting', { ...log, participants: job.participants.map(([, participant]) => participant), threshold: job.threshold });
        const key = attemptKey(job.kind, id);
        const run = { kind: job.kind, id, superseded: false };
        this.inProtocol.set(key, run);
        try {
          share = await runKeyEventProtocol(this.context, job, this.latestServe);
        } catch (error) {
          if (run.superseded) throw new AttemptClosed('the contract moved on from this attempt while its protocol ran');
          throw error;
        } finally {
          this.inProtocol.delete(key);
        }
        await store.put(id.domain_id, id.epoch_id, id.attempt_id, share);
      } else {
        this.context.logger.info('a share of this attempt is already stored (restart); voting it again', log);
      }
      await this.voteSuccess(job, share);
      this.count(job.kind, revote ? 'revoted' : 'voted');
      this.context.logger.info('key event vote sent', log);
    } catch (error) {
      if (error instanceof AttemptClosed) {
        this.count(job.kind, 'superseded');
        this.context.logger.info('key event attempt closed before this node voted', { ...log, detail: error.detail });
        return;
      }
      if (this.stopped) {
        this.context.logger.info('key event attempt ended by the node stopping; not voting', { ...log, error: (error as Error)?.message ?? String(error) });
        return;
      }
      const culprit = error instanceof KeyEventAttemptFailed ? error.culprit : undefined;
      this.context.logger.warn('key event attempt failed here; voting to abort it', { ...log, culprit, error: (error as Error)?.message ?? String(error) });
      await this.voteAbort(job.kind, id);
    }
  }

  private async voteSuccess(job: KeyEventJob, share: KeyShare): Promise<void> {
    const id = job.keyEventId;
    const curve = curveOfScheme(job.domain.scheme);
    if (job.kind === 'keygen') {
      const mine = nearFormOfPublicKey(curve, share.publicKey);
      // The first vote fixes the attempt's key; a different one would only abort it inside vote_pk.
      const current = this.latest.get('keygen');
      const proposed = current?.kind === 'keygen' && sameId(current.keyEventId, id) ? current.proposedPublicKey : job.proposedPublicKey;
      if (proposed !== null && proposed !== mine) throw new ProposedKeyMismatch(id, proposed, mine);
      await this.voteCall('vote_pk', () => this.context.contract.votePk(id, mine));
    } else {
      if (!equalBytes(share.publicKey, compressedPublicKey(job.publicKey, curve))) {
        throw new KeyEventAttemptFailed('reshare', id, 'the reshared key differs from the domain key', undefined);
      }
      await this.voteCall('vote_reshared', () => this.context.contract.voteReshared(id));
    }
  }

  /** A success vote; "Vote already casted." means an earlier try of ours landed. */
  private async voteCall(method: string, send: () => Promise<void>): Promise<void> {
    try {
      await this.withChainRetries(send);
    } catch (error) {
      const panic = panicOf(error);
      if (panic.includes(SIGNER_ERRORS.voteAlreadySubmitted)) return;
      if (isAttemptClosed(panic)) throw new AttemptClosed(`${method} refused: ${panic}`);
      throw error;
    }
  }

  /** One cancel vote per unservable event: the event needs every participant, so without this it would never end. */
  private cancelUnservable(job: UnservableKeyEventJob): void {
    const key = `${job.event}/${job.epochId}/${job.domain.id}`;
    if (this.cancelVotes.has(key)) return;
    this.cancelVotes.add(key);
    const log = { kind: job.event, epochId: job.epochId, domainId: job.domain.id, reason: job.domain.unserved };
    this.context.logger.error('key event for a domain this node cannot serve; voting to cancel it', log);
    this.track(
      (async () => {
        try {
          await this.withChainRetries(() => (job.event === 'keygen' ? this.context.contract.voteCancelKeygen(job.nextDomainId) : this.context.contract.voteCancelResharing()));
          this.count(job.event, 'cancel-voted');
          this.context.logger.info('voted to cancel the key event', log);
        } catch (error) {
          this.context.logger.error('voting to cancel the key event failed', { ...log, error: String(error) });
        }
      })(),
    );
  }

  private async voteAbort(kind: KeyEventKind, id: KeyEventId): Promise<void> {
    const key = attemptKey(kind, id);
    if (this.abortVotes.has(key)) return;
    this.abortVotes.add(key);
    try {
      await this.withChainRetries(() => this.context.contract.voteAbortKeyEventInstance(id));
      this.count(kind, 'aborted');
      this.context.logger.info('voted to abort the key event attempt', { kind, ...id });
    } catch (error) {
      const panic = panicOf(error);
      if (isAttemptClosed(panic)) {
        // Another participant's abort (or the expiry) closed it first: nothing left to abort.
        this.count(kind, 'superseded');
        this.context.logger.info('the failed attempt is already closed', { kind, ...id, detail: panic });
        return;
      }
      this.context.logger.error('voting to abort the key event attempt failed', { kind, ...id, error: String(error) });
    }
  }

  private async withChainRetries(call: () => Promise<void>): Promise<void> {
    for (let tries = 1; ; tries += 1) {
      try {
        await call();
        return;
      } catch (error) {
        if (!(error instanceof ChainUnavailable) || tries >= this.chainCallTries || this.stopped) throw error;
        await sleep(Math.max(error.retryAfterMs, this.backoff(tries)));
      }
    }
  }

  private backoff(failures: number): number {
    return Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** (failures - 1));
  }

  private count(kind: KeyEventKind, outcome: KeyEventOutcome): void {
    this.keyEvents.inc({ kind, outcome });
  }

  private later(delayMs: number, action: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) action();
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private track(task: Promise<void>): void {
    const tracked = task.catch((error: unknown) => {
      this.context.logger.error('key lifecycle task failed', { error: String(error) });
    });
    this.tasks.add(tracked);
    void tracked.finally(() => this.tasks.delete(tracked));
  }
}

