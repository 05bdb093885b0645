import type { ParticipantId } from '../../../shared/crypto/protocol.js';

/**
 * A follower refused to join a run a peer asked for. Thrown from the control handler, so the
 * {@link import('../control.js').ControlChannel} counts it (`refused`) and logs it; refusals are normal
 * for a moment when peers' views of the participant set or of reachability differ.
 */
export class StockpileRequestRefused extends Error {
  constructor(
    readonly from: ParticipantId,
    readonly type: string,
    readonly instance: string,
    readonly reason: string,
  ) {
    super(`refused ${type} run ${instance} from participant ${from}: ${reason}`);
    this.name = 'StockpileRequestRefused';
  }
}

/** An owner run could not be started or did not produce its asset; the set is backed off and another is tried. */
export class StockpileRunFailed extends Error {
  constructor(
    readonly kind: string,
    readonly instance: string,
    readonly participants: readonly ParticipantId[],
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${kind} run ${instance} among [${participants.join(', ')}] failed: ${reason}`, options);
    this.name = 'StockpileRunFailed';
  }
}
