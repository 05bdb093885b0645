// The node's chain adapter against the devnet chain hosting the real MPC signer contract: state
// reads, participant calls signed with each node's own key, the state poller's keygen job, key
// generation, resharing to a fourth node and a `respond` through the adapter, parallel calls from
// one key, and the contract's refusals and an unreachable RPC as typed errors.
import { Account } from '@near-js/accounts';
import { KeyPair } from '@near-js/crypto';
import { JsonRpcProvider } from '@near-js/providers';
import { KeyPairSigner } from '@near-js/signers';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { mpcSignerContract } from '../../../contract/mpc-signer/contract.js';
import type { DomainConfig } from '../../../contract/mpc-signer/types.js';
import { ecdsaResponse, rootPublicKey, thresholdParameters, tweakHex } from '../../../contract/testing/mpc-fixtures.js';
import { ONE_NEAR, startDevnetChain, type RunningDevnetChain } from '../../../services/devnet/chain/index.js';
import { ChainCallFailed, ChainUnavailable, jobsFor, MpcSignerClient, NearRpcChain, StateSync, type StateChange } from '../../../services/mpc-node/chain/index.js';

const CONTRACT = 'v1.signer.devnet';
const NODES = ['node0.devnet', 'node1.devnet', 'node2.devnet'] as const;
const PARAMETERS = thresholdParameters(NODES.map((account, id) => [account, id] as const), 2);
const SECP_DOMAIN: DomainConfig = { id: 0, scheme: 'Secp256k1', purpose: 'Sign' };
const BLOCK_TIME_MS = 20;
const WAIT_MS = 20_000;

/** Collects a poller's changes and lets a test wait, bounded, for one that matches. */
function watch(contract: MpcSignerClient) {
  const changes: StateChange[] = [];
  const errors: unknown[] = [];
  let notify = () => {};
  const sync = new StateSync({
    contract,
    intervalMs: BLOCK_TIME_MS,
    onChange: (change) => {
      changes.push(change);
      notify();
    },
    onError: (error) => errors.push(error),
  });
  sync.start();
  const waitFor = (predicate: (change: StateChange) => boolean): Promise<StateChange> =>
    new Promise((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`no matching state within ${WAIT_MS} ms; seen ${JSON.stringify(changes.map((c) => c.view.phase))}, errors ${String(errors)}`)), WAIT_MS);
      notify = () => {
        const match = changes.find(predicate);
        if (match === undefined) return;
        clearTimeout(timeout);
        resolve(match);
      };
      notify();
    });
  return { sync, changes, waitFor };
}

describe('mpc-node chain adapter on the devnet chain', () => {
  let devnet: RunningDevnetChain;
  const nodeKeys = NODES.map(() => KeyPair.fromRandom('ed25519'));
  let nodes: MpcSignerClient[];
  const pollers: StateSync[] = [];

  beforeAll(async () => {
    devnet = await startDevnetChain({
      blockTimeMs: BLOCK_TIME_MS,
      contracts: [
        {
          accountId: CONTRACT,
          definition: mpcSignerContract,
          // At 20 ms blocks the default 30-block attempt would expire while the three votes are in flight.
          init: { methodName: 'init', args: { parameters: PARAMETERS, init_config: { key_event_timeout_blocks: 1_000 } } },
        },
      ],
      accounts: NODES.map((accountId, index) => ({ accountId, balance: 100n * ONE_NEAR, publicKeys: [nodeKeys[index]!.getPublicKey().toString()] })),
    });
    nodes = NODES.map((accountId, index) => new MpcSignerClient(new NearRpcChain({ rpcUrl: devnet.rpcUrl, accountId, keyPair: nodeKeys[index]!, contractId: CONTRACT })));
  });

  afterAll(async () => {
    for (const poller of pollers) await poller.stop();
    await devnet?.stop();
  });

  it('reads the state after init: Running, no domains, the registered participants', async () => {
    const view = await nodes[0]!.state();
    expect(view.phase).toBe('Running');
    expect(view.signing).toEqual({ epochId: 0, domains: [], keys: [], parameters: PARAMETERS });
    expect(await nodes[0]!.chain.blockHeight()).toBeGreaterThan(0);
  });

  it('after every participant votes to add a domain, the poller reports a keygen job led by the lowest id', async () => {
    const leaderWatch = watch(nodes[0]!);
    const followerWatch = watch(nodes[2]!);
    pollers.push(leaderWatch.sync, followerWatch.sync);
    await leaderWatch.waitFor((change) => change.view.phase === 'Running');
    for (const node of nodes) await node.voteAddDomains([SECP_DOMAIN]);

    const isInitializing = (change: StateChange) => change.view.phase === 'Initializing';
    const leaderJobs = (await leaderWatch.waitFor(isInitializing)).jobs;
    const followerJobs = (await followerWatch.waitFor(isInitializing)).jobs;
    const expected = { kind: 'keygen', domain: SECP_DOMAIN, keyEventId: { epoch_id: 0, domain_id: 0, attempt_id: 0 }, attempt: { status: 'not-started' }, participants: PARAMETERS.participants.participants, threshold: 2, leader: NODES[0] };
    expect(leaderJobs).toEqual([expect.objectContaining({ ...expected, amLeader: true })]);
    expect(followerJobs).toEqual([expect.objectContaining({ ...expected, amLeader: false })]);
  });

  it('runs key generation through the adapter: the leader starts the attempt, all vote the key, the contract is Running with it', async () => {
    const [job] = await jobsOf(nodes[0]!);
    if (job?.kind !== 'keygen' || !job.amLeader) throw new Error(`node0 should lead key generation; its jobs: ${JSON.stringify(job)}`);
    const keyEventId = job.keyEventId;
    await nodes[0]!.startKeygenInstance(keyEventId);
    const opened = await jobsOf(nodes[1]!);
    expect(opened).toEqual([expect.objectContaining({ kind: 'keygen', attempt: expect.objectContaining({ status: 'open', voted: [] }) })]);

    const publicKey = rootPublicKey('Secp256k1');
    for (const node of nodes) await node.votePk(keyEventId, publicKey);

    const view = await nodes[1]!.state();
    expect(view.phase).toBe('Running');
    expect(view.signing.keys).toEqual([{ domain_id: 0, key: publicKey, attempt: 0 }]);
    expect(await jobsOf(nodes[1]!)).toEqual([expect.objectContaining({ kind: 'serve', keyset: [{ domain_id: 0, key: publicKey, attempt: 0 }], threshold: 2 })]);
  });

  it('sends concurrent calls from one key without nonce clashes', async () => {
    const edDomain: DomainConfig = { id: 1, scheme: 'Ed25519', purpose: 'Sign' };
    // Re-voting the same proposal is accepted, so every one of these calls must land.
    await Promise.all(Array.from({ length: 6 }, () => nodes[0]!.voteAddDomains([edDomain])));
    const view = await nodes[0]!.state();
    expect(view.phase === 'Running' && view.state.add_domains_votes.proposal_by_account).toEqual({ [NODES[0]]: [edDomain] });
  });

  it('recovers from nonces refused because another adapter uses the same key (an old and a new task of one node)', async () => {
    const sameKey = () => new MpcSignerClient(new NearRpcChain({ rpcUrl: devnet.rpcUrl, accountId: NODES[1], keyPair: nodeKeys[1]!, contractId: CONTRACT }));
    const [oldTask, newTask] = [sameKey(), sameKey()];
    const proposals: DomainConfig[][] = [[{ id: 1, scheme: 'Ed25519', purpose: 'Sign' }], [{ id: 1, scheme: 'Secp256k1', purpose: 'Sign' }]];
    // Both read the same nonce from the chain and count up from it, so their transactions clash.
    await Promise.all([0, 1, 2].flatMap(() => [oldTask.voteAddDomains(proposals[0]!), newTask.voteAddDomains(proposals[1]!)]));
    const view = await oldTask.state();
    expect(view.phase === 'Running' && Object.keys(view.state.add_domains_votes.proposal_by_account)).toContain(NODES[1]);
  });

  it('a refused call is a ChainCallFailed with the contract panic message', async () => {
    const outsider = await devnet.createAccount('outsider.devnet');
    const client = new MpcSignerClient(new NearRpcChain({ rpcUrl: devnet.rpcUrl, accountId: outsider.accountId, keyPair: outsider.keyPair, contractId: CONTRACT }));
    const refusal = client.voteAddDomains([{ id: 1, scheme: 'Ed25519', purpose: 'Sign' }]);
    await expect(refusal).rejects.toBeInstanceOf(ChainCallFailed);
    await expect(refusal).rejects.toMatchObject({ method: 'vote_add_domains', panicMessage: 'Unauthorized: outsider.devnet is not a participant', transactionHash: expect.any(String) });
  });

  it('a view that panics is a ChainCallFailed too', async () => {
    await expect(nodes[0]!.chain.view('public_key', { domain_id: 7 })).rejects.toMatchObject({ name: 'ChainCallFailed', panicMessage: 'InvalidRequest: domain 7 does not exist' });
  });

  it('runs a resharing to a fourth node through the adapter, with an aborted first attempt', async () => {
    const newcomer = await devnet.createAccount('node3.devnet');
    const joining = new MpcSignerClient(new NearRpcChain({ rpcUrl: devnet.rpcUrl, accountId: newcomer.accountId, keyPair: newcomer.keyPair, contractId: CONTRACT }));
    const proposal = thresholdParameters([...NODES.map((account, id) => [account, id] as const), [newcomer.accountId, 3]], 3);
    // Proposing parameters is an operator's decision, not a node job, so it has no typed wrapper.
    for (const voter of [nodes[0]!, nodes[1]!, joining]) await voter.chain.call('vote_new_parameters', { prospective_epoch_id: 1, proposal });

    const [job] = await jobsOf(joining);
    if (job?.kind !== 'reshare') throw new Error(`node3 should have a reshare job; its jobs: ${JSON.stringify(job)}`);
    expect(job).toMatchObject({ leader: NODES[0], amLeader: false, threshold: 3, previousThreshold: 2, publicKey: rootPublicKey('Secp256k1'), keyEventId: { epoch_id: 1, domain_id: 0, attempt_id: 0 } });
    expect(await jobsOf(nodes[0]!)).toEqual([expect.objectContaining({ kind: 'serve', epochId: 0 }), expect.objectContaining({ kind: 'reshare', amLeader: true })]);

    await nodes[0]!.startReshareInstance(job.keyEventId);
    await joining.voteAbortKeyEventInstance(job.keyEventId);
    const [retry] = await jobsOf(joining);
    expect(retry).toMatchObject({ kind: 'reshare', attempt: { status: 'not-started' }, keyEventId: { attempt_id: 1 } });

    const secondAttempt = { ...job.keyEventId, attempt_id: 1 };
    await nodes[0]!.startReshareInstance(secondAttempt);
    for (const participant of [...nodes, joining]) await participant.voteReshared(secondAttempt);
    const view = await joining.state();
    expect(view.signing).toEqual({ epochId: 1, domains: [SECP_DOMAIN], keys: [{ domain_id: 0, key: rootPublicKey('Secp256k1'), attempt: 1 }], parameters: proposal });
    expect(await jobsOf(joining)).toEqual([expect.objectContaining({ kind: 'serve', epochId: 1, threshold: 3 })]);
  });

  it('responds to a pending sign request; the user\'s call returns the response', async () => {
    const { keyPair } = await devnet.createAccount('alice.devnet');
    const user = new Account('alice.devnet', new JsonRpcProvider({ url: devnet.rpcUrl }), new KeyPairSigner(keyPair));
    const payload = sha256(utf8ToBytes('transfer 1 ETH'));
    const signing = user.callFunction({ contractId: CONTRACT, methodName: 'sign', args: { request: { path: 'eth-1', payload_v2: { Ecdsa: bytesToHex(payload) }, domain_id: 0 } }, deposit: 1n, gas: 50n * 10n ** 12n });
    const request = { tweak: tweakHex('alice.devnet', 'eth-1'), payload: { Ecdsa: bytesToHex(payload) }, domain_id: 0 };
    for (let attempt = 0; (await nodes[2]!.chain.view('get_pending_request', { request })) === null; attempt += 1) {
      if (attempt > 500) throw new Error('the sign request never became pending');
      await new Promise((resolve) => setTimeout(resolve, BLOCK_TIME_MS));
    }
    const response = ecdsaResponse('alice.devnet', 'eth-1', payload);
    await nodes[2]!.respond(request, response);
    expect(await signing).toEqual(response);
    await expect(nodes[1]!.respond(request, response)).rejects.toMatchObject({ name: 'ChainCallFailed', panicMessage: expect.stringMatching(/^RequestNotFound: /) });
  });

  it('concurrent head-height reads share one block view, and a later read asks again', async () => {
    // A pass-through proxy to the devnet RPC that counts the `block` requests it forwards.
    let blockViews = 0;
    const proxy = createHttpServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        if ((JSON.parse(body.toString()) as { method?: string }).method === 'block') blockViews += 1;
        fetch(devnet.rpcUrl, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
          .then(async (answer) => response.writeHead(answer.status, { 'content-type': 'application/json' }).end(Buffer.from(await answer.arrayBuffer())))
          .catch(() => response.writeHead(502).end());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const chain = new NearRpcChain({ rpcUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, accountId: NODES[0], keyPair: nodeKeys[0]!, contractId: CONTRACT });
      const heights = await Promise.all(Array.from({ length: 20 }, () => chain.blockHeight()));
      expect(blockViews).toBe(1);
      expect(new Set(heights).size).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await chain.blockHeight()).toBeGreaterThan(heights[0]!);
      expect(blockViews).toBe(2);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('an RPC that does not answer is ChainUnavailable with retry guidance', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const unreachable = new NearRpcChain({ rpcUrl: `http://127.0.0.1:${closedPort}`, accountId: NODES[0], keyPair: nodeKeys[0]!, contractId: CONTRACT, retryAfterMs: 250 });
    await expect(unreachable.blockHeight()).rejects.toMatchObject({ name: 'ChainUnavailable', retryAfterMs: 250 });
    await expect(unreachable.call('vote_pk', {})).rejects.toBeInstanceOf(ChainUnavailable);
  });
});

async function jobsOf(client: MpcSignerClient) {
  return jobsFor(await client.state(), client.chain.accountId);
}
