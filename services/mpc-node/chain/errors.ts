/** Errors of the node's view of the chain. Each says what was attempted and whether retrying can help. */

/**
 * The RPC could not be reached or did not answer in time (connection refused, 5xx, 408, client retries
 * exhausted). A call may or may not have landed: re-read the state after `retryAfterMs`, then resend if it
 * did not. Resending cannot apply a call twice (the contract refuses a second vote with "Vote already
 * casted." and a second `respond` with `SIGNER_ERRORS.requestNotFound`), but such a refusal then means the
 * first one landed.
 */
export class ChainUnavailable extends Error {
  constructor(
    readonly operation: string,
    readonly retryAfterMs: number,
    options: { cause: unknown },
  ) {
    super(`${operation}: the NEAR RPC is unavailable (${describeCause(options.cause)}); retry in ${retryAfterMs} ms`, options);
    this.name = 'ChainUnavailable';
  }
}

/**
 * The contract refused: a call's receipt failed, or a view panicked. `panicMessage` is the contract's own
 * panic text (near/mpc's texts: `SIGNER_ERRORS`) when it panicked; `failure` is the raw failure for anything else.
 */
export class ChainCallFailed extends Error {
  constructor(
    readonly method: string,
    readonly panicMessage: string | null,
    readonly failure: unknown,
    readonly transactionHash: string | null,
  ) {
    super(`${method} failed${transactionHash === null ? '' : ` (transaction ${transactionHash})`}: ${panicMessage ?? JSON.stringify(failure)}`);
    this.name = 'ChainCallFailed';
  }
}

/**
 * The RPC refused the request without running the contract: a transaction refused before execution (nonce,
 * key, balance …) or a view of an unknown account or method. `type` is the error name the client reports.
 */
export class ChainRequestRejected extends Error {
  constructor(
    readonly operation: string,
    readonly type: string,
    options: { cause: unknown },
  ) {
    super(`${operation}: the RPC refused the request with ${type} (${describeCause(options.cause)})`, options);
    this.name = 'ChainRequestRejected';
  }
}

/** The contract's `state()` did not have the documented shape; `path` names the offending field. */
export class ContractStateMalformed extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`contract state is malformed at ${path}: ${problem}`);
    this.name = 'ContractStateMalformed';
  }
}

function describeCause(cause: unknown): string {
  const message = (cause as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(cause);
}
