/** Ownership shared by the FastAuth contracts: one owner account, changed only by itself. */
import { accountId, type JsonObject, onlyKeys } from '../common/args.js';
import { fail } from '../common/errors.js';
import type { AccountId, ContractHost } from '../host.js';

export function requireOwner(host: ContractHost, owner: AccountId, method: string): void {
  if (host.predecessorAccountId() !== owner) fail('Unauthorized', `${method} may only be called by the owner ${owner}`);
}

/** Reads `change_owner`'s `{new_owner}`. */
export function readNewOwner(args: JsonObject): AccountId {
  onlyKeys(args, ['new_owner'], 'arguments');
  return accountId(args.new_owner, 'new_owner');
}
