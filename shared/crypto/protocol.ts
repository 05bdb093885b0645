/**
 * The sans-IO protocol interface every MPC protocol in this project implements (keygen, reshare,
 * refresh, triples, presign, ECDSA sign, FROST sign), in the style of cait-sith: the caller pokes the
 * protocol for its next action and feeds it the messages that arrive. No sockets, timers or storage
 * inside; the same object runs in unit tests, benchmarks, the devnet and on Fargate.
 */

/** A participant's id as registered in the contract (u32, as near/mpc's `ParticipantId`). */
export type ParticipantId = number;

/** What the protocol wants its driver to do next. */
export type Action<Output> =
  /** Nothing to send; deliver more messages (or give up after the caller's own timeout). */
  | { readonly kind: 'wait' }
  /** Send these bytes to every other participant of this protocol instance. */
  | { readonly kind: 'send-many'; readonly data: Uint8Array }
  /** Send these bytes to one participant only (over the encrypted, authenticated channel). */
  | { readonly kind: 'send-private'; readonly to: ParticipantId; readonly data: Uint8Array }
  /** The protocol has finished with this output; it must not be poked again. */
  | { readonly kind: 'return'; readonly output: Output };

export interface Protocol<Output> {
  /**
   * Advances as far as possible with the messages received so far and returns the next action.
   * Throws {@link import('./errors.js').ProtocolAbort} when the run must be abandoned (bad proof,
   * inconsistent broadcast, duplicate message, …); nothing partial is ever returned as output.
   */
  poke(): Action<Output>;
  /**
   * Queues one message from a participant of this instance. Never throws on untrusted bytes: bad
   * input is recorded and surfaces as an abort from the next `poke()`.
   */
  message(from: ParticipantId, data: Uint8Array): void;
}

/** The ids in ascending numeric order (the order every set is encoded and compared in). */
export function ascending(ids: Iterable<ParticipantId>): ParticipantId[] {
  return [...ids].sort((a, b) => a - b);
}

/** True when both lists hold the same ids the same number of times, in any order. */
export function sameParticipantSet(left: readonly ParticipantId[], right: readonly ParticipantId[]): boolean {
  if (left.length !== right.length) return false;
  const [sortedLeft, sortedRight] = [ascending(left), ascending(right)];
  return sortedLeft.every((id, i) => id === sortedRight[i]);
}

/** Checks that a participant list is non-empty, duplicate-free and made of u32 ids. */
export function assertParticipantSet(participants: readonly ParticipantId[]): void {
  if (participants.length === 0) throw new RangeError('participant set is empty');
  const seen = new Set<ParticipantId>();
  for (const id of participants) {
    if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) throw new RangeError(`participant id ${id} is not a u32`);
    if (seen.has(id)) throw new RangeError(`participant ${id} appears twice`);
    seen.add(id);
  }
}
