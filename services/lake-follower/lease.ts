/**
 * The lease that keeps follower runs one at a time. The follower runs as a Lambda function invoked every
 * minute; each invocation follows the public lake for most of its 15 minutes while it holds this lease,
 * and the next one takes over when the holder gives it up (decision 0012, amended 2026-12-08). A holder
 * renews the lease every few seconds, so one that died silently loses it within the lease time.
 */

/** Who holds the lease, until when, and when its run means to stop (ms since the Unix epoch). */
export interface LeaseState {
  readonly holder: string;
  /** The lease is the holder's until then unless renewed. */
  readonly expiresAtMs: number;
  /** When the holder's run plans to stop and hand over: a newer invocation waits for it only if this is near. */
  readonly runEndsAtMs: number;
}

export type LeaseClaim = { readonly acquired: true } | { readonly acquired: false; readonly current: LeaseState };

export interface FollowerLeaseStore {
  /** Takes the lease when nobody holds it or the holder's has expired (`expiresAtMs < nowMs`); otherwise says who holds it. */
  tryAcquire(claim: LeaseState, nowMs: number): Promise<LeaseClaim>;
  /** Extends the holder's lease; false when it is no longer the holder's (it expired and another run took it). */
  renew(holder: string, expiresAtMs: number): Promise<boolean>;
  /** Gives the lease up; nothing happens when it is no longer the holder's. */
  release(holder: string): Promise<void>;
}
