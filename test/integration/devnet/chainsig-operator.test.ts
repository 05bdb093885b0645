// The operator commands of `chainsig` against near/mpc's published signer (3.14.0 wasm) on the devnet
// chain, through its JSON-RPC, in the order an operator runs them: deploy the wasm, read the state
// before init, init with three participants assembled from `participant info`, register each node's
// mesh key, vote the domains until the contract starts the first key generation, read the state as a
// summary and as JSON, cancel the key generation and vote new parameters. Refusals by the contract come back with
// its own text and exit code 1, bad command lines with exit code 2 before anything is sent.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { base58 } from '@scure/base';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../../services/cli/run-cli.js';
import { ONE_NEAR, startDevnetChain, type CreatedAccount, type RunningDevnetChain } from '../../../services/devnet/chain/index.js';
import type { ProtocolContractState } from '../../../shared/near/signer-abi.js';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/near-mpc/', import.meta.url));
const WASM = `${FIXTURES}signer-3_14_0.wasm`;
const SIGNER = 'signer.devnet';
const NODES = ['node0.devnet', 'node1.devnet', 'node2.devnet'] as const;
const DOMAINS = [
  { id: 0, protocol: 'CaitSith', reconstruction_threshold: 2, purpose: 'Sign' },
  { id: 1, protocol: 'Frost', reconstruction_threshold: 2, purpose: 'Sign' },
];

describe('chainsig operator commands against near/mpc 3.14.0 on the devnet', () => {
  let devnet: RunningDevnetChain;
  let signer: CreatedAccount;
  let nodes: CreatedAccount[];
  let outsider: CreatedAccount;
  const meshSecrets = NODES.map(() => bytesToHex(randomBytes(32)));
  const meshUrl = (index: number) => `https://node${index}.example.org:443`;

  const as = (account: CreatedAccount) => ['--rpc', devnet.rpcUrl, '--account', account.accountId, '--secret-key', account.keyPair.toString()];
  const onSigner = (account: CreatedAccount) => [...as(account), '--contract', SIGNER];
  const state = async (): Promise<ProtocolContractState> => {
    const result = await runCli('state', '--rpc', devnet.rpcUrl, '--contract', SIGNER, '--json');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(result.stdout) as ProtocolContractState;
  };

  beforeAll(async () => {
    devnet = await startDevnetChain({ blockTimeMs: 20 });
    // The wasm's storage is staked from the signer's balance: 10¹⁹ yoctoNEAR a byte, about 12 NEAR.
    signer = await devnet.createAccount(SIGNER, { balance: 40n * ONE_NEAR });
    nodes = await Promise.all(NODES.map((accountId) => devnet.createAccount(accountId, { balance: 10n * ONE_NEAR })));
    outsider = await devnet.createAccount('outsider.devnet', { balance: 10n * ONE_NEAR });
  });

  afterAll(async () => {
    await devnet?.stop();
  });

  it('refuses a file that is not wasm before sending anything (exit 2)', async () => {
    const result = await runCli('contract', 'deploy', '--wasm', `${FIXTURES}README.md`, ...as(signer));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('README.md is not a wasm module (it does not start with \\0asm)');
  });

  it('deploys the wasm and prints its code hash and size', async () => {
    const wasm = readFileSync(WASM);
    const result = await runCli('contract', 'deploy', '--wasm', WASM, ...as(signer));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const codeHash = base58.encode(sha256(wasm));
    expect(result.stdout).toContain(`deployed:     signer-3_14_0.wasm to ${SIGNER}, ${wasm.length} bytes\n`);
    expect(result.stdout).toContain(`code hash:    ${codeHash}\n`);
    expect(result.stdout).toMatch(/transaction: {2}\w+\n$/);
  });

  it('reads the uninitialized contract as NotInitialized, in text and JSON', async () => {
    const summary = await runCli('state', '--rpc', devnet.rpcUrl, '--contract', SIGNER);
    expect(summary).toEqual({ code: 0, stderr: '', stdout: 'protocol:     NotInitialized: the contract has no state yet (chainsig contract init)\n' });
    expect(await state()).toBe('NotInitialized');
  });

  it('refuses init with a threshold below 60 % of the participants, and a bad mesh key, before sending (exit 2)', async () => {
    const participants = JSON.stringify(NODES.map((account_id, id) => ({ account_id, id, url: meshUrl(id), tls_public_key: `ed25519:${base58.encode(ed25519.getPublicKey(randomBytes(32)))}` })));
    const low = await runCli('contract', 'init', '--participants', participants, '--threshold', '1', ...as(signer));
    expect(low.code).toBe(2);
    expect(low.stderr).toContain("contract init: --threshold 1 is below near/mpc's minimum for 3 participants: 2");
    const badKey = await runCli('contract', 'init', '--participants', JSON.stringify([[NODES[0], 0, { url: meshUrl(0), tls_public_key: 'ed25519:nope' }]]), '--threshold', '2', ...as(signer));
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(/contract init: --participants\[0\]\[2\]\.tls_public_key: invalid public key "ed25519:nope"/);
    expect(await state()).toBe('NotInitialized');
  });

  it('inits with the three entries participant info prints; the contract runs with them', async () => {
    const entries = [];
    for (const [index, node] of nodes.entries()) {
      const info = await runCli('participant', 'info', '--mesh-secret-key', meshSecrets[index]!, '--url', meshUrl(index), '--account', node.accountId, '--json');
      expect(info).toMatchObject({ code: 0, stderr: '' });
      entries.push(JSON.parse(info.stdout).participants_entry);
    }
    const result = await runCli('contract', 'init', '--participants', JSON.stringify(entries), '--threshold', '2', '--init-config', '{"key_event_timeout_blocks":1000}', ...as(signer));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`call:         init on ${SIGNER} as ${SIGNER}, 300 Tgas\n`);
    expect(result.stdout).toContain('protocol:     Running, epoch 0, 0 domain(s)\n');
    const running = await state();
    expect(running).toMatchObject({
      Running: { parameters: { threshold: 2, participants: { next_id: 3, participants: entries.map((entry, id) => [entry.account_id, id, { url: entry.url, tls_public_key: entry.tls_public_key }]) } } },
    });
  });

  it('registers each node with participant info --submit', async () => {
    for (const [index, node] of nodes.entries()) {
      const result = await runCli('participant', 'info', '--mesh-secret-key', meshSecrets[index]!, '--url', meshUrl(index), '--submit', ...onSigner(node));
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/^participant: {2}\{"url":"https:\/\/node\d\.example\.org:443","tls_public_key":"ed25519:\w+"\}\n/);
      expect(result.stdout).toContain(`call:         submit_participant_info on ${SIGNER} as ${node.accountId}, 300 Tgas\n`);
    }
  });

  it('votes the domains; an outsider’s vote is refused with the contract’s text; all three votes start the keygen of domain 0', async () => {
    const domains = JSON.stringify(DOMAINS);
    for (const node of nodes.slice(0, 2)) expect(await runCli('vote', 'add-domains', '--domains', domains, ...onSigner(node))).toMatchObject({ code: 0, stderr: '' });
    const summary = await runCli('state', '--rpc', devnet.rpcUrl, '--contract', SIGNER);
    expect(summary.stdout).toContain('votes:        2 pending\n');
    expect(summary.stdout).toContain('  add domains by node0.devnet (0): 0 CaitSith Sign t=2, 1 Frost Sign t=2\n');

    const refused = await runCli('vote', 'add-domains', '--domains', domains, ...onSigner(outsider));
    expect(refused).toEqual({ code: 1, stdout: '', stderr: `chainsig: vote_add_domains on ${SIGNER} as outsider.devnet failed: Not a participant: outsider.devnet\n` });

    const last = await runCli('vote', 'add-domains', '--domains', domains, ...onSigner(nodes[2]!));
    expect(last).toMatchObject({ code: 0, stderr: '' });
    expect(last.stdout).toContain(`arguments:    {"domains":${domains}}\n`);
    expect(last.stdout).toContain('protocol:     Initializing, epoch 0: keygen of domain 0\n');
  });

  it('summarizes the Initializing state: participants, domains, the keygen of domain 0 waiting for its leader', async () => {
    const result = await runCli('state', '--rpc', devnet.rpcUrl, '--contract', SIGNER);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('protocol:     Initializing, epoch 0: generating keys for new domains');
    expect(lines[1]).toBe('participants: 3, governance threshold 2, next id 3');
    expect(lines[3]).toMatch(new RegExp(`^ {2}0 {3}node0\\.devnet {2}https://node0\\.example\\.org:443 {2}ed25519:\\w+$`));
    expect(lines).toContain('domains:      2, next id 2');
    expect(lines).toContain('  id  protocol  curve         purpose  threshold  key');
    expect(lines).toContain('  0   CaitSith  Secp256k1     Sign     2          (generating)');
    expect(lines).toContain('  1   Frost     Edwards25519  Sign     2          (waiting for its keygen)');
    expect(lines).toContain('key event:    keygen of domain 0 (CaitSith, Sign, threshold 2) for epoch 0');
    expect(lines).toContain('              no attempt running; the leader node0.devnet (0) starts attempt 0');
    expect(lines).toContain('cancel votes: none');

    const json = await state();
    expect(json).toMatchObject({ Initializing: { epoch_id: 0, domains: { domains: DOMAINS, next_domain_id: 2 }, generating_key: { domain: DOMAINS[0], instance: null } } });
  });

  it('refuses a vote the state does not allow with the contract’s text (exit 1), and cancels the keygen by vote', async () => {
    const refused = await runCli('vote', 'cancel-resharing', ...onSigner(nodes[0]!));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`chainsig: vote_cancel_resharing on ${SIGNER} as node0.devnet failed: Protocol state is not resharing.\n`);

    for (const node of nodes.slice(0, 2)) {
      const result = await runCli('vote', 'cancel-keygen', '--next-domain-id', '2', ...onSigner(node), '--json');
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toMatchObject({ method: 'vote_cancel_keygen', args: { next_domain_id: 2 }, account_id: node.accountId, transaction_hash: expect.any(String) });
    }
    // Both domains were still without keys, so the contract runs again with none, and will not reuse their ids.
    expect(await state()).toMatchObject({ Running: { domains: { domains: [], next_domain_id: 2 } } });
  });

  it('votes new parameters in the contract’s own participant form; with no keys to reshare, the last vote starts epoch 1', async () => {
    const { Running: current } = (await state()) as Extract<ProtocolContractState, { Running: unknown }>;
    const parameters = JSON.stringify({ participants: current.parameters.participants, threshold: 3 });
    for (const node of nodes) {
      const result = await runCli('vote', 'new-parameters', '--prospective-epoch-id', '1', '--parameters', parameters, ...onSigner(node));
      expect(result).toMatchObject({ code: 0, stderr: '' });
    }
    expect(await state()).toMatchObject({ Running: { keyset: { epoch_id: 1 }, parameters: { threshold: 3, participants: current.parameters.participants } } });
  });

  it('exits 2 on bad input and 1 on an unreachable RPC', async () => {
    const badJson = await runCli('vote', 'add-domains', '--domains', '[{"id":0,', ...onSigner(nodes[0]!));
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/^chainsig: vote add-domains: --domains is not valid JSON/);

    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const closed = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const unreachable = await runCli('state', '--rpc', closed, '--contract', SIGNER);
    expect(unreachable).toEqual({ code: 1, stdout: '', stderr: `chainsig: cannot reach the RPC at ${closed} (ECONNREFUSED)\n` });
  });
});
