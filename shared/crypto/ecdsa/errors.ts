/**
 * A caller handed an ECDSA protocol inputs it cannot run with: a participant set that breaks the
 * threshold rules, triples from another set, a payload not below the group order, a key on the wrong
 * curve. Thrown from constructors, before anything is sent, so nothing derived from the secret
 * inputs ever leaves the node; distinct from {@link import('../errors.js').ProtocolAbort}, which
 * blames peers during a run.
 */
export class EcdsaInputError extends Error {
  constructor(
    /** `ecdsa-presign` or `ecdsa-sign`. */
    readonly protocol: string,
    reason: string,
  ) {
    super(`${protocol}: ${reason}`);
    this.name = 'EcdsaInputError';
  }
}
