/**
 * NEAR host functions against small wasm contracts written byte by byte (module-builder.ts), run by
 * the devnet chain through real signed transactions: registers, storage, context, panics, memory
 * bounds, promises (also to and from a TypeScript contract), yield/resume, views, gas, unsupported
 * host functions, and how link, compilation and method errors are reported.
 */
import { KeyPair } from '@near-js/crypto';
import { actionCreators } from '@near-js/transactions';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { callerContract, storeContract, testContracts } from '../../test-contracts/index.js';
import { DevnetChain, defaultChainConfig } from '../chain.js';
import { bytesOf, failureOf, json, run, settle, text, valueOf } from '../chain-testing.js';
import { wasmCodeHash } from '../contract-code.js';
import { ContractViewError } from '../errors.js';
import { TERA_GAS } from '../gas.js';
import { LocalSigner } from '../local-signer.js';
import type { NearErrorJson } from '../types.js';
import { FROM_REGISTER, WasmModuleBuilder, op } from './module-builder.js';

const NEAR = 10n ** 24n;
const { functionCall, deployContract } = actionCreators;

// The probe's memory: scratch results at 0, constants from 1024, inputs copied to 4096.
const SCRATCH = 0;
const INPUT_AREA = 4096;
const CONSTANTS = {
  key: [1024, 'key'],
  boom: [1040, 'boom'],
  hello: [1072, 'hello'],
  store: [1100, 'store.devnet'],
  self: [1120, 'probe.devnet'],
  get: [1140, 'get'],
  set: [1150, 'set'],
  onResult: [1160, 'on_result'],
  setArgs: [1200, '{"key":"w","value":"from-wasm"}'],
  getArgs: [1300, '{"key":"w"}'],
  alice: [1440, 'alice.devnet'],
  idKey: [1460, 'id'],
  onResume: [1470, 'on_resume'],
  timedOut: [1490, 'timed out'],
  onJoint: [1510, 'on_joint'],
} as const satisfies Record<string, readonly [number, string]>;
const BAD_UTF8 = 1056;
/** 16 zero bytes: a u128 of 0 (memory starts zeroed). */
const ZERO_U128 = 1400;
const ONE_YOCTO_U128 = 1420;
const PAGE = 65_536;

const at = (name: keyof typeof CONSTANTS): number[] => op.i64Const(CONSTANTS[name][0]);
const len = (name: keyof typeof CONSTANTS): number[] => op.i64Const(new TextEncoder().encode(CONSTANTS[name][1]).length);
const i64 = (value: number | bigint): number[] => op.i64Const(value);

/** A contract with one method per host behaviour under test. */
function probeContract(): Uint8Array {
  const builder = new WasmModuleBuilder();
  const f = builder.importHost(
    'input', 'value_return', 'read_register', 'register_len', 'storage_write', 'storage_read', 'storage_remove', 'storage_has_key',
    'panic', 'panic_utf8', 'log_utf8', 'current_account_id', 'predecessor_account_id', 'signer_account_id', 'signer_account_pk',
    'block_index', 'block_timestamp', 'prepaid_gas', 'used_gas', 'epoch_height', 'attached_deposit', 'account_balance',
    'sha256', 'keccak256', 'ripemd160', 'ecrecover', 'ed25519_verify',
    'promise_create', 'promise_then', 'promise_and', 'promise_batch_create', 'promise_batch_action_transfer', 'promise_results_count',
    'promise_result', 'promise_return', 'promise_yield_create', 'promise_yield_resume', 'promise_batch_action_stake',
  );
  const madeUp = builder.importFunction('made_up_function', []);
  const call = (name: keyof typeof f): number[] => op.call(f[name]);
  const returnScratch = (bytes: number): number[][] => [i64(bytes), i64(SCRATCH), call('value_return')];
  const returnRegister = (register: number): number[][] => [i64(FROM_REGISTER), i64(register), call('value_return')];
  const putInputUnderKey = [i64(0), call('input'), len('key'), at('key'), i64(FROM_REGISTER), i64(0), i64(1), call('storage_write'), op.drop];
  const storeGetCall = [len('store'), at('store'), len('get'), at('get'), len('getArgs'), at('getArgs'), i64(ZERO_U128), i64(20n * TERA_GAS), call('promise_create')];
  const thenSelf = (method: 'onResult' | 'onJoint'): number[][] => [len('self'), at('self'), len(method), at(method), i64(0), i64(0), i64(ZERO_U128), i64(10n * TERA_GAS), call('promise_then')];
  const hashMethod = (hash: 'sha256' | 'keccak256' | 'ripemd160'): number[][] => [i64(0), call('input'), i64(FROM_REGISTER), i64(0), i64(1), call(hash), ...returnRegister(1)];
  builder
    .memory(1)
    .method('echo', [i64(0), call('input'), ...returnRegister(0)])
    .method('echo_via_memory', [i64(0), call('input'), i64(0), i64(INPUT_AREA), call('read_register'), i64(0), call('register_len'), i64(INPUT_AREA), call('value_return')])
    .method('missing_register', returnRegister(5))
    .method('register_len_missing', [op.i32Const(SCRATCH), i64(9), call('register_len'), op.i64Store, ...returnScratch(8)])
    .method('put', putInputUnderKey)
    .method('put_and_return_old', [...putInputUnderKey, ...returnRegister(1)])
    .method('get', [len('key'), at('key'), i64(2), call('storage_read'), op.drop, ...returnRegister(2)])
    .method('remove', [len('key'), at('key'), i64(3), call('storage_remove'), op.drop, ...returnRegister(3)])
    .method('has', [op.i32Const(SCRATCH), len('key'), at('key'), call('storage_has_key'), op.i64Store, ...returnScratch(8)])
    .method('put_then_panic', [...putInputUnderKey, len('boom'), at('boom'), call('panic_utf8')])
    .method('panic_plain', [call('panic')])
    .method('panic_bad_utf8', [i64(2), i64(BAD_UTF8), call('panic_utf8')])
    .method('trap', [op.unreachable])
    .method('out_of_bounds_return', [i64(16), i64(PAGE - 8), call('value_return')])
    .method('out_of_bounds_load', [op.i32Const(PAGE + 100), op.i32Load, op.drop])
    .method('log_twice', [len('hello'), at('hello'), call('log_utf8'), len('hello'), at('hello'), call('log_utf8')])
    .method('current', [i64(0), call('current_account_id'), ...returnRegister(0)])
    .method('predecessor', [i64(0), call('predecessor_account_id'), ...returnRegister(0)])
    .method('signer', [i64(0), call('signer_account_id'), ...returnRegister(0)])
    .method('signer_pk', [i64(0), call('signer_account_pk'), ...returnRegister(0)])
    .method('block', [
      ...[['block_index', 0], ['block_timestamp', 8], ['prepaid_gas', 16], ['used_gas', 24], ['epoch_height', 32]].flatMap(([name, offset]) => [op.i32Const(offset as number), call(name as keyof typeof f), op.i64Store]),
      ...returnScratch(40),
    ])
    .method('deposit', [i64(0), call('attached_deposit'), i64(16), call('account_balance'), ...returnScratch(32)])
    .method('sha256_input', hashMethod('sha256'))
    .method('keccak256_input', hashMethod('keccak256'))
    .method('ripemd160_input', hashMethod('ripemd160'))
    // input: hash(32) ‖ r‖s(64) ‖ v(1) ‖ malleability flag(1); returns the result code ‖ the key when there is one.
    .method(
      'ecrecover_input',
      [
        i64(0), call('input'), i64(0), i64(INPUT_AREA), call('read_register'),
        i64(32), i64(INPUT_AREA), i64(64), i64(INPUT_AREA + 32), op.i32Const(INPUT_AREA + 96), op.i64Load8U, op.i32Const(INPUT_AREA + 97), op.i64Load8U, i64(1), call('ecrecover'),
        op.localSet(0), op.i32Const(SCRATCH), op.localGet(0), op.i64Store,
        op.localGet(0), i64(1), op.i64Eq, op.if, i64(1), i64(SCRATCH + 8), call('read_register'), ...returnScratch(72), op.else, ...returnScratch(8), op.end,
      ],
      ['i64'],
    )
    // input: signature(64) ‖ public key(32) ‖ message.
    .method('ed25519_input', [
      i64(0), call('input'), i64(0), i64(INPUT_AREA), call('read_register'), op.i32Const(SCRATCH),
      i64(64), i64(INPUT_AREA), i64(0), call('register_len'), i64(96), op.i64Sub, i64(INPUT_AREA + 96), i64(32), i64(INPUT_AREA + 64), call('ed25519_verify'),
      op.i64Store, ...returnScratch(8),
    ])
    .method('call_store_set', [len('store'), at('store'), len('set'), at('set'), len('setArgs'), at('setArgs'), i64(ZERO_U128), i64(20n * TERA_GAS), call('promise_create'), ...thenSelf('onResult'), call('promise_return')])
    .method('call_store_get', [...storeGetCall, ...thenSelf('onResult'), call('promise_return')])
    .method('on_result', [op.i32Const(SCRATCH), i64(0), i64(4), call('promise_result'), op.i64Store, ...returnRegister(4)])
    .method('joint', [op.i32Const(0), ...storeGetCall, op.i64Store, op.i32Const(8), ...storeGetCall, op.i64Store, i64(0), i64(2), call('promise_and'), ...thenSelf('onJoint'), call('promise_return')])
    .method('on_joint', [op.i32Const(SCRATCH), call('promise_results_count'), op.i64Store, ...returnScratch(8)])
    .method('return_joint', [op.i32Const(0), ...storeGetCall, op.i64Store, op.i32Const(8), ...storeGetCall, op.i64Store, i64(0), i64(2), call('promise_and'), call('promise_return')])
    .method('bad_promise_index', [i64(7), call('promise_return')])
    .method('pay_alice', [len('alice'), at('alice'), call('promise_batch_create'), i64(ONE_YOCTO_U128), call('promise_batch_action_transfer')])
    .method(
      'request',
      [
        len('onResume'), at('onResume'), i64(0), i64(0), i64(10n * TERA_GAS), i64(0), i64(5), call('promise_yield_create'), op.localSet(0),
        len('idKey'), at('idKey'), i64(FROM_REGISTER), i64(5), i64(6), call('storage_write'), op.drop,
        op.localGet(0), call('promise_return'),
      ],
      ['i64'],
    )
    .method('respond', [
      i64(0), call('input'), len('idKey'), at('idKey'), i64(7), call('storage_read'), op.drop,
      op.i32Const(SCRATCH), i64(FROM_REGISTER), i64(7), i64(FROM_REGISTER), i64(0), call('promise_yield_resume'), op.i64ExtendI32U, op.i64Store, ...returnScratch(8),
    ])
    .method('on_resume', [i64(0), i64(8), call('promise_result'), i64(1), op.i64Eq, op.if, ...returnRegister(8), op.else, len('timedOut'), at('timedOut'), call('panic_utf8'), op.end])
    .method('stake', [i64(0), i64(0), i64(0), i64(0), call('promise_batch_action_stake')])
    .method('made_up', [op.call(madeUp)])
    .method('burn', [op.loop, len('key'), at('key'), len('hello'), at('hello'), i64(1), call('storage_write'), op.drop, op.br(0), op.end]);
  for (const [offset, value] of Object.values(CONSTANTS)) builder.data(offset, value);
  builder.data(BAD_UTF8, Uint8Array.from([0xff, 0xfe]));
  builder.data(ONE_YOCTO_U128, Uint8Array.from([1]));
  return builder.build();
}

const PROBE = probeContract();

interface Fixture {
  chain: DevnetChain;
  alice: LocalSigner;
}

function openChain(): Fixture {
  const aliceKey = KeyPair.fromRandom('ed25519');
  const chain = DevnetChain.open({
    config: defaultChainConfig({ yieldTimeoutBlocks: 5 }),
    library: testContracts,
    genesis: {
      accounts: [
        { accountId: 'devnet', balance: 1_000n * NEAR },
        { accountId: 'alice.devnet', balance: 100n * NEAR, publicKeys: [aliceKey.getPublicKey().toString()] },
        { accountId: 'store.devnet', balance: 10n * NEAR, contract: storeContract.name },
        { accountId: 'caller.devnet', balance: 10n * NEAR, contract: callerContract.name },
        { accountId: 'probe.devnet', balance: 10n * NEAR, wasm: PROBE },
      ],
    },
  });
  return { chain, alice: new LocalSigner(chain, 'alice.devnet', aliceKey) };
}

const call = (method: string, args: Uint8Array | string = new Uint8Array(), deposit = 0n, gas = 100n * TERA_GAS) =>
  functionCall(method, typeof args === 'string' ? new TextEncoder().encode(args) : args, gas, deposit);
const probe = (fixture: Fixture, method: string, args?: Uint8Array | string, deposit?: bigint, gas?: bigint) => run(fixture.chain, fixture.alice, 'probe.devnet', [call(method, args, deposit, gas)]);
const u64s = (bytes: Uint8Array): bigint[] => Array.from({ length: bytes.length / 8 }, (_, index) => new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(index * 8, true));
const u128s = (bytes: Uint8Array): bigint[] => Array.from({ length: bytes.length / 16 }, (_, index) => u64s(bytes.subarray(index * 16, index * 16 + 16)).reduce((low, high) => low + (high << 64n)));
const functionCallFailure = (error: NearErrorJson): NearErrorJson => ({ ActionError: { index: 0, kind: { FunctionCallError: error } } });

describe('NEAR host functions for wasm contracts', () => {
  describe('registers', () => {
    it('input lands in a register that value_return reads directly (len u64::MAX) or after read_register', async () => {
      const fixture = openChain();
      expect(text(bytesOf(await probe(fixture, 'echo', 'hello wasm')))).toBe('hello wasm');
      expect(text(bytesOf(await probe(fixture, 'echo_via_memory', 'via memory')))).toBe('via memory');
    });

    it('register_len is u64::MAX for a register never written, and reading it is InvalidRegisterId', async () => {
      const fixture = openChain();
      expect(u64s(bytesOf(await probe(fixture, 'register_len_missing')))).toEqual([(1n << 64n) - 1n]);
      expect(failureOf(await probe(fixture, 'missing_register'))).toEqual(functionCallFailure({ HostError: { InvalidRegisterId: { register_id: 5 } } }));
    });
  });

  describe('storage', () => {
    it('writes, reads, reports an evicted value in a register, checks and removes keys', async () => {
      const fixture = openChain();
      await probe(fixture, 'put', 'first');
      expect(text(bytesOf(await probe(fixture, 'get')))).toBe('first');
      expect(text(bytesOf(await probe(fixture, 'put_and_return_old', 'second')))).toBe('first');
      expect(u64s(bytesOf(await probe(fixture, 'has')))).toEqual([1n]);
      expect(text(bytesOf(await probe(fixture, 'remove')))).toBe('second');
      expect(u64s(bytesOf(await probe(fixture, 'has')))).toEqual([0n]);
      // storage_read of a missing key leaves its register unset.
      expect(failureOf(await probe(fixture, 'get'))).toEqual(functionCallFailure({ HostError: { InvalidRegisterId: { register_id: 2 } } }));
    });

    it('counts wasm code in the account storage, so the account must stake it', () => {
      const { chain } = openChain();
      expect(chain.account('probe.devnet').storageUsage).toBeGreaterThan(PROBE.length);
    });
  });

  describe('panics and traps', () => {
    it('panic_utf8 fails the receipt with the message, rolls back its writes and refunds its deposit', async () => {
      const fixture = openChain();
      await probe(fixture, 'put', 'kept');
      const before = fixture.chain.account('alice.devnet').account.amount;
      const result = await probe(fixture, 'put_then_panic', 'lost', 5n * NEAR);
      expect(failureOf(result)).toEqual(functionCallFailure({ ExecutionError: 'Smart contract panicked: boom' }));
      expect(text(fixture.chain.callView('probe.devnet', 'get', new Uint8Array()).result)).toBe('kept');
      // The deposit came back; only gas was spent.
      expect(before - fixture.chain.account('alice.devnet').account.amount).toBeLessThan(NEAR / 100n);
    });

    it('reports panic(), invalid UTF-8, unreachable and out-of-bounds accesses as nearcore does', async () => {
      const fixture = openChain();
      expect(failureOf(await probe(fixture, 'panic_plain'))).toEqual(functionCallFailure({ ExecutionError: 'Smart contract panicked: explicit guest panic' }));
      expect(failureOf(await probe(fixture, 'panic_bad_utf8'))).toEqual(functionCallFailure({ HostError: 'BadUTF8' }));
      expect(failureOf(await probe(fixture, 'trap'))).toEqual(functionCallFailure({ WasmTrap: 'Unreachable' }));
      expect(failureOf(await probe(fixture, 'out_of_bounds_return'))).toEqual(functionCallFailure({ HostError: 'MemoryAccessViolation' }));
      expect(failureOf(await probe(fixture, 'out_of_bounds_load'))).toEqual(functionCallFailure({ WasmTrap: 'MemoryOutOfBounds' }));
    });
  });

  describe('context and economics', () => {
    it('answers account ids, the signer key, block, gas and balances (u64 as BigInt, u128 in memory)', async () => {
      const fixture = openChain();
      expect(text(bytesOf(await probe(fixture, 'current')))).toBe('probe.devnet');
      expect(text(bytesOf(await probe(fixture, 'predecessor')))).toBe('alice.devnet');
      expect(text(bytesOf(await probe(fixture, 'signer')))).toBe('alice.devnet');
      expect(bytesOf(await probe(fixture, 'signer_pk'))).toEqual(Uint8Array.from([0, ...fixture.alice.keyPair.getPublicKey().data]));
      const result = await probe(fixture, 'block', undefined, 0n, 42n * TERA_GAS);
      const [height, timestamp, prepaid, used, epoch] = u64s(bytesOf(result));
      const executedIn = fixture.chain.blockByHash(result.receiptOutcomes[0]!.blockHash)!.header;
      expect(height).toBe(BigInt(executedIn.height));
      expect(timestamp).toBe(executedIn.timestampNs);
      expect(prepaid).toBe(42n * TERA_GAS);
      expect(used! > 0n && used! < prepaid!).toBe(true);
      expect(epoch).toBe(1n);
      const [deposit, balance] = u128s(bytesOf(await probe(fixture, 'deposit', undefined, 3n * NEAR)));
      expect(deposit).toBe(3n * NEAR);
      // The balance includes the deposit being made.
      expect(balance! > 13n * NEAR - NEAR / 10n && balance! <= 13n * NEAR).toBe(true);
    });

    it('logs reach the receipt outcome', async () => {
      const fixture = openChain();
      const result = await probe(fixture, 'log_twice');
      expect(result.receiptOutcomes[0]!.logs).toEqual(['hello', 'hello']);
    });
  });

  describe('hashes and signatures', () => {
    it('sha256, keccak256 and ripemd160 equal noble', async () => {
      const fixture = openChain();
      const input = new TextEncoder().encode('near wasm host');
      expect(bytesOf(await probe(fixture, 'sha256_input', input))).toEqual(sha256(input));
      expect(bytesOf(await probe(fixture, 'keccak256_input', input))).toEqual(keccak_256(input));
      expect(bytesOf(await probe(fixture, 'ripemd160_input', input))).toEqual(ripemd160(input));
    });

    it('ecrecover recovers the signer of a low-s signature, refuses a high s with the malleability flag, and rejects v > 3', async () => {
      const fixture = openChain();
      const secret = secp256k1.utils.randomSecretKey();
      const hash = sha256(new TextEncoder().encode('payload'));
      const signature = secp256k1.Signature.fromBytes(secp256k1.sign(hash, secret, { prehash: false, format: 'recovered' }), 'recovered');
      const input = (s: bigint, v: number, flag: number): Uint8Array => Uint8Array.from([...hash, ...new secp256k1.Signature(signature.r, s).toBytes('compact'), v, flag]);
      const recovered = bytesOf(await probe(fixture, 'ecrecover_input', input(signature.s, signature.recovery!, 1)));
      expect(u64s(recovered.subarray(0, 8))).toEqual([1n]);
      expect(recovered.subarray(8)).toEqual(secp256k1.getPublicKey(secret, false).subarray(1));
      const highS = secp256k1.Point.CURVE().n - signature.s;
      expect(u64s(bytesOf(await probe(fixture, 'ecrecover_input', input(highS, signature.recovery! ^ 1, 1))))).toEqual([0n]);
      expect(failureOf(await probe(fixture, 'ecrecover_input', input(signature.s, 4, 1)))).toEqual(
        functionCallFailure({ HostError: { ECRecoverError: { msg: 'V recovery byte 0 through 3 are valid but was provided 4' } } }),
      );
    });

    it('ed25519_verify accepts a valid signature and nothing else', async () => {
      const fixture = openChain();
      const secret = ed25519.utils.randomSecretKey();
      const message = new TextEncoder().encode('sign me');
      const signature = ed25519.sign(message, secret);
      const verify = async (sig: Uint8Array, msg: Uint8Array): Promise<bigint[]> => u64s(bytesOf(await probe(fixture, 'ed25519_input', Uint8Array.from([...sig, ...ed25519.getPublicKey(secret), ...msg]))));
      expect(await verify(signature, message)).toEqual([1n]);
      expect(await verify(signature, new TextEncoder().encode('sign me!'))).toEqual([0n]);
      const tampered = signature.slice();
      tampered[0] ^= 1;
      expect(await verify(tampered, message)).toEqual([0n]);
    });
  });

  describe('promises', () => {
    it('a wasm contract calls a TypeScript contract and gets its result in a callback', async () => {
      const fixture = openChain();
      await probe(fixture, 'call_store_set');
      expect(JSON.parse(text(fixture.chain.callView('store.devnet', 'get', json({ key: 'w' })).result))).toBe('from-wasm');
      const result = await probe(fixture, 'call_store_get');
      expect(valueOf(result)).toBe('from-wasm');
      expect(result.outcome.status.kind).toBe('SuccessReceiptId');
    });

    it('a TypeScript contract calls a wasm contract and gets its result in a callback', async () => {
      const fixture = openChain();
      const result = await run(fixture.chain, fixture.alice, 'caller.devnet', [functionCall('call', json({ target: 'probe.devnet', method: 'current' }), 100n * TERA_GAS, 0n)]);
      expect(valueOf(result)).toEqual({ ok: true, value: 'probe.devnet' });
    });

    it('promise_and waits for both calls; a joint promise cannot be returned; a bad index is refused', async () => {
      const fixture = openChain();
      await probe(fixture, 'call_store_set');
      expect(u64s(bytesOf(await probe(fixture, 'joint')))).toEqual([2n]);
      expect(failureOf(await probe(fixture, 'return_joint'))).toEqual(functionCallFailure({ HostError: 'CannotReturnJointPromise' }));
      expect(failureOf(await probe(fixture, 'bad_promise_index'))).toEqual(functionCallFailure({ HostError: { InvalidPromiseIndex: { promise_idx: 7 } } }));
    });

    it('a batch transfer moves the contract balance', async () => {
      const fixture = openChain();
      const before = fixture.chain.account('probe.devnet').account.amount;
      await probe(fixture, 'pay_alice');
      expect(fixture.chain.account('probe.devnet').account.amount).toBe(before - 1n);
    });
  });

  describe('yield and resume', () => {
    it('a resumed yield returns the payload to the original caller', async () => {
      const fixture = openChain();
      const request = await fixture.alice.send('probe.devnet', [call('request')]);
      fixture.chain.produceBlock();
      fixture.chain.produceBlock();
      expect(fixture.chain.transactionResult(request.hash)).toMatchObject({ phase: 'included', complete: false });
      expect(u64s(bytesOf(await probe(fixture, 'respond', 'the answer')))).toEqual([1n]);
      expect(text(bytesOf(settle(fixture.chain, request.hash)))).toBe('the answer');
      // The yield is gone: a second resume finds nothing.
      expect(u64s(bytesOf(await probe(fixture, 'respond', 'again')))).toEqual([0n]);
    });

    it('an unanswered yield times out into the callback with a failed result', async () => {
      const fixture = openChain();
      const request = await fixture.alice.send('probe.devnet', [call('request')]);
      expect(failureOf(settle(fixture.chain, request.hash, 12))).toEqual(functionCallFailure({ ExecutionError: 'Smart contract panicked: timed out' }));
    });
  });

  describe('views', () => {
    it('run any export read-only: reads work, writes and promises fail with ProhibitedInView', async () => {
      const fixture = openChain();
      await probe(fixture, 'put', 'viewable');
      expect(text(fixture.chain.callView('probe.devnet', 'get', new Uint8Array()).result)).toBe('viewable');
      expect(() => fixture.chain.callView('probe.devnet', 'put', new Uint8Array())).toThrow(new ContractViewError({ HostError: { ProhibitedInView: { method_name: 'storage_write' } } }));
      expect(() => fixture.chain.callView('probe.devnet', 'call_store_get', new Uint8Array())).toThrow(new ContractViewError({ HostError: { ProhibitedInView: { method_name: 'promise_batch_create' } } }));
      expect(() => fixture.chain.callView('probe.devnet', 'panic_plain', new Uint8Array())).toThrow(new ContractViewError({ HostError: { GuestPanic: { panic_msg: 'explicit guest panic' } } }));
      expect(() => fixture.chain.callView('probe.devnet', 'nope', new Uint8Array())).toThrow(new ContractViewError({ MethodResolveError: 'MethodNotFound' }));
    });
  });

  describe('gas', () => {
    it('a loop of host calls runs out of its prepaid gas', async () => {
      const fixture = openChain();
      expect(failureOf(await probe(fixture, 'burn', undefined, 0n, 10n * TERA_GAS))).toEqual(functionCallFailure({ HostError: 'GasExceeded' }));
    });
  });

  describe('unsupported host functions and bad modules', () => {
    it('an unsupported or unknown import instantiates, and only the call that reaches it fails, naming it', async () => {
      const fixture = openChain();
      expect(text(bytesOf(await probe(fixture, 'echo', 'still works')))).toBe('still works');
      expect(failureOf(await probe(fixture, 'stake'))).toEqual(functionCallFailure({ ExecutionError: 'unsupported host function promise_batch_action_stake: the devnet has no staking' }));
      expect(failureOf(await probe(fixture, 'made_up'))).toEqual(functionCallFailure({ ExecutionError: 'unsupported host function made_up_function' }));
    });

    it('deploys wasm through DeployContract and calls it in the same transaction; view_code shows the code and its hash', async () => {
      const fixture = openChain();
      const result = await run(fixture.chain, fixture.alice, 'alice.devnet', [deployContract(PROBE), call('current')]);
      expect(text(bytesOf(result))).toBe('alice.devnet');
      expect(fixture.chain.contractCode('alice.devnet')).toEqual({ code: PROBE, codeHash: wasmCodeHash(PROBE) });
      expect(fixture.chain.account('alice.devnet').account.contract).toEqual({ kind: 'wasm', codeHash: wasmCodeHash(PROBE), sizeBytes: PROBE.length });
    });

    it('reports imports NEAR does not provide as LinkError, bytes that do not compile as CompilationError, and bad methods as MethodResolveError', async () => {
      const fixture = openChain();
      const foreign = new WasmModuleBuilder();
      foreign.importFunction('log', ['i64', 'i64'], [], 'console');
      foreign.memory(1).method('go', []);
      const withParams = new WasmModuleBuilder().memory(1);
      withParams.exportFunction('takes_a_value', withParams.addFunction(['i64'], [], []));
      const broken = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff]);
      const deployAndCall = (code: Uint8Array, method: string) => run(fixture.chain, fixture.alice, 'alice.devnet', [deployContract(code), call(method)]);
      expect(failureOf(await deployAndCall(foreign.build(), 'go'))).toEqual({
        ActionError: { index: 1, kind: { FunctionCallError: { LinkError: { msg: 'the module imports function console.log, which NEAR does not provide' } } } },
      });
      expect(failureOf(await deployAndCall(broken, 'go'))).toEqual({ ActionError: { index: 1, kind: { FunctionCallError: { CompilationError: { PrepareError: 'Deserialization' } } } } });
      expect(failureOf(await deployAndCall(withParams.build(), 'takes_a_value'))).toEqual({ ActionError: { index: 1, kind: { FunctionCallError: { MethodResolveError: 'MethodInvalidSignature' } } } });
      expect(failureOf(await deployAndCall(withParams.build(), 'absent'))).toEqual({ ActionError: { index: 1, kind: { FunctionCallError: { MethodResolveError: 'MethodNotFound' } } } });
    });

    it('runs a module that imports its memory from env, as nearcore-prepared modules do', async () => {
      const fixture = openChain();
      const builder = new WasmModuleBuilder().importMemory();
      const f = builder.importHost('value_return');
      builder.method('hello', [i64(5), i64(64), op.call(f.value_return)]).data(64, 'hello');
      expect(text(bytesOf(await run(fixture.chain, fixture.alice, 'alice.devnet', [deployContract(builder.build()), call('hello')])))).toBe('hello');
    });
  });
});
