/**
 * The FastAuth contract: `sign` checks a JWT through a guard, then asks the MPC signer to sign the
 * SHA-256 of `sign_payload` under the path `{guard_id}#{sub}`. The caller's attached deposit comes
 * back on every failure path — guard rejects, guard panics, malformed guard answer, bad `sub`, MPC
 * failure or timeout — and also on success (FastAuth absorbs the MPC's 1 yoctoNEAR fee), as in
 * Peersyst/fast-auth after its PR #51 and without its missing refund on a bad `sub`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { accountId, byteArray, integer, type JsonObject, object, onlyKeys, optional, string, U32_MAX, yocto } from '../common/args.js';
import { fail } from '../common/errors.js';
import { decodeJson, defineContract, encodeJson, requireGas, requirePrivate, returnJson, singlePromiseResult, StateCell } from '../common/runtime.js';
import { type AccountId, type Balance, type ContractHost, ONE_YOCTO, TGAS } from '../host.js';
import { MAX_JWT_ARGUMENT_LENGTH, MAX_SIGN_PAYLOAD_BYTES } from './jwt-guard.js';
import { MAX_SUB_LENGTH } from './jwt/jwt.js';
import { changeOwner, ownerUpdate } from './owner.js';

export const FAST_AUTH_VERSION = '0.1.0';
/** Router plus the guard's RSA check (the router forwards 30 Tgas to the guard). */
export const VERIFY_GAS = 40n * TGAS;
/** The MPC signer's `sign` needs at least its MIN_SIGN_GAS (20 Tgas, 10 of them for its yield callback). */
export const MPC_SIGN_GAS = 50n * TGAS;
export const ON_SIGN_CALLBACK_GAS = 10n * TGAS;
export const ON_VERIFY_CALLBACK_GAS = MPC_SIGN_GAS + ON_SIGN_CALLBACK_GAS + 20n * TGAS;
export const REPORT_FAILURE_GAS = 2n * TGAS;
/**
 * What `sign` must be given: the guard call, the callback that calls the MPC, and 15 Tgas for its own
 * work plus the send and execution fees of those two receipts (about 10 Tgas; 5 Tgas ran out of gas).
 */
export const MIN_SIGN_GAS = 15n * TGAS + VERIFY_GAS + ON_VERIFY_CALLBACK_GAS;
const MAX_GUARD_ID_LENGTH = 2100;

export type Algorithm = 'secp256k1' | 'ecdsa' | 'eddsa';
const ALGORITHMS: readonly Algorithm[] = ['secp256k1', 'ecdsa', 'eddsa'];

interface FastAuthState {
  readonly owner: AccountId;
  readonly pauser: AccountId;
  readonly paused: boolean;
  /** Guard id prefix (text before the first '#') → guard contract. */
  readonly guards: Readonly<Record<string, AccountId>>;
  readonly mpc_address: AccountId;
  /** The legacy `key_version` sent with `secp256k1` requests. */
  readonly mpc_key_version: number;
  /** One domain per algorithm: a single shared id would send ECDSA requests to an Ed25519 domain. */
  readonly mpc_domain_ids: { readonly ecdsa: number; readonly eddsa: number };
}

const fastAuthState = new StateCell<FastAuthState>('FastAuth');
const ON_VERIFY_SIGN_CALLBACK = 'on_verify_sign_callback';
const ON_SIGN_CALLBACK = 'on_sign_callback';
const REPORT_FAILURE = 'report_failure';

const loadState = (host: ContractHost) => fastAuthState.load(host);
const saveState = (host: ContractHost, state: FastAuthState) => fastAuthState.save(host, state);

function requireNotPaused(state: FastAuthState): void {
  if (state.paused) fail('Paused', 'FastAuth is paused');
}

function readGuardId(value: unknown): { guardId: string; prefix: string } {
  const guardId = string(value, 'guard_id', MAX_GUARD_ID_LENGTH);
  const separator = guardId.indexOf('#');
  const prefix = separator < 0 ? guardId : guardId.slice(0, separator);
  if (prefix.length === 0) fail('InvalidArguments', 'guard_id: the guard prefix before the first "#" is empty');
  return { guardId, prefix };
}

function guardFor(state: FastAuthState, prefix: string): AccountId {
  return state.guards[prefix] ?? fail('NotFound', `no guard is registered for "${prefix}"`);
}

function readAlgorithm(value: unknown): Algorithm {
  const algorithm = string(value, 'algorithm', 16).toLowerCase();
  if (!ALGORITHMS.includes(algorithm as Algorithm)) fail('InvalidArguments', `algorithm: expected one of ${ALGORITHMS.join(', ')}, got "${algorithm}"`);
  return algorithm as Algorithm;
}

/** The near/mpc `sign` arguments for an algorithm (legacy request for `secp256k1`, the current one otherwise). */
function mpcSignArgs(state: FastAuthState, algorithm: Algorithm, path: string, signPayload: Uint8Array) {
  const hash = sha256(signPayload);
  switch (algorithm) {
    case 'secp256k1':
      return { request: { payload: [...hash], path, key_version: state.mpc_key_version } };
    case 'ecdsa':
      return { request: { path, payload_v2: { Ecdsa: bytesToHex(hash) }, domain_id: state.mpc_domain_ids.ecdsa } };
    case 'eddsa':
      return { request: { path, payload_v2: { Eddsa: bytesToHex(hash) }, domain_id: state.mpc_domain_ids.eddsa } };
  }
}

/** Checks a verified `sub` before it becomes part of a derivation path; null when it is usable. */
function subProblem(sub: string): string | null {
  if (sub.length === 0 || sub.length > MAX_SUB_LENGTH) return `sub must have 1 to ${MAX_SUB_LENGTH} characters`;
  // A '#' in sub would let one identity's path collide with another guard id's.
  if (sub.includes('#')) return 'sub must not contain "#"';
  return null;
}

/** Refunds the caller, then fails the caller's call in a separate receipt (a panic here would undo the refund). */
function refundAndFail(host: ContractHost, caller: AccountId, deposit: Balance, reason: string): void {
  host.log(`sign failed: ${reason}; refunding ${deposit} yoctoNEAR to ${caller}`);
  if (deposit > 0n) host.promiseTransfer(caller, deposit);
  host.promiseReturn(host.promiseCreate(host.currentAccountId(), REPORT_FAILURE, encodeJson({ error: reason }), 0n, REPORT_FAILURE_GAS));
}

// ---- signing ----

function sign(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['guard_id', 'verify_payload', 'sign_payload', 'algorithm'], 'arguments');
  const state = loadState(host);
  requireNotPaused(state);
  const { guardId, prefix } = readGuardId(args.guard_id);
  const verifyPayload = string(args.verify_payload, 'verify_payload', MAX_JWT_ARGUMENT_LENGTH);
  const signPayload = byteArray(args.sign_payload, 'sign_payload', { max: MAX_SIGN_PAYLOAD_BYTES });
  const algorithm = readAlgorithm(args.algorithm);
  const guard = guardFor(state, prefix);
  const deposit = host.attachedDeposit();
  if (deposit < ONE_YOCTO) fail('InvalidDeposit', 'sign needs an attached deposit of at least 1 yoctoNEAR for the MPC signer');
  requireGas(host, MIN_SIGN_GAS, 'sign');
  const caller = host.predecessorAccountId();
  const verification = host.promiseCreate(guard, 'verify', encodeJson({ guard_id: guardId, verify_payload: verifyPayload, sign_payload: [...signPayload], predecessor: caller }), 0n, VERIFY_GAS);
  const callbackArgs = { caller, deposit: deposit.toString(), guard_id: guardId, sign_payload: [...signPayload], algorithm };
  host.promiseReturn(host.promiseThen(verification, host.currentAccountId(), ON_VERIFY_SIGN_CALLBACK, encodeJson(callbackArgs), 0n, ON_VERIFY_CALLBACK_GAS));
}

/** Reads a guard's `[valid, sub or reason]`; null if the guard answered something else. */
function readVerdict(value: Uint8Array): readonly [boolean, string] | null {
  let verdict: unknown;
  try {
    verdict = decodeJson(value);
  } catch {
    return null;
  }
  if (!Array.isArray(verdict) || verdict.length !== 2 || typeof verdict[0] !== 'boolean' || typeof verdict[1] !== 'string') return null;
  return [verdict[0], verdict[1]];
}

function onVerifySignCallback(host: ContractHost, args: JsonObject): void {
  requirePrivate(host, ON_VERIFY_SIGN_CALLBACK);
  const caller = accountId(args.caller, 'caller');
  const deposit = yocto(args.deposit, 'deposit');
  const guardId = string(args.guard_id, 'guard_id', MAX_GUARD_ID_LENGTH);
  const signPayload = byteArray(args.sign_payload, 'sign_payload', { max: MAX_SIGN_PAYLOAD_BYTES });
  const algorithm = readAlgorithm(args.algorithm);
  const result = singlePromiseResult(host, ON_VERIFY_SIGN_CALLBACK);
  if (result.status === 'failed') return refundAndFail(host, caller, deposit, 'the guard call failed');
  const verdict = readVerdict(result.value);
  if (verdict === null) return refundAndFail(host, caller, deposit, 'the guard returned a malformed result');
  const [valid, subOrReason] = verdict;
  if (!valid) return refundAndFail(host, caller, deposit, `the guard rejected the token: ${subOrReason}`);
  const problem = subProblem(subOrReason);
  if (problem !== null) return refundAndFail(host, caller, deposit, problem);

  const state = loadState(host);
  const path = `${guardId}#${subOrReason}`;
  const mpcSign = host.promiseCreate(state.mpc_address, 'sign', encodeJson(mpcSignArgs(state, algorithm, path, signPayload)), deposit, MPC_SIGN_GAS);
  host.log(`guard verified ${guardId}; requesting a ${algorithm} signature for path ${path}`);
  host.promiseReturn(host.promiseThen(mpcSign, host.currentAccountId(), ON_SIGN_CALLBACK, encodeJson({ caller, deposit: deposit.toString() }), 0n, ON_SIGN_CALLBACK_GAS));
}

function onSignCallback(host: ContractHost, args: JsonObject): void {
  requirePrivate(host, ON_SIGN_CALLBACK);
  const caller = accountId(args.caller, 'caller');
  const deposit = yocto(args.deposit, 'deposit');
  const result = singlePromiseResult(host, ON_SIGN_CALLBACK);
  if (result.status === 'failed') return refundAndFail(host, caller, deposit, 'the MPC signer failed or timed out');
  if (deposit > 0n) host.promiseTransfer(caller, deposit);
  host.log('MPC signing successful');
  // The signer's response JSON, unchanged, becomes the caller's result.
  host.valueReturn(result.value);
}

function reportFailure(host: ContractHost, args: JsonObject): void {
  requirePrivate(host, REPORT_FAILURE);
  fail('SignFailed', `${string(args.error, 'error', 4096)}; the attached deposit was refunded`);
}

function verify(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['guard_id', 'verify_payload', 'sign_payload'], 'arguments');
  const state = loadState(host);
  requireNotPaused(state);
  const { guardId, prefix } = readGuardId(args.guard_id);
  const forwarded = {
    guard_id: guardId,
    verify_payload: string(args.verify_payload, 'verify_payload', MAX_JWT_ARGUMENT_LENGTH),
    sign_payload: [...byteArray(args.sign_payload, 'sign_payload', { max: MAX_SIGN_PAYLOAD_BYTES })],
    predecessor: host.predecessorAccountId(),
  };
  host.promiseReturn(host.promiseCreate(guardFor(state, prefix), 'verify', encodeJson(forwarded), 0n, VERIFY_GAS));
}

// ---- administration ----

function init(host: ContractHost, args: JsonObject): void {
  requirePrivate(host, 'init');
  onlyKeys(args, ['owner', 'pauser', 'mpc_address', 'init_guards', 'mpc_key_version', 'mpc_domain_ids'], 'arguments');
  const owner = accountId(args.owner, 'owner');
  const guards: Record<string, AccountId> = {};
  for (const [id, account] of Object.entries(optional(args.init_guards, (value) => object(value, 'init_guards')) ?? {})) {
    guards[readGuardPrefix(id, `init_guards key "${id}"`)] = accountId(account, `init_guards.${id}`);
  }
  const domainIds = optional(args.mpc_domain_ids, (value) => object(value, 'mpc_domain_ids'));
  if (domainIds !== undefined) onlyKeys(domainIds, ['ecdsa', 'eddsa'], 'mpc_domain_ids');
  fastAuthState.initialize(host, {
    owner,
    pauser: optional(args.pauser, (value) => accountId(value, 'pauser')) ?? owner,
    paused: false,
    guards,
    mpc_address: accountId(args.mpc_address, 'mpc_address'),
    mpc_key_version: optional(args.mpc_key_version, (value) => integer(value, 'mpc_key_version', U32_MAX)) ?? 0,
    // near/mpc's default domains: 0 is secp256k1 ECDSA, 1 is Ed25519.
    mpc_domain_ids: {
      ecdsa: optional(domainIds?.ecdsa, (value) => integer(value, 'mpc_domain_ids.ecdsa')) ?? 0,
      eddsa: optional(domainIds?.eddsa, (value) => integer(value, 'mpc_domain_ids.eddsa')) ?? 1,
    },
  });
}

function readGuardPrefix(value: unknown, where: string): string {
  const prefix = string(value, where, 64);
  if (prefix.length === 0 || prefix.includes('#')) fail('InvalidArguments', `${where}: a guard id must be non-empty and contain no "#"`);
  return prefix;
}

const ownerMethod = (method: string, argumentNames: readonly string[], update: (state: FastAuthState, args: JsonObject) => FastAuthState) =>
  ownerUpdate(fastAuthState, method, argumentNames, update);

function setPaused(paused: boolean, method: string) {
  return (host: ContractHost, args: JsonObject): void => {
    onlyKeys(args, [], 'arguments');
    const state = loadState(host);
    if (host.predecessorAccountId() !== state.pauser) fail('Unauthorized', `${method} may only be called by the pauser ${state.pauser}`);
    if (state.paused === paused) fail('InvalidState', `FastAuth is already ${paused ? 'paused' : 'running'}`);
    saveState(host, { ...state, paused });
    host.log(paused ? 'paused' : 'unpaused');
  };
}

export const fastAuthContract = defineContract(
  'fast-auth',
  {
    init,
    sign,
    [ON_VERIFY_SIGN_CALLBACK]: onVerifySignCallback,
    [ON_SIGN_CALLBACK]: onSignCallback,
    [REPORT_FAILURE]: reportFailure,
    verify,
    add_guard: ownerMethod('add_guard', ['guard_id', 'account_id'], (state, args) => ({
      ...state,
      guards: { ...state.guards, [readGuardPrefix(args.guard_id, 'guard_id')]: accountId(args.account_id, 'account_id') },
    })),
    remove_guard: ownerMethod('remove_guard', ['guard_id'], (state, args) => {
      const prefix = readGuardPrefix(args.guard_id, 'guard_id');
      guardFor(state, prefix);
      const { [prefix]: _removed, ...guards } = state.guards;
      return { ...state, guards };
    }),
    set_mpc_address: ownerMethod('set_mpc_address', ['mpc_address'], (state, args) => ({ ...state, mpc_address: accountId(args.mpc_address, 'mpc_address') })),
    set_mpc_key_version: ownerMethod('set_mpc_key_version', ['key_version'], (state, args) => ({ ...state, mpc_key_version: integer(args.key_version, 'key_version', U32_MAX) })),
    set_mpc_domain_id: ownerMethod('set_mpc_domain_id', ['algorithm', 'domain_id'], (state, args) => {
      const algorithm = readAlgorithm(args.algorithm);
      if (algorithm === 'secp256k1') fail('InvalidArguments', 'algorithm: secp256k1 requests name their domain by key version; use set_mpc_key_version');
      return { ...state, mpc_domain_ids: { ...state.mpc_domain_ids, [algorithm]: integer(args.domain_id, 'domain_id') } };
    }),
    change_owner: changeOwner(fastAuthState),
    set_pauser: ownerMethod('set_pauser', ['pauser'], (state, args) => ({ ...state, pauser: accountId(args.pauser, 'pauser') })),
    pause: setPaused(true, 'pause'),
    unpause: setPaused(false, 'unpause'),
    get_guard: (host, args) => {
      onlyKeys(args, ['guard_id'], 'arguments');
      returnJson(host, loadState(host).guards[readGuardId(args.guard_id).prefix] ?? null);
    },
    owner: (host) => returnJson(host, loadState(host).owner),
    pauser: (host) => returnJson(host, loadState(host).pauser),
    paused: (host) => returnJson(host, loadState(host).paused),
    mpc_config: (host) => {
      const { mpc_address, mpc_key_version, mpc_domain_ids } = loadState(host);
      returnJson(host, { mpc_address, mpc_key_version, mpc_domain_ids });
    },
    version: (host) => returnJson(host, FAST_AUTH_VERSION),
  },
  ['get_guard', 'owner', 'pauser', 'paused', 'mpc_config', 'version'],
);
