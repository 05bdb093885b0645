/**
 * How the runtime runs a contract method, whatever the contract is written in: a TypeScript
 * `ContractDefinition` from the chain's library, called in process, or NEAR wasm, run by
 * `wasm/wasm-runner.ts`. Both get the same {@link FunctionCallHost}, and every way a call can fail
 * becomes one nearcore `FunctionCallError` here.
 */
import { ContractPanic } from '../../../contract/host.js';
import type { FunctionCallHost } from './function-call-host.js';
import { HostFailure } from './gas.js';
import type { ContractCode, ContractLibrary, CryptoHash, NearErrorJson } from './types.js';
import { UnsupportedHostFunctionError, WasmCompilationError, WasmLinkError, WasmMethodResolveError, WasmTrapError } from './wasm/errors.js';
import { WasmModuleCache, runWasmMethod } from './wasm/wasm-runner.js';

/** What the chain can run: its library of TypeScript contracts and its cache of compiled wasm. */
export interface ContractCatalog {
  readonly library: ContractLibrary;
  readonly wasm: WasmModuleCache;
}

export const newContractCatalog = (library: ContractLibrary): ContractCatalog => ({ library, wasm: new WasmModuleCache() });

/** A method could not be found or run for a reason that is a `FunctionCallError` itself. */
export class FunctionCallFailure extends Error {
  constructor(readonly functionCallError: NearErrorJson) {
    super(JSON.stringify(functionCallError));
    this.name = 'FunctionCallFailure';
  }
}

const DESERIALIZATION_FAILURE: NearErrorJson = { CompilationError: { PrepareError: 'Deserialization' } };

/**
 * The method `methodName` of `contract`, ready to run against a host. `codeOf` finds wasm bytes by
 * hash (code deployed earlier in the same receipt included). Resolution failures surface when the
 * returned function runs, as the call's failure.
 */
export function contractMethod(
  catalog: ContractCatalog,
  codeOf: (codeHash: CryptoHash) => Uint8Array | undefined,
  contract: ContractCode,
  methodName: string,
  mode: 'call' | 'view',
): (host: FunctionCallHost) => void {
  if (contract.kind === 'wasm') {
    return (host) => {
      const compiled = catalog.wasm.get(contract.codeHash, () => {
        const code = codeOf(contract.codeHash);
        // The chain keeps the bytes of every deployed hash; missing bytes are a devnet bug.
        if (code === undefined) throw new Error(`the chain holds no code for hash ${contract.codeHash}`);
        return code;
      });
      runWasmMethod(compiled, methodName, host);
    };
  }
  return (host) => {
    const definition = catalog.library.get(contract.name);
    if (definition === undefined) throw new FunctionCallFailure(DESERIALIZATION_FAILURE);
    const method = Object.hasOwn(definition.methods, methodName) ? definition.methods[methodName] : undefined;
    if (method === undefined) throw new FunctionCallFailure({ MethodResolveError: 'MethodNotFound' });
    // A TypeScript contract names its views; wasm has no such list and fails at the first state change.
    if (mode === 'view' && !definition.viewMethods.has(methodName)) throw new FunctionCallFailure({ HostError: { ProhibitedInView: { method_name: methodName } } });
    method(host);
  };
}

/** The nearcore `FunctionCallError` JSON for what a call threw; in a view, a panic is the host error it is. */
export function functionCallError(error: unknown, mode: 'call' | 'view'): NearErrorJson {
  if (error instanceof ContractPanic) return mode === 'view' ? { HostError: { GuestPanic: { panic_msg: error.message } } } : { ExecutionError: `Smart contract panicked: ${error.message}` };
  if (error instanceof HostFailure) return { HostError: error.hostError };
  if (error instanceof FunctionCallFailure) return error.functionCallError;
  if (error instanceof WasmTrapError) return { WasmTrap: error.trap };
  if (error instanceof WasmMethodResolveError) return { MethodResolveError: error.kind };
  if (error instanceof WasmCompilationError) return DESERIALIZATION_FAILURE;
  if (error instanceof WasmLinkError) return { LinkError: { msg: error.message } };
  if (error instanceof UnsupportedHostFunctionError) return { ExecutionError: error.message };
  return { ExecutionError: `Smart contract threw: ${error instanceof Error ? error.message : String(error)}` };
}
