/**
 * Wire format of the FROST signing and nonce pre-commitment messages: the shared version/tag header,
 * then fixed-size fields. The sender's identity is not in the bytes — it is the authenticated
 * channel's `from` — so a message cannot claim to come from someone else.
 */
import { ByteReader, ByteWriter, readHeader, writeHeader } from '../../codec/binary.js';
import { ED25519 } from '../group.js';
import type { ParticipantId } from '../protocol.js';
import { isPrimeOrderPoint } from '../native/libsodium.js';

/** A participant's round-1 nonce commitments D = d·B (hiding) and E = e·B (binding), 32 bytes each. */
export interface NonceCommitmentPair {
  readonly hiding: Uint8Array;
  readonly binding: Uint8Array;
}

/** Every signer's commitments for one signing run, keyed by participant. */
export type CommitmentList = ReadonlyMap<ParticipantId, NonceCommitmentPair>;

export type EddsaMessage =
  /** Participant → coordinator (signing) or → everyone (pre-commitment): my fresh commitments. */
  | { readonly kind: 'commitments'; readonly commitments: NonceCommitmentPair }
  /**
   * Coordinator → signers: the commitment list everyone signs against, and the SHA-256 of the
   * payload the coordinator signs (a signer whose own payload differs refuses to sign).
   */
  | { readonly kind: 'signing-package'; readonly commitments: CommitmentList; readonly payloadDigest: Uint8Array }
  /** Signer → coordinator: zᵢ, a canonical little-endian scalar, and the SHA-256 of the payload it signed. */
  | { readonly kind: 'signature-share'; readonly share: Uint8Array; readonly payloadDigest: Uint8Array }
  /** Pre-commitment echo: SHA-256 of the commitment list as the sender received it. */
  | { readonly kind: 'commitment-digest'; readonly digest: Uint8Array };

const TAGS = { commitments: 1, 'signing-package': 2, 'signature-share': 3, 'commitment-digest': 4 } as const;
const KIND_BY_TAG = new Map<number, EddsaMessage['kind']>(Object.entries(TAGS).map(([kind, tag]) => [tag, kind as EddsaMessage['kind']]));

/** No signing set is larger than this; bounds what a decoder allocates for a hostile count. */
export const MAX_SIGNERS = 1024;
const DIGEST_BYTES = 32;

function writeDigest(writer: ByteWriter, digest: Uint8Array, what: string): void {
  if (digest.length !== DIGEST_BYTES) throw new RangeError(`${what} digest must be ${DIGEST_BYTES} bytes`);
  writer.fixed(digest);
}

function writePoint(writer: ByteWriter, point: Uint8Array): void {
  if (point.length !== ED25519.pointBytes) throw new RangeError(`Ed25519 point must be ${ED25519.pointBytes} bytes`);
  writer.fixed(point);
}

/**
 * How much of RFC 9591 §3.1 DeserializeElement to check on receipt. Always: canonical encoding, on
 * the curve, not the identity. `prime-order` adds the subgroup check: a peer's own commitments are
 * checked when they arrive, where a failure blames that peer. Lists relayed in a signing package,
 * and stored presignatures, get `encoding` only: signing validates every point fully before using
 * it (./frost-ed25519.ts), and anything wrong in a signing package is the coordinator's anyway.
 */
export type PointCheck = 'encoding' | 'prime-order';

function readPoint(reader: ByteReader, check: PointCheck): Uint8Array {
  const bytes = reader.fixed(ED25519.pointBytes);
  // libsodium's full check is the cheap one; only a point failing it needs noble's decoder to tell
  // whether it is still an acceptable encoding.
  if (isPrimeOrderPoint(bytes)) return bytes;
  if (check === 'prime-order') reader.fail('not a prime-order Ed25519 point');
  try {
    ED25519.pointFromBytes(bytes);
  } catch {
    reader.fail('not a valid Ed25519 point');
  }
  return bytes;
}

/** A scalar below ℓ in its canonical 32-byte little-endian form. */
export function readScalar(reader: ByteReader): Uint8Array {
  const bytes = reader.fixed(ED25519.scalarBytes);
  try {
    ED25519.scalarFromBytes(bytes);
  } catch {
    reader.fail('scalar is not below the group order');
  }
  return bytes;
}

function writeCommitmentPair(writer: ByteWriter, pair: NonceCommitmentPair): void {
  writePoint(writer, pair.hiding);
  writePoint(writer, pair.binding);
}

function readCommitmentPair(reader: ByteReader, check: PointCheck): NonceCommitmentPair {
  return { hiding: readPoint(reader, check), binding: readPoint(reader, check) };
}

/** Participants ascending (one canonical encoding per list), each with its commitment pair. */
export function writeCommitmentList(writer: ByteWriter, list: CommitmentList): void {
  const participants = [...list.keys()].sort((a, b) => a - b);
  writer.u32(participants.length);
  for (const participant of participants) {
    writer.u32(participant);
    writeCommitmentPair(writer, list.get(participant)!);
  }
}

export function readCommitmentList(reader: ByteReader, check: PointCheck): CommitmentList {
  const count = reader.count(MAX_SIGNERS);
  const list = new Map<ParticipantId, NonceCommitmentPair>();
  let previous = -1;
  for (let i = 0; i < count; i += 1) {
    const participant = reader.u32();
    if (participant <= previous) reader.fail('participants are not strictly ascending');
    previous = participant;
    list.set(participant, readCommitmentPair(reader, check));
  }
  return list;
}

export function encodeEddsaMessage(message: EddsaMessage): Uint8Array {
  const writer = writeHeader(new ByteWriter(), TAGS[message.kind]);
  switch (message.kind) {
    case 'commitments':
      writeCommitmentPair(writer, message.commitments);
      break;
    case 'signing-package':
      writeCommitmentList(writer, message.commitments);
      writeDigest(writer, message.payloadDigest, 'payload');
      break;
    case 'signature-share':
      if (message.share.length !== ED25519.scalarBytes) throw new RangeError('signature share must be 32 bytes');
      writer.fixed(message.share);
      writeDigest(writer, message.payloadDigest, 'payload');
      break;
    case 'commitment-digest':
      writeDigest(writer, message.digest, 'commitment');
      break;
  }
  return writer.finish();
}

/** Decodes any signing or pre-commitment message; throws {@link DecodeError} on anything malformed. */
export function decodeEddsaMessage(data: Uint8Array): EddsaMessage {
  const reader = new ByteReader(data, 'eddsa message');
  const kind = KIND_BY_TAG.get(readHeader(reader, [...KIND_BY_TAG.keys()]))!;
  let message: EddsaMessage;
  switch (kind) {
    case 'commitments':
      message = { kind, commitments: readCommitmentPair(reader, 'prime-order') };
      break;
    case 'signing-package':
      message = { kind, commitments: readCommitmentList(reader, 'encoding'), payloadDigest: reader.fixed(DIGEST_BYTES) };
      break;
    case 'signature-share':
      message = { kind, share: readScalar(reader), payloadDigest: reader.fixed(DIGEST_BYTES) };
      break;
    case 'commitment-digest':
      message = { kind, digest: reader.fixed(DIGEST_BYTES) };
      break;
  }
  reader.end();
  return message;
}
