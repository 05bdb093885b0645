/**
 * A minimal in-memory host for contract unit tests: it runs ONE method call at a time against a
 * storage map and records what the call asked the chain to do (logs, promises, transfers, yields,
 * resumes). Nothing is executed across accounts — the test plays the chain by feeding promise results
 * and yield resumes/timeouts back into callbacks. The multi-receipt chain is services/devnet's job.
 *
 * As on NEAR, a panicking call leaves storage and parked yields exactly as they were.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import {
  type AccountId,
  type Balance,
  type ContractDefinition,
  type ContractHost,
  ContractPanic,
  type Gas,
  type PromiseIndex,
  type PromiseResult,
  TGAS,
  type YieldedPromise,
} from '../host.js';

export type RecordedPromise =
  | { readonly kind: 'call'; readonly index: PromiseIndex; readonly account: AccountId; readonly method: string; readonly args: unknown; readonly deposit: Balance; readonly gas: Gas; readonly after?: PromiseIndex }
  | { readonly kind: 'transfer'; readonly index: PromiseIndex; readonly account: AccountId; readonly amount: Balance }
  | { readonly kind: 'yield'; readonly index: PromiseIndex; readonly method: string; readonly args: unknown; readonly gas: Gas; readonly dataId: string };

export interface CallOutcome {
  readonly status: 'success' | 'panic';
  /** The panic message, for failed calls. */
  readonly error?: string;
  /** The value set with `valueReturn`, JSON-decoded when it is JSON. */
  readonly value?: unknown;
  readonly rawValue?: Uint8Array;
  /** The promise made the call's result with `promiseReturn`. */
  readonly returnedPromise?: PromiseIndex;
  readonly logs: readonly string[];
  readonly promises: readonly RecordedPromise[];
  readonly resumes: readonly { readonly dataId: string; readonly payload: unknown; readonly accepted: boolean }[];
}

/** The key `signerAccountPk` reports unless a call names another (32 zero bytes, base58). */
export const DEFAULT_SIGNER_PUBLIC_KEY = 'ed25519:11111111111111111111111111111111';

export interface CallOptions {
  predecessor?: AccountId;
  /** Defaults to the predecessor. */
  signer?: AccountId;
  /** The access key (NEAR form) that signed the transaction; defaults to {@link DEFAULT_SIGNER_PUBLIC_KEY}. */
  signerPublicKey?: string;
  deposit?: Balance;
  gas?: Gas;
  /** The results a callback sees (`promiseResult`). */
  promiseResults?: readonly PromiseResult[];
}

interface ParkedYield {
  readonly method: string;
  readonly args: Uint8Array;
  readonly gas: Gas;
  resumedWith: Uint8Array | null;
}

const encoder = new TextEncoder();

function decodeMaybeJson(bytes: Uint8Array): unknown {
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export const success = (value: unknown): PromiseResult => ({ status: 'successful', value: value instanceof Uint8Array ? value : jsonBytes(value) });
export const failure: PromiseResult = { status: 'failed' };

export class ContractTestbed {
  blockHeight = 1_000n;
  blockTimestampNs = 1_800_000_000_000_000_000n;
  private storage = new Map<string, Uint8Array>();
  private parked = new Map<string, ParkedYield>();
  private yieldCounter = 0;

  constructor(
    readonly contract: ContractDefinition,
    readonly accountId: AccountId,
  ) {}

  advanceBlocks(count: number, secondsPerBlock = 1): void {
    this.blockHeight += BigInt(count);
    this.blockTimestampNs += BigInt(count * secondsPerBlock) * 1_000_000_000n;
  }

  /** A copy of storage as `key (utf-8) → value (utf-8)`, for asserting that failed calls changed nothing. */
  snapshot(): Map<string, string> {
    const decoder = new TextDecoder();
    return new Map([...this.storage].map(([key, value]) => [key, decoder.decode(value)]));
  }

  /** Ids (hex) of yields that are parked and not resumed. */
  parkedYieldIds(): string[] {
    return [...this.parked].filter(([, parked]) => parked.resumedWith === null).map(([id]) => id);
  }

  call(method: string, args: unknown, options: CallOptions = {}): CallOutcome {
    return this.run(method, args instanceof Uint8Array ? args : jsonBytes(args), options, false);
  }

  /** A `query call_function`: no writes, no promises, no caller context. Returns the JSON result or throws the panic. */
  view(method: string, args: unknown = {}): unknown {
    if (!this.contract.viewMethods.has(method)) throw new Error(`${method} is not a view method of ${this.contract.name}`);
    const outcome = this.run(method, jsonBytes(args), {}, true);
    if (outcome.status === 'panic') throw new ContractPanic(outcome.error!);
    return outcome.value;
  }

  /** Runs the callback of a resumed yield with its payload (what the chain does after `promise_yield_resume`). */
  deliverResumedYield(dataId: string): CallOutcome {
    const parked = this.takeParked(dataId, true);
    return this.run(parked.method, parked.args, { predecessor: this.accountId, gas: parked.gas, promiseResults: [{ status: 'successful', value: parked.resumedWith! }] }, false);
  }

  /** Runs the callback of a parked, un-resumed yield as the chain does when it times out. */
  timeOutYield(dataId: string): CallOutcome {
    const parked = this.takeParked(dataId, false);
    return this.run(parked.method, parked.args, { predecessor: this.accountId, gas: parked.gas, promiseResults: [{ status: 'failed' }] }, false);
  }

  private takeParked(dataId: string, resumed: boolean): ParkedYield {
    const parked = this.parked.get(dataId);
    if (parked === undefined) throw new Error(`no parked yield ${dataId}`);
    if (resumed && parked.resumedWith === null) throw new Error(`yield ${dataId} was not resumed`);
    if (!resumed && parked.resumedWith !== null) throw new Error(`yield ${dataId} was resumed; it cannot time out`);
    this.parked.delete(dataId);
    return parked;
  }

  private run(method: string, input: Uint8Array, options: CallOptions, isView: boolean): CallOutcome {
    const handler = this.contract.methods[method];
    if (handler === undefined) throw new Error(`${this.contract.name} has no method ${method}`);
    const storageBefore = new Map(this.storage);
    const parkedBefore = new Map([...this.parked].map(([id, parked]) => [id, { ...parked }]));
    const logs: string[] = [];
    const promises: RecordedPromise[] = [];
    const resumes: { dataId: string; payload: unknown; accepted: boolean }[] = [];
    let rawValue: Uint8Array | undefined;
    let returnedPromise: PromiseIndex | undefined;
    const predecessor = options.predecessor ?? 'alice.near';
    const deposit = options.deposit ?? 0n;
    const prohibitedInView = (what: string): void => {
      if (isView) throw new Error(`ProhibitedInView: ${what} is not available in a view call`);
    };
    const testbed = this;

    const host: ContractHost = {
      input: () => input,
      valueReturn: (value) => {
        rawValue = value;
      },
      panic: (message) => {
        throw new ContractPanic(message);
      },
      log: (message) => void logs.push(message),
      currentAccountId: () => this.accountId,
      predecessorAccountId: () => (prohibitedInView('predecessor_account_id'), predecessor),
      signerAccountId: () => (prohibitedInView('signer_account_id'), options.signer ?? predecessor),
      signerAccountPk: () => (prohibitedInView('signer_account_pk'), options.signerPublicKey ?? DEFAULT_SIGNER_PUBLIC_KEY),
      attachedDeposit: () => (prohibitedInView('attached_deposit'), deposit),
      prepaidGas: () => (prohibitedInView('prepaid_gas'), options.gas ?? 300n * TGAS),
      usedGas: () => 0n,
      blockHeight: () => this.blockHeight,
      blockTimestampNs: () => this.blockTimestampNs,
      randomSeed: () => sha256(utf8ToBytes(`seed:${this.blockHeight}`)),
      accountBalance: () => 100n * 10n ** 24n + deposit,
      storageRead: (key) => this.storage.get(bytesToHex(key)) ?? null,
      storageWrite: (key, value) => {
        prohibitedInView('storage_write');
        const existed = this.storage.has(bytesToHex(key));
        this.storage.set(bytesToHex(key), value.slice());
        return existed;
      },
      storageRemove: (key) => {
        prohibitedInView('storage_remove');
        return this.storage.delete(bytesToHex(key));
      },
      storageHasKey: (key) => this.storage.has(bytesToHex(key)),
      promiseCreate: (account, calledMethod, args, attached, gas) => {
        prohibitedInView('promise_create');
        const index = promises.length;
        promises.push({ kind: 'call', index, account, method: calledMethod, args: decodeMaybeJson(args), deposit: attached, gas });
        return index;
      },
      promiseThen: (after, account, calledMethod, args, attached, gas) => {
        prohibitedInView('promise_then');
        if (after < 0 || after >= promises.length) throw new Error(`promiseThen after unknown promise ${after}`);
        const index = promises.length;
        promises.push({ kind: 'call', index, account, method: calledMethod, args: decodeMaybeJson(args), deposit: attached, gas, after });
        return index;
      },
      promiseTransfer: (account, amount) => {
        prohibitedInView('promise_batch_action_transfer');
        const index = promises.length;
        promises.push({ kind: 'transfer', index, account, amount });
        return index;
      },
      promiseReturn: (promise) => {
        prohibitedInView('promise_return');
        if (promise < 0 || promise >= promises.length) throw new Error(`promiseReturn of unknown promise ${promise}`);
        returnedPromise = promise;
      },
      promiseResultsCount: () => options.promiseResults?.length ?? 0,
      promiseResult: (index) => {
        const result = options.promiseResults?.[index];
        if (result === undefined) throw new Error(`no promise result ${index}`);
        return result;
      },
      promiseYieldCreate: (callbackMethod, args, gas): YieldedPromise => {
        prohibitedInView('promise_yield_create');
        testbed.yieldCounter += 1;
        const dataId = sha256(utf8ToBytes(`yield:${testbed.yieldCounter}`));
        const id = bytesToHex(dataId);
        this.parked.set(id, { method: callbackMethod, args: args.slice(), gas, resumedWith: null });
        const index = promises.length;
        promises.push({ kind: 'yield', index, method: callbackMethod, args: decodeMaybeJson(args), gas, dataId: id });
        return { promise: index, dataId };
      },
      promiseYieldResume: (dataId, payload) => {
        prohibitedInView('promise_yield_resume');
        const id = bytesToHex(dataId);
        const parked = this.parked.get(id);
        const accepted = parked !== undefined && parked.resumedWith === null;
        if (accepted) parked.resumedWith = payload.slice();
        resumes.push({ dataId: id, payload: decodeMaybeJson(payload), accepted });
        return accepted;
      },
    };

    try {
      handler(host);
    } catch (error) {
      if (!(error instanceof ContractPanic)) throw error;
      this.storage = storageBefore;
      this.parked = parkedBefore;
      return { status: 'panic', error: error.message, logs, promises: [], resumes: [] };
    }
    return {
      status: 'success',
      ...(rawValue === undefined ? {} : { rawValue, value: decodeMaybeJson(rawValue) }),
      ...(returnedPromise === undefined ? {} : { returnedPromise }),
      logs,
      promises,
      resumes,
    };
  }
}
