/**
 * How a wasm function call fails besides NEAR's host errors (`HostFailure`) and panics: each maps to
 * one nearcore `FunctionCallError` variant in the runtime.
 */

/** nearcore `WasmTrap` variants a compiled module can hit. */
export type WasmTrapKind = 'Unreachable' | 'IncorrectCallIndirectSignature' | 'MemoryOutOfBounds' | 'CallIndirectOOB' | 'IllegalArithmetic' | 'IndirectCallToNull' | 'StackOverflow' | 'GenericTrap';

/** The module trapped (nearcore `FunctionCallError::WasmTrap`). */
export class WasmTrapError extends Error {
  constructor(readonly trap: WasmTrapKind, options?: ErrorOptions) {
    super(`wasm trap: ${trap}`, options);
    this.name = 'WasmTrapError';
  }
}

/** A host function the devnet does not provide: importable, and the call that reaches it fails naming it. */
export class UnsupportedHostFunctionError extends Error {
  constructor(readonly functionName: string, readonly reason?: string) {
    super(`unsupported host function ${functionName}${reason === undefined ? '' : `: ${reason}`}`);
    this.name = 'UnsupportedHostFunctionError';
  }
}

/** The module cannot be instantiated against NEAR's imports (nearcore `LinkError`). */
export class WasmLinkError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WasmLinkError';
  }
}

/** The code does not compile as wasm (nearcore `CompilationError::PrepareError`). */
export class WasmCompilationError extends Error {
  constructor(readonly codeHash: string, options?: ErrorOptions) {
    super(`contract code ${codeHash} does not compile as wasm`, options);
    this.name = 'WasmCompilationError';
  }
}

/** The method is not an export the runtime can call (nearcore `MethodResolveError`). */
export class WasmMethodResolveError extends Error {
  constructor(readonly kind: 'MethodNotFound' | 'MethodInvalidSignature' | 'MethodEmptyName', readonly methodName: string) {
    super(`${kind}: ${methodName}`);
    this.name = 'WasmMethodResolveError';
  }
}
