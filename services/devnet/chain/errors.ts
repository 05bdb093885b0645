/**
 * Typed errors of the devnet chain. Each carries what the JSON-RPC layer needs to answer with
 * nearcore's error shape (see rpc/errors.ts), so clients such as @near-js/providers classify them.
 */
import type { AccountId, CryptoHash, NearErrorJson, PublicKeyText } from './types.js';

export abstract class ChainError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A transaction was refused before execution (nearcore `InvalidTxError`). */
export class InvalidTransactionError extends ChainError {
  constructor(readonly nearError: NearErrorJson, detail?: string) {
    super(`invalid transaction: ${detail ?? JSON.stringify(nearError)}`);
  }
}

/** The request itself could not be read (bad base64, bad borsh, wrong parameter types). */
export class MalformedRequestError extends ChainError {}

export class UnknownAccountError extends ChainError {
  constructor(readonly accountId: AccountId) {
    super(`account ${accountId} does not exist while viewing`);
  }
}

export class UnknownAccessKeyError extends ChainError {
  constructor(readonly accountId: AccountId, readonly publicKey: PublicKeyText) {
    super(`access key ${publicKey} does not exist while viewing`);
  }
}

export class UnknownBlockError extends ChainError {
  constructor(readonly reference: string) {
    super(`DB Not Found Error: BLOCK: ${reference}`);
  }
}

export class UnknownChunkError extends ChainError {
  constructor(readonly chunkHash: CryptoHash) {
    super(`Chunk Missing (unavailable on the node): ${chunkHash}`);
  }
}

/** The devnet keeps state at the head only; older blocks exist but their state is gone. */
export class BlockStateUnavailableError extends ChainError {
  constructor(readonly height: number, readonly hash: CryptoHash) {
    super(`state of block ${height} (${hash}) is not kept: the devnet chain answers queries at the head only`);
  }
}

export class UnknownTransactionError extends ChainError {
  constructor(readonly hash: CryptoHash) {
    super(`Transaction ${hash} doesn't exist`);
  }
}

/** A view call failed with a NEAR `FunctionCallError` (its JSON form, e.g. `{ MethodResolveError: 'MethodNotFound' }`). */
export class ContractViewError extends ChainError {
  constructor(readonly functionCallError: NearErrorJson) {
    super(`view call failed: ${JSON.stringify(functionCallError)}`);
  }
}

/** A view call on an account without a contract (nearcore `NO_CONTRACT_CODE`). */
export class NoContractCodeError extends ChainError {
  constructor(readonly accountId: AccountId) {
    super(`account ${accountId} has no contract code`);
  }
}

/** Waiting for a transaction's outcome took longer than the caller allowed. */
export class TransactionWaitTimeoutError extends ChainError {
  constructor(readonly hash: CryptoHash) {
    super(`timed out waiting for transaction ${hash}`);
  }
}

export class ChainStoppedError extends ChainError {
  /** `cause`: why block production stopped, if it did not stop on request. */
  constructor(cause?: unknown) {
    super(cause === undefined ? 'the devnet chain has stopped' : 'the devnet chain stopped after a block production failure', cause === undefined ? undefined : { cause });
  }
}

/** The configuration or a persisted data folder cannot be used. */
export class ChainConfigError extends ChainError {}
