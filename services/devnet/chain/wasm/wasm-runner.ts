/**
 * Runs one method of a NEAR wasm contract: a fresh instance per call (as nearcore: no memory or
 * globals survive a call), NEAR's host functions as its `env` imports, and the engine's traps and
 * link failures turned into nearcore's `FunctionCallError` kinds. Compiled modules are kept per code
 * hash in a {@link WasmModuleCache}.
 */
import type { FunctionCallHost } from '../function-call-host.js';
import { GAS_COSTS } from '../gas.js';
import type { CryptoHash } from '../types.js';
import { WasmCompilationError, WasmLinkError, WasmMethodResolveError, WasmTrapError, type WasmTrapKind } from './errors.js';
import { HOST_MODULE, WasmCallContext, hostImports } from './host-imports.js';

/** nearcore's linear memory for modules that import it: 1024 pages initially (64 MiB), at most 2048. */
const IMPORTED_MEMORY = { initial: 1024, maximum: 2048 } as const;

export interface CompiledContract {
  readonly module: WebAssembly.Module;
  readonly imports: readonly WebAssembly.ModuleImportDescriptor[];
  readonly functionExports: ReadonlySet<string>;
  readonly sizeBytes: number;
}

/** Compiled modules by code hash; a module that fails to compile fails the same way every time. */
export class WasmModuleCache {
  private readonly compiled = new Map<CryptoHash, CompiledContract | WasmCompilationError>();

  /** The compiled module of `codeHash`, compiling `code()` the first time. */
  get(codeHash: CryptoHash, code: () => Uint8Array): CompiledContract {
    let entry = this.compiled.get(codeHash);
    if (entry === undefined) {
      entry = compile(codeHash, code());
      this.compiled.set(codeHash, entry);
    }
    if (entry instanceof WasmCompilationError) throw entry;
    return entry;
  }
}

function compile(codeHash: CryptoHash, code: Uint8Array): CompiledContract | WasmCompilationError {
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(code);
  } catch (error) {
    return new WasmCompilationError(codeHash, { cause: error });
  }
  const functionExports = new Set(WebAssembly.Module.exports(module).flatMap((entry) => (entry.kind === 'function' ? [entry.name] : [])));
  return { module, imports: WebAssembly.Module.imports(module), functionExports, sizeBytes: code.length };
}

/** V8's trap messages, by the nearcore `WasmTrap` they are. */
const TRAP_MESSAGES: readonly (readonly [RegExp, WasmTrapKind])[] = [
  [/unreachable/, 'Unreachable'],
  [/memory access out of bounds|out of bounds memory access/, 'MemoryOutOfBounds'],
  [/divide by zero|integer overflow|remainder by zero|float unrepresentable/, 'IllegalArithmetic'],
  [/table index is out of bounds|element segment out of bounds/, 'CallIndirectOOB'],
  [/null function or function signature mismatch|function signature mismatch/, 'IncorrectCallIndirectSignature'],
];

/** What the engine threw, as nearcore reports it; host errors and panics pass through unchanged. */
function asWasmFailure(error: unknown): unknown {
  if (error instanceof WebAssembly.RuntimeError) {
    const kind = TRAP_MESSAGES.find(([pattern]) => pattern.test(error.message))?.[1] ?? 'GenericTrap';
    return new WasmTrapError(kind, { cause: error });
  }
  if (error instanceof RangeError && /call stack/i.test(error.message)) return new WasmTrapError('StackOverflow', { cause: error });
  // A host function whose argument or result types differ from the module's import declaration.
  if (error instanceof TypeError && /BigInt|convert/.test(error.message)) return new WasmLinkError(`a host function's signature does not match the module's import: ${error.message}`, { cause: error });
  return error;
}

function instantiate(contract: CompiledContract, context: WasmCallContext): WebAssembly.Instance {
  const importsMemory = contract.imports.some((entry) => entry.module === HOST_MODULE && entry.name === 'memory' && entry.kind === 'memory');
  const foreign = contract.imports.find((entry) => (entry.module !== HOST_MODULE || entry.kind !== 'function') && !(entry.kind === 'memory' && entry.module === HOST_MODULE));
  if (foreign !== undefined) throw new WasmLinkError(`the module imports ${foreign.kind} ${foreign.module}.${foreign.name}, which NEAR does not provide`);
  const memory = importsMemory ? new WebAssembly.Memory(IMPORTED_MEMORY) : null;
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(contract.module, { [HOST_MODULE]: { ...hostImports(contract.imports, context), ...(memory === null ? {} : { memory }) } });
  } catch (error) {
    if (error instanceof WebAssembly.LinkError) throw new WasmLinkError(error.message, { cause: error });
    throw asWasmFailure(error);
  }
  const exported = instance.exports.memory;
  context.attachMemory(exported instanceof WebAssembly.Memory ? exported : memory);
  return instance;
}

/**
 * Calls export `methodName` of `contract` with `host` as its NEAR host. Throws what the call failed
 * with: `HostFailure`, `ContractPanic`, or one of the wasm errors of errors.ts.
 */
export function runWasmMethod(contract: CompiledContract, methodName: string, host: FunctionCallHost): void {
  if (methodName.length === 0) throw new WasmMethodResolveError('MethodEmptyName', methodName);
  if (!contract.functionExports.has(methodName)) throw new WasmMethodResolveError('MethodNotFound', methodName);
  host.burnGas(GAS_COSTS.wasmLoading + GAS_COSTS.wasmLoadingPerByte * BigInt(contract.sizeBytes));
  const context = new WasmCallContext(host);
  const method = instantiate(contract, context).exports[methodName] as (...args: unknown[]) => unknown;
  // NEAR methods take nothing and return nothing; results go through `value_return`.
  if (method.length !== 0) throw new WasmMethodResolveError('MethodInvalidSignature', methodName);
  try {
    method();
  } catch (error) {
    throw asWasmFailure(error);
  }
}
