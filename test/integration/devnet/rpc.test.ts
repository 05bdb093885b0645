// Acceptance for the devnet chain's JSON-RPC: the real @near-js client (JsonRpcProvider, Account,
// KeyPairSigner) drives view calls, deposits and refunds, cross-contract callbacks and yield/resume
// with a timeout; malformed and invalid transactions get nearcore's errors and the chain keeps going.
import { Account } from '@near-js/accounts';
import { KeyPair } from '@near-js/crypto';
import { JsonRpcProvider } from '@near-js/providers';
import { KeyPairSigner } from '@near-js/signers';
import { actionCreators, createTransaction, encodeTransaction } from '@near-js/transactions';
import { baseDecode } from '@near-js/utils';
import * as nearApi from 'near-api-js';
import { AccountDoesNotExistError, ContractCodeDoesNotExistError, ContractMethodNotFoundError, InvalidNonceError, InvalidSignatureError, RpcRequestParseError } from 'near-api-js/rpc-errors';
import { startDevnetChain, type RunningDevnetChain } from '../../../services/devnet/chain/index.js';
import { callerContract, storeContract, yieldContract } from '../../../services/devnet/test-contracts/index.js';

const NEAR = 10n ** 24n;
const TGAS = 10n ** 12n;
const BLOCK_TIME_MS = 20;

describe('devnet JSON-RPC with the real NEAR client', () => {
  let devnet: RunningDevnetChain;
  let provider: JsonRpcProvider;
  let alice: Account;
  let bob: Account;
  let aliceKey: KeyPair;

  beforeAll(async () => {
    devnet = await startDevnetChain({
      blockTimeMs: BLOCK_TIME_MS,
      contracts: [
        { accountId: 'store.devnet', definition: storeContract },
        { accountId: 'caller.devnet', definition: callerContract },
        { accountId: 'yield.devnet', definition: yieldContract },
      ],
    });
    provider = new JsonRpcProvider({ url: devnet.rpcUrl }, { retries: 3, wait: 50, backoff: 1.5 });
    const createdAlice = await devnet.createAccount('alice.devnet', { balance: 50n * NEAR });
    const createdBob = await devnet.createAccount('bob.devnet', { balance: 50n * NEAR, keyPair: KeyPair.fromRandom('secp256k1') });
    aliceKey = createdAlice.keyPair;
    alice = new Account('alice.devnet', provider, new KeyPairSigner(createdAlice.keyPair));
    bob = new Account('bob.devnet', provider, new KeyPairSigner(createdBob.keyPair));
  });

  afterAll(async () => {
    await devnet?.stop();
  });

  it('answers status, block and view_account like a NEAR node', async () => {
    const status = await provider.status();
    expect(status.chain_id).toBe('devnet');
    const block = await provider.block({ finality: 'final' });
    expect(block.header.height).toBeGreaterThan(0);
    const byHeight = await provider.block({ blockId: block.header.height });
    expect(byHeight.header.hash).toBe(block.header.hash);
    const state = await alice.getState();
    expect(state.balance.total).toBeGreaterThan(49n * NEAR);
  });

  it('serves view calls', async () => {
    await alice.callFunction({ contractId: 'store.devnet', methodName: 'set', args: { key: 'color', value: 'blue' } });
    expect(await provider.callFunction('store.devnet', 'get', { key: 'color' })).toBe('blue');
    expect(await provider.callFunction('store.devnet', 'get', { key: 'missing' })).toBeNull();
  });

  it('keeps an accepted deposit and refunds the deposit of a failed call', async () => {
    const contractBefore = (await provider.viewAccount('store.devnet')).amount;
    const accepted = await alice.callFunction({ contractId: 'store.devnet', methodName: 'deposit', args: {}, deposit: 2n * NEAR });
    expect(accepted).toEqual({ received: (2n * NEAR).toString(), balance: (contractBefore + 2n * NEAR).toString() });

    const aliceBefore = (await provider.viewAccount('alice.devnet')).amount;
    await expect(alice.callFunction({ contractId: 'store.devnet', methodName: 'set_then_panic', args: { key: 'k', value: 'v' }, deposit: 3n * NEAR })).rejects.toThrow(
      /refusing after write/,
    );
    // The refund is a receipt of its own; the client returned once all receipts executed.
    const aliceAfter = (await provider.viewAccount('alice.devnet')).amount;
    expect(aliceBefore - aliceAfter).toBeLessThan(NEAR / 100n);
    expect((await provider.viewAccount('store.devnet')).amount).toBe(contractBefore + 2n * NEAR);
    expect(await provider.callFunction('store.devnet', 'get', { key: 'k' })).toBeNull();
  });

  it('runs a cross-contract call whose callback sees the result', async () => {
    await alice.callFunction({ contractId: 'store.devnet', methodName: 'set', args: { key: 'answer', value: '42' } });
    const outcome = await alice.callFunctionRaw({ contractId: 'caller.devnet', methodName: 'call', args: { target: 'store.devnet', method: 'get', args: { key: 'answer' } }, gas: 100n * TGAS });
    expect(JSON.parse(Buffer.from((outcome.status as { SuccessValue: string }).SuccessValue, 'base64').toString())).toEqual({ ok: true, value: '"42"' });
    const executors = outcome.receipts_outcome.map((receipt) => receipt.outcome.executor_id);
    expect(executors).toEqual(expect.arrayContaining(['caller.devnet', 'store.devnet']));
    expect(outcome.receipts_outcome.flatMap((receipt) => receipt.outcome.logs)).toContain('store.devnet.get successful');
    const withReceipts = (await provider.txStatusReceipts(outcome.transaction_outcome.id, 'alice.devnet', 'FINAL')) as unknown as { receipts: { receiver_id: string }[] };
    expect(withReceipts.receipts.map((receipt) => receipt.receiver_id)).toEqual(expect.arrayContaining(['caller.devnet', 'store.devnet']));
  });

  it('resumes a yielded call when another account responds', async () => {
    const request = alice.callFunction({ contractId: 'yield.devnet', methodName: 'request', args: { label: 'resume-me' }, gas: 50n * TGAS });
    for (let attempt = 0; !(await provider.callFunction('yield.devnet', 'pending', { label: 'resume-me' })); attempt += 1) {
      if (attempt > 200) throw new Error('the request never became pending');
      await new Promise((resolve) => setTimeout(resolve, BLOCK_TIME_MS));
    }
    expect(await bob.callFunction({ contractId: 'yield.devnet', methodName: 'respond', args: { label: 'resume-me', answer: 'signed' } })).toEqual({ resumed: true });
    expect(await request).toEqual({ answer: 'signed' });
  });

  it('times a yielded call out after 200 blocks; the callback gets a failed result', async () => {
    const outcome = await alice.signAndSendTransaction({
      receiverId: 'yield.devnet',
      actions: [actionCreators.functionCall('request', { label: 'nobody-answers' }, 50n * TGAS, 0n)],
      throwOnFailure: false,
    });
    expect(outcome.status).toEqual({
      Failure: { ActionError: { index: 0, kind: { FunctionCallError: { ExecutionError: 'Smart contract panicked: request nobody-answers timed out' } } } },
    });
    // nearcore's outcome views carry `block_hash`; @near-js's type leaves it out.
    const blockOf = (view: unknown): string => (view as { block_hash: string }).block_hash;
    const included = await provider.block({ blockId: blockOf(outcome.transaction_outcome) });
    const callback = await provider.block({ blockId: blockOf(outcome.receipts_outcome.at(-1)) });
    expect(callback.header.height - included.header.height).toBeGreaterThanOrEqual(200);
  });

  describe('bad transactions', () => {
    async function signed(nonceOffset: bigint, signerId = 'alice.devnet', key = aliceKey): Promise<Uint8Array> {
      const accessKey = await provider.viewAccessKey('alice.devnet', aliceKey.getPublicKey()).catch(() => ({ nonce: 0n }));
      const block = await provider.block({ finality: 'final' });
      const transaction = createTransaction(signerId, key.getPublicKey(), 'bob.devnet', accessKey.nonce + nonceOffset, [actionCreators.transfer(1n)], baseDecode(block.header.hash));
      const [, signedTransaction] = await new KeyPairSigner(key).signTransaction(transaction);
      return encodeTransaction(signedTransaction);
    }
    const send = (bytes: Uint8Array): Promise<unknown> => provider.sendJsonRpc('send_tx', { signed_tx_base64: Buffer.from(bytes).toString('base64'), wait_until: 'EXECUTED_OPTIMISTIC' });
    const rawRpc = async (body: string): Promise<{ status: number; body: { error: { name: string; cause: { name: string } } } }> => {
      const response = await fetch(devnet.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: response.status, body: (await response.json()) as never };
    };

    it('refuses a bad signature with InvalidSignature', async () => {
      const bytes = await signed(1n);
      bytes[bytes.length - 2] ^= 0x01;
      await expect(send(bytes)).rejects.toMatchObject({ type: 'InvalidSignature' });
    });

    it('refuses a stale nonce with InvalidNonce', async () => {
      await expect(send(await signed(0n))).rejects.toMatchObject({ type: 'InvalidNonce' });
    });

    it('refuses an unknown signer and reports unknown accounts', async () => {
      await expect(send(await signed(1n, 'ghost.devnet'))).rejects.toMatchObject({ type: 'SignerDoesNotExist' });
      await expect(provider.viewAccount('ghost.devnet')).rejects.toMatchObject({ type: 'AccountDoesNotExist' });
      await expect(provider.viewAccessKey('alice.devnet', KeyPair.fromRandom('ed25519').getPublicKey())).rejects.toMatchObject({ type: 'AccessKeyDoesNotExist' });
      await expect(provider.callFunction('store.devnet', 'no_such_method', {})).rejects.toMatchObject({ type: 'MethodNotFound' });
    });

    it('answers malformed base64, borsh and JSON with request validation errors', async () => {
      const badBase64 = await rawRpc(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'send_tx', params: { signed_tx_base64: 'not base64!' } }));
      expect(badBase64.status).toBe(400);
      expect(badBase64.body.error).toMatchObject({ name: 'REQUEST_VALIDATION_ERROR', cause: { name: 'PARSE_ERROR' }, code: -32700 });
      const badBorsh = await rawRpc(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'broadcast_tx_commit', params: [Buffer.from('garbage').toString('base64')] }));
      expect(badBorsh.body.error).toMatchObject({ name: 'REQUEST_VALIDATION_ERROR', cause: { name: 'PARSE_ERROR' } });
      const badJson = await rawRpc('{"jsonrpc":"2.0","method":');
      expect(badJson.status).toBe(400);
      expect(badJson.body.error).toMatchObject({ name: 'REQUEST_VALIDATION_ERROR', cause: { name: 'PARSE_ERROR' } });
      const unknownMethod = await rawRpc(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'no_such_method', params: [] }));
      expect(unknownMethod.body.error).toMatchObject({ name: 'REQUEST_VALIDATION_ERROR', cause: { name: 'METHOD_NOT_FOUND' } });
      await expect(provider.sendJsonRpc('send_tx', { signed_tx_base64: '%%%' })).rejects.toThrow();
    });

    it('keeps producing blocks and accepting good transactions afterwards', async () => {
      const before = (await provider.status()).sync_info.latest_block_height;
      const outcome = await alice.transfer({ receiverId: 'bob.devnet', amount: 1n });
      expect(outcome.status).toEqual({ SuccessValue: '' });
      expect((await provider.status()).sync_info.latest_block_height).toBeGreaterThan(before);
      const hash = await provider.sendJsonRpc<string>('broadcast_tx_async', [Buffer.from(await signed(1n)).toString('base64')]);
      const status = await provider.txStatus(hash, 'alice.devnet', 'EXECUTED_OPTIMISTIC');
      expect(status.status).toEqual({ SuccessValue: '' });
    });
  });

  describe('with near-api-js 7.2.0 (its own RPC types and typed errors)', () => {
    let client: nearApi.JsonRpcProvider;
    let carol: nearApi.Account;
    let carolKey: nearApi.KeyPair;

    beforeAll(async () => {
      client = new nearApi.JsonRpcProvider({ url: devnet.rpcUrl });
      carolKey = nearApi.KeyPair.fromRandom('ed25519');
      await devnet.createAccount('carol.devnet', { keyPair: KeyPair.fromString(carolKey.toString()) });
      carol = new nearApi.Account('carol.devnet', client, new nearApi.KeyPairSigner(carolKey));
    });

    it('calls, views and keeps deposits', async () => {
      await carol.callFunction({ contractId: 'store.devnet', methodName: 'set', args: { key: 'via', value: 'near-api-js' } });
      expect(await client.callFunction({ contractId: 'store.devnet', method: 'get', args: { key: 'via' } })).toBe('near-api-js');
      expect(await carol.callFunction({ contractId: 'store.devnet', methodName: 'deposit', args: {}, deposit: 7n })).toMatchObject({ received: '7' });
      const crossContract = await carol.callFunction({ contractId: 'caller.devnet', methodName: 'call', args: { target: 'store.devnet', method: 'get', args: { key: 'via' } }, gas: 100n * TGAS });
      expect(crossContract).toEqual({ ok: true, value: '"near-api-js"' });
    });

    it('maps the devnet errors to its typed error classes', async () => {
      await expect(client.viewAccount({ accountId: 'ghost.devnet' })).rejects.toBeInstanceOf(AccountDoesNotExistError);
      await expect(client.callFunction({ contractId: 'store.devnet', method: 'nope', args: {} })).rejects.toBeInstanceOf(ContractMethodNotFoundError);
      await expect(client.callFunction({ contractId: 'carol.devnet', method: 'get', args: {} })).rejects.toBeInstanceOf(ContractCodeDoesNotExistError);
      const carolNonce = (await client.viewAccessKey({ accountId: 'carol.devnet', publicKey: carolKey.getPublicKey() })).nonce;
      const block = await client.viewBlock({ finality: 'final' });
      const stale = createTransaction('carol.devnet', KeyPair.fromString(carolKey.toString()).getPublicKey(), 'bob.devnet', BigInt(carolNonce), [actionCreators.transfer(1n)], baseDecode(block.header.hash));
      const [, staleSigned] = await new KeyPairSigner(KeyPair.fromString(carolKey.toString())).signTransaction(stale);
      const staleBytes = encodeTransaction(staleSigned);
      const sendRaw = (bytes: Uint8Array): Promise<unknown> => client.sendJsonRpc('send_tx', { signed_tx_base64: Buffer.from(bytes).toString('base64'), wait_until: 'EXECUTED_OPTIMISTIC' } as never);
      await expect(sendRaw(staleBytes)).rejects.toBeInstanceOf(InvalidNonceError);
      const forged = staleBytes.slice();
      forged[forged.length - 1] ^= 0x01;
      await expect(sendRaw(forged)).rejects.toBeInstanceOf(InvalidSignatureError);
      await expect(client.sendJsonRpc('send_tx', { signed_tx_base64: 'not base64!' } as never)).rejects.toBeInstanceOf(RpcRequestParseError);
    });
  });
});
