/**
 * The chain's world state (accounts with keys, balances and contract storage) and the queues that
 * carry receipts between blocks. Receipt execution works on a copy-on-write {@link StateOverlay} so a
 * failed receipt leaves no trace.
 */
import type { AccessKey, AccountId, ActionReceipt, ContractCode, CryptoHash, PublicKeyText, Receipt } from './types.js';

export interface MutableAccount {
  amount: bigint;
  locked: bigint;
  contract: ContractCode | null;
  keys: Map<PublicKeyText, AccessKey>;
  storage: Map<string, Uint8Array>;
}

/** A callback parked by `promiseYieldCreate`, waiting for its data id. */
export interface PendingYield {
  readonly accountId: AccountId;
  /** The first height at which the chain delivers the timeout (a failed result). */
  readonly expiresAtHeight: number;
  readonly originTxHash: CryptoHash;
}

export interface ChainState {
  readonly accounts: Map<AccountId, MutableAccount>;
  /** Receipts produced in the last block, delivered in the next one. */
  incoming: Receipt[];
  /** Action receipts delivered but waiting for input data, by receipt id. */
  readonly postponed: Map<CryptoHash, ActionReceipt>;
  /** Which postponed receipt waits for a data id. */
  readonly awaitedData: Map<CryptoHash, CryptoHash>;
  /** Data that arrived before (or for) its receipt, by data id; null is a failed promise. */
  readonly receivedData: Map<CryptoHash, Uint8Array | null>;
  readonly yields: Map<CryptoHash, PendingYield>;
  /** Deployed wasm by code hash (base58 SHA-256), shared by every account that runs it. */
  readonly code: Map<CryptoHash, Uint8Array>;
  totalSupply: bigint;
}

export function emptyChainState(): ChainState {
  return {
    accounts: new Map(),
    incoming: [],
    postponed: new Map(),
    awaitedData: new Map(),
    receivedData: new Map(),
    yields: new Map(),
    code: new Map(),
    totalSupply: 0n,
  };
}

/** nearcore's storage accounting: a fixed 100 bytes per account, 40 per record, and the contract's code. */
const ACCOUNT_OVERHEAD_BYTES = 100;
const RECORD_OVERHEAD_BYTES = 40;

export function storageUsage(account: MutableAccount): number {
  let bytes = ACCOUNT_OVERHEAD_BYTES + (account.contract?.kind === 'wasm' ? account.contract.sizeBytes : 0);
  for (const [publicKey, key] of account.keys) {
    bytes += RECORD_OVERHEAD_BYTES + publicKey.length + (key.permission.kind === 'FunctionCall' ? 8 + key.permission.receiverId.length + key.permission.methodNames.join('').length : 8);
  }
  for (const [hexKey, value] of account.storage) bytes += RECORD_OVERHEAD_BYTES + hexKey.length / 2 + value.length;
  return bytes;
}

function cloneAccount(account: MutableAccount): MutableAccount {
  return { ...account, keys: new Map(account.keys), storage: new Map(account.storage) };
}

/**
 * Pending account changes of one receipt or transaction. Accounts are cloned on first access;
 * `commit` writes them back, dropping the overlay discards them (the rollback on failure).
 */
export class StateOverlay {
  private readonly touched = new Map<AccountId, MutableAccount | null>();

  constructor(private readonly accounts: Map<AccountId, MutableAccount>) {}

  get(accountId: AccountId): MutableAccount | undefined {
    if (this.touched.has(accountId)) return this.touched.get(accountId) ?? undefined;
    const base = this.accounts.get(accountId);
    if (base === undefined) return undefined;
    const copy = cloneAccount(base);
    this.touched.set(accountId, copy);
    return copy;
  }

  has(accountId: AccountId): boolean {
    return this.get(accountId) !== undefined;
  }

  create(accountId: AccountId, account: MutableAccount): void {
    this.touched.set(accountId, account);
  }

  delete(accountId: AccountId): void {
    this.touched.set(accountId, null);
  }

  commit(): void {
    for (const [accountId, account] of this.touched) {
      if (account === null) this.accounts.delete(accountId);
      else this.accounts.set(accountId, account);
    }
    this.touched.clear();
  }
}
