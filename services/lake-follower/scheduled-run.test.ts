import type { FollowerLogger } from './follower.js';
import type { FollowerLeaseStore, LeaseClaim, LeaseState } from './lease.js';
import { runScheduledFollower, type ScheduledRunOptions } from './scheduled-run.js';

/** The lease's rules as the DynamoDB adapter implements them (its own test runs them against DynamoDB Local). */
class InMemoryLease implements FollowerLeaseStore {
  state: LeaseState | null = null;
  renewals = 0;
  failRenewals = false;

  async tryAcquire(claim: LeaseState, nowMs: number): Promise<LeaseClaim> {
    if (this.state === null || this.state.expiresAtMs < nowMs || this.state.holder === claim.holder) {
      this.state = claim;
      return { acquired: true };
    }
    return { acquired: false, current: this.state };
  }
  async renew(holder: string, expiresAtMs: number): Promise<boolean> {
    if (this.failRenewals) throw new Error('DynamoDB throttled');
    if (this.state?.holder !== holder) return false;
    this.renewals += 1;
    this.state = { ...this.state, expiresAtMs };
    return true;
  }
  async release(holder: string): Promise<void> {
    if (this.state?.holder === holder) this.state = null;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function recordingLogger() {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  const logger: FollowerLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

/** A follow that records when it started and stopped, and holds until its signal aborts. */
function recordingFollow(name: string, events: string[], lease: InMemoryLease) {
  return async (signal: AbortSignal): Promise<void> => {
    events.push(`${name} follows (lease ${lease.state?.holder})`);
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    events.push(`${name} checkpoints`);
  };
}

function options(name: string, lease: InMemoryLease, events: string[], overrides: Partial<ScheduledRunOptions> = {}): ScheduledRunOptions {
  return {
    holder: name,
    lease,
    runEndsAtMs: Date.now() + 300,
    leaseMs: 200,
    renewEveryMs: 20,
    handOverWindowMs: 1_000,
    retryAcquireMs: 5,
    minRunMs: 50,
    logger: recordingLogger().logger,
    follow: recordingFollow(name, events, lease),
    ...overrides,
  };
}

describe('runScheduledFollower', () => {
  it('takes a free lease, follows until the run ends renewing it, then checkpoints and gives it up', async () => {
    const lease = new InMemoryLease();
    const events: string[] = [];
    const outcome = await runScheduledFollower(options('a', lease, events, { runEndsAtMs: Date.now() + 150 }));
    expect(outcome).toEqual({ kind: 'followed', leaseLost: false });
    expect(events).toEqual(['a follows (lease a)', 'a checkpoints']);
    expect(lease.renewals).toBeGreaterThan(0);
    expect(lease.state).toBeNull();
  });

  it('leaves a lease alone whose holder runs on past the hand-over window, without following', async () => {
    const lease = new InMemoryLease();
    const held: LeaseState = { holder: 'other', expiresAtMs: Date.now() + 30_000, runEndsAtMs: Date.now() + 600_000 };
    lease.state = held;
    const events: string[] = [];
    expect(await runScheduledFollower(options('b', lease, events))).toEqual({ kind: 'lease-held', current: held });
    expect(events).toEqual([]);
    expect(lease.state).toBe(held);
  });

  it('waits for a holder about to stop and follows only after it checkpointed and gave the lease up', async () => {
    const lease = new InMemoryLease();
    const events: string[] = [];
    const first = runScheduledFollower(options('a', lease, events, { runEndsAtMs: Date.now() + 150 }));
    await sleep(40);
    const second = runScheduledFollower(options('b', lease, events, { runEndsAtMs: Date.now() + 1_000 }));
    expect(await first).toEqual({ kind: 'followed', leaseLost: false });
    expect(await second).toEqual({ kind: 'followed', leaseLost: false });
    expect(events).toEqual(['a follows (lease a)', 'a checkpoints', 'b follows (lease b)', 'b checkpoints']);
  });

  it('takes over from a holder that died without giving the lease up once its lease expires', async () => {
    const lease = new InMemoryLease();
    // Its run would go on for minutes, but it stopped renewing: the lease runs out in 60 ms.
    lease.state = { holder: 'dead', expiresAtMs: Date.now() + 60, runEndsAtMs: Date.now() + 600_000 };
    const events: string[] = [];
    const started = Date.now();
    expect(await runScheduledFollower(options('b', lease, events, { runEndsAtMs: Date.now() + 1_000 }))).toEqual({ kind: 'followed', leaseLost: false });
    expect(events[0]).toBe('b follows (lease b)');
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
  });

  it('stops following when the lease was taken from it, and does not release the new holder’s lease', async () => {
    const lease = new InMemoryLease();
    const events: string[] = [];
    const { logger, lines } = recordingLogger();
    const run = runScheduledFollower(options('a', lease, events, { runEndsAtMs: Date.now() + 10_000, logger }));
    await sleep(30);
    // Its lease expired unnoticed (a long pause) and another run took it.
    lease.state = { holder: 'c', expiresAtMs: Date.now() + 10_000, runEndsAtMs: Date.now() + 10_000 };
    expect(await run).toEqual({ kind: 'followed', leaseLost: true });
    expect(events).toEqual(['a follows (lease a)', 'a checkpoints']);
    expect(lease.state?.holder).toBe('c');
    expect(lines).toContainEqual({ level: 'error', message: expect.stringMatching(/lease lost/) });
  });

  it('keeps following while renewals fail (the lease has not expired), warning about each', async () => {
    const lease = new InMemoryLease();
    lease.failRenewals = true;
    const events: string[] = [];
    const { logger, lines } = recordingLogger();
    expect(await runScheduledFollower(options('a', lease, events, { runEndsAtMs: Date.now() + 120, logger }))).toEqual({ kind: 'followed', leaseLost: false });
    expect(lines.filter((line) => line.level === 'warn').length).toBeGreaterThan(0);
    expect(lease.state).toBeNull();
  });

  it('stops at the stop signal: a follower checkpoints and releases, a waiting run gives up', async () => {
    const lease = new InMemoryLease();
    const events: string[] = [];
    const stop = new AbortController();
    const following = runScheduledFollower(options('a', lease, events, { runEndsAtMs: Date.now() + 60_000, leaseMs: 100_000, stop: stop.signal }));
    await sleep(20);
    // Its holder stops in a minute, within this run's window: it sleeps until then, unless stopped.
    const waiting = runScheduledFollower(options('b', lease, events, { runEndsAtMs: Date.now() + 120_000, handOverWindowMs: 120_000, stop: stop.signal }));
    await sleep(20);
    const stoppedAt = Date.now();
    stop.abort();
    expect(await following).toEqual({ kind: 'followed', leaseLost: false });
    expect(await waiting).toEqual({ kind: 'no-time' });
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(events).toEqual(['a follows (lease a)', 'a checkpoints']);
    expect(lease.state).toBeNull();
  });

  it('does not start following with less than the minimum run time left', async () => {
    const lease = new InMemoryLease();
    const events: string[] = [];
    expect(await runScheduledFollower(options('a', lease, events, { runEndsAtMs: Date.now() + 30, minRunMs: 50 }))).toEqual({ kind: 'no-time' });
    expect(lease.state).toBeNull();
    expect(events).toEqual([]);
  });
});
