// The node's chain adapter against the devnet chain hosting an MPC signer contract: our model, and
// near/mpc's published 3.14.0 and 3.14.1 wasm. State reads, registration, participant calls signed
// with each node's own key, the state poller's keygen job, key generation, resharing to a fourth node
// and a `respond` through the adapter, parallel calls from one key, and the contract's refusals and an
// unreachable RPC as typed errors: the same assertions hold for all three contracts.
import { Account } from '@near-js/accounts';
import { KeyPair } from '@near-js/crypto';
import { JsonRpcProvider } from '@near-js/providers';
import { KeyPairSigner } from '@near-js/signers';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { createServer as createHttpServer } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { mpcSignerContract } from '../../../contract/mpc-signer/contract.js';
import { domainConfig, ecdsaResponse, participantInfo, rootPublicKey, thresholdParameters, tweakBytes } from '../../../contract/testing/mpc-fixtures.js';
import type { ContractDefinition } from '../../../contract/host.js';
import { ONE_NEAR, startDevnetChain, type RunningDevnetChain } from '../../../services/devnet/chain/index.js';
import { SIGNER_ERRORS, SIGNER_METHODS, type DomainConfig } from '../../../shared/near/signer-abi.js';
import { ChainCallFailed, ChainUnavailable, jobsFor, MpcSignerClient, NearRpcChain, StateSync, type StateChange } from '../../../services/mpc-node/chain/index.js';

const CONTRACT = 'v1.signer.devnet';
const NODES = ['node0.devnet', 'node1.devnet', 'node2.devnet'] as const;
const PARAMETERS = thresholdParameters(NODES.map((account, id) => [account, id] as const), 2);
const SECP_DOMAIN = domainConfig(0, 'Secp256k1');
const ED_DOMAIN = domainConfig(1, 'Ed25519');
/** How the node sees SECP_DOMAIN. */
const SECP_NODE_DOMAIN = { id: 0, scheme: 'Secp256k1', threshold: 2 } as const;
const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/near-mpc/', import.meta.url));
/** The signer contract under test: the code, the rest of the deployment is shared. */
type SignerCode = { readonly definition: ContractDefinition } | { readonly wasm: Uint8Array };
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

describe.each<[string, () => SignerCode]>([
  ['our signer model', () => ({ definition: mpcSignerContract })],
  ['near/mpc 3.14.0 (wasm)', () => ({ wasm: new Uint8Array(readFileSync(`${FIXTURES}signer-3_14_0.wasm`)) })],
  ['near/mpc 3.14.1 (wasm)', () => ({ wasm: new Uint8Array(readFileSync(`${FIXTURES}signer-3_14_1.wasm`)) })],
])('mpc-node chain adapter on the devnet chain, signer: %s', (_name, signerCode) => {
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
          ...signerCode(),
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
    expect(view.phase === 'Running' && view.signing).toEqual({ epochId: 0, domains: [], keys: [], parameters: PARAMETERS, unserved: [] });
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
    const expected = { kind: 'keygen', domain: SECP_NODE_DOMAIN, keyEventId: { epoch_id: 0, domain_id: 0, attempt_id: 0 }, attempt: { status: 'not-started' }, participants: PARAMETERS.participants.participants, threshold: 2, leader: NODES[0] };
    expect(leaderJobs).toEqual([expect.objectContaining({ ...expected, amLeader: true })]);
    expect(followerJobs).toEqual([expect.objectContaining({ ...expected, amLeader: false })]);
  });

  it('registers each node with its account key; until then it cannot act in a key event', async () => {
    const [job] = await jobsOf(nodes[0]!);
    if (job?.kind !== 'keygen') throw new Error(`node0 should have a keygen job; its jobs: ${JSON.stringify(job)}`);
    // init's placeholder registration does not carry the node's account key.
    expect(await nodes[0]!.attestation(participantInfo(NODES[0]).tls_public_key)).toEqual({ Mock: 'Valid' });
    await expect(nodes[0]!.startKeygenInstance(job.keyEventId)).rejects.toMatchObject({ name: 'ChainCallFailed', panicMessage: expect.stringContaining(SIGNER_ERRORS.notAttestedParticipant) });
    for (const [index, node] of nodes.entries()) await node.submitParticipantInfo(participantInfo(NODES[index]!).tls_public_key);
    expect(await nodes[0]!.attestation(participantInfo(NODES[0]).tls_public_key)).toMatchObject({ Mock: { WithConstraints: { expiry_timestamp_seconds: expect.any(Number) } } });
    expect(await nodes[0]!.attestation(participantInfo('nobody.devnet').tls_public_key)).toBeNull();
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
    expect(view.phase === 'Running' && view.signing.keys).toEqual([{ domain_id: 0, key: publicKey, attempt: 0 }]);
    expect(await jobsOf(nodes[1]!)).toEqual([expect.objectContaining({ kind: 'serve', keyset: [{ domain_id: 0, key: publicKey, attempt: 0 }], threshold: 2 })]);
  });

  it('sends concurrent calls from one key without nonce clashes', async () => {
    // Re-voting the same proposal is accepted, so every one of these calls must land.
    await Promise.all(Array.from({ length: 6 }, () => nodes[0]!.voteAddDomains([ED_DOMAIN])));
    expect(await addDomainsVotes(nodes[0]!)).toEqual([[ED_DOMAIN]]);
  });

  it('recovers from nonces refused because another adapter uses the same key (an old and a new task of one node)', async () => {
    const sameKey = () => new MpcSignerClient(new NearRpcChain({ rpcUrl: devnet.rpcUrl, accountId: NODES[1], keyPair: nodeKeys[1]!, contractId: CONTRACT }));
    const [oldTask, newTask] = [sameKey(), sameKey()];
    const proposals: DomainConfig[][] = [[ED_DOMAIN], [domainConfig(1, 'Secp256k1')]];
    // Both read the same nonce from the chain and count up from it, so their transactions clash.
    await Promise.all([0, 1, 2].flatMap(() => [oldTask.voteAddDomains(proposals[0]!), newTask.voteAddDomains(proposals[1]!)]));
    // node0's vote and one of node1's two proposals: every call landed, the last one of node1 counts.
    const votes = await addDomainsVotes(oldTask);
    expect(votes).toHaveLength(2);
    expect(votes).toContainEqual([ED_DOMAIN]);
  });

  it('a refused call is a ChainCallFailed with the contract panic message', async () => {
    const outsider = await devnet.createAccount('outsider.devnet');
    const client = new MpcSignerClient(new NearRpcChain({ rpcUrl: devnet.rpcUrl, accountId: outsider.accountId, keyPair: outsider.keyPair, contractId: CONTRACT }));
    const refusal = client.voteAddDomains([ED_DOMAIN]);
    await expect(refusal).rejects.toBeInstanceOf(ChainCallFailed);
    await expect(refusal).rejects.toMatchObject({ method: 'vote_add_domains', panicMessage: 'Not a participant: outsider.devnet', transactionHash: expect.any(String) });
  });

  it('a view that panics is a ChainCallFailed too', async () => {
    await expect(nodes[0]!.chain.view('public_key', { domain_id: 7 })).rejects.toMatchObject({ name: 'ChainCallFailed', panicMessage: SIGNER_ERRORS.noSuchDomain });
  });

  it('runs a resharing to a fourth node through the adapter, with an aborted first attempt', async () => {
    const newcomer = await devnet.createAccount('node3.devnet');
    const joining = new MpcSignerClient(new NearRpcChain({ rpcUrl: devnet.rpcUrl, accountId: newcomer.accountId, keyPair: newcomer.keyPair, contractId: CONTRACT }));
    const parameters = thresholdParameters([...NODES.map((account, id) => [account, id] as const), [newcomer.accountId, 3]], 3);
    // Governance threshold 3, and domain 0's reconstruction threshold raised to 3 with it.
    const proposal = { parameters, per_domain_thresholds: { 0: 3 } };
    // The newcomer's node registers before it can be proposed (the contract refuses a participant without one).
    await joining.submitParticipantInfo(participantInfo(newcomer.accountId).tls_public_key);
    // Proposing parameters is an operator's decision, not a node job, so it has no typed wrapper; every member of the new set votes.
    for (const voter of [nodes[0]!, nodes[1]!, joining, nodes[2]!]) await voter.chain.call('vote_new_parameters', { prospective_epoch_id: 1, proposal });

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
    expect(view.phase === 'Running' && view.signing).toEqual({
      epochId: 1,
      domains: [{ ...SECP_NODE_DOMAIN, threshold: 3 }],
      keys: [{ domain_id: 0, key: rootPublicKey('Secp256k1'), attempt: 1 }],
      parameters,
      // node0's add-domains vote (Ed25519) is not a domain yet.
      unserved: [],
    });
    expect(await jobsOf(joining)).toEqual([expect.objectContaining({ kind: 'serve', epochId: 1, threshold: 3 })]);
  });

  it('responds to a pending sign request; the user\'s call returns the response', async () => {
    const { keyPair } = await devnet.createAccount('alice.devnet');
    const user = new Account('alice.devnet', new JsonRpcProvider({ url: devnet.rpcUrl }), new KeyPairSigner(keyPair));
    const payload = sha256(utf8ToBytes('transfer 1 ETH'));
    const signing = user.callFunction({ contractId: CONTRACT, methodName: 'sign', args: { request: { path: 'eth-1', payload_v2: { Ecdsa: bytesToHex(payload) }, domain_id: 0 } }, deposit: 1n, gas: 50n * 10n ** 12n });
    const request = { tweak: tweakBytes('alice.devnet', 'eth-1'), payload: { Ecdsa: bytesToHex(payload) }, domain_id: 0 };
    for (let attempt = 0; (await nodes[2]!.chain.view('get_pending_request', { request })) === null; attempt += 1) {
      if (attempt > 500) throw new Error('the sign request never became pending');
      await new Promise((resolve) => setTimeout(resolve, BLOCK_TIME_MS));
    }
    const response = ecdsaResponse('alice.devnet', 'eth-1', payload);
    await nodes[2]!.respond(request, response);
    expect(await signing).toEqual(response);
    await expect(nodes[1]!.respond(request, response)).rejects.toMatchObject({ name: 'ChainCallFailed', panicMessage: SIGNER_ERRORS.requestNotFound });
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

/** The proposals of the Running state's `add_domains_votes`, in the contract's order (keyed by participant id in near/mpc 3.14). */
async function addDomainsVotes(client: MpcSignerClient): Promise<unknown[]> {
  const state = (await client.chain.view(SIGNER_METHODS.state)) as { Running?: { add_domains_votes: { proposal_by_account: Record<string, unknown> } } };
  if (state.Running === undefined) throw new Error(`expected Running, got ${JSON.stringify(state).slice(0, 200)}`);
  return Object.values(state.Running.add_domains_votes.proposal_by_account);
}
