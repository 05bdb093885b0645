/** Errors of the key lifecycle service. Each names the key event attempt (or domain) it concerns. */
import type { KeyEventId } from '../../../shared/near/signer-abi.js';

export type KeyEventKind = 'keygen' | 'reshare';

export const describeKeyEvent = (kind: KeyEventKind, id: KeyEventId): string =>
  `${kind} epoch ${id.epoch_id} domain ${id.domain_id} attempt ${id.attempt_id}`;

/** This node's part of a key event attempt failed; `culprit` is the peer to blame when the protocol named one. */
export class KeyEventAttemptFailed extends Error {
  constructor(
    readonly kind: KeyEventKind,
    readonly keyEventId: KeyEventId,
    readonly reason: string,
    readonly culprit: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(`${describeKeyEvent(kind, keyEventId)} failed: ${reason}${culprit === undefined ? '' : ` (participant ${culprit})`}`, options);
    this.name = 'KeyEventAttemptFailed';
  }
}

/** The contract already holds another proposed key for the attempt: voting ours would only abort it, so we abort explicitly. */
export class ProposedKeyMismatch extends Error {
  constructor(
    readonly keyEventId: KeyEventId,
    readonly proposedPublicKey: string,
    readonly generatedPublicKey: string,
  ) {
    super(`${describeKeyEvent('keygen', keyEventId)}: the contract proposes ${proposedPublicKey}, this node generated ${generatedPublicKey}`);
    this.name = 'ProposedKeyMismatch';
  }
}

/** A reshare cannot be run here: the old share is missing or the dealers cannot cover the old threshold. */
export class ReshareInputMissing extends Error {
  constructor(
    readonly keyEventId: KeyEventId,
    reason: string,
  ) {
    super(`${describeKeyEvent('reshare', keyEventId)}: ${reason}`);
    this.name = 'ReshareInputMissing';
  }
}

/** The contract's keyset names a key for a domain whose share this node does not hold (or cannot open). */
export class ServingKeyMissing extends Error {
  constructor(
    readonly domainId: number,
    readonly epochId: number,
    readonly attemptId: number,
    readonly publicKey: string,
    options?: { cause?: unknown },
  ) {
    super(`no usable key share for domain ${domainId}, epoch ${epochId}, attempt ${attemptId} with public key ${publicKey}`, options);
    this.name = 'ServingKeyMissing';
  }
}
