// The poller on an in-memory chain and hand-driven timers: it reports the first state, stays quiet
// while nothing changes, reports each change with its jobs, survives failed polls and stops cleanly.
import { ContractPanic } from '../../../contract/host.js';
import { mpcSignerContract } from '../../../contract/mpc-signer/contract.js';
import { domainConfig, expectSuccess, NODES, registerNode, SIGNER_ACCOUNT, THREE_NODES } from '../../../contract/testing/mpc-fixtures.js';
import { ContractTestbed } from '../../../contract/testing/test-host.js';
import { MpcSignerClient, type Chain } from './chain.js';
import { ChainCallFailed, ChainUnavailable } from './errors.js';
import { StateSync, type PollTimers, type StateChange } from './state-sync.js';

const [NODE0] = NODES;

/** A chain whose `state()` is the testbed contract's, and whose RPC can be taken down. */
class TestbedChain implements Chain {
  readonly accountId = NODE0;
  readonly contractId = SIGNER_ACCOUNT;
  down = false;
  views = 0;
  constructor(readonly testbed: ContractTestbed) {}
  async view(method: string, args: Record<string, unknown> = {}): Promise<unknown> {
    this.views += 1;
    if (this.down) throw new ChainUnavailable(`view ${method}`, 1_000, { cause: new Error('connection refused') });
    try {
      return JSON.parse(JSON.stringify(this.testbed.view(method, args)));
    } catch (error) {
      // A view that panics reaches the node as the RPC adapter reports it.
      if (error instanceof ContractPanic) throw new ChainCallFailed(method, error.message, null, null);
      throw error;
    }
  }
  // The poller only views; the test changes the contract through the testbed directly.
  call(method: string): Promise<unknown> {
    return Promise.reject(new Error(`the poller must not call ${method}`));
  }
  blockHeight(): Promise<number> {
    return Promise.reject(new Error('the poller does not read the block height'));
  }
}

/** Timers fired by the test: `fire()` runs the one pending callback and lets its poll settle. */
class ManualTimers implements PollTimers {
  private pending: { callback: () => void; ms: number } | null = null;
  readonly delays: number[] = [];
  setTimeout(callback: () => void, ms: number): unknown {
    this.pending = { callback, ms };
    this.delays.push(ms);
    return this.pending;
  }
  clearTimeout(handle: unknown): void {
    if (handle === this.pending) this.pending = null;
  }
  get armed(): boolean {
    return this.pending !== null;
  }
  async fire(): Promise<void> {
    const pending = this.pending;
    if (pending === null) throw new Error('no timer is pending');
    this.pending = null;
    pending.callback();
    // The poll is a few awaited promises; let them and the rescheduling run.
    for (let turn = 0; turn < 20; turn += 1) await Promise.resolve();
  }
}

/** A poller on a freshly initialised contract; `listener` runs after each change was recorded. */
function setup(listener: (change: StateChange, changes: readonly StateChange[]) => void = () => {}, options: { initialized?: boolean; now?: () => number; onPollEnded?: () => void } = {}) {
  const testbed = new ContractTestbed(mpcSignerContract, SIGNER_ACCOUNT);
  if (options.initialized ?? true) initialize(testbed);
  const chain = new TestbedChain(testbed);
  const timers = new ManualTimers();
  const changes: StateChange[] = [];
  const errors: unknown[] = [];
  const sync = new StateSync({
    contract: new MpcSignerClient(chain),
    intervalMs: 250,
    timers,
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.onPollEnded !== undefined ? { onPollEnded: options.onPollEnded } : {}),
    onChange: (change) => {
      changes.push(change);
      listener(change, changes);
    },
    onError: (error) => errors.push(error),
  });
  return { testbed, chain, timers, changes, errors, sync };
}

function initialize(testbed: ContractTestbed): void {
  expectSuccess(testbed.call('init', { parameters: THREE_NODES }, { predecessor: SIGNER_ACCOUNT }));
  for (const node of NODES) registerNode(testbed, node);
}

describe('StateSync', () => {
  it('reports a contract without state as NotInitialized (its state() panics), then its first state', async () => {
    const { testbed, timers, changes, errors, sync } = setup(undefined, { initialized: false });
    sync.start();
    await timers.fire();
    expect(changes.map((change) => change.view.phase)).toEqual(['NotInitialized']);
    expect(changes[0]!.jobs).toEqual([]);
    initialize(testbed);
    await timers.fire();
    expect(changes.map((change) => change.view.phase)).toEqual(['NotInitialized', 'Running']);
    expect(errors).toEqual([]);
    await sync.stop();
  });

  it('reports the first state, then only changes, polling every interval after the previous poll', async () => {
    const { testbed, chain, timers, changes, sync } = setup();
    sync.start();
    await timers.fire();
    expect(changes.map((change) => change.view.phase)).toEqual(['Running']);
    await timers.fire();
    await timers.fire();
    expect(chain.views).toBe(3);
    expect(changes).toHaveLength(1);

    for (const node of NODES) expectSuccess(testbed.call('vote_add_domains', { domains: [domainConfig(0, 'Secp256k1')] }, { predecessor: node }));
    await timers.fire();
    expect(changes.map((change) => change.view.phase)).toEqual(['Running', 'Initializing']);
    expect(changes[1]!.jobs).toEqual([expect.objectContaining({ kind: 'keygen', amLeader: true })]);
    expect(sync.latest).toBe(changes[1]);
    expect(timers.delays).toEqual([0, 250, 250, 250, 250]);
    await sync.stop();
  });

  it('records every successful read, changed or not, and not a failed one (a steady contract is a fresh view); every poll is a turn', async () => {
    let clock = 1_000;
    let turns = 0;
    const { chain, timers, changes, sync } = setup(undefined, { now: () => clock, onPollEnded: () => (turns += 1) });
    expect(sync.lastReadAt).toBeNull();
    sync.start();
    await timers.fire();
    expect(sync.lastReadAt).toBe(1_000);
    clock = 61_000;
    await timers.fire();
    // Nothing changed, so nothing was reported, but the view is a minute fresher.
    expect(changes).toHaveLength(1);
    expect(sync.lastReadAt).toBe(61_000);
    chain.down = true;
    clock = 90_000;
    await timers.fire();
    expect(sync.lastReadAt).toBe(61_000);
    // The failed poll was a turn all the same: the loop is alive, only the view is getting old.
    expect(turns).toBe(3);
    await sync.stop();
  });

  it('reports a failed poll and keeps polling; the state is reported once the RPC is back', async () => {
    const { chain, timers, changes, errors, sync } = setup();
    chain.down = true;
    sync.start();
    await timers.fire();
    await timers.fire();
    expect(errors).toEqual([expect.any(ChainUnavailable), expect.any(ChainUnavailable)]);
    expect(changes).toEqual([]);
    chain.down = false;
    await timers.fire();
    expect(changes).toHaveLength(1);
    await sync.stop();
  });

  it('offers a change again when the listener threw on it', async () => {
    const listenerFailure = new Error('job runner busy');
    const { timers, changes: offered, errors, sync } = setup((_change, changes) => {
      if (changes.length === 1) throw listenerFailure;
    });
    sync.start();
    await timers.fire();
    expect(errors).toEqual([listenerFailure]);
    expect(sync.latest).toBeNull();
    await timers.fire();
    await timers.fire();
    expect(offered).toHaveLength(2);
    expect(sync.latest).toBe(offered[1]);
    await sync.stop();
  });

  it('stop() cancels the next poll and no listener runs afterwards', async () => {
    const { chain, timers, changes, sync } = setup();
    sync.start();
    await timers.fire();
    expect(timers.armed).toBe(true);
    await sync.stop();
    expect(timers.armed).toBe(false);
    await sync.pollNow();
    expect(chain.views).toBe(2);
    expect(changes).toHaveLength(1);
  });
});
