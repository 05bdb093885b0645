/**
 * Leader order for a sign request, as near/mpc computes it: participants sorted by the first 8 bytes,
 * read little-endian, of SHA-256(participant id as u32 LE ‖ request id). Every node computes the same
 * order, the first reachable participant leads, and the others take over in order after a timeout.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { ParticipantId } from '../../shared/crypto/protocol.js';

export function leaderOrder(participants: readonly ParticipantId[], requestId: Uint8Array): ParticipantId[] {
  const rank = (id: ParticipantId): bigint => {
    const input = new Uint8Array(4 + requestId.length);
    new DataView(input.buffer).setUint32(0, id, true);
    input.set(requestId, 4);
    const digest = sha256(input);
    return new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0, true);
  };
  const ranks = new Map(participants.map((id) => [id, rank(id)]));
  return [...participants].sort((a, b) => {
    const difference = ranks.get(a)! - ranks.get(b)!;
    return difference < 0n ? -1 : difference > 0n ? 1 : a - b;
  });
}

/**
 * Who may lead a request, in turn: the leader order over the participants this node reaches, less
 * those whose `respond` the contract would refuse (`responders`, while a resharing is under way: near/mpc
 * 3.14 accepts responses only from the proposed set, so a leaving participant signs but does not lead).
 */
export function leadOrder(participants: readonly ParticipantId[], requestId: Uint8Array, reachable: ReadonlySet<ParticipantId>, responders?: readonly ParticipantId[]): ParticipantId[] {
  return leaderOrder(participants, requestId).filter((id) => reachable.has(id) && (responders === undefined || responders.includes(id)));
}
