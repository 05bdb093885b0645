import type { ParticipantId } from './protocol.js';

/**
 * A protocol run was abandoned. `step` names where (e.g. "triple/round-3: dlog-eq proof"), and
 * `culprit` the participant whose message caused it, when that is identifiable.
 */
export class ProtocolAbort extends Error {
  constructor(
    readonly protocol: string,
    readonly step: string,
    message: string,
    readonly culprit?: ParticipantId,
    options?: { cause?: unknown },
  ) {
    super(`${protocol} aborted at ${step}${culprit === undefined ? '' : ` (participant ${culprit})`}: ${message}`, options);
    this.name = 'ProtocolAbort';
  }
}

/** Untrusted bytes could not be decoded; `what` names the structure and `offset` the byte. */
export class DecodeError extends Error {
  constructor(
    readonly what: string,
    readonly offset: number,
    message: string,
  ) {
    super(`cannot decode ${what} at byte ${offset}: ${message}`);
    this.name = 'DecodeError';
  }
}
