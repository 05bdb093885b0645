/**
 * The `Chain` port over NEAR JSON-RPC with the @near-js client: views through `JsonRpcProvider`, calls
 * as the node's account through `Account.signAndSendTransaction` with a `KeyPairSigner`, waiting for
 * `FINAL` so a returned call has executed all its receipts on a final block.
 */
import { Account } from '@near-js/accounts';
import type { KeyPair } from '@near-js/crypto';
import { JsonRpcProvider } from '@near-js/providers';
import { KeyPairSigner } from '@near-js/signers';
import { actionCreators } from '@near-js/transactions';
import { TypedError, type FinalExecutionOutcome } from '@near-js/types';
import { PARTICIPANT_CALL_GAS, type CallOptions, type Chain } from './chain.js';
import { ChainCallFailed, ChainRequestRejected, ChainUnavailable } from './errors.js';

export interface NearRpcChainOptions {
  readonly rpcUrl: string;
  readonly accountId: string;
  readonly keyPair: KeyPair;
  readonly contractId: string;
  /** Retry guidance carried by `ChainUnavailable`. Default 1 s (the state poll interval). */
  readonly retryAfterMs?: number;
  /** The client's own retries of 5xx/408 answers before `ChainUnavailable`. Default 3, 100 ms apart, ×1.5. */
  readonly rpcRetries?: number;
}

const DEFAULT_RETRY_AFTER_MS = 1_000;
/** HTTP statuses the @near-js client reports as `ProviderError.cause` for an overloaded or timed-out node. */
const UNAVAILABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
/** @near-js error types that mean "no answer", not "refused". */
const UNAVAILABLE_TYPES = new Set(['RetriesExceeded', 'TimeoutError']);
const PANIC_PREFIX = 'Smart contract panicked: ';

export class NearRpcChain implements Chain {
  readonly accountId: string;
  readonly contractId: string;
  private readonly provider: JsonRpcProvider;
  private readonly account: Account;
  private readonly retryAfterMs: number;
  /**
   * The tail of the transactions sent so far. `Account` takes each nonce from the access key's view, so two
   * transactions in flight from one key would get the same nonce; they are sent one after another.
   */
  private sending: Promise<unknown> = Promise.resolve();

  constructor(options: NearRpcChainOptions) {
    this.accountId = options.accountId;
    this.contractId = options.contractId;
    this.retryAfterMs = options.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
    this.provider = new JsonRpcProvider({ url: options.rpcUrl }, { retries: options.rpcRetries ?? 3, wait: 100, backoff: 1.5 });
    this.account = new Account(options.accountId, this.provider, new KeyPairSigner(options.keyPair));
  }

  async view(method: string, args: Record<string, unknown> = {}): Promise<unknown> {
    try {
      return (await this.provider.callFunction(this.contractId, method, args)) ?? null;
    } catch (error) {
      throw this.classify(`view ${method}`, method, error);
    }
  }

  call(method: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<unknown> {
    const send = async () => {
      let outcome: FinalExecutionOutcome;
      try {
        outcome = await this.account.signAndSendTransaction({
          receiverId: this.contractId,
          actions: [actionCreators.functionCall(method, args, options.gas ?? PARTICIPANT_CALL_GAS, options.deposit ?? 0n)],
          waitUntil: 'FINAL',
          throwOnFailure: false,
        });
      } catch (error) {
        throw this.classify(`call ${method}`, method, error);
      }
      return callResult(method, outcome);
    };
    const result = this.sending.then(send, send);
    this.sending = result.catch(() => undefined);
    return result;
  }

  async blockHeight(): Promise<number> {
    try {
      return (await this.provider.viewBlock({ finality: 'final' })).header.height;
    } catch (error) {
      throw this.classify('block height', 'block', error);
    }
  }

  private classify(operation: string, method: string, error: unknown): Error {
    if (isUnavailable(error)) return new ChainUnavailable(operation, this.retryAfterMs, { cause: error });
    if (error instanceof TypedError) {
      const panic = viewPanicMessage(error.message);
      // A view that panicked is the contract refusing, as a failed call is; anything else is the RPC refusing the request.
      if (panic !== null) return new ChainCallFailed(method, panic, error.message, null);
      return new ChainRequestRejected(operation, error.type, { cause: error });
    }
    return error instanceof Error ? error : new Error(`${operation}: ${String(error)}`, { cause: error });
  }
}

/**
 * Connection failures, and the statuses the client reports for an overloaded or timed-out RPC. Checked by
 * name and shape rather than `instanceof`: undici's errors may come from another realm (a test's VM context).
 */
function isUnavailable(error: unknown): boolean {
  if (error instanceof TypedError) return UNAVAILABLE_TYPES.has(error.type);
  if (typeof error !== 'object' || error === null) return false;
  const { name, message, cause } = error as { name?: unknown; message?: unknown; cause?: unknown };
  // undici's `fetch` fails with a TypeError whose cause is the socket error (ECONNREFUSED, ECONNRESET …).
  if (name === 'TypeError' && message === 'fetch failed') return true;
  return typeof cause === 'number' && UNAVAILABLE_STATUSES.has(cause);
}

/** nearcore reports a view's panic as `…FunctionCallError(HostError(GuestPanic { panic_msg: "<message>" }))`. */
function viewPanicMessage(text: string): string | null {
  const quoted = /GuestPanic \{ panic_msg: ("(?:[^"\\]|\\.)*")/.exec(text)?.[1];
  if (quoted === undefined) return null;
  try {
    return JSON.parse(quoted) as string;
  } catch {
    // Rust's debug escapes that JSON lacks (`\'`, `\u{…}`): keep the text as it is.
    return quoted.slice(1, -1);
  }
}

function callResult(method: string, outcome: FinalExecutionOutcome): unknown {
  const status = outcome.status;
  const transactionHash = outcome.transaction_outcome.id;
  if (typeof status === 'object' && status !== null && 'Failure' in status && status.Failure !== undefined && status.Failure !== null) {
    const failure: unknown = status.Failure;
    throw new ChainCallFailed(method, executionErrorOf(failure), failure, transactionHash);
  }
  const successValue = typeof status === 'object' && status !== null && 'SuccessValue' in status ? status.SuccessValue : undefined;
  if (typeof successValue !== 'string' || successValue === '') return null;
  const text = Buffer.from(successValue, 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    // Methods may return raw bytes; the caller gets them as text rather than a parse error on a successful call.
    return text;
  }
}

/** `{ActionError: {kind: {FunctionCallError: {ExecutionError: "Smart contract panicked: …"}}}}` → the panic message. */
function executionErrorOf(failure: unknown): string | null {
  const executionError = (failure as { ActionError?: { kind?: { FunctionCallError?: { ExecutionError?: unknown } } } })?.ActionError?.kind?.FunctionCallError?.ExecutionError;
  if (typeof executionError !== 'string') return null;
  return executionError.startsWith(PANIC_PREFIX) ? executionError.slice(PANIC_PREFIX.length) : executionError;
}
