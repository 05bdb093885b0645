import { KeyPair } from '@near-js/crypto';
import { actionCreators } from '@near-js/transactions';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract, testContracts, yieldContract } from '../test-contracts/index.js';
import { DevnetChain, defaultChainConfig } from './chain.js';
import { wasmCodeHash } from './contract-code.js';
import { ChainConfigError } from './errors.js';
import { TERA_GAS } from './gas.js';
import { LocalSigner } from './local-signer.js';
import { FolderChainStore, decodeRecord, encodeRecord } from './persistence.js';
import { WasmModuleBuilder, op } from './wasm/module-builder.js';

const NEAR = 10n ** 24n;
const { functionCall } = actionCreators;
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe('folder persistence of the devnet chain', () => {
  let directory: string;
  const aliceKey = KeyPair.fromRandom('ed25519');
  const config = defaultChainConfig({ yieldTimeoutBlocks: 8 });

  const open = (): DevnetChain =>
    DevnetChain.open({
      config,
      library: testContracts,
      store: new FolderChainStore(directory, config.chainId),
      genesis: {
        accounts: [
          { accountId: 'alice.devnet', balance: 100n * NEAR, publicKeys: [aliceKey.getPublicKey().toString()] },
          { accountId: 'store.devnet', balance: NEAR, contract: storeContract.name },
          { accountId: 'yield.devnet', balance: NEAR, contract: yieldContract.name },
        ],
      },
    });

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'devnet-chain-'));
  });

  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('round-trips bigints, bytes and maps', () => {
    const value = { amount: 10n ** 30n, bytes: new Uint8Array([0, 1, 255]), map: new Map([['k', { nested: 1n }]]), plain: [1, 'a', null] };
    expect(decodeRecord(encodeRecord(value))).toEqual(value);
  });

  it('resumes state, history, nonces and parked yields after a restart', async () => {
    const first = open();
    const alice = new LocalSigner(first, 'alice.devnet', aliceKey);
    const set = await alice.send('store.devnet', [functionCall('set', { key: 'kept', value: 'yes' }, 30n * TERA_GAS, 0n)]);
    const request = await alice.send('yield.devnet', [functionCall('request', { label: 'across-restart' }, 50n * TERA_GAS, 0n)]);
    for (let index = 0; index < 4; index += 1) first.produceBlock();
    const head = first.head().header;
    const balance = first.account('alice.devnet').account.amount;
    const nonce = first.accessKey('alice.devnet', alice.publicKey).nonce;

    const second = open();
    expect(second.head().header).toEqual(head);
    expect(second.account('alice.devnet').account.amount).toBe(balance);
    expect(second.accessKey('alice.devnet', alice.publicKey).nonce).toBe(nonce);
    expect(JSON.parse(text(second.callView('store.devnet', 'get', json({ key: 'kept' })).result))).toBe('yes');
    expect(second.transactionResult(set.hash)).toMatchObject({ phase: 'included', complete: true, status: { kind: 'SuccessValue' } });
    expect(second.blockAt(1)?.header.prevHash).toBe(second.blockAt(0)?.header.hash);

    // The yield parked before the restart resumes after it.
    const aliceAgain = new LocalSigner(second, 'alice.devnet', aliceKey);
    await aliceAgain.send('yield.devnet', [functionCall('respond', { label: 'across-restart', answer: 42 }, 30n * TERA_GAS, 0n)]);
    for (let index = 0; index < 5; index += 1) second.produceBlock();
    const resumed = second.transactionResult(request.hash);
    expect(resumed).toMatchObject({ phase: 'included', complete: true });
    if (resumed.phase !== 'included' || resumed.status.kind !== 'SuccessValue') throw new Error('the yield did not resume');
    expect(JSON.parse(text(resumed.status.value))).toEqual({ answer: 42 });
    expect(second.head().header.height).toBe(head.height + 5);
  });

  it('drops a block line the saved state never saw and a line cut short by a crash', () => {
    const first = open();
    first.produceBlock();
    const saved = first.head().header;
    const stateFile = join(directory, 'state.json');
    const stateAtSaved = readFileSync(stateFile, 'utf8');
    first.produceBlock();
    // A crash after appending the next block but before replacing state.json, mid-way through another line.
    writeFileSync(stateFile, stateAtSaved);
    appendFileSync(join(directory, 'blocks.ndjson'), '{"header":{"hei');
    const reopened = open();
    expect(reopened.head().header).toEqual(saved);
    expect(reopened.produceBlock().header.height).toBe(saved.height + 1);
  });

  it('keeps deployed wasm once in code/ (not in every state.json) and runs it after a restart', async () => {
    const first = open();
    const alice = new LocalSigner(first, 'alice.devnet', aliceKey);
    const builder = new WasmModuleBuilder().memory(1);
    const host = builder.importHost('value_return');
    const code = builder.method('hello', [op.i64Const(5), op.i64Const(16), op.call(host.value_return)]).data(16, 'hello').build();
    await alice.send('alice.devnet', [actionCreators.deployContract(code)]);
    for (let index = 0; index < 3; index += 1) first.produceBlock();
    const stateFile = readFileSync(join(directory, 'state.json'), 'utf8');
    expect(stateFile).not.toContain(Buffer.from(code).toString('base64'));
    expect(new Uint8Array(readFileSync(join(directory, 'code', `${wasmCodeHash(code)}.wasm`)))).toEqual(code);
    expect(text(open().callView('alice.devnet', 'hello', new Uint8Array()).result)).toBe('hello');
  });

  it('reads a format-1 folder, whose accounts named their library contract by a string', () => {
    const first = open();
    first.produceBlock();
    const stateFile = join(directory, 'state.json');
    const saved = decodeRecord<{ version: number; state: { accounts: Map<string, { contract: unknown }> } }>(readFileSync(stateFile, 'utf8'));
    for (const account of saved.state.accounts.values()) if (account.contract !== null) account.contract = (account.contract as { name: string }).name;
    writeFileSync(stateFile, encodeRecord({ ...saved, version: 1 }));
    const reopened = open();
    expect(reopened.account('store.devnet').account.contract).toEqual({ kind: 'library', name: storeContract.name });
    expect(JSON.parse(text(reopened.callView('store.devnet', 'get', json({ key: 'none' })).result))).toBeNull();
  });

  it('refuses a folder that holds another chain', () => {
    open();
    expect(() => new FolderChainStore(directory, 'other-chain').load()).toThrow(ChainConfigError);
  });
});
