/**
 * The devnet's implementation of the contract host interface: one instance per function call (or
 * view call). Storage goes to the receipt's {@link StateOverlay} account, promises and yields are
 * collected as drafts the runtime turns into receipts if the call succeeds, and every host call is
 * charged to a {@link GasMeter}.
 *
 * Promises follow NEAR's batch model (`promise_batch_create` / `_then` / `_and` and one
 * `promise_batch_action_*` per action); TypeScript contracts use the {@link ContractHost} shorthands,
 * wasm contracts reach every method through `wasm/host-imports.ts`.
 */
import { ContractPanic, type ContractHost, type PromiseIndex, type PromiseResult, type YieldedPromise } from '../../../contract/host.js';
import { bytesToHex, fromBase58, isValidAccountId, toBase58 } from './encoding.js';
import { GAS_COSTS, GasMeter, HostFailure, actionFee } from './gas.js';
import { storageUsage, type MutableAccount, type PendingYield } from './state.js';
import type { AccountId, Action, ContractCode, CryptoHash, DataReceiver } from './types.js';

/** NEP-519: a resume payload is at most 1024 bytes. */
export const MAX_YIELD_PAYLOAD_BYTES = 1024;

/** nearcore's runtime limits (`limit_config` in parameters.yaml) that a contract can run into. */
export const HOST_LIMITS = {
  maxLogs: 100,
  maxTotalLogBytes: 16 * 1024,
  maxStorageKeyBytes: 2 * 1024,
  maxStorageValueBytes: 4 * 1024 * 1024,
  maxReturnedDataBytes: 4 * 1024 * 1024,
  maxPromises: 1024,
  maxInputDataDependencies: 128,
} as const;

/** A receipt the call asked for; it becomes an action receipt only if the call succeeds. */
export interface PromiseDraft {
  readonly receiptId: CryptoHash;
  readonly receiverId: AccountId;
  /** Mutable: batch actions are appended after the draft exists. */
  readonly actions: Action[];
  readonly inputDataIds: CryptoHash[];
  /** Mutable: `promiseThen` adds receivers after the draft exists, `promiseReturn` hands it the caller's. */
  readonly outputDataReceivers: DataReceiver[];
  readonly isPromiseYield: boolean;
}

/** A promise index names one receipt, or (`promise_and`) several receipts waited for together. */
type PromiseEntry = { readonly kind: 'receipt'; readonly draft: number } | { readonly kind: 'joint'; readonly drafts: readonly number[] };

/** Fresh receipt and data ids, derived from the executing receipt's id. */
export interface IdAllocator {
  receiptId(): CryptoHash;
  dataId(): CryptoHash;
}

export interface FunctionCallContext {
  readonly mode: 'call' | 'view';
  readonly methodName: string;
  readonly accountId: AccountId;
  readonly account: MutableAccount;
  readonly predecessorId: AccountId;
  readonly signerId: AccountId;
  readonly signerPublicKey: string;
  readonly attachedDeposit: bigint;
  readonly input: Uint8Array;
  readonly blockHeight: number;
  readonly blockTimestampNs: bigint;
  readonly randomSeed: Uint8Array;
  readonly meter: GasMeter;
  readonly promiseResults: readonly PromiseResult[];
  /** Yields already parked on the chain (for `promiseYieldResume`). */
  readonly yields: ReadonlyMap<CryptoHash, PendingYield>;
  readonly ids: IdAllocator;
}

/** What a call left behind, read by the runtime once the method returns. */
export interface FunctionCallEffects {
  readonly logs: readonly string[];
  readonly returnValue: Uint8Array | null;
  readonly promises: readonly PromiseDraft[];
  /** Index into `promises` of the draft whose result is the call's result. */
  readonly returnedPromise: number | null;
  readonly createdYields: readonly CryptoHash[];
  readonly resumedYields: readonly { readonly dataId: CryptoHash; readonly payload: Uint8Array }[];
}

/** Half of an action's fee is paid when the receipt is sent, half when it executes (as in NEAR). */
export const sendFee = (fee: bigint): bigint => fee / 2n;
export const execFee = (fee: bigint): bigint => fee - fee / 2n;

/** The deposit an action moves out of the calling account. */
const depositOf = (action: Action): bigint => (action.type === 'FunctionCall' || action.type === 'Transfer' ? action.deposit : 0n);

export class FunctionCallHost implements ContractHost {
  private readonly logs: string[] = [];
  private totalLogBytes = 0;
  private returnValue: Uint8Array | null = null;
  private readonly drafts: PromiseDraft[] = [];
  private readonly promises: PromiseEntry[] = [];
  private returnedPromise: number | null = null;
  private readonly createdYields: CryptoHash[] = [];
  private readonly resumedYields: { dataId: CryptoHash; payload: Uint8Array }[] = [];

  constructor(private readonly context: FunctionCallContext) {}

  effects(): FunctionCallEffects {
    return {
      logs: this.logs,
      returnValue: this.returnValue,
      promises: this.drafts,
      returnedPromise: this.returnedPromise,
      createdYields: this.createdYields,
      resumedYields: this.resumedYields,
    };
  }

  get mode(): 'call' | 'view' {
    return this.context.mode;
  }

  /** Burns gas for work done outside a host method (wasm loading, registers, guest memory). */
  burnGas(gas: bigint): void {
    this.context.meter.burn(gas);
  }

  private charge(gas: bigint): void {
    this.context.meter.burn(GAS_COSTS.hostCall + gas);
  }

  /** Host functions a view call may not use fail the way nearcore's do. */
  requireCall(functionName: string): void {
    if (this.context.mode === 'view') throw new HostFailure({ ProhibitedInView: { method_name: functionName } });
  }

  // ---- input and output ----
  input(): Uint8Array {
    this.charge(GAS_COSTS.ioPerByte * BigInt(this.context.input.length));
    return this.context.input.slice();
  }

  valueReturn(value: Uint8Array): void {
    if (value.length > HOST_LIMITS.maxReturnedDataBytes) {
      throw new HostFailure({ ReturnedValueLengthExceeded: { length: value.length, limit: HOST_LIMITS.maxReturnedDataBytes } });
    }
    this.charge(GAS_COSTS.ioPerByte * BigInt(value.length));
    this.returnValue = value.slice();
  }

  panic(message: string): never {
    throw new ContractPanic(message);
  }

  log(message: string): void {
    const bytes = Buffer.byteLength(message);
    if (this.logs.length >= HOST_LIMITS.maxLogs) throw new HostFailure({ NumberOfLogsExceeded: { limit: HOST_LIMITS.maxLogs } });
    if (this.totalLogBytes + bytes > HOST_LIMITS.maxTotalLogBytes) {
      throw new HostFailure({ TotalLogLengthExceeded: { length: this.totalLogBytes + bytes, limit: HOST_LIMITS.maxTotalLogBytes } });
    }
    this.charge(GAS_COSTS.log + GAS_COSTS.logPerByte * BigInt(bytes));
    this.totalLogBytes += bytes;
    this.logs.push(message);
  }

  /** How many more UTF-8 bytes a log or panic message may have (nearcore bounds both by the log budget). */
  remainingLogBytes(): number {
    return HOST_LIMITS.maxTotalLogBytes - this.totalLogBytes;
  }

  // ---- context ----
  currentAccountId(): AccountId {
    this.charge(0n);
    return this.context.accountId;
  }

  predecessorAccountId(): AccountId {
    this.requireCall('predecessor_account_id');
    this.charge(0n);
    return this.context.predecessorId;
  }

  signerAccountId(): AccountId {
    this.requireCall('signer_account_id');
    this.charge(0n);
    return this.context.signerId;
  }

  signerAccountPk(): string {
    this.requireCall('signer_account_pk');
    this.charge(0n);
    return this.context.signerPublicKey;
  }

  /** Allowed in views, where it is 0, as in nearcore. */
  attachedDeposit(): bigint {
    this.charge(0n);
    return this.context.attachedDeposit;
  }

  prepaidGas(): bigint {
    this.requireCall('prepaid_gas');
    this.charge(0n);
    return this.context.meter.prepaid;
  }

  usedGas(): bigint {
    this.requireCall('used_gas');
    this.charge(0n);
    return this.context.meter.used;
  }

  blockHeight(): bigint {
    this.charge(0n);
    return BigInt(this.context.blockHeight);
  }

  blockTimestampNs(): bigint {
    this.charge(0n);
    return this.context.blockTimestampNs;
  }

  randomSeed(): Uint8Array {
    this.charge(0n);
    return this.context.randomSeed.slice();
  }

  accountBalance(): bigint {
    this.charge(0n);
    return this.context.account.amount;
  }

  accountLockedBalance(): bigint {
    this.charge(0n);
    return this.context.account.locked;
  }

  /** Bytes the account stores now (code, keys, records), as nearcore's `storage_usage`. */
  storageUsage(): bigint {
    this.charge(0n);
    return BigInt(storageUsage(this.context.account));
  }

  /** What the account runs (`current_contract_code`). */
  contractCode(): ContractCode | null {
    this.charge(0n);
    return this.context.account.contract;
  }

  // ---- storage ----
  private checkKey(key: Uint8Array): void {
    if (key.length > HOST_LIMITS.maxStorageKeyBytes) throw new HostFailure({ KeyLengthExceeded: { length: key.length, limit: HOST_LIMITS.maxStorageKeyBytes } });
  }

  storageRead(key: Uint8Array): Uint8Array | null {
    this.checkKey(key);
    const value = this.context.account.storage.get(bytesToHex(key)) ?? null;
    this.charge(GAS_COSTS.storageRead + GAS_COSTS.storageReadPerKeyByte * BigInt(key.length) + GAS_COSTS.storageReadPerValueByte * BigInt(value?.length ?? 0));
    return value === null ? null : value.slice();
  }

  storageWrite(key: Uint8Array, value: Uint8Array): boolean {
    return this.storageReplace(key, value) !== null;
  }

  /** Writes `value` under `key`; returns the value it replaced, or null. */
  storageReplace(key: Uint8Array, value: Uint8Array): Uint8Array | null {
    this.requireCall('storage_write');
    this.checkKey(key);
    if (value.length > HOST_LIMITS.maxStorageValueBytes) {
      throw new HostFailure({ ValueLengthExceeded: { length: value.length, limit: HOST_LIMITS.maxStorageValueBytes } });
    }
    this.charge(GAS_COSTS.storageWrite + GAS_COSTS.storageWritePerKeyByte * BigInt(key.length) + GAS_COSTS.storageWritePerValueByte * BigInt(value.length));
    const hexKey = bytesToHex(key);
    const previous = this.context.account.storage.get(hexKey) ?? null;
    this.context.account.storage.set(hexKey, value.slice());
    return previous;
  }

  storageRemove(key: Uint8Array): boolean {
    return this.storageTake(key) !== null;
  }

  /** Removes `key`; returns the value it held, or null. */
  storageTake(key: Uint8Array): Uint8Array | null {
    this.requireCall('storage_remove');
    this.checkKey(key);
    this.charge(GAS_COSTS.storageRemove + GAS_COSTS.storageRemovePerKeyByte * BigInt(key.length));
    const hexKey = bytesToHex(key);
    const previous = this.context.account.storage.get(hexKey) ?? null;
    this.context.account.storage.delete(hexKey);
    return previous;
  }

  storageHasKey(key: Uint8Array): boolean {
    this.checkKey(key);
    this.charge(GAS_COSTS.storageRead + GAS_COSTS.storageReadPerKeyByte * BigInt(key.length));
    return this.context.account.storage.has(bytesToHex(key));
  }

  // ---- promises: NEAR's batch API ----
  private pushPromise(entry: PromiseEntry): PromiseIndex {
    if (this.promises.length >= HOST_LIMITS.maxPromises) {
      throw new HostFailure({ NumberPromisesExceeded: { number_of_promises: this.promises.length + 1, limit: HOST_LIMITS.maxPromises } });
    }
    this.promises.push(entry);
    return this.promises.length - 1;
  }

  private entryAt(index: PromiseIndex): PromiseEntry {
    const entry = this.promises[index];
    if (entry === undefined) throw new HostFailure({ InvalidPromiseIndex: { promise_idx: index } });
    return entry;
  }

  /** The receipts a promise stands for (one, or every receipt of a joint promise). */
  private draftsOf(index: PromiseIndex): readonly number[] {
    const entry = this.entryAt(index);
    return entry.kind === 'receipt' ? [entry.draft] : entry.drafts;
  }

  /** The one receipt of a promise; a joint promise takes no actions and cannot be returned. */
  private receiptDraft(index: PromiseIndex, jointError: string): PromiseDraft {
    const entry = this.entryAt(index);
    if (entry.kind === 'joint') throw new HostFailure(jointError);
    return this.drafts[entry.draft]!;
  }

  private newDraft(receiverId: AccountId, inputDataIds: CryptoHash[], isPromiseYield: boolean): number {
    if (!isValidAccountId(receiverId)) throw new HostFailure('InvalidAccountId');
    const fee = GAS_COSTS.actionReceiptCreation;
    this.charge(sendFee(fee));
    this.context.meter.attach(execFee(fee));
    this.drafts.push({ receiptId: this.context.ids.receiptId(), receiverId, actions: [], inputDataIds, outputDataReceivers: [], isPromiseYield });
    return this.drafts.length - 1;
  }

  /** A new receipt to `account` with no actions yet (`promise_batch_create`). */
  promiseBatchCreate(account: AccountId): PromiseIndex {
    this.requireCall('promise_batch_create');
    return this.pushPromise({ kind: 'receipt', draft: this.newDraft(account, [], false) });
  }

  /** A new receipt to `account` that runs once every receipt of `after` has a result (`promise_batch_then`). */
  promiseBatchThen(after: PromiseIndex, account: AccountId): PromiseIndex {
    this.requireCall('promise_batch_then');
    const dependencies = this.draftsOf(after);
    const inputDataIds = dependencies.map((dependency) => {
      this.charge(GAS_COSTS.dataReceiptCreation);
      const dataId = this.context.ids.dataId();
      this.drafts[dependency]!.outputDataReceivers.push({ dataId, receiverId: account });
      return dataId;
    });
    return this.pushPromise({ kind: 'receipt', draft: this.newDraft(account, inputDataIds, false) });
  }

  /** A joint promise over several promises, for a `then` that waits for all of them (`promise_and`). */
  promiseAnd(indices: readonly PromiseIndex[]): PromiseIndex {
    this.requireCall('promise_and');
    this.charge(GAS_COSTS.promiseAnd + GAS_COSTS.promiseAndPerPromise * BigInt(indices.length));
    const drafts = indices.flatMap((index) => this.draftsOf(index));
    if (drafts.length > HOST_LIMITS.maxInputDataDependencies) {
      throw new HostFailure({ NumberInputDataDependenciesExceeded: { number_of_input_data_dependencies: drafts.length, limit: HOST_LIMITS.maxInputDataDependencies } });
    }
    return this.pushPromise({ kind: 'joint', drafts });
  }

  /**
   * Appends an action to a promise's receipt (`promise_batch_action_*`, named by `hostFunction` for
   * errors): its send fee is burnt now, its execution fee and attached gas are reserved, its
   * deposit leaves the account.
   */
  promiseBatchAction(index: PromiseIndex, action: Action, hostFunction: string): void {
    this.requireCall(hostFunction);
    const draft = this.receiptDraft(index, 'CannotAppendActionToJointPromise');
    if (action.type === 'FunctionCall' && action.methodName.length === 0) throw new HostFailure('EmptyMethodName');
    const deposit = depositOf(action);
    if (deposit > this.context.account.amount) throw new HostFailure('BalanceExceeded');
    const fee = actionFee(action);
    this.charge(sendFee(fee));
    this.context.meter.attach(execFee(fee) + (action.type === 'FunctionCall' ? action.gas : 0n));
    this.context.account.amount -= deposit;
    draft.actions.push(action);
  }

  promiseCreate(account: AccountId, method: string, args: Uint8Array, deposit: bigint, gas: bigint): PromiseIndex {
    const promise = this.promiseBatchCreate(account);
    this.promiseBatchAction(promise, { type: 'FunctionCall', methodName: method, args: args.slice(), gas, deposit }, 'promise_batch_action_function_call');
    return promise;
  }

  promiseThen(after: PromiseIndex, account: AccountId, method: string, args: Uint8Array, deposit: bigint, gas: bigint): PromiseIndex {
    const promise = this.promiseBatchThen(after, account);
    this.promiseBatchAction(promise, { type: 'FunctionCall', methodName: method, args: args.slice(), gas, deposit }, 'promise_batch_action_function_call');
    return promise;
  }

  promiseTransfer(account: AccountId, amount: bigint): PromiseIndex {
    const promise = this.promiseBatchCreate(account);
    this.promiseBatchAction(promise, { type: 'Transfer', deposit: amount }, 'promise_batch_action_transfer');
    return promise;
  }

  promiseReturn(promise: PromiseIndex): void {
    this.requireCall('promise_return');
    const entry = this.entryAt(promise);
    if (entry.kind === 'joint') throw new HostFailure('CannotReturnJointPromise');
    this.charge(0n);
    this.returnedPromise = entry.draft;
  }

  promiseResultsCount(): number {
    this.requireCall('promise_results_count');
    this.charge(0n);
    return this.context.promiseResults.length;
  }

  promiseResult(index: number): PromiseResult {
    this.requireCall('promise_result');
    const result = this.context.promiseResults[index];
    if (result === undefined) throw new HostFailure({ InvalidPromiseResultIndex: { result_idx: index } });
    this.charge(result.status === 'successful' ? GAS_COSTS.ioPerByte * BigInt(result.value.length) : 0n);
    return result.status === 'successful' ? { status: 'successful', value: result.value.slice() } : result;
  }

  // ---- yield / resume ----
  promiseYieldCreate(method: string, args: Uint8Array, gas: bigint, _gasWeight: bigint): YieldedPromise {
    this.requireCall('promise_yield_create');
    if (method.length === 0) throw new HostFailure('EmptyMethodName');
    this.charge(GAS_COSTS.promiseYieldCreate);
    const dataId = this.context.ids.dataId();
    // The callback gets exactly `gas`; NEAR would also share unused gas by weight, which no caller here relies on.
    const draft = this.newDraft(this.context.accountId, [dataId], true);
    const promise = this.pushPromise({ kind: 'receipt', draft });
    this.promiseBatchAction(promise, { type: 'FunctionCall', methodName: method, args: args.slice(), gas, deposit: 0n }, 'promise_yield_create');
    this.createdYields.push(dataId);
    return { promise, dataId: fromBase58(dataId) };
  }

  promiseYieldResume(dataId: Uint8Array, payload: Uint8Array): boolean {
    this.requireCall('promise_yield_resume');
    if (payload.length > MAX_YIELD_PAYLOAD_BYTES) {
      throw new HostFailure({ YieldPayloadLength: { length: payload.length, limit: MAX_YIELD_PAYLOAD_BYTES } });
    }
    this.charge(GAS_COSTS.promiseYieldResume + GAS_COSTS.ioPerByte * BigInt(payload.length));
    if (dataId.length !== 32) throw new HostFailure('DataIdMalformed');
    const id = toBase58(dataId);
    if (this.resumedYields.some((resumed) => resumed.dataId === id)) return false;
    const parked = this.context.yields.get(id);
    const ownsYield = parked?.accountId === this.context.accountId || this.createdYields.includes(id);
    if (!ownsYield) return false;
    this.resumedYields.push({ dataId: id, payload: payload.slice() });
    return true;
  }
}
