import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { TGAS } from '../host.js';
import { MIN_SIGN_GAS as MPC_MIN_SIGN_GAS } from '../mpc-signer/contract.js';
import { type CallOutcome, ContractTestbed, failure, type RecordedPromise, success } from '../testing/test-host.js';
import { fastAuthContract, MIN_SIGN_GAS, MPC_SIGN_GAS, ON_SIGN_CALLBACK_GAS, ON_VERIFY_CALLBACK_GAS, VERIFY_GAS } from './fast-auth.js';

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
  expect(testbed.call('init', { owner: OWNER, pauser: PAUSER, mpc_address: MPC, init_guards: { jwt: ROUTER } }, { predecessor: FAST_AUTH }).status).toBe('success');
  return testbed;
}

const signArgs = (algorithm = 'ecdsa', overrides: Record<string, unknown> = {}) => ({ guard_id: GUARD_ID, verify_payload: JWT, sign_payload: SIGN_PAYLOAD, algorithm, ...overrides });
const verifyCallbackArgs = (algorithm = 'ecdsa') => ({ caller: USER, deposit: DEPOSIT.toString(), guard_id: GUARD_ID, sign_payload: SIGN_PAYLOAD, algorithm });

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
      { kind: 'call', index: 1, account: FAST_AUTH, method: 'on_verify_sign_callback', args: verifyCallbackArgs('ecdsa'), deposit: 0n, gas: ON_VERIFY_CALLBACK_GAS, after: 0 },
    ]);
    expect(outcome.returnedPromise).toBe(1);
  });

  it.each([
    ['an unknown guard', signArgs('ecdsa', { guard_id: 'firebase#x' }), {}, /NotFound: no guard is registered for "firebase"/],
    ['an empty guard prefix', signArgs('ecdsa', { guard_id: '#x' }), {}, /guard prefix before the first "#" is empty/],
    ['an unknown algorithm', signArgs('rsa'), {}, /algorithm: expected one of secp256k1, ecdsa, eddsa, got "rsa"/],
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
    const outcome = testbed.call('on_verify_sign_callback', verifyCallbackArgs(algorithm), { predecessor: FAST_AUTH, promiseResults: [success([true, SUB])] });
    const [mpcSign, onSign] = calls(outcome);
    expect(mpcSign).toMatchObject({ account: MPC, method: 'sign', deposit: DEPOSIT, gas: MPC_SIGN_GAS });
    expect(JSON.stringify(mpcSign!.args)).toBe(expectedArgs);
    expect(onSign).toEqual({ kind: 'call', index: 1, account: FAST_AUTH, method: 'on_sign_callback', args: { caller: USER, deposit: DEPOSIT.toString() }, deposit: 0n, gas: ON_SIGN_CALLBACK_GAS, after: 0 });
    expect(outcome.returnedPromise).toBe(1);
  });

  it('attaches at least the gas the MPC signer requires for sign', () => {
    expect(MPC_SIGN_GAS).toBeGreaterThanOrEqual(MPC_MIN_SIGN_GAS);
  });

  it('uses one domain per algorithm', () => {
    expect(testbed.call('set_mpc_domain_id', { algorithm: 'ecdsa', domain_id: 3 }, { predecessor: OWNER }).status).toBe('success');
    expect(testbed.call('set_mpc_key_version', { key_version: 2 }, { predecessor: OWNER }).status).toBe('success');
    const requestFor = (algorithm: string) => (calls(testbed.call('on_verify_sign_callback', verifyCallbackArgs(algorithm), { predecessor: FAST_AUTH, promiseResults: [success([true, SUB])] }))[0]!.args as { request: Record<string, unknown> }).request;
    expect(requestFor('ecdsa')).toMatchObject({ domain_id: 3 });
    expect(requestFor('eddsa')).toMatchObject({ domain_id: 1 });
    expect(requestFor('secp256k1')).toMatchObject({ key_version: 2 });
    expect(testbed.view('mpc_config')).toEqual({ mpc_address: MPC, mpc_key_version: 2, mpc_domain_ids: { ecdsa: 3, eddsa: 1 } });
    expect(testbed.call('set_mpc_domain_id', { algorithm: 'secp256k1', domain_id: 0 }, { predecessor: OWNER })).toMatchObject({ error: expect.stringMatching(/use set_mpc_key_version/) });
  });

  describe('refunds the deposit when', () => {
    it.each([
      ['the guard panics', failure, /the guard call failed/],
      ['the guard rejects the token', success([false, 'the token has expired']), /the guard rejected the token: the token has expired/],
      ['the guard answers something else', success({ valid: true }), /the guard returned a malformed result/],
      ['the guard answers non-JSON', success(new TextEncoder().encode('yes')), /the guard returned a malformed result/],
      ['sub contains "#"', success([true, 'a#b']), /sub must not contain "#"/],
      ['sub is empty', success([true, '']), /sub must have 1 to 256 characters/],
      ['sub is too long', success([true, 'x'.repeat(257)]), /sub must have 1 to 256 characters/],
    ])('%s', (_name, result, reason) => {
      const outcome = testbed.call('on_verify_sign_callback', verifyCallbackArgs(), { predecessor: FAST_AUTH, promiseResults: [result] });
      expectRefundAndFailure(testbed, outcome, reason);
      expect(calls(outcome).some((call) => call.method === 'sign')).toBe(false);
    });

    it('the MPC signer fails or times out', () => {
      const outcome = testbed.call('on_sign_callback', { caller: USER, deposit: DEPOSIT.toString() }, { predecessor: FAST_AUTH, promiseResults: [failure] });
      expectRefundAndFailure(testbed, outcome, /the MPC signer failed or timed out/);
    });
  });

  it('refunds the deposit on success too and returns the signer response unchanged', () => {
    const response = { scheme: 'Ed25519', signature: new Array(64).fill(7) };
    const outcome = testbed.call('on_sign_callback', { caller: USER, deposit: DEPOSIT.toString() }, { predecessor: FAST_AUTH, promiseResults: [success(response)] });
    expect(outcome.promises).toEqual([{ kind: 'transfer', index: 0, account: USER, amount: DEPOSIT }]);
    expect(outcome.value).toEqual(response);
    expect(outcome.returnedPromise).toBeUndefined();
  });

  it('keeps its callbacks private', () => {
    for (const [method, args] of [
      ['on_verify_sign_callback', verifyCallbackArgs()],
      ['on_sign_callback', { caller: USER, deposit: '1' }],
      ['report_failure', { error: 'x' }],
    ] as const) {
      expect(testbed.call(method, args, { predecessor: USER, promiseResults: [success([true, SUB])] })).toMatchObject({ status: 'panic', error: expect.stringMatching(/Unauthorized/) });
    }
  });
});

describe('FastAuth verify', () => {
  it('returns the guard verdict', () => {
    const testbed = fastAuth();
    const outcome = testbed.call('verify', { guard_id: GUARD_ID, verify_payload: JWT, sign_payload: SIGN_PAYLOAD }, { predecessor: USER });
    expect(outcome.promises).toEqual([{ kind: 'call', index: 0, account: ROUTER, method: 'verify', args: { guard_id: GUARD_ID, verify_payload: JWT, sign_payload: SIGN_PAYLOAD, predecessor: USER }, deposit: 0n, gas: VERIFY_GAS }]);
    expect(outcome.returnedPromise).toBe(0);
  });
});

describe('FastAuth administration', () => {
  let testbed: ContractTestbed;
  beforeEach(() => {
    testbed = fastAuth();
  });

  it('starts with the given owner, pauser, guards and near/mpc default domains', () => {
    expect(testbed.view('owner')).toBe(OWNER);
    expect(testbed.view('pauser')).toBe(PAUSER);
    expect(testbed.view('paused')).toBe(false);
    expect(testbed.view('get_guard', { guard_id: 'jwt#anything' })).toBe(ROUTER);
    expect(testbed.view('mpc_config')).toEqual({ mpc_address: MPC, mpc_key_version: 0, mpc_domain_ids: { ecdsa: 0, eddsa: 1 } });
    expect(testbed.view('version')).toBe('0.1.0');
  });

  it.each([
    ['add_guard', { guard_id: 'custom', account_id: 'custom.near' }],
    ['remove_guard', { guard_id: 'jwt' }],
    ['set_mpc_address', { mpc_address: 'other.near' }],
    ['set_mpc_key_version', { key_version: 1 }],
    ['set_mpc_domain_id', { algorithm: 'eddsa', domain_id: 4 }],
    ['change_owner', { new_owner: 'mallory.near' }],
    ['set_pauser', { pauser: 'mallory.near' }],
  ])('lets only the owner call %s', (method, args) => {
    const before = testbed.snapshot();
    expect(testbed.call(method, args, { predecessor: 'mallory.near' })).toMatchObject({ status: 'panic', error: expect.stringMatching(new RegExp(`Unauthorized: ${method} may only be called by the owner owner.near`)) });
    expect(testbed.snapshot()).toEqual(before);
    const outcome = testbed.call(method, args, { predecessor: OWNER });
    expect(outcome.status).toBe('success');
    expect(outcome.logs).toEqual([`${method}: ${JSON.stringify(args)}`]);
    expect(testbed.snapshot()).not.toEqual(before);
  });

  it('adds and removes guards', () => {
    testbed.call('add_guard', { guard_id: 'custom', account_id: 'custom.near' }, { predecessor: OWNER });
    expect(testbed.view('get_guard', { guard_id: 'custom#issuer' })).toBe('custom.near');
    testbed.call('remove_guard', { guard_id: 'custom' }, { predecessor: OWNER });
    expect(testbed.view('get_guard', { guard_id: 'custom' })).toBeNull();
    expect(testbed.call('remove_guard', { guard_id: 'custom' }, { predecessor: OWNER })).toMatchObject({ error: expect.stringMatching(/NotFound/) });
    expect(testbed.call('add_guard', { guard_id: 'a#b', account_id: 'x.near' }, { predecessor: OWNER })).toMatchObject({ error: expect.stringMatching(/contain no "#"/) });
    expect(testbed.call('set_mpc_key_version', { key_version: -1 }, { predecessor: OWNER })).toMatchObject({ error: expect.stringMatching(/key_version: expected an integer/) });
  });

  it('pauses and unpauses by the pauser only, and refuses sign and verify while paused', () => {
    expect(testbed.call('pause', {}, { predecessor: OWNER })).toMatchObject({ error: expect.stringMatching(/Unauthorized: pause may only be called by the pauser pauser.near/) });
    expect(testbed.call('unpause', {}, { predecessor: PAUSER })).toMatchObject({ error: expect.stringMatching(/already running/) });
    expect(testbed.call('pause', {}, { predecessor: PAUSER }).status).toBe('success');
    expect(testbed.view('paused')).toBe(true);
    expect(testbed.call('pause', {}, { predecessor: PAUSER })).toMatchObject({ error: expect.stringMatching(/already paused/) });
    expect(testbed.call('sign', signArgs(), { predecessor: USER, deposit: DEPOSIT })).toMatchObject({ status: 'panic', error: 'Paused: FastAuth is paused' });
    expect(testbed.call('verify', { guard_id: GUARD_ID, verify_payload: JWT, sign_payload: [] }, { predecessor: USER })).toMatchObject({ error: 'Paused: FastAuth is paused' });
    expect(testbed.call('unpause', {}, { predecessor: PAUSER }).status).toBe('success');
    expect(testbed.call('sign', signArgs(), { predecessor: USER, deposit: DEPOSIT }).status).toBe('success');
  });

  it('is initialised once, by its own account', () => {
    expect(testbed.call('init', { owner: OWNER, mpc_address: MPC }, { predecessor: FAST_AUTH })).toMatchObject({ error: expect.stringMatching(/already initialized/) });
    const fresh = new ContractTestbed(fastAuthContract, FAST_AUTH);
    expect(fresh.call('init', { owner: OWNER, mpc_address: MPC }, { predecessor: OWNER })).toMatchObject({ error: expect.stringMatching(/Unauthorized/) });
    expect(fresh.call('init', { owner: OWNER, mpc_address: MPC }, { predecessor: FAST_AUTH }).status).toBe('success');
    expect(fresh.view('pauser')).toBe(OWNER);
  });
});
