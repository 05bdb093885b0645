// near/mpc's published signer contract (3.14.0, mainnet; 3.14.1, testnet) runs on the devnet as wasm,
// deployed with near-api-js through the devnet's JSON-RPC: version, init with three participants,
// their participant info (mock attestations), two domains through the contract's key-event flow, a
// user's `sign` that yields and shows up in get_pending_request and in the Lake shard exactly as the
// lake indexer reads it, and its timeout with the contract's own message and deposit handling. A
// TypeScript contract calls the wasm signer and gets its answer in a callback.
//
// No MPC nodes run here: the participants vote keys the test makes up (the contract only checks that
// every participant votes the same key). Signing through real nodes is the conformance suite's work.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { KeyPair } from '@near-js/crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { base58 } from '@scure/base';
import * as nearApi from 'near-api-js';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deriveTweak } from '../../../shared/crypto/kdf.js';
import { parseLakeShard } from '../../../shared/near/lake-parser.js';
import { lakeBlockFolder } from '../../../shared/near/lake-types.js';
import { extractSignActivity } from '../../../shared/near/sign-request.js';
import { startDevnetChain, type RunningDevnetChain } from '../../../services/devnet/chain/index.js';
import { startLakeWriter, type RunningLakeWriter } from '../../../services/devnet/lake/index.js';
import { callerContract } from '../../../services/devnet/test-contracts/index.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';

const NEAR = 10n ** 24n;
const TGAS = 10n ** 12n;
const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/near-mpc/', import.meta.url));
const YIELD_TIMEOUT_BLOCKS = 12;
const WAIT_MS = 30_000;
const PARTICIPANTS = ['node0.devnet', 'node1.devnet', 'node2.devnet'] as const;
const SIGNER = 'signer.devnet';
const PAYLOAD = '3a'.repeat(32);
/** What the user attaches to `sign`: the contract keeps 1 yoctoNEAR and refunds the rest at once. */
const SIGN_DEPOSIT = 5n * 10n ** 21n;

describe.each([
  ['3.14.0', 'signer-3_14_0.wasm'],
  ['3.14.1', 'signer-3_14_1.wasm'],
])('near/mpc signer %s as wasm on the devnet', (version, file) => {
  const local = localAwsFromEnvironment();
  const s3 = new S3Client({ region: local.region, endpoint: local.s3, forcePathStyle: true });
  const bucket = `lake-wasm-${randomUUID().slice(0, 8)}`;
  let devnet: RunningDevnetChain;
  let writer: RunningLakeWriter;
  let provider: nearApi.JsonRpcProvider;
  let user: nearApi.Account;
  let nodes: nearApi.Account[];
  const tlsKeys = PARTICIPANTS.map(() => `ed25519:${base58.encode(ed25519.getPublicKey(ed25519.utils.randomSecretKey()))}`);

  const account = async (accountId: string, balance: bigint): Promise<nearApi.Account> => {
    const keyPair = nearApi.KeyPair.fromRandom('ed25519');
    await devnet.createAccount(accountId, { balance, keyPair: KeyPair.fromString(keyPair.toString()) });
    return new nearApi.Account(accountId, provider, new nearApi.KeyPairSigner(keyPair));
  };
  const view = <T>(method: string, args: unknown = {}): Promise<T> => provider.callFunction({ contractId: SIGNER, method, args: args as Record<string, unknown> }) as Promise<T>;
  const participantCall = async (caller: nearApi.Account, method: string, args: unknown): Promise<void> => {
    const outcome = await caller.callFunctionRaw({ contractId: SIGNER, methodName: method, args: args as Record<string, unknown>, gas: 300n * TGAS });
    expect({ method, status: outcome.status }).toEqual({ method, status: { SuccessValue: expect.any(String) } });
  };
  const stateKind = async (): Promise<string> => Object.keys(await view<Record<string, unknown>>('state'))[0]!;

  beforeAll(async () => {
    devnet = await startDevnetChain({ blockTimeMs: 25, yieldTimeoutBlocks: YIELD_TIMEOUT_BLOCKS, contracts: [{ accountId: 'caller.devnet', definition: callerContract }] });
    writer = await startLakeWriter({ chain: devnet.chain, s3, bucket });
    provider = new nearApi.JsonRpcProvider({ url: devnet.rpcUrl });
    nodes = await Promise.all(PARTICIPANTS.map((accountId) => account(accountId, 10n * NEAR)));
    user = await account('user.devnet', 10n * NEAR);
    const deployer = await account(SIGNER, 40n * NEAR);
    await deployer.deployContract(new Uint8Array(readFileSync(`${FIXTURES}${file}`)));
  });

  afterAll(async () => {
    await writer?.stop();
    await devnet?.stop();
  });

  it('answers its version; init with three participants makes it Running with their info', async () => {
    expect(await view('version')).toBe(version);
    const parameters = {
      threshold: 2,
      participants: { next_id: PARTICIPANTS.length, participants: PARTICIPANTS.map((accountId, id) => [accountId, id, { url: `http://127.0.0.1:${9100 + id}`, tls_public_key: tlsKeys[id] }]) },
    };
    await participantCall(nodes[0]!, 'init', { parameters });
    const state = await view<{ Running: { parameters: unknown; domains: unknown; keyset: unknown } }>('state');
    expect(state.Running).toMatchObject({ parameters, domains: { domains: [], next_domain_id: 0 }, keyset: { epoch_id: 0, domains: [] } });
  });

  it('takes mock attestations and, with every participant voting, moves to Initializing for a Secp256k1 and an Ed25519 domain', async () => {
    for (const [index, node] of nodes.entries()) await participantCall(node, 'submit_participant_info', { proposed_participant_attestation: { Mock: 'Valid' }, tls_public_key: tlsKeys[index] });
    const domains = [
      { id: 0, protocol: 'CaitSith', purpose: 'Sign', reconstruction_threshold: 2 },
      { id: 1, protocol: 'Frost', purpose: 'Sign', reconstruction_threshold: 2 },
    ];
    for (const node of nodes) await participantCall(node, 'vote_add_domains', { domains });
    const state = await view<{ Initializing?: { domains: unknown; generating_key: { domain: unknown } } }>('state');
    expect(state.Initializing).toMatchObject({ domains: { domains, next_domain_id: 2 }, generating_key: { domain: domains[0] } });
  });

  it('finishes both key events through start_keygen_instance and vote_pk and runs again', async () => {
    const keys = [`secp256k1:${base58.encode(secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false).subarray(1))}`, `ed25519:${base58.encode(ed25519.getPublicKey(ed25519.utils.randomSecretKey()))}`];
    for (const [domainId, key] of keys.entries()) {
      const keyEventId = { epoch_id: 0, domain_id: domainId, attempt_id: 0 };
      await participantCall(nodes[0]!, 'start_keygen_instance', { key_event_id: keyEventId });
      for (const node of nodes) await participantCall(node, 'vote_pk', { key_event_id: keyEventId, public_key: key });
    }
    expect(await stateKind()).toBe('Running');
    expect(await view('public_key', { domain_id: 0 })).toBe(keys[0]);
  });

  it('yields on a user sign: the request is pending and in the Lake shard as the indexer reads it; it times out with the contract\'s message, keeping 1 yoctoNEAR', async () => {
    const signerBalance = async (): Promise<bigint> => BigInt((await provider.viewAccount({ accountId: SIGNER })).amount);
    const before = await signerBalance();
    // Sent without waiting for the result, which comes only when the yield ends.
    const signArgs = { request: { path: 'wasm-path', payload_v2: { Ecdsa: PAYLOAD }, domain_id: 0 } };
    const signed = await user.createSignedTransaction({ receiverId: SIGNER, actions: [nearApi.actions.functionCall('sign', signArgs, 15n * TGAS, SIGN_DEPOSIT)] });
    const hash = base58.encode(sha256(signed.transaction.encode()));
    await provider.sendTransactionUntil(signed, 'INCLUDED');
    // Wait for the sign receipt itself, then read its block's shard as the lake indexer would.
    const signReceipt = (): string | undefined => {
      const result = devnet.chain.transactionResult(hash);
      return result.phase === 'included' ? result.outcome.receiptIds[0] : undefined;
    };
    expect(await devnet.chain.waitFor(() => signReceipt() !== undefined && devnet.chain.receiptOutcome(signReceipt()!) !== undefined, WAIT_MS)).toBe(true);
    const signReceiptId = signReceipt()!;
    const signOutcome = devnet.chain.receiptOutcome(signReceiptId)!;
    expect(signOutcome.status.kind).toBe('SuccessReceiptId');
    const requestId = signOutcome.status.kind === 'SuccessReceiptId' ? signOutcome.status.receiptId : '';
    const height = devnet.chain.blockByHash(signOutcome.blockHash)!.header.height;
    expect(await writer.waitForHeight(height, WAIT_MS)).toBe(true);
    const key = `${lakeBlockFolder(height)}/shard_0.json`;
    const shardJson = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
    const activity = extractSignActivity(parseLakeShard(shardJson, { source: key, maxBytes: 10_000_000 }), SIGNER);
    const tweak = Buffer.from(deriveTweak('user.devnet', 'wasm-path')).toString('hex');
    expect(activity.unreadable).toEqual([]);
    expect(activity.signCalls).toEqual([
      expect.objectContaining({ requestId, signReceiptId, predecessorId: 'user.devnet', signerId: 'user.devnet', argsForm: 'v2', path: 'wasm-path', domainId: 0, payload: { scheme: 'Ecdsa', hex: PAYLOAD }, tweak }),
    ]);
    // The contract keys its pending requests by (tweak, payload, domain); the indexer's tweak finds it.
    const request = { tweak: [...Buffer.from(activity.signCalls[0]!.tweak, 'hex')], payload: { Ecdsa: PAYLOAD }, domain_id: 0 };
    expect(await view('get_pending_request', { request })).toEqual({ data_id: expect.any(Array) });
    expect(await view('get_pending_request', { request: { ...request, domain_id: 1 } })).toBeNull();
    // The excess came back with the call; 1 yoctoNEAR stays with the contract.
    expect(await devnet.chain.waitFor(() => devnet.chain.transactionResult(hash).phase === 'included' && (devnet.chain.transactionResult(hash) as { complete: boolean }).complete, WAIT_MS)).toBe(true);
    const result = devnet.chain.transactionResult(hash);
    expect(result.phase === 'included' && result.status).toEqual({ kind: 'Failure', error: { ActionError: { index: 0, kind: { FunctionCallError: { ExecutionError: 'Smart contract panicked: Request has timed out.' } } } } });
    expect((await signerBalance()) - before).toBe(1n);
    expect(await view('get_pending_request', { request })).toBeNull();
    // The timeout ran the callback, which the indexer records as the request's end.
    const callbackHeight = devnet.chain.blockByHash(devnet.chain.receiptOutcome(requestId)!.blockHash)!.header.height;
    expect(await writer.waitForHeight(callbackHeight, WAIT_MS)).toBe(true);
    const callbackKey = `${lakeBlockFolder(callbackHeight)}/shard_0.json`;
    const callbackShard = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: callbackKey }))).Body!.transformToString();
    expect(extractSignActivity(parseLakeShard(callbackShard, { source: callbackKey, maxBytes: 10_000_000 }), SIGNER).completions).toEqual([expect.objectContaining({ requestId, outcome: 'timed_out' })]);
  });

  it('refuses a sign without enough gas with the contract\'s own error, refunding the deposit', async () => {
    const before = BigInt((await provider.viewAccount({ accountId: SIGNER })).amount);
    const call = user.callFunctionRaw({ contractId: SIGNER, methodName: 'sign', args: { request: { path: 'p', payload_v2: { Ecdsa: PAYLOAD }, domain_id: 0 } }, deposit: SIGN_DEPOSIT, gas: 10n * TGAS });
    await expect(call).rejects.toThrow('Provided gas is lower than required. Provided: 10000000000000, required: 15000000000000');
    expect(BigInt((await provider.viewAccount({ accountId: SIGNER })).amount)).toBe(before);
  });

  it('is called by a TypeScript contract, which gets the answer in its callback', async () => {
    expect(await user.callFunction({ contractId: 'caller.devnet', methodName: 'call', args: { target: SIGNER, method: 'version' }, gas: 100n * TGAS })).toEqual({ ok: true, value: JSON.stringify(version) });
  });
});
