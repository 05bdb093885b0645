/**
 * Wire format of the key-lifecycle protocols (DKG, reshare, refresh). Every message is
 * `version ‖ tag ‖ instance ‖ body`, where `instance` is a 32-byte hash binding the caller's session
 * id to the protocol, curve, participant sets and thresholds: a message replayed from another
 * instance, or sent by a peer configured differently, is recognised by its first 34 bytes.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ByteReader, ByteWriter, readHeader, writeHeader } from '../../codec/binary.js';
import { DecodeError } from '../errors.js';
import type { CurveId, Group, GroupPoint } from '../group.js';
import type { ParticipantId } from '../protocol.js';

export const COMMITMENTS_TAG = 0x10;
export const ECHO_TAG = 0x11;
export const SHARE_TAG = 0x12;

export const INSTANCE_BYTES = 32;
export const DIGEST_BYTES = 32;
/** Longest session id a caller may supply (contract key-event ids are far shorter). */
export const MAX_SESSION_ID_BYTES = 256;

export type KeygenMessage<P> =
  /** A dealer's Feldman commitments (broadcast); DKG adds a proof of knowledge of the constant term. */
  | { readonly kind: 'commitments'; readonly instance: Uint8Array; readonly commitments: readonly P[]; readonly proofOfKnowledge: Uint8Array }
  /** Hash of every dealer's commitments broadcast as this party received them (broadcast). */
  | { readonly kind: 'echo'; readonly instance: Uint8Array; readonly digest: Uint8Array }
  /** A dealer's polynomial evaluated at the recipient's point (private). */
  | { readonly kind: 'share'; readonly instance: Uint8Array; readonly share: bigint };

export function encodeKeygenMessage<P extends GroupPoint<P>>(group: Group<P>, message: KeygenMessage<P>): Uint8Array {
  const writer = new ByteWriter();
  switch (message.kind) {
    case 'commitments':
      writeHeader(writer, COMMITMENTS_TAG).fixed(message.instance).u32(message.commitments.length);
      for (const point of message.commitments) writer.fixed(point.toBytes(true));
      return writer.bytes(message.proofOfKnowledge).finish();
    case 'echo':
      return writeHeader(writer, ECHO_TAG).fixed(message.instance).fixed(message.digest).finish();
    case 'share':
      return writeHeader(writer, SHARE_TAG).fixed(message.instance).fixed(group.scalarToBytes(message.share)).finish();
  }
}

/**
 * Decodes a message from an untrusted peer. Every point must be a canonical encoding of a curve
 * point other than the identity, every scalar canonical; anything else is a {@link DecodeError}.
 */
export function decodeKeygenMessage<P extends GroupPoint<P>>(
  group: Group<P>,
  data: Uint8Array,
  maxCommitments: number,
): KeygenMessage<P> {
  const reader = new ByteReader(data, 'keygen message');
  const tag = readHeader(reader, [COMMITMENTS_TAG, ECHO_TAG, SHARE_TAG]);
  const instance = reader.fixed(INSTANCE_BYTES);
  let message: KeygenMessage<P>;
  if (tag === COMMITMENTS_TAG) {
    const count = reader.count(maxCommitments);
    const commitments: P[] = [];
    for (let i = 0; i < count; i += 1) commitments.push(decodeOrFail(reader, () => group.pointFromBytes(reader.fixed(group.pointBytes))));
    const proofOfKnowledge = reader.bytes(group.pointBytes + group.scalarBytes);
    message = { kind: 'commitments', instance, commitments, proofOfKnowledge };
  } else if (tag === ECHO_TAG) {
    message = { kind: 'echo', instance, digest: reader.fixed(DIGEST_BYTES) };
  } else {
    message = { kind: 'share', instance, share: decodeOrFail(reader, () => group.scalarFromBytes(reader.fixed(group.scalarBytes))) };
  }
  reader.end();
  return message;
}

/** Turns the RangeError of a point or scalar decoder into a DecodeError at the reader's position. */
export function decodeOrFail<T>(reader: ByteReader, decode: () => T): T {
  const at = reader.position;
  try {
    return decode();
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    return reader.fail(`invalid element before byte ${at}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export const CURVE_CODES: Readonly<Record<CurveId, number>> = { secp256k1: 0, ed25519: 1 };

/** Parameters that must be identical at every party of one protocol instance. */
export interface InstanceParameters {
  readonly protocol: 'dkg' | 'reshare';
  readonly curve: CurveId;
  readonly sessionId: Uint8Array;
  /** Parties dealing a polynomial (DKG: everyone; reshare: the old holders taking part). */
  readonly dealers: readonly ParticipantId[];
  /** Parties receiving a share of the key (DKG: everyone; reshare: the new set). */
  readonly receivers: readonly ParticipantId[];
  readonly threshold: number;
  /** Reshare only: the key being kept and the threshold it had. */
  readonly publicKey?: Uint8Array;
  readonly oldThreshold?: number;
}

const INSTANCE_DOMAIN = new TextEncoder().encode('near-chainsig/keygen/instance/v1');

/** The 32-byte instance binding every message carries (SHA-256 over a canonical encoding). */
export function instanceBinding(parameters: InstanceParameters): Uint8Array {
  const writer = new ByteWriter()
    .bytes(INSTANCE_DOMAIN)
    .u8(parameters.protocol === 'dkg' ? 0 : 1)
    .u8(CURVE_CODES[parameters.curve])
    .bytes(parameters.sessionId)
    .u32(parameters.threshold);
  for (const list of [parameters.dealers, parameters.receivers]) {
    writer.u32(list.length);
    for (const id of list) writer.u32(id);
  }
  writer.bytes(parameters.publicKey ?? new Uint8Array()).u32(parameters.oldThreshold ?? 0);
  return sha256(writer.finish());
}
