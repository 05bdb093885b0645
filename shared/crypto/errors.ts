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

/**
 * A caller handed a protocol inputs it cannot run with (a participant set breaking the threshold
 * rules, material from another key or set, an out-of-range payload). Thrown from constructors, before
 * anything is sent, so nothing derived from secret inputs leaves the node; unlike {@link ProtocolAbort}
 * it blames no peer.
 */
export class ProtocolInputError extends RangeError {
  constructor(
    readonly protocol: string,
    reason: string,
  ) {
    super(`${protocol}: ${reason}`);
    this.name = new.target.name;
  }
}
