/** Ownership shared by the FastAuth contracts: owner-only updates of the state, and handing ownership over. */
import { type ChangeOwnerArgs, FAST_AUTH_ERRORS } from '../../shared/near/fast-auth-abi.js';
import { accountId, type JsonObject, onlyKeys } from '../common/args.js';
import { fail } from '../common/errors.js';
import type { MethodHandler, StateCell } from '../common/runtime.js';
import type { AccountId, ContractHost } from '../host.js';
import { argumentNames } from './abi.js';

export function requireOwner(host: ContractHost, owner: AccountId): void {
  if (host.predecessorAccountId() !== owner) fail('Unauthorized', FAST_AUTH_ERRORS.onlyOwner);
}

/** A method only the owner may call: it reads `argumentNames`, updates the state and logs the change. */
export function ownerUpdate<T extends { readonly owner: AccountId }>(
  cell: StateCell<T>,
  method: string,
  argumentNames: readonly string[],
  update: (state: T, args: JsonObject) => T,
): MethodHandler {
  return (host, args) => {
    onlyKeys(args, argumentNames, 'arguments');
    const state = cell.load(host);
    requireOwner(host, state.owner);
    cell.save(host, update(state, args));
    host.log(`${method}: ${JSON.stringify(args)}`);
  };
}

/** `change_owner({new_owner})`. */
export function changeOwner<T extends { readonly owner: AccountId }>(cell: StateCell<T>): MethodHandler {
  return ownerUpdate(cell, 'change_owner', argumentNames<ChangeOwnerArgs>({ new_owner: true }), (state, args) => ({ ...state, owner: accountId(args.new_owner, 'new_owner') }));
}
