/**
 * The `Chain` port over NEAR JSON-RPC with the @near-js client: views through `JsonRpcProvider`, calls
 * as the node's account signed by a `KeyPairSigner` and sent with `send_tx`, waiting for `FINAL` so a
 * returned call has executed all its receipts on a final block.
 *
 * A node sends many `respond`s at once. `Account.signAndSendTransaction` would read the access key's nonce
 * for each and give them all the same one; here nonces are counted locally and transactions are submitted
 * one at a time in nonce order (`send_tx` without waiting), then awaited together (`tx` until `FINAL`).
 */
import type { KeyPair } from '@near-js/crypto';
import { JsonRpcProvider } from '@near-js/providers';
import { KeyPairSigner } from '@near-js/signers';
import { actionCreators, createTransaction, type Action } from '@near-js/transactions';
import { TypedError, type FinalExecutionOutcome } from '@near-js/types';
import { baseDecode } from '@near-js/utils';
import { viewPanicText } from '../../../shared/near/rpc-errors.js';
import { PARTICIPANT_CALL_GAS } from '../../../shared/near/signer-abi.js';
import type { CallOptions, Chain } from './chain.js';
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
/** Submissions of one call whose nonce was refused (another holder of the key used it); each re-reads the key's nonce. */
const MAX_NONCE_ATTEMPTS = 5;
/** A transaction must reference a recent block (NEAR: within a day); an hour-old reference is refreshed. */
const REFERENCE_BLOCK_MAX_AGE_MS = 60 * 60_000;
/**
 * How old a head height may be when it is handed out again. Every request a node leads asks for the
 * height (the yield deadline), dozens at once under load, and each read is a whole block view: they
 * share one read instead. A height a few blocks behind only makes a deadline check later, never earlier.
 */
const HEAD_HEIGHT_MAX_AGE_MS = 250;

export class NearRpcChain implements Chain {
  readonly accountId: string;
  readonly contractId: string;
  private readonly provider: JsonRpcProvider;
  private readonly keyPair: KeyPair;
  private readonly signer: KeyPairSigner;
  private readonly retryAfterMs: number;
  /** The nonce of the last transaction submitted; null until read from the chain, and again after the chain refused one. */
  private lastNonce: bigint | null = null;
  private referenceBlock: { readonly hash: Uint8Array; readonly fetchedAtMs: number } | null = null;
  /** The submission in progress: the next one starts after it, so transactions reach the RPC in nonce order. */
  private submitting: Promise<unknown> = Promise.resolve();
  /** The latest head-height read (possibly still under way) and when it was started. */
  private headHeight: { readonly height: Promise<number>; readonly startedAtMs: number } | null = null;

  constructor(options: NearRpcChainOptions) {
    this.accountId = options.accountId;
    this.contractId = options.contractId;
    this.retryAfterMs = options.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
    this.provider = new JsonRpcProvider({ url: options.rpcUrl }, { retries: options.rpcRetries ?? 3, wait: 100, backoff: 1.5 });
    this.keyPair = options.keyPair;
    this.signer = new KeyPairSigner(options.keyPair);
  }

  async view(method: string, args: Record<string, unknown> = {}): Promise<unknown> {
    try {
      // Final state: what a call awaited to `FINAL` changed is visible, and nothing a reorg could undo is.
      return (await this.provider.callFunction(this.contractId, method, args, { finality: 'final' })) ?? null;
    } catch (error) {
      throw this.classify(`view ${method}`, method, error);
    }
  }

  async call(method: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<unknown> {
    const action = actionCreators.functionCall(method, args, options.gas ?? PARTICIPANT_CALL_GAS, options.deposit ?? 0n);
    for (let attempt = 1; ; attempt += 1) {
      let outcome: FinalExecutionOutcome;
      try {
        const transactionHash = await this.submitInNonceOrder(action);
        outcome = await this.provider.txStatus(transactionHash, this.accountId, 'FINAL');
      } catch (error) {
        const failure = this.classify(`call ${method}`, method, error);
        if (failure instanceof ChainRequestRejected && failure.type === 'InvalidNonce' && attempt < MAX_NONCE_ATTEMPTS) {
          this.lastNonce = null;
          continue;
        }
        throw failure;
      }
      return callResult(method, outcome);
    }
  }

  /** Signs `action` with the next nonce and hands it to the RPC without waiting for execution; resolves to its hash. */
  private submitInNonceOrder(action: Action): Promise<Uint8Array> {
    const submit = async (): Promise<Uint8Array> => {
      const publicKey = this.keyPair.getPublicKey();
      this.lastNonce ??= BigInt((await this.provider.viewAccessKey(this.accountId, publicKey, { finality: 'final' })).nonce);
      const nonce = this.lastNonce + 1n;
      const transaction = createTransaction(this.accountId, publicKey, this.contractId, nonce, [action], await this.referenceBlockHash());
      const [hash, signed] = await this.signer.signTransaction(transaction);
      await this.provider.sendTransactionUntil(signed, 'NONE');
      this.lastNonce = nonce;
      return hash;
    };
    const submitted = this.submitting.then(submit, submit);
    this.submitting = submitted.catch(() => undefined);
    return submitted;
  }

  private async referenceBlockHash(): Promise<Uint8Array> {
    const now = Date.now();
    if (this.referenceBlock === null || now - this.referenceBlock.fetchedAtMs > REFERENCE_BLOCK_MAX_AGE_MS) {
      const block = await this.provider.viewBlock({ finality: 'final' });
      this.referenceBlock = { hash: baseDecode(block.header.hash), fetchedAtMs: now };
    }
    return this.referenceBlock.hash;
  }

  /** The final head's height, read at most every {@link HEAD_HEIGHT_MAX_AGE_MS}; concurrent callers share a read. */
  async blockHeight(): Promise<number> {
    const now = Date.now();
    if (this.headHeight === null || now - this.headHeight.startedAtMs > HEAD_HEIGHT_MAX_AGE_MS) {
      const height = this.readHeadHeight();
      this.headHeight = { height, startedAtMs: now };
      // A failed read is not handed out again.
      height.catch(() => {
        if (this.headHeight?.height === height) this.headHeight = null;
      });
    }
    return this.headHeight.height;
  }

  private async readHeadHeight(): Promise<number> {
    try {
      return (await this.provider.viewBlock({ finality: 'final' })).header.height;
    } catch (error) {
      throw this.classify('block height', 'block', error);
    }
  }

  private classify(operation: string, method: string, error: unknown): Error {
    if (isUnavailable(error)) return new ChainUnavailable(operation, this.retryAfterMs, { cause: error });
    if (error instanceof TypedError) {
      const panic = viewPanicText(error.message);
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
