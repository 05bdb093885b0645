// `chainsig sign` against the devnet chain hosting the MPC signer, through its JSON-RPC. The test
// answers each request itself: it calls `respond` as a participant with a signature made from a
// test-only root key. That stands in for the MPC nodes, whose signing the e2e tests cover; here the
// point is the CLI — the call, the wait, the verification, the output and the exit codes.
import { KeyPair } from '@near-js/crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { mpcSignerContract } from '../../../contract/mpc-signer/contract.js';
import { NODES, SIGNER_ACCOUNT, THREE_NODES, ecdsaResponse, ed25519Response, rootPublicKey, tweakBytes, type SignatureScheme } from '../../../contract/testing/mpc-fixtures.js';
import { runCli } from '../../../services/cli/run-cli.js';
import { LocalSigner, startDevnetChain, type RunningDevnetChain } from '../../../services/devnet/chain/index.js';
import { bringUpSigner, callAsParticipant } from '../../support/devnet-signer.js';

const NEAR = 10n ** 24n;
const WAIT_MS = 30_000;
/** 50 blocks of 20 ms: an unanswered request fails with the contract's Timeout within about a second. */
const YIELD_TIMEOUT_BLOCKS = 50;
const USER = 'user.near';

describe('chainsig sign on the devnet chain', () => {
  let devnet: RunningDevnetChain;
  let responder: LocalSigner;
  const nodeKeys = NODES.map(() => KeyPair.fromRandom('ed25519'));
  const userKey = KeyPair.fromRandom('ed25519');

  const chainsig = (...argv: string[]) => runCli('sign', '--rpc', devnet.rpcUrl, '--contract', SIGNER_ACCOUNT, '--account', USER, '--secret-key', userKey.toString(), ...argv);

  /** Waits until the request is pending on the contract, then answers it as participant node1. */
  async function respondWhenPending(scheme: SignatureScheme, path: string, payload: Uint8Array): Promise<unknown> {
    const request = { tweak: tweakBytes(USER, path), payload: scheme === 'Secp256k1' ? { Ecdsa: bytesToHex(payload) } : { Eddsa: bytesToHex(payload) }, domain_id: scheme === 'Secp256k1' ? 0 : 1 };
    const args = utf8ToBytes(JSON.stringify({ request }));
    const pending = () => new TextDecoder().decode(devnet.chain.callView(SIGNER_ACCOUNT, 'get_pending_request', args).result) !== 'null';
    if (!(await devnet.chain.waitFor(pending, WAIT_MS))) throw new Error(`the request for "${path}" never became pending`);
    const response = scheme === 'Secp256k1' ? ecdsaResponse(USER, path, payload) : ed25519Response(USER, path, payload);
    await callAsParticipant(responder, SIGNER_ACCOUNT, 'respond', { request, response });
    return response;
  }

  beforeAll(async () => {
    devnet = await startDevnetChain({
      blockTimeMs: 20,
      yieldTimeoutBlocks: YIELD_TIMEOUT_BLOCKS,
      contracts: [{ accountId: SIGNER_ACCOUNT, definition: mpcSignerContract, init: { methodName: 'init', args: { parameters: THREE_NODES } } }],
      accounts: [
        ...NODES.map((accountId, index) => ({ accountId, balance: 100n * NEAR, publicKeys: [nodeKeys[index]!.getPublicKey().toString()] })),
        { accountId: USER, balance: 100n * NEAR, publicKeys: [userKey.getPublicKey().toString()] },
      ],
    });
    const nodes = NODES.map((accountId, index) => new LocalSigner(devnet.chain, accountId, nodeKeys[index]!));
    await bringUpSigner(nodes, SIGNER_ACCOUNT, ['Secp256k1', 'Ed25519']);
    responder = nodes[1]!;
  });

  afterAll(async () => {
    await devnet?.stop();
  });

  it('signs an ECDSA hash and prints the request, the derived key, the response JSON and the latency', async () => {
    const payload = sha256(utf8ToBytes('transfer 1 ETH'));
    const [result, response] = await Promise.all([chainsig('--domain', '0', '--path', 'my-path', '--payload', bytesToHex(payload)), respondWhenPending('Secp256k1', 'my-path', payload)]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const derived = new TextDecoder().decode(devnet.chain.callView(SIGNER_ACCOUNT, 'derived_public_key', utf8ToBytes(JSON.stringify({ path: 'my-path', predecessor: USER, domain_id: 0 }))).result);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      `request:     sign on ${SIGNER_ACCOUNT} as ${USER}: domain 0 (Secp256k1), path "my-path", payload ${bytesToHex(payload)}`,
      '             deposit 1 yoctoNEAR, gas 50 Tgas',
      `derived key: ${JSON.parse(derived)} (root ${rootPublicKey('Secp256k1')})`,
      `response:    ${JSON.stringify(response)}`,
      'verified:    the Secp256k1 signature verifies under the derived key',
      expect.stringMatching(/^latency: {5}\d+(\.\d)? ms$/),
    ]);
  });

  it('signs an Ed25519 message with --json, printing the record npm start --json writes', async () => {
    const message = utf8ToBytes('a Solana transaction, say');
    const [result, response] = await Promise.all([
      chainsig('--domain', '1', '--path', 'solana-1', '--payload', bytesToHex(message), '--deposit', '1000', '--gas', '20', '--json'),
      respondWhenPending('Ed25519', 'solana-1', message),
    ]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const record = JSON.parse(result.stdout);
    expect(Object.keys(record)).toEqual(['domain_id', 'scheme', 'predecessor', 'path', 'payload_hex', 'root_public_key', 'derived_public_key', 'response', 'latency_ms']);
    expect(record).toMatchObject({ domain_id: 1, scheme: 'Ed25519', predecessor: USER, path: 'solana-1', payload_hex: bytesToHex(message), root_public_key: rootPublicKey('Ed25519'), response });
  });

  it('exits 1 with the contract error when the contract refuses the request', async () => {
    const result = await chainsig('--domain', '0', '--path', 'my-path', '--payload', 'ff'.repeat(32));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    // near/mpc's text, word for word: the payload is not below the secp256k1 group order.
    expect(result.stderr).toBe('chainsig: sign on signer.near as user.near failed: Ecdsa payload cannot be converted to Scalar\n');
  });

  it('exits 1 with the contract timeout error, explained, when nobody answers', async () => {
    const result = await chainsig('--domain', '0', '--path', 'unanswered', '--payload', bytesToHex(sha256(utf8ToBytes('nobody answers'))));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'chainsig: sign on signer.near as user.near failed: Request has timed out. (no MPC node answered before the yield timed out, 200 blocks on NEAR; the signer kept the 1 yoctoNEAR sign deposit, the rest of the deposit came back when the request was accepted)\n',
    );
  });

  it('exits 1 when --timeout-seconds passes before the result', async () => {
    const payload = bytesToHex(sha256(utf8ToBytes('too slow for the caller')));
    const request = { tweak: tweakBytes(USER, 'impatient'), payload: { Ecdsa: payload }, domain_id: 0 };
    const result = await chainsig('--domain', '0', '--path', 'impatient', '--payload', payload, '--timeout-seconds', '0.05');
    expect(result).toEqual({ code: 1, stdout: '', stderr: `chainsig: no result from ${SIGNER_ACCOUNT} within 0.05 s; the request may still be answered or time out on chain\n` });
    // Let the abandoned request time out on chain before the chain stops.
    const args = utf8ToBytes(JSON.stringify({ request }));
    const settled = () => new TextDecoder().decode(devnet.chain.callView(SIGNER_ACCOUNT, 'get_pending_request', args).result) === 'null';
    await devnet.waitForHeight(devnet.chain.head().header.height + YIELD_TIMEOUT_BLOCKS + 5, WAIT_MS);
    expect(settled()).toBe(true);
  });
});
