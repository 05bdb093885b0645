/**
 * One scheduled run of the follower: the Lambda function is invoked every minute, and an invocation
 * follows the public lake only while it holds the lease (./lease.ts), so runs never overlap:
 *
 *  1. take the lease; if another run holds it and means to stop within `handOverWindowMs` (or has died
 *     and its lease is running out), wait for it and take over; if it runs on for longer, return at once
 *     (a later tick's invocation hands over);
 *  2. follow until `runEndsAtMs` (or the lease is lost), renewing the lease every `renewEveryMs`;
 *  3. the follower writes its checkpoint on the way out; then give the lease up, so the waiting run
 *     resumes from exactly that block (no gap, nothing put twice).
 *
 * A one-minute schedule and a window longer than a minute mean a waiting run is there before the holder
 * stops: the hand-over costs the next run's start (a checkpoint read and one listing), about a second.
 */
import { abortableSleep, type FollowerLogger } from './follower.js';
import type { FollowerLeaseStore, LeaseState } from './lease.js';

export interface ScheduledRunOptions {
  /** This invocation's id (the Lambda request id). */
  readonly holder: string;
  readonly lease: FollowerLeaseStore;
  /** When following must stop, leaving time to checkpoint and release before the invocation ends (ms since the Unix epoch). */
  readonly runEndsAtMs: number;
  /** How long the lease lasts unless renewed: a run that died silently is replaced after at most this. */
  readonly leaseMs: number;
  readonly renewEveryMs: number;
  /** Wait for a holder whose run ends (or whose lease expires) within this; otherwise leave it be. */
  readonly handOverWindowMs: number;
  /** Pause between attempts to take a lease whose hand-over is due. */
  readonly retryAcquireMs: number;
  /** A run with less time than this left does not start following (it would only add a hand-over). */
  readonly minRunMs: number;
  readonly logger: FollowerLogger;
  readonly now?: () => number;
  /** Waits, ending early when `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Follows until `signal` aborts, then writes the checkpoint (the process wiring: ./follow.ts). */
  readonly follow: (signal: AbortSignal) => Promise<void>;
  /** Stops the run early (the devnet's process stopping); Lambda has no such signal. */
  readonly stop?: AbortSignal;
}

export type ScheduledRunOutcome =
  | { readonly kind: 'followed'; readonly leaseLost: boolean }
  /** Another run holds the lease and is not about to hand over. */
  | { readonly kind: 'lease-held'; readonly current: LeaseState }
  /** Waited for a hand-over until too little time was left, or was stopped first. */
  | { readonly kind: 'no-time' };

export async function runScheduledFollower(options: ScheduledRunOptions): Promise<ScheduledRunOutcome> {
  const { holder, lease, logger } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;

  // 1. The lease, now or after a hand-over.
  for (;;) {
    const at = now();
    if (options.stop?.aborted || at >= options.runEndsAtMs - options.minRunMs) return { kind: 'no-time' };
    const claim = await lease.tryAcquire({ holder, expiresAtMs: at + options.leaseMs, runEndsAtMs: options.runEndsAtMs }, at);
    if (claim.acquired) break;
    const handsOverAt = Math.min(claim.current.runEndsAtMs, claim.current.expiresAtMs);
    if (handsOverAt - at > options.handOverWindowMs) {
      logger.debug('another run holds the lease; leaving it be', { holder: claim.current.holder, runEndsAtMs: claim.current.runEndsAtMs });
      return { kind: 'lease-held', current: claim.current };
    }
    // Sleep until the hand-over is due, then look every retryAcquireMs: a failed conditional put costs a write unit.
    await sleep(Math.max(options.retryAcquireMs, handsOverAt - at), options.stop);
  }

  // 2. Follow until the run's end, the stop signal, or the lease is lost.
  const following = new AbortController();
  let leaseLost = false;
  const stopFollowing = (): void => following.abort();
  options.stop?.addEventListener('abort', stopFollowing, { once: true });
  const deadline = setTimeout(stopFollowing, Math.max(0, options.runEndsAtMs - now()));
  const renewals = setInterval(() => {
    lease.renew(holder, now() + options.leaseMs).then(
      (held) => {
        if (held || following.signal.aborted) return;
        leaseLost = true;
        logger.error('follower lease lost (not renewed in time, taken by another run); stopping this run', { holder });
        stopFollowing();
      },
      // Not fatal by itself: if renewals keep failing the lease expires, another run takes it, and the next renewal says so.
      (error: unknown) => logger.warn('follower lease not renewed; trying again', { holder, error: error as Error }),
    );
  }, options.renewEveryMs);
  logger.info('follower run holds the lease', { holder, runEndsAt: new Date(options.runEndsAtMs).toISOString() });
  try {
    await options.follow(following.signal);
  } finally {
    clearTimeout(deadline);
    clearInterval(renewals);
    options.stop?.removeEventListener('abort', stopFollowing);
    // 3. Hand over. A release that fails only delays the next run by the lease time.
    await lease.release(holder).catch((error: unknown) => logger.warn('follower lease not released; the next run waits for it to expire', { holder, error: error as Error }));
  }
  return { kind: 'followed', leaseLost };
}
