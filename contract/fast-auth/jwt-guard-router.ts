/**
 * The JWT guard router: FastAuth sends every `jwt#…` guard id here, and the router forwards to the
 * guard registered for the issuer after the first `#`, passing the issuer on (the guard requires
 * `iss` to equal it). The guard's `[valid, sub or reason]` becomes the router's result.
 */
import { accountId, byteArray, type JsonObject, onlyKeys, string } from '../common/args.js';
import { fail } from '../common/errors.js';
import { defineContract, encodeJson, requirePrivate, returnJson, StateCell } from '../common/runtime.js';
import { type AccountId, type ContractHost, TGAS } from '../host.js';
import { MAX_ISSUER_LENGTH, MAX_JWT_ARGUMENT_LENGTH, MAX_SIGN_PAYLOAD_BYTES } from './jwt-guard.js';
import { changeOwner, ownerUpdate } from './owner.js';

/** RSA-2048 verification by bigint modexp is the expensive part of a guard call. */
export const GUARD_VERIFY_GAS = 30n * TGAS;

interface RouterState {
  readonly owner: AccountId;
  readonly guards: Readonly<Record<string, AccountId>>;
}

const routerState = new StateCell<RouterState>('the router');
const loadState = (host: ContractHost) => routerState.load(host);

export function readGuardName(value: unknown, where: string): string {
  const name = string(value, where, MAX_ISSUER_LENGTH);
  if (name.length === 0 || name.includes('#')) fail('InvalidArguments', `${where}: must be non-empty and contain no '#'`);
  return name;
}

function verify(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['guard_id', 'verify_payload', 'sign_payload', 'predecessor'], 'arguments');
  const guardId = string(args.guard_id, 'guard_id', MAX_ISSUER_LENGTH + 64);
  const separator = guardId.indexOf('#');
  if (separator < 0) fail('InvalidArguments', `guard_id "${guardId}" has no '#'; expected "<prefix>#<issuer>"`);
  const issuer = readGuardName(guardId.slice(separator + 1), 'guard_id issuer');
  const guard = loadState(host).guards[issuer] ?? fail('NotFound', `no JWT guard is registered for issuer "${issuer}"`);
  const forwarded = {
    issuer,
    jwt: string(args.verify_payload, 'verify_payload', MAX_JWT_ARGUMENT_LENGTH),
    sign_payload: [...byteArray(args.sign_payload, 'sign_payload', { max: MAX_SIGN_PAYLOAD_BYTES })],
    predecessor: accountId(args.predecessor, 'predecessor'),
  };
  host.promiseReturn(host.promiseCreate(guard, 'verify', encodeJson(forwarded), 0n, GUARD_VERIFY_GAS));
}


export const jwtGuardRouterContract = defineContract(
  'jwt-guard-router',
  {
    init: (host, args) => {
      requirePrivate(host, 'init');
      onlyKeys(args, ['owner'], 'arguments');
      routerState.initialize(host, { owner: accountId(args.owner, 'owner'), guards: {} });
    },
    verify,
    add_guard: ownerUpdate(routerState, 'add_guard', ['name', 'account_id'], (state, args) => {
      const name = readGuardName(args.name, 'name');
      if (state.guards[name] !== undefined) fail('InvalidArguments', `a guard is already registered for "${name}"; remove it first`);
      return { ...state, guards: { ...state.guards, [name]: accountId(args.account_id, 'account_id') } };
    }),
    remove_guard: ownerUpdate(routerState, 'remove_guard', ['name'], (state, args) => {
      const name = readGuardName(args.name, 'name');
      if (state.guards[name] === undefined) fail('NotFound', `no guard is registered for "${name}"`);
      const { [name]: _removed, ...guards } = state.guards;
      return { ...state, guards };
    }),
    change_owner: changeOwner(routerState),
    get_guard: (host, args) => {
      onlyKeys(args, ['name'], 'arguments');
      returnJson(host, loadState(host).guards[readGuardName(args.name, 'name')] ?? null);
    },
    owner: (host) => returnJson(host, loadState(host).owner),
  },
  ['get_guard', 'owner'],
);
