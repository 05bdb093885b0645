import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { type PromiseResult, TGAS } from '../host.js';
import { SIGN_MIN_GAS as MPC_MIN_SIGN_GAS } from '../../shared/near/signer-abi.js';
import { type CallOutcome, ContractTestbed, failure, type RecordedPromise, success } from '../testing/test-host.js';
import { fastAuthContract, MIN_SIGN_GAS, MPC_SIGN_GAS, ON_SIGN_CALLBACK_GAS, ON_VERIFY_CALLBACK_GAS, ON_VERIFY_RESULT_CALLBACK_GAS, VERIFY_GAS } from './fast-auth.js';

const FAST_AUTH = 'fast-auth.near';
const ROUTER = 'jwt.fast-auth.near';
const MPC = 'v1.signer.near';
const OWNER = 'owner.near';
const PAUSER = 'pauser.near';
const USER = 'relayer.near';
const GUARD_ID = 'jwt#https://login.example/';
const JWT = 'header.payload.signature';
const SIGN_PAYLOAD = [1, 2, 3, 4, 5];
const HASH = sha256(Uint8Array.from(SIGN_PAYLOAD));
const SUB = 'google-oauth2|42';
const PATH = `${GUARD_ID}#${SUB}`;
const DEPOSIT = 2n * 10n ** 24n;

function fastAuth(): ContractTestbed {
  const testbed = new ContractTestbed(fastAuthContract, FAST_AUTH);
  expect(testbed.call('init', { init_guards: { jwt: ROUTER }, owner: OWNER, pauser: PAUSER, mpc_address: MPC }, { predecessor: FAST_AUTH }).status).toBe('success');
  return testbed;
}

const signArgs = (algorithm = 'ecdsa', overrides: Record<string, unknown> = {}) => ({ guard_id: GUARD_ID, verify_payload: JWT, sign_payload: SIGN_PAYLOAD, algorithm, ...overrides });
const verifyCallbackArgs = (algorithm = 'Ecdsa') => ({ guard_id: GUARD_ID, sign_payload: SIGN_PAYLOAD, attached_deposit: DEPOSIT.toString(), algorithm, caller: USER });
const signCallbackArgs = { caller: USER, original_deposit: DEPOSIT.toString() };
/** The router's answer for a verified token. */
const verified = (sub = SUB) => success([true, sub, 'https://login.example/']);

function calls(outcome: CallOutcome): Extract<RecordedPromise, { kind: 'call' }>[] {
  return outcome.promises.filter((promise): promise is Extract<RecordedPromise, { kind: 'call' }> => promise.kind === 'call');
}

/** The refund-then-fail shape every failure path must have. */
function expectRefundAndFailure(testbed: ContractTestbed, outcome: CallOutcome, reason: RegExp): void {
  expect(outcome.status).toBe('success');
  expect(outcome.promises[0]).toEqual({ kind: 'transfer', index: 0, account: USER, amount: DEPOSIT });
  const report = outcome.promises[1];
  expect(report).toMatchObject({ kind: 'call', account: FAST_AUTH, method: 'report_failure', deposit: 0n });
  expect(outcome.returnedPromise).toBe(1);
  const failed = testbed.call('report_failure', (report as { args: unknown }).args, { predecessor: FAST_AUTH });
  expect(failed.status).toBe('panic');
  expect(failed.error).toMatch(reason);
  expect(failed.error).toMatch(/^SignFailed: .*; the attached deposit was refunded$/);
}

describe('FastAuth sign', () => {
  let testbed: ContractTestbed;
  beforeEach(() => {
    testbed = fastAuth();
  });

  it('asks the guard for the prefix of guard_id, then calls back with what it needs', () => {
    const outcome = testbed.call('sign', signArgs('ECDSA'), { predecessor: USER, deposit: DEPOSIT, gas: 300n * TGAS });
    expect(outcome.promises).toEqual([
      { kind: 'call', index: 0, account: ROUTER, method: 'verify', args: { guard_id: GUARD_ID, verify_payload: JWT, sign_payload: SIGN_PAYLOAD, predecessor: USER }, deposit: 0n, gas: VERIFY_GAS },
      { kind: 'call', index: 1, account: FAST_AUTH, method: 'on_verify_sign_callback', args: verifyCallbackArgs('Ecdsa'), deposit: 0n, gas: ON_VERIFY_CALLBACK_GAS, after: 0 },
    ]);
    expect(outcome.returnedPromise).toBe(1);
  });

  it.each([
    ['an unknown guard', signArgs('ecdsa', { guard_id: 'firebase#x' }), {}, /^NotFound: Cannot verify: Guard with ID 'firebase#x' does not exist$/],
    ['an empty guard prefix', signArgs('ecdsa', { guard_id: '#x' }), {}, /^InvalidArguments: Guard ID must be in format 'guard' or 'prefix#suffix'$/],
    ['an empty guard id', signArgs('ecdsa', { guard_id: '' }), {}, /^InvalidArguments: Guard ID cannot be empty$/],
    ['an unknown algorithm', signArgs('rsa'), {}, /^InvalidArguments: Unsupported algorithm: rsa\. Supported algorithms are: secp256k1, ecdsa, eddsa$/],
    ['no deposit', signArgs(), { deposit: 0n }, /InvalidDeposit/],
    ['too little gas', signArgs(), { gas: MIN_SIGN_GAS - 1n }, /InsufficientGas/],
    ['an oversize sign_payload', signArgs('ecdsa', { sign_payload: new Array(32 * 1024 + 1).fill(1) }), {}, /sign_payload: 32769 bytes/],
    ['a sign_payload of the wrong type', signArgs('ecdsa', { sign_payload: 'AQID' }), {}, /sign_payload: expected an array of bytes/],
    ['a missing verify_payload', { guard_id: GUARD_ID, sign_payload: SIGN_PAYLOAD, algorithm: 'ecdsa' }, {}, /verify_payload: expected a string, got nothing/],
  ])('refuses %s before calling anything', (_name, args, options, pattern) => {
    const before = testbed.snapshot();
    const outcome = testbed.call('sign', args, { predecessor: USER, deposit: DEPOSIT, ...options });
    expect(outcome).toMatchObject({ status: 'panic', error: expect.stringMatching(pattern), promises: [] });
    expect(testbed.snapshot()).toEqual(before);
  });

  it('refuses malformed JSON', () => {
    expect(testbed.call('sign', new TextEncoder().encode('{"guard_id":'), { predecessor: USER, deposit: DEPOSIT })).toMatchObject({ status: 'panic', error: expect.stringMatching(/not valid JSON/) });
  });

  it.each([
    ['secp256k1', `{"request":{"payload":[${[...HASH].join(',')}],"path":"${PATH}","key_version":0}}`],
    ['ecdsa', `{"request":{"path":"${PATH}","payload_v2":{"Ecdsa":"${bytesToHex(HASH)}"},"domain_id":0}}`],
    ['eddsa', `{"request":{"path":"${PATH}","payload_v2":{"Eddsa":"${bytesToHex(HASH)}"},"domain_id":1}}`],
  ])('sends a verified %s request to the MPC signer in near/mpc form, with the deposit', (algorithm, expectedArgs) => {
    const variant = { secp256k1: 'Secp256k1', ecdsa: 'Ecdsa', eddsa: 'Eddsa' }[algorithm]!;
    const outcome = testbed.call('on_verify_sign_callback', verifyCallbackArgs(variant), { predecessor: FAST_AUTH, promiseResults: [verified()] });
    const [mpcSign, onSign] = calls(outcome);
    expect(mpcSign).toMatchObject({ account: MPC, method: 'sign', deposit: DEPOSIT, gas: MPC_SIGN_GAS });
    expect(JSON.stringify(mpcSign!.args)).toBe(expectedArgs);
    expect(onSign).toEqual({ kind: 'call', index: 1, account: FAST_AUTH, method: 'on_sign_callback', args: signCallbackArgs, deposit: 0n, gas: ON_SIGN_CALLBACK_GAS, after: 0 });
    expect(outcome.returnedPromise).toBe(1);
  });

  it('attaches at least the gas the MPC signer requires for sign', () => {
    expect(MPC_SIGN_GAS).toBeGreaterThanOrEqual(MPC_MIN_SIGN_GAS);
  });

  it('sends ECDSA requests to the key version\'s domain and EdDSA requests to mpc_domain_id', () => {
    expect(testbed.call('set_mpc_domain_id', { mpc_domain_id: 3 }, { predecessor: OWNER }).status).toBe('success');
    expect(testbed.call('set_mpc_key_version', { mpc_key_version: 2 }, { predecessor: OWNER }).status).toBe('success');
    const requestFor = (variant: string) => (calls(testbed.call('on_verify_sign_callback', verifyCallbackArgs(variant), { predecessor: FAST_AUTH, promiseResults: [verified()] }))[0]!.args as { request: Record<string, unknown> }).request;
    expect(requestFor('Ecdsa')).toMatchObject({ domain_id: 2 });
    expect(requestFor('Secp256k1')).toMatchObject({ key_version: 2 });
    expect(requestFor('Eddsa')).toMatchObject({ domain_id: 3 });
    expect([testbed.view('mpc_address'), testbed.view('mpc_key_version'), testbed.view('mpc_domain_id')]).toEqual([MPC, 2, 3]);
  });

  describe('refunds the deposit when', () => {
    it.each([
      ['the guard panics', failure, /: the guard call failed;/],
      ['the guard rejects the token', success([false, 'Token expired', '']), /: the guard rejected the token: Token expired;/],
      ['the guard answers something else', success({ valid: true }), /: the guard returned a malformed result;/],
      ['the guard answers a plain guard\'s pair', success([true, SUB]), /: the guard returned a malformed result;/],
      ['the guard answers non-JSON', success(new TextEncoder().encode('yes')), /: the guard returned a malformed result;/],
      ['sub contains "#"', verified('a#b'), /: Invalid sub;/],
      ['sub is empty', verified(''), /: Invalid sub;/],
      ['sub is longer than 256 bytes', verified(`é${'x'.repeat(255)}`), /: Invalid sub;/],
    ])('%s', (_name, result, reason) => {
      const outcome = testbed.call('on_verify_sign_callback', verifyCallbackArgs(), { predecessor: FAST_AUTH, promiseResults: [result] });
      expectRefundAndFailure(testbed, outcome, reason);
      expect(calls(outcome).some((call) => call.method === 'sign')).toBe(false);
    });

    it('the MPC signer fails or times out', () => {
      const outcome = testbed.call('on_sign_callback', signCallbackArgs, { predecessor: FAST_AUTH, promiseResults: [failure] });
      expectRefundAndFailure(testbed, outcome, /the MPC signer failed or timed out/);
    });
  });

  it('refunds the deposit on success too and returns the signer response unchanged', () => {
    const response = { scheme: 'Ed25519', signature: new Array(64).fill(7) };
    const outcome = testbed.call('on_sign_callback', signCallbackArgs, { predecessor: FAST_AUTH, promiseResults: [success(response)] });
    expect(outcome.promises).toEqual([{ kind: 'transfer', index: 0, account: USER, amount: DEPOSIT }]);
    expect(outcome.value).toEqual(response);
    expect(outcome.returnedPromise).toBeUndefined();
  });

  it('keeps its callbacks private', () => {
    for (const [method, args] of [
      ['on_verify_sign_callback', verifyCallbackArgs()],
      ['on_sign_callback', signCallbackArgs],
      ['on_verify_callback', {}],
      ['report_failure', { error: 'x' }],
    ] as const) {
      expect(testbed.call(method, args, { predecessor: USER, promiseResults: [verified()] })).toMatchObject({ status: 'panic', error: expect.stringMatching(/Unauthorized/) });
    }
  });
});

describe('FastAuth verify', () => {
  it('asks the guard, then answers (valid, sub) from the router\'s (valid, sub, guard_name)', () => {
    const testbed = fastAuth();
    const outcome = testbed.call('verify', { guard_id: GUARD_ID, verify_payload: JWT, sign_payload: SIGN_PAYLOAD }, { predecessor: USER });
    expect(outcome.promises).toEqual([
      { kind: 'call', index: 0, account: ROUTER, method: 'verify', args: { guard_id: GUARD_ID, verify_payload: JWT, sign_payload: SIGN_PAYLOAD, predecessor: USER }, deposit: 0n, gas: VERIFY_GAS },
      { kind: 'call', index: 1, account: FAST_AUTH, method: 'on_verify_callback', args: {}, deposit: 0n, gas: ON_VERIFY_RESULT_CALLBACK_GAS, after: 0 },
    ]);
    expect(outcome.returnedPromise).toBe(1);
    const answer = (result: PromiseResult) => testbed.call('on_verify_callback', {}, { predecessor: FAST_AUTH, promiseResults: [result] }).value;
    expect(answer(verified())).toEqual([true, SUB]);
    expect(answer(success([false, 'Token expired', '']))).toEqual([false, 'Token expired']);
    expect(answer(failure)).toEqual([false, '']);
    expect(answer(success('yes'))).toEqual([false, '']);
  });
});

describe('FastAuth administration', () => {
  let testbed: ContractTestbed;
  beforeEach(() => {
    testbed = fastAuth();
  });

  it('starts with the given owner, pauser and guards, and near/mpc\'s default domains', () => {
    expect(testbed.view('owner')).toBe(OWNER);
    expect(testbed.view('pauser')).toBe(PAUSER);
    expect(testbed.view('paused')).toBe(false);
    expect(testbed.view('get_guard', { guard_id: 'jwt' })).toBe(ROUTER);
    expect([testbed.view('mpc_address'), testbed.view('mpc_key_version'), testbed.view('mpc_domain_id')]).toEqual([MPC, 0, 1]);
    expect(testbed.view('version')).toBe('0.1.0');
  });

  it('takes Peersyst\'s init, whose MPC address is FastAuth itself until set_mpc_address', () => {
    const fresh = new ContractTestbed(fastAuthContract, FAST_AUTH);
    expect(fresh.call('init', { init_guards: {}, owner: OWNER, pauser: PAUSER }, { predecessor: FAST_AUTH }).status).toBe('success');
    expect(fresh.view('mpc_address')).toBe(FAST_AUTH);
    expect(fresh.call('set_mpc_address', { mpc_address: MPC }, { predecessor: OWNER }).status).toBe('success');
    expect(fresh.view('mpc_address')).toBe(MPC);
  });

  it.each([
    ['add_guard', { guard_id: 'custom', guard_address: 'custom.near' }],
    ['remove_guard', { guard_id: 'jwt' }],
    ['set_mpc_address', { mpc_address: 'other.near' }],
    ['set_mpc_key_version', { mpc_key_version: 1 }],
    ['set_mpc_domain_id', { mpc_domain_id: 4 }],
    ['change_owner', { new_owner: 'mallory.near' }],
    ['set_pauser', { pauser: 'mallory.near' }],
  ])('lets only the owner call %s', (method, args) => {
    const before = testbed.snapshot();
    expect(testbed.call(method, args, { predecessor: 'mallory.near' })).toMatchObject({ status: 'panic', error: 'Unauthorized: Only the owner can call this function' });
    expect(testbed.snapshot()).toEqual(before);
    const outcome = testbed.call(method, args, { predecessor: OWNER });
    expect(outcome.status).toBe('success');
    expect(outcome.logs).toEqual([`${method}: ${JSON.stringify(args)}`]);
    expect(testbed.snapshot()).not.toEqual(before);
  });

  it('adds and removes guards by their exact id', () => {
    expect(testbed.call('add_guard', { guard_id: 'custom', guard_address: 'custom.near' }, { predecessor: OWNER }).status).toBe('success');
    expect(testbed.view('get_guard', { guard_id: 'custom' })).toBe('custom.near');
    expect(testbed.call('get_guard', { guard_id: 'custom#issuer' })).toMatchObject({ status: 'panic', error: "NotFound: Guard with ID 'custom#issuer' does not exist" });
    expect(testbed.call('remove_guard', { guard_id: 'custom' }, { predecessor: OWNER }).status).toBe('success');
    expect(testbed.call('get_guard', { guard_id: 'custom' })).toMatchObject({ status: 'panic', error: "NotFound: Guard with ID 'custom' does not exist" });
    expect(testbed.call('remove_guard', { guard_id: 'custom' }, { predecessor: OWNER })).toMatchObject({ error: "NotFound: Guard with ID 'custom' does not exist" });
    expect(testbed.call('add_guard', { guard_id: 'a#b', guard_address: 'x.near' }, { predecessor: OWNER })).toMatchObject({ error: "InvalidArguments: Guard ID cannot contain '#'" });
    expect(testbed.call('add_guard', { guard_id: 'x', account_id: 'x.near' }, { predecessor: OWNER })).toMatchObject({ error: expect.stringMatching(/unknown field "account_id"/) });
    expect(testbed.call('set_mpc_key_version', { mpc_key_version: -1 }, { predecessor: OWNER })).toMatchObject({ error: expect.stringMatching(/mpc_key_version: expected an integer/) });
  });

  it('is paused by the pauser and unpaused by the owner, and refuses sign and verify while paused', () => {
    expect(testbed.call('pause', {}, { predecessor: OWNER })).toMatchObject({ error: 'Unauthorized: Only the pauser can call this function' });
    expect(testbed.call('unpause', {}, { predecessor: OWNER })).toMatchObject({ error: expect.stringMatching(/already running/) });
    expect(testbed.call('pause', {}, { predecessor: PAUSER }).status).toBe('success');
    expect(testbed.view('paused')).toBe(true);
    expect(testbed.call('pause', {}, { predecessor: PAUSER })).toMatchObject({ error: expect.stringMatching(/already paused/) });
    expect(testbed.call('sign', signArgs(), { predecessor: USER, deposit: DEPOSIT })).toMatchObject({ status: 'panic', error: 'Paused: Contract is paused' });
    expect(testbed.call('verify', { guard_id: GUARD_ID, verify_payload: JWT, sign_payload: [] }, { predecessor: USER })).toMatchObject({ error: 'Paused: Contract is paused' });
    expect(testbed.call('unpause', {}, { predecessor: PAUSER })).toMatchObject({ error: 'Unauthorized: Only the owner can call this function' });
    expect(testbed.call('unpause', {}, { predecessor: OWNER }).status).toBe('success');
    expect(testbed.call('sign', signArgs(), { predecessor: USER, deposit: DEPOSIT }).status).toBe('success');
  });

  it('is initialised once, by its own account, with Peersyst\'s required arguments', () => {
    const init = { init_guards: { jwt: ROUTER }, owner: OWNER, pauser: PAUSER };
    expect(testbed.call('init', init, { predecessor: FAST_AUTH })).toMatchObject({ error: expect.stringMatching(/already initialized/) });
    const fresh = new ContractTestbed(fastAuthContract, FAST_AUTH);
    expect(fresh.call('init', init, { predecessor: OWNER })).toMatchObject({ error: expect.stringMatching(/Unauthorized/) });
    expect(fresh.call('init', { owner: OWNER, pauser: PAUSER }, { predecessor: FAST_AUTH })).toMatchObject({ error: expect.stringMatching(/init_guards: expected an object/) });
    expect(fresh.call('init', { init_guards: {}, owner: OWNER }, { predecessor: FAST_AUTH })).toMatchObject({ error: expect.stringMatching(/pauser: expected a valid NEAR account id/) });
    expect(fresh.call('init', init, { predecessor: FAST_AUTH }).status).toBe('success');
  });
});
