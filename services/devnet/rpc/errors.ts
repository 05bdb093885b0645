/**
 * nearcore's JSON-RPC error objects. Clients classify errors by these exact shapes: @near-js reads
 * `data` (an `InvalidTxError` wrapped in `TxExecutionError`, or a message such as
 * "account x does not exist while viewing"), newer clients read `name` / `cause`. The HTTP status
 * follows nearcore too: 400 for request validation, 408 for timeouts, 500 for internal errors,
 * 200 for handler errors.
 */
import {
  BlockStateUnavailableError,
  ChainStoppedError,
  ContractViewError,
  InvalidTransactionError,
  MalformedRequestError,
  NoContractCodeError,
  TransactionWaitTimeoutError,
  UnknownAccessKeyError,
  UnknownAccountError,
  UnknownBlockError,
  UnknownChunkError,
  UnknownTransactionError,
} from '../chain/errors.js';
import type { NearErrorJson } from '../chain/types.js';

export interface RpcErrorObject {
  readonly name: 'REQUEST_VALIDATION_ERROR' | 'HANDLER_ERROR' | 'INTERNAL_ERROR';
  readonly cause: { readonly name: string; readonly info: Readonly<Record<string, unknown>> };
  readonly code: number;
  readonly message: string;
  readonly data: unknown;
}

export interface RpcFailure {
  readonly httpStatus: number;
  readonly error: RpcErrorObject;
}

/** Where a view error happened, for the `info` nearcore attaches. */
export interface BlockContext {
  readonly block_height: number;
  readonly block_hash: string;
}

const SERVER_ERROR = { code: -32_000, message: 'Server error' } as const;

/** The request could not be read: bad JSON, bad parameters, bad base64 or borsh. */
export class RpcRequestError extends Error {
  constructor(
    message: string,
    readonly causeName: 'PARSE_ERROR' | 'METHOD_NOT_FOUND' = 'PARSE_ERROR',
  ) {
    super(message);
    this.name = 'RpcRequestError';
  }
}

function handler(causeName: string, info: Record<string, unknown>, data: unknown, httpStatus = 200): RpcFailure {
  return { httpStatus, error: { name: 'HANDLER_ERROR', cause: { name: causeName, info }, ...SERVER_ERROR, data } };
}

export function requestValidationFailure(error: RpcRequestError): RpcFailure {
  const methodNotFound = error.causeName === 'METHOD_NOT_FOUND';
  return {
    httpStatus: 400,
    error: {
      name: 'REQUEST_VALIDATION_ERROR',
      cause: { name: error.causeName, info: methodNotFound ? { method_name: error.message } : { error_message: error.message } },
      code: methodNotFound ? -32_601 : -32_700,
      message: methodNotFound ? 'Method not found' : 'Parse error',
      data: error.message,
    },
  };
}

/**
 * nearcore's messages print errors in Rust `Debug` form; the JSON form maps back to it: unit
 * variants bare, enum payloads in parentheses, struct payloads in braces, `ExecutionError`'s
 * message quoted.
 */
export function rustDebug(value: NearErrorJson): string {
  if (typeof value === 'string') return value;
  const [variant, payload] = Object.entries(value)[0] ?? ['Unknown', null];
  if (payload === null || payload === undefined) return variant;
  if (typeof payload === 'string') return variant === 'ExecutionError' ? `${variant}(${JSON.stringify(payload)})` : `${variant}(${payload})`;
  if (typeof payload !== 'object' || Array.isArray(payload)) return `${variant}(${JSON.stringify(payload)})`;
  const fields = Object.entries(payload);
  const isStruct = fields.every(([name]) => /^[a-z]/.test(name));
  if (!isStruct) return `${variant}(${rustDebug(payload as NearErrorJson)})`;
  return `${variant} { ${fields.map(([name, field]) => `${name}: ${JSON.stringify(field)}`).join(', ')} }`;
}

/** Maps any error a handler threw to nearcore's error object; unknown errors become INTERNAL_ERROR. */
export function rpcFailureFor(error: unknown, block: BlockContext): RpcFailure {
  if (error instanceof RpcRequestError) return requestValidationFailure(error);
  if (error instanceof MalformedRequestError) return requestValidationFailure(new RpcRequestError(error.message));
  if (error instanceof InvalidTransactionError) return handler('INVALID_TRANSACTION', {}, { TxExecutionError: { InvalidTxError: error.nearError } });
  if (error instanceof UnknownAccountError) return handler('UNKNOWN_ACCOUNT', { requested_account_id: error.accountId, ...block }, error.message);
  if (error instanceof UnknownAccessKeyError) return handler('UNKNOWN_ACCESS_KEY', { public_key: error.publicKey, ...block }, error.message);
  if (error instanceof ContractViewError) {
    const vmError = `FunctionCallError(${rustDebug(error.functionCallError)})`;
    return handler('CONTRACT_EXECUTION_ERROR', { vm_error: vmError, error: error.functionCallError, ...block }, `wasm execution failed with error: ${vmError}`);
  }
  if (error instanceof NoContractCodeError) {
    const vmError = `FunctionCallError(CompilationError(CodeDoesNotExist { account_id: AccountId(${JSON.stringify(error.accountId)}) }))`;
    return handler('NO_CONTRACT_CODE', { contract_account_id: error.accountId, ...block }, `wasm execution failed with error: ${vmError}`);
  }
  if (error instanceof UnknownBlockError) return handler('UNKNOWN_BLOCK', { block_reference: error.reference }, error.message);
  if (error instanceof UnknownChunkError) return handler('UNKNOWN_CHUNK', { chunk_hash: error.chunkHash }, error.message);
  if (error instanceof BlockStateUnavailableError) return handler('GARBAGE_COLLECTED_BLOCK', { block_height: error.height, block_hash: error.hash }, error.message);
  if (error instanceof UnknownTransactionError) return handler('UNKNOWN_TRANSACTION', { requested_transaction_hash: error.hash }, error.message);
  if (error instanceof TransactionWaitTimeoutError) return handler('TIMEOUT_ERROR', {}, 'Timeout', 408);
  const message = error instanceof ChainStoppedError ? error.message : `internal error: ${error instanceof Error ? error.message : String(error)}`;
  return { httpStatus: 500, error: { name: 'INTERNAL_ERROR', cause: { name: 'INTERNAL_ERROR', info: { error_message: message } }, code: -32_000, message: 'Server error', data: message } };
}
