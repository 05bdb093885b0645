import { jest } from '@jest/globals';
import { KeyPair } from '@near-js/crypto';
import { actionCreators } from '@near-js/transactions';
import { callerContract, storeContract, testContracts, yieldContract } from '../test-contracts/index.js';
import { DevnetChain, defaultChainConfig, type ChainConfig } from './chain.js';
import { failureOf, json, run, settle, text, valueOf } from './chain-testing.js';
import { ContractViewError, NoContractCodeError } from './errors.js';
import { GAS_PRICE, TERA_GAS } from './gas.js';
import { LocalSigner } from './local-signer.js';
import { readSignedTransaction } from './transaction.js';
import type { NearErrorJson } from './types.js';

const NEAR = 10n ** 24n;
const { functionCall, transfer, createAccount, addKey, fullAccessKey, functionCallAccessKey, deployContract } = actionCreators;

interface Fixture {
  chain: DevnetChain;
  alice: LocalSigner;
  bob: LocalSigner;
}

function openChain(overrides: Partial<ChainConfig> = {}): Fixture {
  const aliceKey = KeyPair.fromRandom('ed25519');
  const bobKey = KeyPair.fromRandom('secp256k1');
  const chain = DevnetChain.open({
    config: defaultChainConfig({ yieldTimeoutBlocks: 5, ...overrides }),
    library: testContracts,
    genesis: {
      accounts: [
        { accountId: 'devnet', balance: 1_000n * NEAR },
        { accountId: 'alice.devnet', balance: 100n * NEAR, publicKeys: [aliceKey.getPublicKey().toString()] },
        { accountId: 'bob.devnet', balance: 100n * NEAR, publicKeys: [bobKey.getPublicKey().toString()] },
        { accountId: 'store.devnet', balance: 10n * NEAR, contract: storeContract.name },
        { accountId: 'caller.devnet', balance: 10n * NEAR, contract: callerContract.name },
        { accountId: 'yield.devnet', balance: 10n * NEAR, contract: yieldContract.name },
        // 0.002 NEAR stakes 200 bytes of storage.
        { accountId: 'poor.devnet', balance: 2n * 10n ** 21n, contract: storeContract.name },
      ],
    },
  });
  return { chain, alice: new LocalSigner(chain, 'alice.devnet', aliceKey), bob: new LocalSigner(chain, 'bob.devnet', bobKey) };
}

const balance = (chain: DevnetChain, accountId: string): bigint => chain.account(accountId).account.amount;

/** Every yoctoNEAR is in an account or was burnt as gas: the sum of balances is the total supply. */
function expectSupplyConserved(chain: DevnetChain): void {
  const accounts = ['devnet', 'alice.devnet', 'bob.devnet', 'store.devnet', 'caller.devnet', 'yield.devnet', 'poor.devnet', 'carol.alice.devnet'];
  const sum = accounts.reduce((total, accountId) => {
    try {
      return total + balance(chain, accountId);
    } catch {
      return total;
    }
  }, 0n);
  expect(sum).toBe(chain.head().header.totalSupply);
}

describe('devnet chain core', () => {
  it('transfers with a real signed transaction, charging gas and refunding what is unused', async () => {
    const { chain, alice } = openChain();
    const before = balance(chain, 'alice.devnet');
    const result = await run(chain, alice, 'bob.devnet', [transfer(5n * NEAR)]);
    expect(result.status).toEqual({ kind: 'SuccessValue', value: new Uint8Array() });
    expect(result.outcome.status).toEqual({ kind: 'SuccessReceiptId', receiptId: result.outcome.receiptIds[0] });
    expect(balance(chain, 'bob.devnet')).toBe(105n * NEAR);
    const burnt = result.outcome.tokensBurnt + result.receiptOutcomes.reduce((sum, outcome) => sum + outcome.tokensBurnt, 0n);
    expect(before - balance(chain, 'alice.devnet')).toBe(5n * NEAR + burnt);
    expect(chain.accessKey('alice.devnet', alice.publicKey).nonce).toBeGreaterThan(0n);
    expectSupplyConserved(chain);
  });

  it('verifies secp256k1 signatures too', async () => {
    const { chain, bob } = openChain();
    await run(chain, bob, 'alice.devnet', [transfer(1n)]);
    expect(balance(chain, 'alice.devnet')).toBe(100n * NEAR + 1n);
  });

  it('rejects a bad signature, a stale nonce, an unknown signer and an unknown key with NEAR InvalidTxError values', async () => {
    const { chain, alice } = openChain();
    const signed = await alice.sign('bob.devnet', [transfer(1n)]);
    const tampered = signed.slice();
    tampered[tampered.length - 1] ^= 0x01;
    expect(() => readSignedTransaction(tampered)).toThrow(expect.objectContaining({ nearError: 'InvalidSignature' }));

    const first = readSignedTransaction(signed);
    chain.submit(first);
    settle(chain, first.hash);
    const stale = readSignedTransaction(await alice.sign('bob.devnet', [transfer(2n)], first.nonce));
    expect(() => chain.submit(stale)).toThrow(expect.objectContaining({ nearError: { InvalidNonce: { tx_nonce: Number(first.nonce), ak_nonce: Number(first.nonce) } } }));

    const stranger = new LocalSigner(chain, 'alice.devnet', KeyPair.fromRandom('ed25519'));
    const unknownKey = readSignedTransaction(await stranger.sign('bob.devnet', [transfer(1n)], 1n));
    expect(() => chain.submit(unknownKey)).toThrow(
      expect.objectContaining({ nearError: { InvalidAccessKeyError: { AccessKeyNotFound: { account_id: 'alice.devnet', public_key: stranger.publicKey } } } }),
    );
    const ghost = new LocalSigner(chain, 'ghost.devnet', KeyPair.fromRandom('ed25519'));
    const unknownSigner = readSignedTransaction(await ghost.sign('bob.devnet', [transfer(1n)], 1n));
    expect(() => chain.submit(unknownSigner)).toThrow(expect.objectContaining({ nearError: { SignerDoesNotExist: { signer_id: 'ghost.devnet' } } }));

    const otherChain = DevnetChain.open({ config: defaultChainConfig(), library: [], genesis: { accounts: [] } });
    expect(() => otherChain.submit(first)).toThrow(expect.objectContaining({ nearError: 'InvalidChain' }));
    // Refused transactions leave the chain producing blocks.
    expect(() => chain.produceBlock()).not.toThrow();
  });

  it('runs a function call, keeps its storage and logs, and serves views', async () => {
    const { chain, alice } = openChain();
    const result = await run(chain, alice, 'store.devnet', [functionCall('set', { key: 'greeting', value: 'hello' }, 30n * TERA_GAS, 0n)]);
    expect(result.receiptOutcomes[0]!.logs).toEqual(['set greeting']);
    expect(JSON.parse(text(chain.callView('store.devnet', 'get', json({ key: 'greeting' })).result))).toBe('hello');
    expect(() => chain.callView('store.devnet', 'sneaky_view', json({}))).toThrow(ContractViewError);
    expect(() => chain.callView('store.devnet', 'set', json({ key: 'a', value: 'b' }))).toThrow(/ProhibitedInView/);
    expect(() => chain.callView('store.devnet', 'nope', json({}))).toThrow(/MethodNotFound/);
    expect(() => chain.callView('alice.devnet', 'get', json({}))).toThrow(NoContractCodeError);
  });

  it('rolls back storage and refunds the deposit when a call panics', async () => {
    const { chain, alice } = openChain();
    const storeBefore = balance(chain, 'store.devnet');
    const result = await run(chain, alice, 'store.devnet', [functionCall('set_then_panic', { key: 'k', value: 'v' }, 30n * TERA_GAS, 3n * NEAR)]);
    expect(failureOf(result)).toEqual({ ActionError: { index: 0, kind: { FunctionCallError: { ExecutionError: 'Smart contract panicked: refusing after write' } } } });
    expect(result.receiptOutcomes[0]!.logs).toEqual(['about to panic']);
    expect(JSON.parse(text(chain.callView('store.devnet', 'get', json({ key: 'k' })).result))).toBeNull();
    expect(balance(chain, 'store.devnet')).toBe(storeBefore);
    expect(balance(chain, 'alice.devnet')).toBeGreaterThan(100n * NEAR - NEAR / 100n);
    expectSupplyConserved(chain);
  });

  it('keeps a deposit the contract accepts', async () => {
    const { chain, alice } = openChain();
    const result = await run(chain, alice, 'store.devnet', [functionCall('deposit', {}, 30n * TERA_GAS, 2n * NEAR)]);
    expect(valueOf(result)).toEqual({ received: (2n * NEAR).toString(), balance: (12n * NEAR).toString() });
    expect(balance(chain, 'store.devnet')).toBe(12n * NEAR);
    expectSupplyConserved(chain);
  });

  it('stops a runaway call with GasExceeded and charges only the prepaid gas', async () => {
    const { chain, alice } = openChain();
    const before = balance(chain, 'alice.devnet');
    const result = await run(chain, alice, 'store.devnet', [functionCall('runaway', {}, 50n * TERA_GAS, 0n)]);
    expect(failureOf(result)).toEqual({ ActionError: { index: 0, kind: { FunctionCallError: { HostError: 'GasExceeded' } } } });
    expect(before - balance(chain, 'alice.devnet')).toBeLessThan((60n * TERA_GAS) * GAS_PRICE);
    expect(chain.callView('store.devnet', 'get', json({ key: 'junk:0' })).result).toEqual(json(null));
  });

  it('refuses more than 300 Tgas of prepaid gas', async () => {
    const { alice } = openChain();
    expect(() => readSignedTransaction(new Uint8Array())).toThrow(/Failed to decode transaction/);
    const bytes = await alice.sign('store.devnet', [functionCall('set', {}, 200n * TERA_GAS, 0n), functionCall('set', {}, 200n * TERA_GAS, 0n)]);
    expect(() => readSignedTransaction(bytes)).toThrow(expect.objectContaining({ nearError: { ActionsValidation: { TotalPrepaidGasExceeded: { total_prepaid_gas: 400e12, limit: 300e12 } } } }));
  });

  it('calls another contract and hands the result to a callback', async () => {
    const { chain, alice } = openChain();
    await run(chain, alice, 'store.devnet', [functionCall('set', { key: 'x', value: '42' }, 30n * TERA_GAS, 0n)]);
    const ok = await run(chain, alice, 'caller.devnet', [functionCall('call', { target: 'store.devnet', method: 'get', args: { key: 'x' } }, 100n * TERA_GAS, 0n)]);
    expect(valueOf(ok)).toEqual({ ok: true, value: '"42"' });
    const [callOutcome, ...rest] = ok.receiptOutcomes;
    expect(callOutcome!.status.kind).toBe('SuccessReceiptId');
    expect(rest.map((outcome) => outcome.executorId)).toEqual(expect.arrayContaining(['store.devnet', 'caller.devnet']));
    expect(rest.find((outcome) => outcome.executorId === 'caller.devnet' && outcome.logs.length > 0)!.logs).toEqual(['store.devnet.get successful']);

    const failed = await run(chain, alice, 'caller.devnet', [functionCall('call', { target: 'store.devnet', method: 'set_then_panic', args: { key: 'y', value: '1' }, deposit: '5' }, 100n * TERA_GAS, 0n)]);
    expect(valueOf(failed)).toEqual({ ok: false });
    expectSupplyConserved(chain);
  });

  it('fails a receipt that would store more than the balance stakes (LackBalanceForState)', async () => {
    const { chain, alice } = openChain();
    await run(chain, alice, 'poor.devnet', [functionCall('set', { key: 'small', value: 'ok' }, 30n * TERA_GAS, 0n)]);
    const result = await run(chain, alice, 'poor.devnet', [functionCall('set', { key: 'big', value: 'x'.repeat(300) }, 30n * TERA_GAS, 0n)]);
    expect(failureOf(result)).toEqual({ ActionError: { index: null, kind: { LackBalanceForState: { account_id: 'poor.devnet', amount: expect.any(String) } } } });
    expect(chain.callView('poor.devnet', 'get', json({ key: 'big' })).result).toEqual(json(null));
    expect(chain.callView('poor.devnet', 'get', json({ key: 'small' })).result).toEqual(json('ok'));
  });

  it('pays out with promiseTransfer', async () => {
    const { chain, alice } = openChain();
    await run(chain, alice, 'caller.devnet', [functionCall('pay', { receiver: 'bob.devnet', amount: NEAR.toString() }, 30n * TERA_GAS, 0n)]);
    expect(balance(chain, 'bob.devnet')).toBe(101n * NEAR);
    expect(balance(chain, 'caller.devnet')).toBe(9n * NEAR);
  });

  it('resumes a yielded call with the payload of a later transaction', async () => {
    const { chain, alice, bob } = openChain({ yieldTimeoutBlocks: 50 });
    const request = await alice.send('yield.devnet', [functionCall('request', { label: 'r1' }, 50n * TERA_GAS, 0n)]);
    for (let index = 0; index < 3; index += 1) chain.produceBlock();
    const waiting = chain.transactionResult(request.hash);
    expect(waiting.phase === 'included' && !waiting.complete && waiting.status.kind === 'Started').toBe(true);
    expect(JSON.parse(text(chain.callView('yield.devnet', 'pending', json({ label: 'r1' })).result))).toBe(true);
    const respond = await run(chain, bob, 'yield.devnet', [functionCall('respond', { label: 'r1', answer: 'yes' }, 30n * TERA_GAS, 0n)]);
    expect(valueOf(respond)).toEqual({ resumed: true });
    const resumed = settle(chain, request.hash);
    expect(valueOf(resumed)).toEqual({ answer: 'yes' });
    const again = await run(chain, bob, 'yield.devnet', [functionCall('respond', { label: 'r1', answer: 'late' }, 30n * TERA_GAS, 0n)]);
    expect(failureOf(again)).toEqual({ ActionError: { index: 0, kind: { FunctionCallError: { ExecutionError: 'Smart contract panicked: no pending request r1' } } } });
  });

  it('times a yield out after the configured number of blocks and the callback sees a failed result', async () => {
    const { chain, alice } = openChain({ yieldTimeoutBlocks: 5 });
    const request = await alice.send('yield.devnet', [functionCall('request', { label: 'late' }, 50n * TERA_GAS, 0n)]);
    chain.produceBlock();
    const yieldedAt = chain.head().header.height + 1;
    const result = settle(chain, request.hash, 12);
    expect(failureOf(result)).toEqual({ ActionError: { index: 0, kind: { FunctionCallError: { ExecutionError: 'Smart contract panicked: request late timed out' } } } });
    const callbackBlock = chain.blockByHash(result.receiptOutcomes.at(-1)!.blockHash)!;
    expect(callbackBlock.header.height).toBeGreaterThanOrEqual(yieldedAt + 5);
    // The callback panicked, so its cleanup was rolled back with it.
    expect(JSON.parse(text(chain.callView('yield.devnet', 'pending', json({ label: 'late' })).result))).toBe(true);
  });

  it('enforces function-call access keys', async () => {
    const { chain, alice } = openChain();
    const limitedKey = KeyPair.fromRandom('ed25519');
    await run(chain, alice, 'alice.devnet', [addKey(limitedKey.getPublicKey(), functionCallAccessKey('store.devnet', ['set'], NEAR))]);
    const limited = new LocalSigner(chain, 'alice.devnet', limitedKey);
    await run(chain, limited, 'store.devnet', [functionCall('set', { key: 'a', value: 'b' }, 30n * TERA_GAS, 0n)]);
    const rejects = async (receiverId: string, actions: Parameters<LocalSigner['send']>[1], error: NearErrorJson): Promise<void> => {
      await expect(limited.send(receiverId, actions)).rejects.toMatchObject({ nearError: { InvalidAccessKeyError: error } });
    };
    await rejects('caller.devnet', [functionCall('pay', {}, 30n * TERA_GAS, 0n)], { ReceiverMismatch: { tx_receiver: 'caller.devnet', ak_receiver: 'store.devnet' } });
    await rejects('store.devnet', [functionCall('get', {}, 30n * TERA_GAS, 0n)], { MethodNameMismatch: { method_name: 'get' } });
    await rejects('store.devnet', [functionCall('set', {}, 30n * TERA_GAS, 1n)], 'DepositWithFunctionCallAccessKey');
    await rejects('store.devnet', [transfer(1n)], 'RequiresFullAccess');
  });

  it('creates sub-accounts, deploys library contracts by name and enforces who may create what', async () => {
    const { chain, alice } = openChain();
    const carolKey = KeyPair.fromRandom('ed25519');
    const created = await run(chain, alice, 'carol.alice.devnet', [createAccount(), transfer(NEAR), addKey(carolKey.getPublicKey(), fullAccessKey()), deployContract(new TextEncoder().encode(storeContract.name))]);
    expect(created.status.kind).toBe('SuccessValue');
    expect(chain.account('carol.alice.devnet').account.contract).toEqual({ kind: 'library', name: storeContract.name });
    const denied = await run(chain, alice, 'carol.devnet', [createAccount(), transfer(NEAR)]);
    expect(failureOf(denied)).toEqual({ ActionError: { index: 0, kind: { CreateAccountNotAllowed: { account_id: 'carol.devnet', predecessor_id: 'alice.devnet' } } } });
    expect(() => chain.account('carol.devnet')).toThrow(/does not exist while viewing/);
    const missing = await run(chain, alice, 'nobody.devnet', [transfer(NEAR)]);
    expect(failureOf(missing)).toEqual({ ActionError: { index: 0, kind: { AccountDoesNotExist: { account_id: 'nobody.devnet' } } } });
    expectSupplyConserved(chain);
  });

  it('gives every block fresh randomness and links it to its parent', () => {
    const { chain } = openChain();
    const first = chain.produceBlock();
    const second = chain.produceBlock();
    expect(second.header.prevHash).toBe(first.header.hash);
    expect(second.header.randomValue).not.toBe(first.header.randomValue);
    expect(second.header.timestampNs).toBeGreaterThan(first.header.timestampNs);
  });

  it('keeps its block cadence however long producing a block takes, and restarts it after a stall', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const { chain } = openChain({ blockTimeMs: 100 });
      // Producing a block "takes" stallMs of the wall clock (blocks are stamped when production starts).
      let stallMs = 30;
      const produce = chain.produceBlock.bind(chain);
      chain.produceBlock = () => {
        const block = produce();
        jest.setSystemTime(Date.now() + stallMs);
        return block;
      };
      const start = chain.head().header.height;
      chain.start();
      const gapsMs = () => {
        const stamps: number[] = [];
        for (let height = start + 1; height <= chain.head().header.height; height += 1) stamps.push(Number(chain.blockAt(height)!.header.timestampNs / 1_000_000n));
        return stamps.slice(1).map((stamp, i) => stamp - stamps[i]!);
      };
      jest.advanceTimersByTime(700);
      // One block every 100 ms, not every 130.
      expect(gapsMs().length).toBeGreaterThanOrEqual(5);
      expect(new Set(gapsMs())).toEqual(new Set([100]));
      // One block takes 450 ms: the next comes a block time after it ends, and no catch-up burst follows.
      stallMs = 450;
      jest.advanceTimersByTime(100);
      stallMs = 30;
      jest.advanceTimersByTime(600);
      chain.stop();
      const gaps = gapsMs();
      const stall = gaps.indexOf(550);
      expect(stall).toBeGreaterThan(0);
      expect(gaps.slice(stall + 1).length).toBeGreaterThanOrEqual(3);
      expect(new Set(gaps.filter((_, i) => i !== stall))).toEqual(new Set([100]));
    } finally {
      jest.useRealTimers();
    }
  });
});
