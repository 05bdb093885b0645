import { domainConfig, participantInfo, thresholdParameters } from '../../../contract/testing/mpc-fixtures.js';
import type { KeyShare } from '../../../shared/crypto/key-share.js';
import { interpolateSecret, isSecretOf, subsets } from '../../../shared/crypto/keygen/test-helpers.js';
import { MpcSignerClient } from '../../../services/mpc-node/chain/chain.js';
import { parseContractState, type ContractView, type SignatureScheme, type SigningView } from '../../../services/mpc-node/chain/contract-state.js';
import { jobsFor, type ServeJob } from '../../../services/mpc-node/chain/jobs.js';
import { StateSync } from '../../../services/mpc-node/chain/state-sync.js';
import { compressedPublicKey, curveOfScheme, KeyLifecycle, loadServingKeys, nearFormOfPublicKey } from '../../../services/mpc-node/key-lifecycle/index.js';
import { InProcessSignerContract } from '../../support/in-process-contract-chain.js';
import { startTestCluster, type TestCluster } from '../../support/node-cluster.js';

// Three nodes (real mesh, real DynamoDB Local stores) drive the REAL MPC signer contract: it runs in
// process in contract/testing's testbed behind the node's `Chain` port (test/support/in-process-contract-chain.ts),
// so every start, vote and abort goes through the contract's own state machine. Each node learns the
// state through its own StateSync, as in production.
const ACCOUNTS = ['node0.test', 'node1.test', 'node2.test'] as const;
const parametersWithThreshold = (threshold: number) => thresholdParameters(ACCOUNTS.map((account, id) => [account, id] as const), threshold);
/** A domain as these tests name it; the contract's config adds its protocol, purpose and reconstruction threshold. */
interface TestDomain {
  readonly id: number;
  readonly scheme: SignatureScheme;
}
const DOMAINS: readonly TestDomain[] = [
  { id: 0, scheme: 'Secp256k1' },
  { id: 1, scheme: 'Ed25519' },
];
const configsOf = (domains: readonly TestDomain[], threshold: number) => domains.map((domain) => domainConfig(domain.id, domain.scheme, threshold));

/** A contract initialized with the three accounts (threshold 2), each registered as its node does at start. */
function initializedContract(): InProcessSignerContract {
  const contract = new InProcessSignerContract('signer.test');
  contract.init({ parameters: parametersWithThreshold(2) });
  for (const account of ACCOUNTS) contract.register(account, participantInfo(account).tls_public_key);
  return contract;
}

function signingOf(state: ContractView): SigningView {
  if (state.phase === 'NotInitialized') throw new Error('the contract is not initialized');
  return state.signing;
}

describe('KeyLifecycle against the real signer contract', () => {
  const contract = initializedContract();
  let cluster: TestCluster;
  const services: KeyLifecycle[] = [];
  const syncs: (StateSync | undefined)[] = [];
  const syncErrors: unknown[] = [];

  const view = (): ContractView => parseContractState(contract.view('state'));
  const context = (index: number) => cluster.nodes[index]!.context;

  function startNode(index: number): void {
    const service = new KeyLifecycle({ context: context(index), retryDelayMs: 100, expiryCheckMs: 200 });
    services[index] = service;
    const sync = new StateSync({ contract: context(index).contract, intervalMs: 25, onChange: (change) => service.onStateChange(change), onError: (error) => syncErrors.push(error) });
    syncs[index] = sync;
    sync.start();
  }

  /** Takes node `index` down as a crashed process would be: no state changes reach it, its in-memory service state is gone. */
  async function stopNode(index: number): Promise<void> {
    await syncs[index]?.stop();
    await services[index]?.stop();
    syncs[index] = undefined;
  }

  async function waitFor(what: string, done: (state: ContractView) => boolean, timeoutMs = 40_000): Promise<ContractView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = view();
      if (done(state)) return state;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; contract state ${JSON.stringify(state).slice(0, 600)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async function storedShares(domain: TestDomain, epochId: number, key: { key: string; attempt: number }): Promise<KeyShare[]> {
    const publicKey = compressedPublicKey(key.key, curveOfScheme(domain.scheme));
    const found = await Promise.all(cluster.nodes.map((node) => node.context.stores.keyShares.getForKey(domain.id, epochId, publicKey, key.attempt)));
    return found.map((stored, index) => {
      if (stored === undefined) throw new Error(`node ${index} holds no share of domain ${domain.id} epoch ${epochId}`);
      return stored.share;
    });
  }

  /** Every `threshold`-subset of the shares interpolates to one secret whose public key is the contract's key. */
  function expectSharesOfKey(shares: readonly KeyShare[], threshold: number, nearKey: string): void {
    const secrets = subsets(shares, threshold).map((subset) => interpolateSecret(subset));
    expect(new Set(secrets).size).toBe(1);
    for (const share of shares) {
      expect(share.threshold).toBe(threshold);
      expect(isSecretOf(secrets[0]!, share)).toBe(true);
      expect(nearFormOfPublicKey(share.curve, share.publicKey)).toBe(nearKey);
    }
  }

  const serveJobOf = (state: ContractView, index: number): ServeJob => jobsFor(state, ACCOUNTS[index]!).find((job): job is ServeJob => job.kind === 'serve')!;
  const keyEvents = (index: number, kind: string, outcome: string): number =>
    Number(context(index).metrics.render().match(new RegExp(`key_events_total\\{kind="${kind}",outcome="${outcome}"\\} (\\d+)`))?.[1] ?? 0);

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 3, threshold: 2, protocolTimeoutMs: 3_000, contractFor: (account) => new MpcSignerClient(contract.chainFor(account)) });
    for (const index of [0, 1, 2]) startNode(index);
  });

  afterAll(async () => {
    for (const index of [0, 1, 2]) await stopNode(index);
    await cluster?.stop();
  });

  it('generates a Secp256k1 and an Ed25519 key by DKG, votes them and serves them', async () => {
    for (const account of ACCOUNTS) contract.call(account, 'vote_add_domains', { domains: configsOf(DOMAINS, 2) });
    const state = await waitFor('both keys', (current) => current.phase === 'Running' && current.signing.keys.length === 2);
    for (const domain of DOMAINS) {
      const key = signingOf(state).keys.find((entry) => entry.domain_id === domain.id)!;
      expect(key.key.startsWith(domain.scheme === 'Secp256k1' ? 'secp256k1:' : 'ed25519:')).toBe(true);
      expectSharesOfKey(await storedShares(domain, 0, key), 2, key.key);
    }
    for (const index of [0, 1, 2]) {
      const keys = await loadServingKeys(context(index), serveJobOf(state, index));
      expect([...keys.keys()].sort()).toEqual([0, 1]);
      expect(keys.get(0)!.share.me).toBe(index);
      expect(keyEvents(index, 'keygen', 'voted')).toBe(2);
    }
    expect(syncErrors).toEqual([]);
  });

  it('reshares both keys to threshold 3 in the next epoch, keeping the public keys', async () => {
    const before = signingOf(view()).keys;
    // Governance threshold 3, and both domains' reconstruction threshold raised to 3; every participant votes.
    const proposal = { parameters: parametersWithThreshold(3), per_domain_thresholds: { 0: 3, 1: 3 } };
    for (const account of ACCOUNTS) contract.call(account, 'vote_new_parameters', { prospective_epoch_id: 1, proposal });
    expect(view().phase).toBe('Resharing');
    const state = await waitFor('epoch 1', (current) => current.phase === 'Running' && current.signing.epochId === 1 && current.signing.keys.length === 2);
    expect(signingOf(state).keys.map(({ domain_id, key }) => ({ domain_id, key }))).toEqual(before.map(({ domain_id, key }) => ({ domain_id, key })));
    for (const domain of DOMAINS) {
      const key = signingOf(state).keys.find((entry) => entry.domain_id === domain.id)!;
      expectSharesOfKey(await storedShares(domain, 1, key), 3, key.key);
    }
    for (const index of [0, 1, 2]) {
      const keys = await loadServingKeys(context(index), serveJobOf(state, index));
      expect(keys.get(1)).toMatchObject({ epochId: 1, share: { threshold: 3 } });
      expect(keyEvents(index, 'reshare', 'voted')).toBe(2);
    }
  });

  it('aborts an attempt a participant cannot take part in, and the next attempt succeeds once it is back', async () => {
    const domain: TestDomain = { id: 2, scheme: 'Secp256k1' };
    await stopNode(2);
    for (const account of ACCOUNTS) contract.call(account, 'vote_add_domains', { domains: configsOf([domain], 3) });
    // Nodes 0 and 1 run attempt 0 without node 2, time out, and vote to abort; the leader starts attempt 1.
    await waitFor('attempt 1', (current) => current.phase === 'Initializing' && (current.keygen.instance?.attempt_id ?? 0) >= 1);
    expect(keyEvents(0, 'keygen', 'aborted') + keyEvents(1, 'keygen', 'aborted')).toBeGreaterThanOrEqual(1);
    // Node 2 restarts with no memory of the event and joins the open attempt.
    startNode(2);
    const state = await waitFor('the third key', (current) => current.phase === 'Running' && current.signing.keys.length === 3);
    const key = signingOf(state).keys.find((entry) => entry.domain_id === 2)!;
    expect(key.attempt).toBeGreaterThanOrEqual(1);
    expectSharesOfKey(await storedShares(domain, 1, key), 3, key.key);
    // Attempt 0 left no share at node 2 (it never ran) and the failed attempt's shares at nodes 0 and 1 are not the key.
    expect(await context(2).stores.keyShares.get(2, 1, 0)).toBeUndefined();
    const failed = await context(0).stores.keyShares.get(2, 1, 0);
    if (failed !== undefined) expect(nearFormOfPublicKey(failed.curve, failed.publicKey)).not.toBe(key.key);
    const served = await loadServingKeys(context(2), serveJobOf(state, 2));
    expect([...served.keys()].sort()).toEqual([0, 1, 2]);
  });

  it('a node restarted after storing its share votes that share again instead of running the protocol again', async () => {
    const domain: TestDomain = { id: 3, scheme: 'Ed25519' };
    // Node 2's votes never land: it stores its share, then its vote (and its abort) fail.
    contract.makeUnreachable(ACCOUNTS[2], 'vote_pk');
    contract.makeUnreachable(ACCOUNTS[2], 'vote_abort_key_event_instance');
    for (const account of ACCOUNTS) contract.call(account, 'vote_add_domains', { domains: configsOf([domain], 3) });
    const open = await waitFor('votes of nodes 0 and 1', (current) => current.phase === 'Initializing' && current.keygen.domain.id === 3 && (current.keygen.instance?.completed.length ?? 0) === 2);
    const attempt = open.phase === 'Initializing' ? open.keygen.instance!.attempt_id : -1;
    const deadline = Date.now() + 10_000;
    while ((await context(2).stores.keyShares.get(3, 1, attempt)) === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    await stopNode(2);
    contract.reachAgain();
    startNode(2);
    const state = await waitFor('the fourth key', (current) => current.phase === 'Running' && current.signing.keys.length === 4);
    const key = signingOf(state).keys.find((entry) => entry.domain_id === 3)!;
    expect(key.attempt).toBe(attempt);
    expect(keyEvents(2, 'keygen', 'revoted')).toBe(1);
    expectSharesOfKey(await storedShares(domain, 1, key), 3, key.key);
  });

  it('votes to cancel a key generation for a domain it cannot serve; the contract keeps the keys it had', async () => {
    const ckd = { id: 4, protocol: 'ConfidentialKeyDerivation', reconstruction_threshold: 3, purpose: 'CKD' } as const;
    for (const account of ACCOUNTS) contract.call(account, 'vote_add_domains', { domains: [ckd] });
    expect(view().phase).toBe('Initializing');
    const state = await waitFor('the cancelled key generation', (current) => current.phase === 'Running');
    expect(signingOf(state).keys.map((key) => key.domain_id)).toEqual([0, 1, 2, 3]);
    expect(signingOf(state).unserved).toEqual([]);
    for (const index of [0, 1, 2]) expect(keyEvents(index, 'keygen', 'cancel-voted')).toBe(1);
  });

  it('serves the domains whose share it holds and reports the others', async () => {
    const state = view();
    const job = serveJobOf(state, 0);
    const missing: unknown[] = [];
    const unknownAttempt = { ...job, keyset: job.keyset.map((entry) => (entry.domain_id === 1 ? { ...entry, attempt: entry.attempt + 99 } : entry)) };
    const keys = await loadServingKeys(context(0), unknownAttempt, { onMissing: (error) => missing.push(error) });
    expect([...keys.keys()].sort()).toEqual([0, 2, 3]);
    expect(missing).toEqual([expect.objectContaining({ name: 'ServingKeyMissing', domainId: 1, epochId: 1 })]);
  });
});

describe('KeyLifecycle when the contract moves on from an attempt whose protocol runs here', () => {
  it('ends that run at once (not at its timeout), counts it superseded, and takes part in the next attempt', async () => {
    const contract = initializedContract();
    // A protocol timeout far beyond the test's: only the contract moving on can end attempt 0's runs in time.
    const cluster = await startTestCluster({ nodes: 3, threshold: 2, protocolTimeoutMs: 10 * 60_000, contractFor: (account) => new MpcSignerClient(contract.chainFor(account)) });
    const services: KeyLifecycle[] = [];
    const syncs: StateSync[] = [];
    const start = (index: number) => {
      const service = new KeyLifecycle({ context: cluster.nodes[index]!.context, retryDelayMs: 100, expiryCheckMs: 200 });
      const sync = new StateSync({ contract: cluster.nodes[index]!.context.contract, intervalMs: 25, onChange: (change) => service.onStateChange(change), onError: () => undefined });
      services.push(service);
      syncs.push(sync);
      sync.start();
    };
    const superseded = (index: number) => Number(/key_events_total\{kind="keygen",outcome="superseded"\} (\d+)/.exec(cluster.nodes[index]!.context.metrics.render())?.[1] ?? 0);
    const until = async (what: string, done: () => boolean, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; contract state ${JSON.stringify(contract.view('state')).slice(0, 400)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };
    try {
      // Nodes 0 and 1 run attempt 0 of domain 0's keygen; node 2 is not up, so the run waits for it.
      start(0);
      start(1);
      for (const account of ACCOUNTS) contract.call(account, 'vote_add_domains', { domains: configsOf([DOMAINS[0]!], 2) });
      await until('attempt 0 running at nodes 0 and 1', () => [0, 1].every((index) => cluster.nodes[index]!.context.network.router.runningCount === 1));
      // Node 2's operator aborts the attempt (as its node would on a failure); the leader starts attempt 1.
      const state = parseContractState(contract.view('state'));
      if (state.phase !== 'Initializing' || state.keygen.instance === null) throw new Error('no keygen attempt is open');
      contract.call(ACCOUNTS[2], 'vote_abort_key_event_instance', { key_event_id: { epoch_id: 0, domain_id: 0, attempt_id: state.keygen.instance.attempt_id } });
      await until('attempt 0 superseded at nodes 0 and 1', () => superseded(0) === 1 && superseded(1) === 1);
      // Node 2 comes up and the next attempt completes with all three.
      start(2);
      await until('the key', () => {
        const current = parseContractState(contract.view('state'));
        return current.phase === 'Running' && current.signing.keys.length === 1;
      });
      expect(cluster.nodes.map((node) => node.context.network.router.runningCount)).toEqual([0, 0, 0]);
    } finally {
      for (const sync of syncs) await sync.stop();
      // As a node stops: the services first, then the network, which ends any run still in progress.
      const servicesStopped = Promise.all(services.map((service) => service.stop()));
      await cluster.stop();
      await servicesStopped;
    }
  });
});
