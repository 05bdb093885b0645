/**
 * The JWT guard router: FastAuth sends every `jwt#<guard name>` guard id here, and the router asks the
 * guard registered under that name, passing the name on as the issuer (the guard requires `iss` to
 * equal it). Its answer is Peersyst's `(valid, sub, guard_name)`, built in `on_verify_callback` from
 * the guard's `(valid, sub or reason)`.
 */
import {
  type JwtGuardVerifyArgs,
  MAX_GUARD_NAME_BYTES,
  ROUTER_ADD_GUARD_DEPOSIT,
  ROUTER_ERRORS,
  ROUTER_GUARD_ID_PREFIX,
  type RouterAddGuardArgs,
  type RouterGuardNameArgs,
  type RouterInitArgs,
  type RouterOnVerifyCallbackArgs,
  type RouterVerdict,
  type RouterVerifyArgs,
} from '../../shared/near/fast-auth-abi.js';
import { accountId, byteArray, type JsonObject, onlyKeys, string } from '../common/args.js';
import { fail } from '../common/errors.js';
import { defineContract, encodeJson, requirePrivate, returnJson, singlePromiseResult, StateCell } from '../common/runtime.js';
import { type AccountId, type ContractHost, TGAS } from '../host.js';
import { MAX_JWT_ARGUMENT_LENGTH, MAX_SIGN_PAYLOAD_BYTES } from './jwt-guard.js';
import { changeOwner, ownerUpdate, requireOwner } from './owner.js';
import { argumentNames, readGuardVerdict } from './abi.js';

/** RSA-2048 verification by bigint modexp is the expensive part of a guard call. */
export const GUARD_VERIFY_GAS = 30n * TGAS;
/** Reading the guard's answer and returning the router's. */
export const ROUTER_CALLBACK_GAS = 5n * TGAS;

interface RouterState {
  readonly owner: AccountId;
  /** Guard name (the issuer) → guard contract. */
  readonly guards: Readonly<Record<string, AccountId>>;
}

const routerState = new StateCell<RouterState>('the router');
const loadState = (host: ContractHost) => routerState.load(host);
const ON_VERIFY_CALLBACK = 'on_verify_callback';
const encoder = new TextEncoder();

/** A guard name: non-empty, no '#', at most 2048 UTF-8 bytes (counted below, so a long name gets Peersyst's text). */
function readGuardName(value: unknown, where: string): string {
  const name = string(value, where, Infinity);
  if (name.includes('#')) fail('InvalidArguments', ROUTER_ERRORS.guardNameContainsHash);
  if (name.length === 0) fail('InvalidArguments', `${where}: must not be empty`);
  if (encoder.encode(name).length > MAX_GUARD_NAME_BYTES) fail('InvalidArguments', ROUTER_ERRORS.guardNameTooLong);
  return name;
}

function guardNamed(state: RouterState, name: string): AccountId {
  return state.guards[name] ?? fail('NotFound', ROUTER_ERRORS.unknownGuard(name));
}

/** The guard name of `jwt#<name>`; any other form is refused. */
function guardNameOf(guardId: string): string {
  const parts = guardId.split('#');
  if (parts.length !== 2 || parts[0] !== ROUTER_GUARD_ID_PREFIX) fail('InvalidArguments', ROUTER_ERRORS.guardIdFormat);
  return readGuardName(parts[1], 'guard_id');
}

function verify(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, argumentNames<RouterVerifyArgs>({ guard_id: true, verify_payload: true, sign_payload: true, predecessor: true }), 'arguments');
  const guardName = guardNameOf(string(args.guard_id, 'guard_id', MAX_GUARD_NAME_BYTES + ROUTER_GUARD_ID_PREFIX.length + 1));
  const guard = guardNamed(loadState(host), guardName);
  const forwarded: JwtGuardVerifyArgs = {
    issuer: guardName,
    jwt: string(args.verify_payload, 'verify_payload', MAX_JWT_ARGUMENT_LENGTH),
    sign_payload: [...byteArray(args.sign_payload, 'sign_payload', { max: MAX_SIGN_PAYLOAD_BYTES })],
    predecessor: accountId(args.predecessor, 'predecessor'),
  };
  const verification = host.promiseCreate(guard, 'verify', encodeJson(forwarded), 0n, GUARD_VERIFY_GAS);
  host.promiseReturn(host.promiseThen(verification, host.currentAccountId(), ON_VERIFY_CALLBACK, encodeJson({ guard_name: guardName } satisfies RouterOnVerifyCallbackArgs), 0n, ROUTER_CALLBACK_GAS));
}

function onVerifyCallback(host: ContractHost, args: JsonObject): void {
  requirePrivate(host, ON_VERIFY_CALLBACK);
  onlyKeys(args, argumentNames<RouterOnVerifyCallbackArgs>({ guard_name: true }), 'arguments');
  const guardName = readGuardName(args.guard_name, 'guard_name');
  const result = singlePromiseResult(host, ON_VERIFY_CALLBACK);
  // A failed call makes FastAuth's callback see a failed promise, and refund.
  if (result.status === 'failed') fail('CallbackFailed', `${ROUTER_ERRORS.verifyFailed}: the guard call failed`);
  const [valid, subOrReason] = readGuardVerdict(result.value) ?? fail('CallbackFailed', `${ROUTER_ERRORS.verifyFailed}: the guard did not answer (bool, string)`);
  // Peersyst answers (false, "", ""); the reason is kept here so that FastAuth can say why it refunded.
  returnJson(host, (valid ? [true, subOrReason, guardName] : [false, subOrReason, '']) satisfies RouterVerdict);
}

function addGuard(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, argumentNames<RouterAddGuardArgs>({ guard_name: true, guard_account: true }), 'arguments');
  const state = loadState(host);
  requireOwner(host, state.owner);
  const name = readGuardName(args.guard_name, 'guard_name');
  const account = accountId(args.guard_account, 'guard_account');
  // Peersyst's price for the storage of the longest name and account, kept by the router.
  if (host.attachedDeposit() < ROUTER_ADD_GUARD_DEPOSIT) fail('InvalidDeposit', ROUTER_ERRORS.insufficientDeposit(ROUTER_ADD_GUARD_DEPOSIT));
  if (state.guards[name] !== undefined) fail('InvalidArguments', ROUTER_ERRORS.guardExists(name));
  routerState.save(host, { ...state, guards: { ...state.guards, [name]: account } });
  host.log(`add_guard: ${JSON.stringify(args)}`);
}

export const jwtGuardRouterContract = defineContract(
  'jwt-guard-router',
  {
    init: (host, args) => {
      requirePrivate(host, 'init');
      onlyKeys(args, argumentNames<RouterInitArgs>({ owner: true }), 'arguments');
      routerState.initialize(host, { owner: accountId(args.owner, 'owner'), guards: {} });
    },
    verify,
    [ON_VERIFY_CALLBACK]: onVerifyCallback,
    add_guard: addGuard,
    remove_guard: ownerUpdate(routerState, 'remove_guard', argumentNames<RouterGuardNameArgs>({ guard_name: true }), (state, args) => {
      const name = readGuardName(args.guard_name, 'guard_name');
      guardNamed(state, name);
      const { [name]: _removed, ...guards } = state.guards;
      return { ...state, guards };
    }),
    change_owner: changeOwner(routerState),
    get_guard: (host, args) => {
      onlyKeys(args, argumentNames<RouterGuardNameArgs>({ guard_name: true }), 'arguments');
      returnJson(host, guardNamed(loadState(host), readGuardName(args.guard_name, 'guard_name')));
    },
    owner: (host) => returnJson(host, loadState(host).owner),
  },
  ['get_guard', 'owner'],
);
