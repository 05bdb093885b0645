/**
 * The one error type contract logic throws. `defineContract` turns it into a host panic whose
 * message is `"<kind>: <message>"`, so a failed receipt always says which rule was broken.
 * Errors of any other type are bugs and are left to propagate unchanged.
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
  ) {
    super(`${kind}: ${message}`);
    this.name = 'ContractError';
  }
}

export function fail(kind: ContractErrorKind, message: string): never {
  throw new ContractError(kind, message);
}
