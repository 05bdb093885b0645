/**
 * The one interface contract code runs against. It mirrors NEAR's host functions (see
 * docs/contracts.md for the mapping) so that the devnet chain can host the contracts in process and
 * a binding to NEAR's real host (near-sdk-js) can be added later without touching contract logic.
 *
 * Conventions, as on NEAR: amounts are yoctoNEAR and gas is gas units, both as bigint; block
 * timestamps are nanoseconds; keys and values of storage and promise arguments are raw bytes.
 * Contract code never catches a {@link ContractPanic}: a panic aborts the receipt, rolls back its
 * storage writes and refunds the attached deposit to the predecessor (the host does that).
 */

export type AccountId = string;
/** yoctoNEAR (10⁻²⁴ NEAR). */
export type Balance = bigint;
/** Gas units (1 Tgas = 10¹² gas). */
export type Gas = bigint;
/** Index of a promise created during the current function call. */
export type PromiseIndex = number;

export const TGAS: Gas = 1_000_000_000_000n;
export const ONE_YOCTO: Balance = 1n;
export const ONE_NEAR: Balance = 10n ** 24n;

/** The result of one promise a callback depends on. */
export type PromiseResult =
  | { readonly status: 'successful'; readonly value: Uint8Array }
  | { readonly status: 'failed' };

/** What `promiseYieldCreate` returns: the callback promise and the data id that resumes it. */
export interface YieldedPromise {
  readonly promise: PromiseIndex;
  /** 32-byte id passed to `promiseYieldResume`; the yield times out after the chain's limit (200 blocks on NEAR). */
  readonly dataId: Uint8Array;
}

export interface ContractHost {
  // ---- input and output ----
  /** The call's argument bytes (JSON for every method in this project). NEAR `input`. */
  input(): Uint8Array;
  /** Sets the call's return value. NEAR `value_return`. */
  valueReturn(value: Uint8Array): void;
  /** Aborts the call with a message. NEAR `panic_utf8`. */
  panic(message: string): never;
  /** Appends a log line to the receipt's outcome. NEAR `log_utf8`. */
  log(message: string): void;

  // ---- context ----
  currentAccountId(): AccountId;
  /** The account whose receipt called this method (the immediate caller). */
  predecessorAccountId(): AccountId;
  /** The account that signed the original transaction. */
  signerAccountId(): AccountId;
  /** The public key (NEAR form) that signed the original transaction. */
  signerAccountPk(): string;
  attachedDeposit(): Balance;
  prepaidGas(): Gas;
  usedGas(): Gas;
  blockHeight(): bigint;
  /** Nanoseconds since the Unix epoch. */
  blockTimestampNs(): bigint;
  /** 32 bytes of per-block randomness (NEAR `random_seed`). */
  randomSeed(): Uint8Array;
  /** The contract account's balance, including this call's attached deposit. */
  accountBalance(): Balance;

  // ---- storage ----
  storageRead(key: Uint8Array): Uint8Array | null;
  /** Returns whether the key already existed. */
  storageWrite(key: Uint8Array, value: Uint8Array): boolean;
  /** Returns whether the key existed. */
  storageRemove(key: Uint8Array): boolean;
  storageHasKey(key: Uint8Array): boolean;

  // ---- promises (NEAR `promise_create`, `promise_then`, `promise_batch_*`, `promise_return`) ----
  /** A function call on another (or this) account. */
  promiseCreate(account: AccountId, method: string, args: Uint8Array, deposit: Balance, gas: Gas): PromiseIndex;
  /** A function call that runs after `after` resolves and sees its result. */
  promiseThen(after: PromiseIndex, account: AccountId, method: string, args: Uint8Array, deposit: Balance, gas: Gas): PromiseIndex;
  /** A plain transfer of `amount` to `account`. */
  promiseTransfer(account: AccountId, amount: Balance): PromiseIndex;
  /** Makes this call's result the result of the promise (the caller sees what it returns). */
  promiseReturn(promise: PromiseIndex): void;
  /** In a callback: how many promise results it received, and each one. */
  promiseResultsCount(): number;
  promiseResult(index: number): PromiseResult;

  // ---- yield / resume (NEP-519) ----
  /**
   * Parks a callback on this contract (`method` with `args`) until `promiseYieldResume(dataId, …)` or
   * a timeout. The callback sees one promise result: the resume payload, or `failed` on timeout.
   */
  promiseYieldCreate(method: string, args: Uint8Array, gas: Gas, gasWeight: bigint): YieldedPromise;
  /** Delivers `payload` to a parked callback; false if the id is unknown, resumed or timed out. */
  promiseYieldResume(dataId: Uint8Array, payload: Uint8Array): boolean;
}

/** A contract method runs with the host; it reads its arguments from `input()`. */
export type ContractMethod = (host: ContractHost) => void;

/** A contract as the chain deploys it: its methods, and which of them are views. */
export interface ContractDefinition {
  readonly name: string;
  readonly methods: Readonly<Record<string, ContractMethod>>;
  /** Methods callable with `query call_function` (no state change, no deposit, no promises). */
  readonly viewMethods: ReadonlySet<string>;
}

/** Thrown by `panic`; hosts turn it into a failed receipt (`FunctionCallError: ExecutionError`). */
export class ContractPanic extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractPanic';
  }
}
