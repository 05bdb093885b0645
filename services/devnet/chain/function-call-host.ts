/**
 * The devnet's implementation of the contract host interface: one instance per function call (or
 * view call). Storage goes to the receipt's {@link StateOverlay} account, promises and yields are
 * collected as drafts the runtime turns into receipts if the call succeeds, and every host call is
 * charged to a {@link GasMeter}.
 */
import { ContractPanic, type ContractHost, type PromiseIndex, type PromiseResult, type YieldedPromise } from '../../../contract/host.js';
import { bytesToHex, fromBase58, isValidAccountId, toBase58 } from './encoding.js';
import { GAS_COSTS, GasMeter, HostFailure } from './gas.js';
import type { MutableAccount, PendingYield } from './state.js';
import type { AccountId, Action, CryptoHash, DataReceiver } from './types.js';

/** NEP-519: a resume payload is at most 1024 bytes. */
export const MAX_YIELD_PAYLOAD_BYTES = 1024;

/** A receipt the call asked for; it becomes an action receipt only if the call succeeds. */
export interface PromiseDraft {
  readonly receiptId: CryptoHash;
  readonly receiverId: AccountId;
  readonly actions: Action[];
  readonly inputDataIds: CryptoHash[];
  /** Mutable: `promiseThen` adds receivers after the draft exists, `promiseReturn` hands it the caller's. */
  readonly outputDataReceivers: DataReceiver[];
  readonly isPromiseYield: boolean;
}

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
  readonly returnedPromise: PromiseIndex | null;
  readonly createdYields: readonly CryptoHash[];
  readonly resumedYields: readonly { readonly dataId: CryptoHash; readonly payload: Uint8Array }[];
}

/** Half of an action's fee is paid when the receipt is sent, half when it executes (as in NEAR). */
export const sendFee = (fee: bigint): bigint => fee / 2n;
export const execFee = (fee: bigint): bigint => fee - fee / 2n;

export class FunctionCallHost implements ContractHost {
  private readonly logs: string[] = [];
  private returnValue: Uint8Array | null = null;
  private readonly promises: PromiseDraft[] = [];
  private returnedPromise: PromiseIndex | null = null;
  private readonly createdYields: CryptoHash[] = [];
  private readonly resumedYields: { dataId: CryptoHash; payload: Uint8Array }[] = [];

  constructor(private readonly context: FunctionCallContext) {}

  effects(): FunctionCallEffects {
    return {
      logs: this.logs,
      returnValue: this.returnValue,
      promises: this.promises,
      returnedPromise: this.returnedPromise,
      createdYields: this.createdYields,
      resumedYields: this.resumedYields,
    };
  }

  private charge(gas: bigint): void {
    this.context.meter.burn(GAS_COSTS.hostCall + gas);
  }

  /** Host functions a view call may not use fail the way nearcore's do. */
  private requireCall(functionName: string): void {
    if (this.context.mode === 'view') throw new HostFailure({ ProhibitedInView: { method_name: functionName } });
  }

  // ---- input and output ----
  input(): Uint8Array {
    this.charge(GAS_COSTS.ioPerByte * BigInt(this.context.input.length));
    return this.context.input.slice();
  }

  valueReturn(value: Uint8Array): void {
    this.charge(GAS_COSTS.ioPerByte * BigInt(value.length));
    this.returnValue = value.slice();
  }

  panic(message: string): never {
    throw new ContractPanic(message);
  }

  log(message: string): void {
    this.charge(GAS_COSTS.log + GAS_COSTS.logPerByte * BigInt(Buffer.byteLength(message)));
    this.logs.push(message);
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

  attachedDeposit(): bigint {
    this.requireCall('attached_deposit');
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

  // ---- storage ----
  storageRead(key: Uint8Array): Uint8Array | null {
    const value = this.context.account.storage.get(bytesToHex(key)) ?? null;
    this.charge(GAS_COSTS.storageRead + GAS_COSTS.storageReadPerKeyByte * BigInt(key.length) + GAS_COSTS.storageReadPerValueByte * BigInt(value?.length ?? 0));
    return value === null ? null : value.slice();
  }

  storageWrite(key: Uint8Array, value: Uint8Array): boolean {
    this.requireCall('storage_write');
    this.charge(GAS_COSTS.storageWrite + GAS_COSTS.storageWritePerKeyByte * BigInt(key.length) + GAS_COSTS.storageWritePerValueByte * BigInt(value.length));
    const hexKey = bytesToHex(key);
    const existed = this.context.account.storage.has(hexKey);
    this.context.account.storage.set(hexKey, value.slice());
    return existed;
  }

  storageRemove(key: Uint8Array): boolean {
    this.requireCall('storage_remove');
    this.charge(GAS_COSTS.storageRemove + GAS_COSTS.storageRemovePerKeyByte * BigInt(key.length));
    return this.context.account.storage.delete(bytesToHex(key));
  }

  storageHasKey(key: Uint8Array): boolean {
    this.charge(GAS_COSTS.storageRead + GAS_COSTS.storageReadPerKeyByte * BigInt(key.length));
    return this.context.account.storage.has(bytesToHex(key));
  }

  // ---- promises ----
  private draft(receiverId: AccountId, action: Action, inputDataIds: CryptoHash[], isPromiseYield: boolean): PromiseIndex {
    if (!isValidAccountId(receiverId)) throw new HostFailure('InvalidAccountId');
    const deposit = action.type === 'FunctionCall' || action.type === 'Transfer' ? action.deposit : 0n;
    if (deposit > this.context.account.amount) {
      throw new HostFailure('BalanceExceeded');
    }
    const fee = GAS_COSTS.actionReceiptCreation + (action.type === 'FunctionCall' ? GAS_COSTS.functionCall + GAS_COSTS.functionCallPerByte * BigInt(action.methodName.length + action.args.length) : GAS_COSTS.transfer);
    this.charge(sendFee(fee));
    this.context.meter.attach(execFee(fee) + (action.type === 'FunctionCall' ? action.gas : 0n));
    this.context.account.amount -= deposit;
    this.promises.push({ receiptId: this.context.ids.receiptId(), receiverId, actions: [action], inputDataIds, outputDataReceivers: [], isPromiseYield });
    return this.promises.length - 1;
  }

  private promiseAt(index: PromiseIndex): PromiseDraft {
    const promise = this.promises[index];
    if (promise === undefined) throw new HostFailure({ InvalidPromiseIndex: { promise_idx: index } });
    return promise;
  }

  promiseCreate(account: AccountId, method: string, args: Uint8Array, deposit: bigint, gas: bigint): PromiseIndex {
    this.requireCall('promise_create');
    return this.draft(account, { type: 'FunctionCall', methodName: method, args: args.slice(), gas, deposit }, [], false);
  }

  promiseThen(after: PromiseIndex, account: AccountId, method: string, args: Uint8Array, deposit: bigint, gas: bigint): PromiseIndex {
    this.requireCall('promise_then');
    const dependency = this.promiseAt(after);
    this.charge(GAS_COSTS.dataReceiptCreation);
    const dataId = this.context.ids.dataId();
    const index = this.draft(account, { type: 'FunctionCall', methodName: method, args: args.slice(), gas, deposit }, [dataId], false);
    dependency.outputDataReceivers.push({ dataId, receiverId: account });
    return index;
  }

  promiseTransfer(account: AccountId, amount: bigint): PromiseIndex {
    this.requireCall('promise_batch_action_transfer');
    return this.draft(account, { type: 'Transfer', deposit: amount }, [], false);
  }

  promiseReturn(promise: PromiseIndex): void {
    this.requireCall('promise_return');
    this.promiseAt(promise);
    this.charge(0n);
    this.returnedPromise = promise;
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
    this.charge(GAS_COSTS.promiseYieldCreate);
    const dataId = this.context.ids.dataId();
    // The callback gets exactly `gas`; NEAR would also share unused gas by weight, which no caller here relies on.
    const promise = this.draft(this.context.accountId, { type: 'FunctionCall', methodName: method, args: args.slice(), gas, deposit: 0n }, [dataId], true);
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
