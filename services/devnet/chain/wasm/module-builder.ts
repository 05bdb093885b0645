/**
 * A tiny WebAssembly binary writer for tests: function types, `env` imports, functions with raw
 * instruction bytes, one memory, data segments and exports. Enough to write small NEAR contracts
 * byte by byte without a toolchain; not a general assembler.
 */

export type ValueType = 'i32' | 'i64';

const VALUE_TYPE_CODES: Record<ValueType, number> = { i32: 0x7f, i64: 0x7e };
const SECTION = { type: 1, import: 2, function: 3, memory: 5, export: 7, code: 10, data: 11 } as const;
const EXTERNAL_KIND = { function: 0, memory: 2 } as const;

/** Unsigned LEB128. */
export function unsignedLeb(value: number | bigint): number[] {
  let rest = BigInt(value);
  const out: number[] = [];
  do {
    const byte = Number(rest & 0x7fn);
    rest >>= 7n;
    out.push(rest === 0n ? byte : byte | 0x80);
  } while (rest !== 0n);
  return out;
}

/** Signed LEB128 (what `i32.const` / `i64.const` take). */
export function signedLeb(value: number | bigint): number[] {
  let rest = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const byte = Number(rest & 0x7fn);
    rest >>= 7n;
    const done = (rest === 0n && (byte & 0x40) === 0) || (rest === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const name = (text: string): number[] => {
  const bytes = [...new TextEncoder().encode(text)];
  return [...unsignedLeb(bytes.length), ...bytes];
};
const vector = (items: readonly number[][]): number[] => [...unsignedLeb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => (body.length === 0 ? [] : [id, ...unsignedLeb(body.length), ...body]);

/** Instructions as bytes (the subset the tests use). */
export const op = {
  unreachable: [0x00],
  drop: [0x1a],
  end: [0x0b],
  /** A block with no result. */
  loop: [0x03, 0x40],
  /** Branch to the enclosing label `depth` (0 is the innermost). */
  br: (depth: number): number[] => [0x0c, ...unsignedLeb(depth)],
  call: (functionIndex: number): number[] => [0x10, ...unsignedLeb(functionIndex)],
  localGet: (index: number): number[] => [0x20, ...unsignedLeb(index)],
  i32Const: (value: number): number[] => [0x41, ...signedLeb(value)],
  i64Const: (value: number | bigint): number[] => [0x42, ...signedLeb(value)],
  /** `i64.store` at the address on the stack (align 8, offset 0). */
  i64Store: [0x37, 0x03, 0x00],
  /** `i32.load` from the address on the stack (align 4, offset 0). */
  i32Load: [0x28, 0x02, 0x00],
  i32DivU: [0x6e],
  localSet: (index: number): number[] => [0x21, ...unsignedLeb(index)],
  /** `i64.load8_u` from the address on the stack. */
  i64Load8U: [0x31, 0x00, 0x00],
  i64Sub: [0x7d],
  i64Eq: [0x51],
  i64ExtendI32U: [0xad],
  /** `if` with no result; close with `end`, optionally after `else`. */
  if: [0x04, 0x40],
  else: [0x05],
} as const;

const i64s = (count: number): ValueType[] => Array.from({ length: count }, () => 'i64');

/** nearcore's signatures of the host functions tests import (all u64 but `promise_yield_resume`'s result and `gas`). */
export const NEAR_HOST_SIGNATURES: Readonly<Record<string, readonly [readonly ValueType[], readonly ValueType[]]>> = {
  read_register: [i64s(2), []],
  register_len: [i64s(1), ['i64']],
  write_register: [i64s(3), []],
  current_account_id: [i64s(1), []],
  signer_account_id: [i64s(1), []],
  signer_account_pk: [i64s(1), []],
  predecessor_account_id: [i64s(1), []],
  input: [i64s(1), []],
  random_seed: [i64s(1), []],
  block_index: [[], ['i64']],
  block_timestamp: [[], ['i64']],
  epoch_height: [[], ['i64']],
  prepaid_gas: [[], ['i64']],
  used_gas: [[], ['i64']],
  storage_usage: [[], ['i64']],
  account_balance: [i64s(1), []],
  attached_deposit: [i64s(1), []],
  sha256: [i64s(3), []],
  keccak256: [i64s(3), []],
  ripemd160: [i64s(3), []],
  ecrecover: [i64s(7), ['i64']],
  ed25519_verify: [i64s(6), ['i64']],
  value_return: [i64s(2), []],
  panic: [[], []],
  panic_utf8: [i64s(2), []],
  log_utf8: [i64s(2), []],
  log_utf16: [i64s(2), []],
  promise_create: [i64s(8), ['i64']],
  promise_then: [i64s(9), ['i64']],
  promise_and: [i64s(2), ['i64']],
  promise_batch_create: [i64s(2), ['i64']],
  promise_batch_then: [i64s(3), ['i64']],
  promise_batch_action_transfer: [i64s(2), []],
  promise_batch_action_function_call: [i64s(7), []],
  promise_batch_action_stake: [i64s(4), []],
  promise_results_count: [[], ['i64']],
  promise_result: [i64s(2), ['i64']],
  promise_return: [i64s(1), []],
  promise_yield_create: [i64s(7), ['i64']],
  promise_yield_resume: [i64s(4), ['i32']],
  storage_write: [i64s(5), ['i64']],
  storage_read: [i64s(3), ['i64']],
  storage_remove: [i64s(3), ['i64']],
  storage_has_key: [i64s(2), ['i64']],
  gas: [['i32'], []],
};

/** u64::MAX as an `i64.const` argument: "read this from the register instead of memory". */
export const FROM_REGISTER = -1n;

interface FunctionType {
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
}

export class WasmModuleBuilder {
  private readonly types: FunctionType[] = [];
  private readonly imports: { module: string; name: string; kind: 'function'; type: number }[] = [];
  private importsMemory = false;
  private readonly functions: { type: number; locals: readonly ValueType[]; body: readonly number[] }[] = [];
  private readonly exports: { name: string; kind: keyof typeof EXTERNAL_KIND; index: number }[] = [];
  private memoryPages: number | null = null;
  private readonly dataSegments: { offset: number; bytes: Uint8Array }[] = [];

  private typeIndex(params: readonly ValueType[], results: readonly ValueType[]): number {
    const found = this.types.findIndex((type) => type.params.join() === params.join() && type.results.join() === results.join());
    if (found >= 0) return found;
    this.types.push({ params, results });
    return this.types.length - 1;
  }

  /** Imports a function (from `env` unless another module is named); returns its function index. */
  importFunction(functionName: string, params: readonly ValueType[], results: readonly ValueType[] = [], module = 'env'): number {
    if (this.functions.length > 0) throw new Error('import every function before defining any');
    this.imports.push({ module, name: functionName, kind: 'function', type: this.typeIndex(params, results) });
    return this.imports.length - 1;
  }

  /** Imports NEAR host functions by name with nearcore's signatures; returns their function indices by name. */
  importHost<Name extends string>(...names: readonly Name[]): Record<Name, number> {
    const indices = {} as Record<Name, number>;
    for (const hostName of names) {
      const signature = NEAR_HOST_SIGNATURES[hostName];
      if (signature === undefined) throw new Error(`no signature known for ${hostName}`);
      indices[hostName] = this.importFunction(hostName, signature[0], signature[1]);
    }
    return indices;
  }

  /** Defines a function; `body` is its instructions without the final `end`. Returns its function index. */
  addFunction(params: readonly ValueType[], results: readonly ValueType[], body: readonly (number | readonly number[])[], locals: readonly ValueType[] = []): number {
    this.functions.push({ type: this.typeIndex(params, results), locals, body: body.flat() });
    return this.imports.length + this.functions.length - 1;
  }

  /** A NEAR method: an exported `() -> ()` function. */
  method(methodName: string, body: readonly (number | readonly number[])[], locals: readonly ValueType[] = []): this {
    this.exports.push({ name: methodName, kind: 'function', index: this.addFunction([], [], body, locals) });
    return this;
  }

  exportFunction(exportName: string, functionIndex: number): this {
    this.exports.push({ name: exportName, kind: 'function', index: functionIndex });
    return this;
  }

  /** A memory of `pages` 64 KiB pages, exported as `memory` (as near-sdk contracts do). */
  memory(pages: number): this {
    this.memoryPages = pages;
    this.exports.push({ name: 'memory', kind: 'memory', index: 0 });
    return this;
  }

  /** Imports `env.memory` instead (as nearcore's prepared contracts do). */
  importMemory(): this {
    if (this.functions.length > 0) throw new Error('import the memory before defining functions');
    this.importsMemory = true;
    return this;
  }

  data(offset: number, bytes: Uint8Array | string): this {
    this.dataSegments.push({ offset, bytes: typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes });
    return this;
  }

  build(): Uint8Array {
    const types = vector(this.types.map((type) => [0x60, ...vector(type.params.map((p) => [VALUE_TYPE_CODES[p]])), ...vector(type.results.map((r) => [VALUE_TYPE_CODES[r]]))]));
    const importEntries = this.imports.map((entry) => [...name(entry.module), ...name(entry.name), EXTERNAL_KIND.function, ...unsignedLeb(entry.type)]);
    if (this.importsMemory) importEntries.push([...name('env'), ...name('memory'), EXTERNAL_KIND.memory, 0x00, ...unsignedLeb(1)]);
    const functions = vector(this.functions.map((fn) => unsignedLeb(fn.type)));
    const memory = this.memoryPages === null ? [] : vector([[0x00, ...unsignedLeb(this.memoryPages)]]);
    const exports = vector(this.exports.map((entry) => [...name(entry.name), EXTERNAL_KIND[entry.kind], ...unsignedLeb(entry.index)]));
    const code = vector(
      this.functions.map((fn) => {
        const locals = vector(fn.locals.map((local) => [1, VALUE_TYPE_CODES[local]]));
        const body = [...locals, ...fn.body, ...op.end];
        return [...unsignedLeb(body.length), ...body];
      }),
    );
    const data = vector(this.dataSegments.map((segment) => [0x00, ...op.i32Const(segment.offset), ...op.end, ...unsignedLeb(segment.bytes.length), ...segment.bytes]));
    return Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(SECTION.type, this.types.length === 0 ? [] : types),
      ...section(SECTION.import, importEntries.length === 0 ? [] : vector(importEntries)),
      ...section(SECTION.function, this.functions.length === 0 ? [] : functions),
      ...section(SECTION.memory, memory),
      ...section(SECTION.export, this.exports.length === 0 ? [] : exports),
      ...section(SECTION.code, this.functions.length === 0 ? [] : code),
      ...section(SECTION.data, this.dataSegments.length === 0 ? [] : data),
    ]);
  }
}
