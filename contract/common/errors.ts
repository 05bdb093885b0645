/**
 * The one error type contract logic throws. `defineContract` turns it into a host panic whose
 * message is `"<kind>: <message>"`, so a failed receipt always says which rule was broken, or,
 * where a contract must repeat another implementation's messages word for word (the MPC signer
 * repeats near/mpc's), exactly the given text. Errors of any other type are bugs and are left to
 * propagate unchanged.
 */
export type ContractErrorKind =
  | 'InvalidArguments'
  | 'InvalidState'
  | 'Unauthorized'
  | 'InvalidDeposit'
  | 'InsufficientGas'
  | 'InvalidRequest'
  | 'InvalidSignature'
  | 'RequestNotFound'
  | 'PendingRequestQueueFull'
  | 'InvalidParameters'
  | 'InvalidVote'
  | 'KeyEvent'
  | 'Timeout'
  | 'Paused'
  | 'NotFound'
  | 'CallbackFailed'
  | 'SignFailed';

export class ContractError extends Error {
  constructor(
    readonly kind: ContractErrorKind,
    message: string,
    options: { readonly verbatim?: boolean } = {},
  ) {
    super(options.verbatim === true ? message : `${kind}: ${message}`);
    this.name = 'ContractError';
  }
}

export function fail(kind: ContractErrorKind, message: string): never {
  throw new ContractError(kind, message);
}

/** Panics with exactly `text` (an ABI-defined message callers match); `kind` classifies it in code only. */
export function failWith(kind: ContractErrorKind, text: string): never {
  throw new ContractError(kind, text, { verbatim: true });
}
