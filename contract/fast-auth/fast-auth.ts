/**
 * The FastAuth contract, in Peersyst/fast-auth's ABI (shared/near/fast-auth-abi.ts): `sign` checks a
 * JWT through a guard, then asks the MPC signer to sign the SHA-256 of `sign_payload` under the path
 * `{guard_id}#{sub}`. The caller's attached deposit comes back on every failure path — guard rejects,
 * guard panics, malformed guard answer, bad `sub`, MPC failure or timeout — and also on success
 * (FastAuth absorbs the MPC's 1 yoctoNEAR fee), as in Peersyst/fast-auth after its PR #51 and without
 * its missing refund on a bad `sub`; a failure also fails the caller's transaction.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  FAST_AUTH_ALGORITHMS,
  FAST_AUTH_ERRORS,
  type FastAuthAddGuardArgs,
  type FastAuthAlgorithm,
  type FastAuthGuardIdArgs,
  type FastAuthInitArgs,
  type FastAuthSignArgs,
  type FastAuthVerifyArgs,
  type FastAuthVerifyResult,
  type GuardVerifyArgs,
  type MpcSignArgs,
  type OnSignCallbackArgs,
  type OnVerifySignCallbackArgs,
  type SetMpcAddressArgs,
  type SetMpcDomainIdArgs,
  type SetMpcKeyVersionArgs,
  type SetPauserArgs,
  SIGNATURE_ALGORITHM_VARIANTS,
} from '../../shared/near/fast-auth-abi.js';
import { accountId, byteArray, integer, type JsonObject, object, onlyKeys, optional, string, U32_MAX, yocto } from '../common/args.js';
import { fail } from '../common/errors.js';
import { defineContract, encodeJson, requireGas, requirePrivate, returnJson, singlePromiseResult, StateCell } from '../common/runtime.js';
import { type AccountId, type Balance, type ContractHost, ONE_YOCTO, TGAS } from '../host.js';
import { MAX_JWT_ARGUMENT_LENGTH, MAX_SIGN_PAYLOAD_BYTES } from './jwt-guard.js';
import { isValidSubLength } from './jwt/jwt.js';
import { changeOwner, ownerUpdate, requireOwner } from './owner.js';
import { argumentNames, readRouterVerdict } from './abi.js';

export const FAST_AUTH_VERSION = '0.1.0';
/** The router, its guard's RSA check (30 Tgas) and the router's callback (5 Tgas). */
export const VERIFY_GAS = 45n * TGAS;
/** The MPC signer's `sign` needs at least 15 Tgas (near/mpc 3.14) or 20 Tgas (ours, 10 of them for its yield callback). */
export const MPC_SIGN_GAS = 50n * TGAS;
export const ON_SIGN_CALLBACK_GAS = 10n * TGAS;
export const ON_VERIFY_CALLBACK_GAS = MPC_SIGN_GAS + ON_SIGN_CALLBACK_GAS + 20n * TGAS;
/** `verify`'s callback only reads the router's answer. */
export const ON_VERIFY_RESULT_CALLBACK_GAS = 5n * TGAS;
export const REPORT_FAILURE_GAS = 2n * TGAS;
/**
 * What `sign` must be given: the guard call, the callback that calls the MPC, and 15 Tgas for its own
 * work plus the send and execution fees of those two receipts (about 10 Tgas; 5 Tgas ran out of gas).
 */
export const MIN_SIGN_GAS = 15n * TGAS + VERIFY_GAS + ON_VERIFY_CALLBACK_GAS;
const MAX_GUARD_ID_LENGTH = 2100;
/** near/mpc's default domains: 0 is secp256k1 ECDSA, 1 is Ed25519. */
const DEFAULT_ECDSA_DOMAIN = 0;
const DEFAULT_EDDSA_DOMAIN = 1;

interface FastAuthState {
  readonly owner: AccountId;
  readonly pauser: AccountId;
  readonly paused: boolean;
  /** Guard id prefix (text before the first '#') → guard contract. */
  readonly guards: Readonly<Record<string, AccountId>>;
  readonly mpc_address: AccountId;
  /**
   * The ECDSA domain, for `secp256k1` (sent as the legacy `key_version`, which near/mpc reads as the
   * domain id) and for `ecdsa`. Peersyst sends `ecdsa` to `mpc_domain_id`, which by default is the Ed25519 domain.
   */
  readonly mpc_key_version: number;
  /** The EdDSA domain, for `eddsa`. */
  readonly mpc_domain_id: number;
}

const fastAuthState = new StateCell<FastAuthState>('FastAuth');
const ON_VERIFY_SIGN_CALLBACK = 'on_verify_sign_callback';
const ON_SIGN_CALLBACK = 'on_sign_callback';
const ON_VERIFY_CALLBACK = 'on_verify_callback';
const REPORT_FAILURE = 'report_failure';

const loadState = (host: ContractHost) => fastAuthState.load(host);
const saveState = (host: ContractHost, state: FastAuthState) => fastAuthState.save(host, state);

function requireNotPaused(state: FastAuthState): void {
  if (state.paused) fail('Paused', FAST_AUTH_ERRORS.paused);
}

function readGuardId(value: unknown): { guardId: string; prefix: string } {
  const guardId = string(value, 'guard_id', MAX_GUARD_ID_LENGTH);
  if (guardId.length === 0) fail('InvalidArguments', FAST_AUTH_ERRORS.emptyGuardId);
  const prefix = guardId.split('#', 1)[0]!;
  if (prefix.length === 0) fail('InvalidArguments', FAST_AUTH_ERRORS.guardIdFormat);
  return { guardId, prefix };
}

/** The guard `sign` and `verify` call for a guard id. */
function guardFor(state: FastAuthState, value: unknown): { guardId: string; guard: AccountId } {
  const { guardId, prefix } = readGuardId(value);
  return { guardId, guard: state.guards[prefix] ?? fail('NotFound', FAST_AUTH_ERRORS.cannotVerify(guardId)) };
}

function readAlgorithm(value: unknown): FastAuthAlgorithm {
  const given = string(value, 'algorithm', 64);
  const algorithm = FAST_AUTH_ALGORITHMS.find((known) => known === given.toLowerCase());
  return algorithm ?? fail('InvalidArguments', FAST_AUTH_ERRORS.unsupportedAlgorithm(given));
}

function readAlgorithmVariant(value: unknown): FastAuthAlgorithm {
  const algorithm = FAST_AUTH_ALGORITHMS.find((known) => SIGNATURE_ALGORITHM_VARIANTS[known] === value);
  return algorithm ?? fail('InvalidArguments', `algorithm: expected one of ${Object.values(SIGNATURE_ALGORITHM_VARIANTS).join(', ')}`);
}

/** The near/mpc `sign` arguments for an algorithm (legacy request for `secp256k1`, the current one otherwise). */
function mpcSignArgs(state: FastAuthState, algorithm: FastAuthAlgorithm, path: string, signPayload: Uint8Array): MpcSignArgs {
  const hash = sha256(signPayload);
  switch (algorithm) {
    case 'secp256k1':
      return { request: { payload: [...hash], path, key_version: state.mpc_key_version } };
    case 'ecdsa':
      return { request: { path, payload_v2: { Ecdsa: bytesToHex(hash) }, domain_id: state.mpc_key_version } };
    case 'eddsa':
      return { request: { path, payload_v2: { Eddsa: bytesToHex(hash) }, domain_id: state.mpc_domain_id } };
  }
}

/** Peersyst's `verify_sub`, and not empty: a '#' in sub would let one identity's path collide with another guard id's. */
const isUsableSub = (sub: string) => isValidSubLength(sub) && !sub.includes('#');

/** Refunds the caller, then fails the caller's call in a separate receipt (a panic here would undo the refund). */
function refundAndFail(host: ContractHost, caller: AccountId, deposit: Balance, reason: string): void {
  host.log(`sign failed: ${reason}; refunding ${deposit} yoctoNEAR to ${caller}`);
  if (deposit > 0n) host.promiseTransfer(caller, deposit);
  host.promiseReturn(host.promiseCreate(host.currentAccountId(), REPORT_FAILURE, encodeJson({ error: reason }), 0n, REPORT_FAILURE_GAS));
}

/** The arguments `sign` and `verify` pass on to the guard. */
function guardVerifyArgs(host: ContractHost, args: JsonObject, guardId: string): GuardVerifyArgs {
  return {
    guard_id: guardId,
    verify_payload: string(args.verify_payload, 'verify_payload', MAX_JWT_ARGUMENT_LENGTH),
    sign_payload: [...byteArray(args.sign_payload, 'sign_payload', { max: MAX_SIGN_PAYLOAD_BYTES })],
    predecessor: host.predecessorAccountId(),
  };
}

// ---- signing ----

function sign(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, argumentNames<FastAuthSignArgs>({ guard_id: true, verify_payload: true, sign_payload: true, algorithm: true }), 'arguments');
  const state = loadState(host);
  requireNotPaused(state);
  const algorithm = readAlgorithm(args.algorithm);
  const { guardId, guard } = guardFor(state, args.guard_id);
  const forwarded = guardVerifyArgs(host, args, guardId);
  const deposit = host.attachedDeposit();
  if (deposit < ONE_YOCTO) fail('InvalidDeposit', 'sign needs an attached deposit of at least 1 yoctoNEAR for the MPC signer');
  requireGas(host, MIN_SIGN_GAS, 'sign');
  const verification = host.promiseCreate(guard, 'verify', encodeJson(forwarded), 0n, VERIFY_GAS);
  const callbackArgs: OnVerifySignCallbackArgs = {
    guard_id: guardId,
    sign_payload: forwarded.sign_payload,
    attached_deposit: deposit.toString(),
    algorithm: SIGNATURE_ALGORITHM_VARIANTS[algorithm],
    caller: forwarded.predecessor,
  };
  host.promiseReturn(host.promiseThen(verification, host.currentAccountId(), ON_VERIFY_SIGN_CALLBACK, encodeJson(callbackArgs), 0n, ON_VERIFY_CALLBACK_GAS));
}

function onVerifySignCallback(host: ContractHost, args: JsonObject): void {
  requirePrivate(host, ON_VERIFY_SIGN_CALLBACK);
  onlyKeys(args, argumentNames<OnVerifySignCallbackArgs>({ guard_id: true, sign_payload: true, attached_deposit: true, algorithm: true, caller: true }), 'arguments');
  const guardId = string(args.guard_id, 'guard_id', MAX_GUARD_ID_LENGTH);
  const signPayload = byteArray(args.sign_payload, 'sign_payload', { max: MAX_SIGN_PAYLOAD_BYTES });
  const deposit = yocto(args.attached_deposit, 'attached_deposit');
  const algorithm = readAlgorithmVariant(args.algorithm);
  const caller = accountId(args.caller, 'caller');
  const result = singlePromiseResult(host, ON_VERIFY_SIGN_CALLBACK);
  if (result.status === 'failed') return refundAndFail(host, caller, deposit, 'the guard call failed');
  const verdict = readRouterVerdict(result.value);
  if (verdict === null) return refundAndFail(host, caller, deposit, 'the guard returned a malformed result');
  const [valid, subOrReason] = verdict;
  if (!valid) return refundAndFail(host, caller, deposit, `the guard rejected the token: ${subOrReason}`);
  if (!isUsableSub(subOrReason)) return refundAndFail(host, caller, deposit, FAST_AUTH_ERRORS.invalidSub);

  const state = loadState(host);
  const path = `${guardId}#${subOrReason}`;
  const mpcSign = host.promiseCreate(state.mpc_address, 'sign', encodeJson(mpcSignArgs(state, algorithm, path, signPayload)), deposit, MPC_SIGN_GAS);
  host.log(`guard verified ${guardId}; requesting a ${algorithm} signature for path ${path}`);
  const callbackArgs: OnSignCallbackArgs = { caller, original_deposit: deposit.toString() };
  host.promiseReturn(host.promiseThen(mpcSign, host.currentAccountId(), ON_SIGN_CALLBACK, encodeJson(callbackArgs), 0n, ON_SIGN_CALLBACK_GAS));
}

function onSignCallback(host: ContractHost, args: JsonObject): void {
  requirePrivate(host, ON_SIGN_CALLBACK);
  onlyKeys(args, argumentNames<OnSignCallbackArgs>({ caller: true, original_deposit: true }), 'arguments');
  const caller = accountId(args.caller, 'caller');
  const deposit = yocto(args.original_deposit, 'original_deposit');
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
  onlyKeys(args, argumentNames<FastAuthVerifyArgs>({ guard_id: true, verify_payload: true, sign_payload: true }), 'arguments');
  const state = loadState(host);
  requireNotPaused(state);
  const { guardId, guard } = guardFor(state, args.guard_id);
  const verification = host.promiseCreate(guard, 'verify', encodeJson(guardVerifyArgs(host, args, guardId)), 0n, VERIFY_GAS);
  host.promiseReturn(host.promiseThen(verification, host.currentAccountId(), ON_VERIFY_CALLBACK, encodeJson({}), 0n, ON_VERIFY_RESULT_CALLBACK_GAS));
}

/** `verify`'s answer `(valid, sub)` from the router's `(valid, sub, guard_name)`; `(false, "")` when the guard call failed, as Peersyst's. */
function onVerifyCallback(host: ContractHost, args: JsonObject): void {
  requirePrivate(host, ON_VERIFY_CALLBACK);
  onlyKeys(args, [], 'arguments');
  const result = singlePromiseResult(host, ON_VERIFY_CALLBACK);
  const verdict = result.status === 'successful' ? readRouterVerdict(result.value) : null;
  returnJson(host, (verdict === null ? [false, ''] : [verdict[0], verdict[1]]) satisfies FastAuthVerifyResult);
}

// ---- administration ----

function init(host: ContractHost, args: JsonObject): void {
  requirePrivate(host, 'init');
  onlyKeys(args, argumentNames<FastAuthInitArgs>({ init_guards: true, owner: true, pauser: true, mpc_address: true }), 'arguments');
  const guards: Record<string, AccountId> = {};
  for (const [id, account] of Object.entries(object(args.init_guards, 'init_guards'))) {
    guards[readGuardPrefix(id)] = accountId(account, `init_guards.${id}`);
  }
  fastAuthState.initialize(host, {
    owner: accountId(args.owner, 'owner'),
    pauser: accountId(args.pauser, 'pauser'),
    paused: false,
    guards,
    // Peersyst's init points the MPC address at FastAuth itself until set_mpc_address.
    mpc_address: optional(args.mpc_address, (value) => accountId(value, 'mpc_address')) ?? host.currentAccountId(),
    mpc_key_version: DEFAULT_ECDSA_DOMAIN,
    mpc_domain_id: DEFAULT_EDDSA_DOMAIN,
  });
}

function readGuardPrefix(value: unknown): string {
  const prefix = string(value, 'guard_id', 64);
  if (prefix.includes('#')) fail('InvalidArguments', FAST_AUTH_ERRORS.guardIdContainsHash);
  if (prefix.length === 0) fail('InvalidArguments', FAST_AUTH_ERRORS.emptyGuardId);
  return prefix;
}

const ownerMethod = (method: string, argumentNames: readonly string[], update: (state: FastAuthState, args: JsonObject) => FastAuthState) =>
  ownerUpdate(fastAuthState, method, argumentNames, update);

/** `pause` by the pauser, `unpause` by the owner (as Peersyst: a pauser's key cannot end a pause). */
function setPaused(paused: boolean) {
  return (host: ContractHost, args: JsonObject): void => {
    onlyKeys(args, [], 'arguments');
    const state = loadState(host);
    if (paused && host.predecessorAccountId() !== state.pauser) fail('Unauthorized', FAST_AUTH_ERRORS.onlyPauser);
    if (!paused) requireOwner(host, state.owner);
    if (state.paused === paused) fail('InvalidState', `FastAuth is already ${paused ? 'paused' : 'running'}`);
    saveState(host, { ...state, paused });
    host.log(paused ? 'paused' : 'unpaused');
  };
}

const view = (read: (state: FastAuthState) => unknown) => (host: ContractHost, args: JsonObject) => {
  onlyKeys(args, [], 'arguments');
  returnJson(host, read(loadState(host)));
};

export const fastAuthContract = defineContract(
  'fast-auth',
  {
    init,
    sign,
    [ON_VERIFY_SIGN_CALLBACK]: onVerifySignCallback,
    [ON_SIGN_CALLBACK]: onSignCallback,
    [REPORT_FAILURE]: reportFailure,
    verify,
    [ON_VERIFY_CALLBACK]: onVerifyCallback,
    add_guard: ownerMethod('add_guard', argumentNames<FastAuthAddGuardArgs>({ guard_id: true, guard_address: true }), (state, args) => ({
      ...state,
      guards: { ...state.guards, [readGuardPrefix(args.guard_id)]: accountId(args.guard_address, 'guard_address') },
    })),
    remove_guard: ownerMethod('remove_guard', argumentNames<FastAuthGuardIdArgs>({ guard_id: true }), (state, args) => {
      const prefix = readGuardPrefix(args.guard_id);
      if (state.guards[prefix] === undefined) fail('NotFound', FAST_AUTH_ERRORS.unknownGuard(prefix));
      const { [prefix]: _removed, ...guards } = state.guards;
      return { ...state, guards };
    }),
    set_mpc_address: ownerMethod('set_mpc_address', argumentNames<SetMpcAddressArgs>({ mpc_address: true }), (state, args) => ({ ...state, mpc_address: accountId(args.mpc_address, 'mpc_address') })),
    set_mpc_key_version: ownerMethod('set_mpc_key_version', argumentNames<SetMpcKeyVersionArgs>({ mpc_key_version: true }), (state, args) => ({ ...state, mpc_key_version: integer(args.mpc_key_version, 'mpc_key_version', U32_MAX) })),
    set_mpc_domain_id: ownerMethod('set_mpc_domain_id', argumentNames<SetMpcDomainIdArgs>({ mpc_domain_id: true }), (state, args) => ({ ...state, mpc_domain_id: integer(args.mpc_domain_id, 'mpc_domain_id') })),
    change_owner: changeOwner(fastAuthState),
    set_pauser: ownerMethod('set_pauser', argumentNames<SetPauserArgs>({ pauser: true }), (state, args) => ({ ...state, pauser: accountId(args.pauser, 'pauser') })),
    pause: setPaused(true),
    unpause: setPaused(false),
    get_guard: (host, args) => {
      onlyKeys(args, argumentNames<FastAuthGuardIdArgs>({ guard_id: true }), 'arguments');
      const guardId = string(args.guard_id, 'guard_id', MAX_GUARD_ID_LENGTH);
      returnJson(host, loadState(host).guards[guardId] ?? fail('NotFound', FAST_AUTH_ERRORS.unknownGuard(guardId)));
    },
    owner: view((state) => state.owner),
    pauser: view((state) => state.pauser),
    paused: view((state) => state.paused),
    mpc_address: view((state) => state.mpc_address),
    mpc_key_version: view((state) => state.mpc_key_version),
    mpc_domain_id: view((state) => state.mpc_domain_id),
    version: view(() => FAST_AUTH_VERSION),
  },
  ['get_guard', 'owner', 'pauser', 'paused', 'mpc_address', 'mpc_key_version', 'mpc_domain_id', 'version'],
);
