/**
 * Polls the contract's `state()` (near/mpc's node does so every second) and tells listeners when it
 * changed, with the jobs it implies for this node. A failed poll is reported and the next one is
 * scheduled as usual, so an RPC outage delays the node but never stops it.
 */
import type { MpcSignerClient } from './chain.js';
import type { ContractView } from './contract-state.js';
import { jobsFor, type NodeJob } from './jobs.js';

export interface StateChange {
  readonly view: ContractView;
  readonly jobs: readonly NodeJob[];
}

/** The timer functions the poller uses, injectable so tests drive time themselves. */
export interface PollTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface StateSyncOptions {
  readonly contract: MpcSignerClient;
  /** Jobs are derived for this account. Default: the account the client's chain signs with. */
  readonly accountId?: string;
  readonly intervalMs?: number;
  readonly timers?: PollTimers;
  /** Wall-clock milliseconds, for {@link StateSync.lastReadAt}. Default `Date.now`. */
  readonly now?: () => number;
  readonly onChange: (change: StateChange) => void;
  /** A poll failed (`ChainUnavailable`, `ContractStateMalformed` …) or `onChange` threw; polling goes on. */
  readonly onError: (error: unknown) => void;
  /** Every poll that ended, read or failed: the loop turns (the node's liveness, observability/health.ts). */
  readonly onPollEnded?: () => void;
}

export const DEFAULT_STATE_POLL_MS = 1_000;

const realTimers: PollTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class StateSync {
  private readonly accountId: string;
  private readonly intervalMs: number;
  private readonly timers: PollTimers;
  private lastStateText: string | null = null;
  private latestChange: StateChange | null = null;
  private lastRead: number | null = null;
  private timer: unknown = null;
  private inFlight: Promise<void> | null = null;
  private running = false;
  private stopped = false;

  constructor(private readonly options: StateSyncOptions) {
    this.accountId = options.accountId ?? options.contract.chain.accountId;
    this.intervalMs = options.intervalMs ?? DEFAULT_STATE_POLL_MS;
    this.timers = options.timers ?? realTimers;
  }

  /**
   * When a poll last read the state, changed or not (null before the first): how fresh the node's view is.
   * A steady contract changes for days, so the time of the last change says nothing about the node.
   */
  get lastReadAt(): number | null {
    return this.lastRead;
  }

  /** The last state seen, or null before the first successful poll. */
  get latest(): StateChange | null {
    return this.latestChange;
  }

  /** Polls at once, then every `intervalMs` after the previous poll finished (polls never overlap). */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops polling for good and waits for a poll in progress; no listener is called afterwards. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    // A poll whose `onError` threw must not make stopping fail.
    await this.inFlight?.catch(() => undefined);
  }

  /** One poll; resolves once listeners were told. Exposed so a caller can force a refresh after its own call. */
  pollNow(): Promise<void> {
    this.inFlight ??= this.poll().finally(() => {
      this.inFlight = null;
      this.options.onPollEnded?.();
    });
    return this.inFlight;
  }

  private schedule(delayMs: number): void {
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      const next = () => {
        if (this.running) this.schedule(this.intervalMs);
      };
      // Even a throwing `onError` must not end the polling.
      this.pollNow().then(next, next);
    }, delayMs);
  }

  private async poll(): Promise<void> {
    let view: ContractView;
    try {
      view = await this.options.contract.state();
    } catch (error) {
      if (!this.stopped) this.options.onError(error);
      return;
    }
    if (this.stopped) return;
    this.lastRead = (this.options.now ?? Date.now)();
    // The parsed state has the contract's field order, so equal states give equal text.
    const text = JSON.stringify(view);
    if (text === this.lastStateText) return;
    const change = { view, jobs: jobsFor(view, this.accountId) };
    try {
      this.options.onChange(change);
    } catch (error) {
      // The change counts as seen only once a listener took it, so the next poll offers it again.
      this.options.onError(error);
      return;
    }
    this.lastStateText = text;
    this.latestChange = change;
  }
}
