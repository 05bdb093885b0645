/**
 * Versioned binary form of a {@link KeyShare}, for the key-share store (which seals it with
 * AES-256-GCM before it touches disk or DynamoDB: these bytes hold the secret share in the clear).
 *
 *   version ‖ tag ‖ curve u8 ‖ me u32 ‖ threshold u32 ‖ n u32 ‖ n × participant u32 (ascending)
 *   ‖ private share ‖ public key ‖ n × verifying share (in participant order)
 *
 * Decoding re-checks everything a share's users rely on, including privateShare·G = verifying share
 * of `me`, so a share swapped between participants or corrupted in storage is refused.
 */
import { ByteReader, ByteWriter, readAscendingIds, readHeader, writeHeader } from '../../codec/binary.js';
import type { CurveId, GroupPoint } from '../group.js';
import type { KeyShare } from '../key-share.js';
import type { ParticipantId } from '../protocol.js';
import { CURVE_CODES, decodeOrFail } from './messages.js';
import { withSuite, type KeygenSuite } from './suite.js';

export const KEY_SHARE_TAG = 0x1f;
/** More participants than any deployment will have; bounds allocation when decoding. */
export const MAX_KEY_SHARE_PARTICIPANTS = 1024;

export function encodeKeyShare(share: KeyShare): Uint8Array {
  return withSuite(share.curve, ({ group }) => {
    const writer = writeHeader(new ByteWriter(), KEY_SHARE_TAG)
      .u8(CURVE_CODES[share.curve])
      .u32(share.me)
      .u32(share.threshold)
      .u32(share.participants.length);
    for (const id of share.participants) writer.u32(id);
    writer.fixed(group.scalarToBytes(share.privateShare)).fixed(fixedLength(share.publicKey, group.pointBytes, 'public key'));
    for (const id of share.participants) {
      const point = share.verifyingShares.get(id);
      if (point === undefined) throw new RangeError(`key share has no verifying share for participant ${id}`);
      writer.fixed(fixedLength(point, group.pointBytes, `verifying share of ${id}`));
    }
    return writer.finish();
  });
}

function fixedLength(bytes: Uint8Array, length: number, what: string): Uint8Array {
  if (bytes.length !== length) throw new RangeError(`${what} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

export function decodeKeyShare(data: Uint8Array): KeyShare {
  const reader: ByteReader = new ByteReader(data, 'key share');
  readHeader(reader, [KEY_SHARE_TAG]);
  const code = reader.u8();
  const curve = (Object.keys(CURVE_CODES) as CurveId[]).find((id) => CURVE_CODES[id] === code);
  if (curve === undefined) reader.fail(`unknown curve code ${code}`);
  return withSuite(curve, (suite) => decodeBody(suite, curve, reader));
}

function decodeBody<P extends GroupPoint<P>>(suite: KeygenSuite<P>, curve: CurveId, reader: ByteReader): KeyShare {
  const { group } = suite;
  const me = reader.u32();
  const threshold = reader.u32();
  const participants: ParticipantId[] = readAscendingIds(reader, MAX_KEY_SHARE_PARTICIPANTS);
  const count = participants.length;
  if (!participants.includes(me)) reader.fail(`participant ${me} is not in the participant set`);
  if (threshold < 2 || threshold > count) reader.fail(`threshold ${threshold} is not between 2 and ${count}`);
  const privateShare = decodeOrFail(reader, () => group.scalarFromBytes(reader.fixed(group.scalarBytes)));
  const publicKeyPoint = decodeOrFail(reader, () => group.pointFromBytes(reader.fixed(group.pointBytes)));
  if (!suite.isPrimeOrder(publicKeyPoint)) reader.fail('public key has a small-order component');
  const verifyingShares = new Map<ParticipantId, Uint8Array>();
  for (const id of participants) {
    const point = decodeOrFail(reader, () => group.pointFromBytes(reader.fixed(group.pointBytes)));
    verifyingShares.set(id, point.toBytes(true));
  }
  reader.end();
  if (!group.scaleBase(privateShare).equals(group.pointFromBytes(verifyingShares.get(me)!))) {
    reader.fail(`private share does not match participant ${me}'s verifying share`);
  }
  return { curve, participants, threshold, me, privateShare, publicKey: publicKeyPoint.toBytes(true), verifyingShares };
}
