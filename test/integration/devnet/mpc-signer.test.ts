// The project's MPC signer contract hosted by the devnet chain: a user's `sign` through the real
// NEAR client yields, a participant's `respond` resumes it, and the user's call returns the
// signature — the round trip the MPC network performs, with a test root key standing in for it.
import { Account } from '@near-js/accounts';
import { KeyPair } from '@near-js/crypto';
import { JsonRpcProvider } from '@near-js/providers';
import { KeyPairSigner } from '@near-js/signers';
import { actionCreators } from '@near-js/transactions';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { mpcSignerContract } from '../../../contract/mpc-signer/contract.js';
import { NODES, SIGNER_ACCOUNT, THREE_NODES, ecdsaResponse, rootPublicKey, tweakHex } from '../../../contract/testing/mpc-fixtures.js';
import { LocalSigner, startDevnetChain, type RunningDevnetChain } from '../../../services/devnet/chain/index.js';

const TGAS = 10n ** 12n;
const NEAR = 10n ** 24n;
const WAIT_MS = 30_000;
const PATH = 'ethereum-1';
const PAYLOAD = sha256(utf8ToBytes('transfer 1 ETH'));

describe('MPC signer contract on the devnet chain', () => {
  let devnet: RunningDevnetChain;
  const nodeKeys = NODES.map(() => KeyPair.fromRandom('ed25519'));
  let nodes: LocalSigner[];

  async function call(signer: LocalSigner, methodName: string, args: object): Promise<void> {
    const result = await signer.execute(SIGNER_ACCOUNT, [actionCreators.functionCall(methodName, args, 100n * TGAS, 0n)], WAIT_MS);
    if (result.status.kind === 'Failure') throw new Error(`${methodName} failed: ${JSON.stringify(result.status.error)}`);
  }

  beforeAll(async () => {
    devnet = await startDevnetChain({
      blockTimeMs: 20,
      contracts: [{ accountId: SIGNER_ACCOUNT, definition: mpcSignerContract, init: { methodName: 'init', args: { parameters: THREE_NODES } } }],
      accounts: NODES.map((accountId, index) => ({ accountId, balance: 100n * NEAR, publicKeys: [nodeKeys[index]!.getPublicKey().toString()] })),
    });
    nodes = NODES.map((accountId, index) => new LocalSigner(devnet.chain, accountId, nodeKeys[index]!));
    for (const node of nodes) await call(node, 'vote_add_domains', { domains: [{ id: 0, scheme: 'Secp256k1', purpose: 'Sign' }] });
    const keyEventId = { epoch_id: 0, domain_id: 0, attempt_id: 0 };
    await call(nodes[0]!, 'start_keygen_instance', { key_event_id: keyEventId });
    for (const node of nodes) await call(node, 'vote_pk', { key_event_id: keyEventId, public_key: rootPublicKey('Secp256k1') });
  });

  afterAll(async () => {
    await devnet?.stop();
  });

  it('returns the signature to the user once a participant responds', async () => {
    const provider = new JsonRpcProvider({ url: devnet.rpcUrl });
    const { keyPair } = await devnet.createAccount('alice.devnet');
    const user = new Account('alice.devnet', provider, new KeyPairSigner(keyPair));
    const signing = user.callFunction({
      contractId: SIGNER_ACCOUNT,
      methodName: 'sign',
      args: { request: { path: PATH, payload_v2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: 0 } },
      deposit: 1n,
      gas: 50n * TGAS,
    });
    const request = { tweak: tweakHex('alice.devnet', PATH), payload: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: 0 };
    for (let attempt = 0; (await provider.callFunction(SIGNER_ACCOUNT, 'get_pending_request', { request })) === null; attempt += 1) {
      if (attempt > 500) throw new Error('the sign request never became pending');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const response = ecdsaResponse('alice.devnet', PATH, PAYLOAD);
    await call(nodes[1]!, 'respond', { request, response });
    expect(await signing).toEqual(response);
  });
});
