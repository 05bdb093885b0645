/**
 * The glue between contract logic and {@link ContractHost}: method wrapping (typed errors become
 * panics), JSON input/output, access rules, and JSON values in storage.
 */
import type { ContractDefinition, ContractHost, ContractMethod, Gas } from '../host.js';
import { type JsonObject, parseJsonObject } from './args.js';
import { ContractError, fail } from './errors.js';

/** Upper bound on argument bytes any method accepts (NEAR's own limit is 4 MiB). */
export const MAX_ARGUMENT_BYTES = 256 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type MethodHandler = (host: ContractHost, args: JsonObject) => void;

/** Builds a {@link ContractDefinition}; each handler gets its parsed arguments, and typed errors become panics. */
export function defineContract(
  name: string,
  methods: Readonly<Record<string, MethodHandler>>,
  viewMethods: readonly string[],
): ContractDefinition {
  const wrapped: Record<string, ContractMethod> = {};
  for (const [method, handler] of Object.entries(methods)) {
    wrapped[method] = (host) => {
      try {
        handler(host, parseJsonObject(host.input(), MAX_ARGUMENT_BYTES));
      } catch (error) {
        if (error instanceof ContractError) host.panic(error.message);
        throw error;
      }
    };
  }
  for (const view of viewMethods) if (!(view in wrapped)) throw new Error(`view method "${view}" is not a method of ${name}`);
  return { name, methods: wrapped, viewMethods: new Set(viewMethods) };
}

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeJson(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes));
}

export function returnJson(host: ContractHost, value: unknown): void {
  host.valueReturn(encodeJson(value));
}

export function storageKey(key: string): Uint8Array {
  return encoder.encode(key);
}

/** A JSON value the contract itself wrote (so it is trusted and not re-validated on read). */
export function readStored<T>(host: ContractHost, key: string): T | null {
  const bytes = host.storageRead(storageKey(key));
  return bytes === null ? null : (decodeJson(bytes) as T);
}

export function writeStored(host: ContractHost, key: string, value: unknown): void {
  host.storageWrite(storageKey(key), encodeJson(value));
}

export function removeStored(host: ContractHost, key: string): void {
  host.storageRemove(storageKey(key));
}

/** Callbacks and `init`: only the contract account itself may call (near-sdk `#[private]`). */
export function requirePrivate(host: ContractHost, method: string): void {
  if (host.predecessorAccountId() !== host.currentAccountId()) fail('Unauthorized', `${method} may only be called by the contract itself`);
}

export function requireGas(host: ContractHost, minimum: Gas, method: string): void {
  if (host.prepaidGas() < minimum) fail('InsufficientGas', `${method} needs at least ${minimum} gas, got ${host.prepaidGas()}`);
}

/** The single promise result a callback expects. */
export function singlePromiseResult(host: ContractHost, method: string) {
  const count = host.promiseResultsCount();
  if (count !== 1) fail('CallbackFailed', `${method} expects exactly one promise result, got ${count}`);
  return host.promiseResult(0);
}

/** A contract's one JSON state value under `STATE` (near-sdk's key), with the init and load checks every contract needs. */
export class StateCell<T> {
  private static readonly KEY = 'STATE';

  /** `what` names the contract in errors ("FastAuth is not initialized"). */
  constructor(private readonly what: string) {}

  load(host: ContractHost): T {
    return readStored<T>(host, StateCell.KEY) ?? fail('InvalidState', `${this.what} is not initialized`);
  }

  save(host: ContractHost, value: T): void {
    writeStored(host, StateCell.KEY, value);
  }

  /** For `init`: state is written once. */
  initialize(host: ContractHost, value: T): void {
    if (host.storageHasKey(storageKey(StateCell.KEY))) fail('InvalidState', `${this.what} is already initialized`);
    this.save(host, value);
  }
}
