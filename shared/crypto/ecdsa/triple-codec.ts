/**
 * Versioned storage encoding of one participant's share of a Beaver triple (triple.ts), for the
 * node's (encrypted) asset store. The record is read back only from the node's own store, but it is
 * still decoded strictly: a corrupt or foreign record gives a {@link DecodeError}, never a triple
 * that would make presign abort later or, worse, run with wrong inputs.
 */
import { ByteReader, ByteWriter, readAscendingIds } from '../../codec/binary.js';
import type { ParticipantId } from '../protocol.js';
import { COMPRESSED_POINT_BYTES, readPointBytes, readScalar, writeScalar } from './messages.js';
import type { Triple } from './triple.js';

/** Version byte of the record; another version is refused, never misread. */
export const TRIPLE_RECORD_VERSION = 1;
/** Second byte: tells a triple record from any other record kind (presignature records start 0x01, <u32 me>). */
export const TRIPLE_RECORD_TAG = 0x54;
/** Bound on the participant count read from a record, so a corrupt count cannot exhaust memory. */
export const MAX_TRIPLE_PARTICIPANTS = 1024;

export function encodeTriple(triple: Triple): Uint8Array {
  const { pub, share } = triple;
  const participants = [...pub.participants];
  if (participants.some((id, i) => i > 0 && id <= participants[i - 1]!)) throw new RangeError('triple participants must be strictly ascending');
  if (pub.threshold < 1 || pub.threshold > participants.length) throw new RangeError(`triple threshold ${pub.threshold} for ${participants.length} participants`);
  for (const point of [pub.bigA, pub.bigB, pub.bigC]) {
    if (point.length !== COMPRESSED_POINT_BYTES) throw new RangeError('triple commitments must be compressed points');
  }
  const writer = new ByteWriter(16 + participants.length * 4 + 3 * COMPRESSED_POINT_BYTES + 3 * 32)
    .u8(TRIPLE_RECORD_VERSION)
    .u8(TRIPLE_RECORD_TAG)
    .u32(pub.threshold)
    .u32(participants.length);
  for (const id of participants) writer.u32(id);
  writer.fixed(pub.bigA).fixed(pub.bigB).fixed(pub.bigC);
  for (const scalar of [share.a, share.b, share.c]) writeScalar(writer, scalar);
  return writer.finish();
}

/** Reads a stored triple share; throws {@link import('../errors.js').DecodeError} on any defect. */
export function decodeTriple(data: Uint8Array): Triple {
  const reader = new ByteReader(data, 'ecdsa triple record');
  const version = reader.u8();
  if (version !== TRIPLE_RECORD_VERSION) reader.fail(`record version ${version}, expected ${TRIPLE_RECORD_VERSION}`);
  const tag = reader.u8();
  if (tag !== TRIPLE_RECORD_TAG) reader.fail(`record tag ${tag}, expected ${TRIPLE_RECORD_TAG} (a triple)`);
  const threshold = reader.u32();
  const participants: ParticipantId[] = readAscendingIds(reader, MAX_TRIPLE_PARTICIPANTS);
  const count = participants.length;
  if (threshold < 1 || threshold > count) reader.fail(`threshold ${threshold} for ${count} participants`);
  const bigA = readPointBytes(reader, COMPRESSED_POINT_BYTES);
  const bigB = readPointBytes(reader, COMPRESSED_POINT_BYTES);
  const bigC = readPointBytes(reader, COMPRESSED_POINT_BYTES);
  const a = readScalar(reader);
  const b = readScalar(reader);
  const c = readScalar(reader);
  reader.end();
  return { share: { a, b, c }, pub: { participants, threshold, bigA, bigB, bigC } };
}
