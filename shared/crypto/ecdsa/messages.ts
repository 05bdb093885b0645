/**
 * Versioned wire encoding of the ECDSA presign and sign messages. Every message starts with the
 * shared header (wire version, tag); scalars are 32-byte big-endian and must be below the group
 * order; points must be valid non-identity secp256k1 points. Decoders take untrusted bytes and
 * throw only {@link DecodeError}.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ByteReader, ByteWriter, readHeader, writeHeader } from '../../codec/binary.js';
import { SECP256K1 } from '../group.js';
import type { Secp256k1Point } from '../kdf.js';
import { decompressPoint, isPoint } from '../native/libsecp256k1.js';
import { readUint256 } from '../scalar-bytes.js';

/** Message tags of this file; distinct from other protocols' tags so a misrouted message is named. */
export const PRESIGN_ROUND_1_TAG = 0x21;
export const SIGN_SHARE_TAG = 0x31;

const SCALAR_BYTES = SECP256K1.scalarBytes;
export const COMPRESSED_POINT_BYTES = SECP256K1.pointBytes;
/** Share commitments travel uncompressed: 32 more bytes each spare every receiver a square root. */
export const UNCOMPRESSED_POINT_BYTES = 65;

export function writeScalar(writer: ByteWriter, scalar: bigint): ByteWriter {
  return writer.fixed(SECP256K1.scalarToBytes(scalar));
}

export function readScalar(reader: ByteReader): bigint {
  const bytes = reader.fixed(SCALAR_BYTES);
  try {
    return SECP256K1.scalarFromBytes(bytes);
  } catch {
    return reader.fail('scalar is not below the secp256k1 group order');
  }
}

/** A non-identity secp256k1 point in exactly `length` bytes (33 compressed or 65 uncompressed). */
export function readPoint(reader: ByteReader, length: number): Secp256k1Point {
  return pointFromValidated(readPointBytes(reader, length));
}

/** The bytes of a valid point, checked by libsecp256k1 (canonical SEC1 encodings only), kept as read. */
export function readPointBytes(reader: ByteReader, length: number): Uint8Array {
  const bytes = reader.fixed(length);
  if (!isPoint(bytes)) reader.fail('not a secp256k1 point');
  return bytes;
}

/**
 * noble's point for an encoding libsecp256k1 has already found on the curve, without noble checking
 * it a second time (or taking its own, slower square root for a compressed one).
 */
export function pointFromValidated(bytes: Uint8Array): Secp256k1Point {
  const uncompressed = bytes.length === UNCOMPRESSED_POINT_BYTES ? bytes : decompressPoint(bytes);
  return secp256k1.Point.fromAffine({ x: readUint256(uncompressed, 1), y: readUint256(uncompressed, 33) });
}

/**
 * The one presign broadcast (see presign.ts): the λ-weighted openings of kd, k + a and x + b, and
 * commitments to the λ-weighted shares of a and c that later let the sign coordinator name a
 * participant whose signature share is wrong.
 */
export interface PresignRound1Message {
  readonly kdShare: bigint;
  readonly kaShare: bigint;
  readonly xbShare: bigint;
  /** a′ᵢ·G */
  readonly aCommitment: Secp256k1Point;
  /** c′ᵢ·G */
  readonly cCommitment: Secp256k1Point;
}

export function encodePresignRound1(message: PresignRound1Message): Uint8Array {
  const writer = writeHeader(new ByteWriter(2 + 3 * SCALAR_BYTES + 2 * UNCOMPRESSED_POINT_BYTES), PRESIGN_ROUND_1_TAG);
  writeScalar(writer, message.kdShare);
  writeScalar(writer, message.kaShare);
  writeScalar(writer, message.xbShare);
  return writer.fixed(message.aCommitment.toBytes(false)).fixed(message.cCommitment.toBytes(false)).finish();
}

export function decodePresignRound1(data: Uint8Array): PresignRound1Message {
  const reader = new ByteReader(data, 'ecdsa-presign round-1 message');
  readHeader(reader, [PRESIGN_ROUND_1_TAG]);
  const message: PresignRound1Message = {
    kdShare: readScalar(reader),
    kaShare: readScalar(reader),
    xbShare: readScalar(reader),
    aCommitment: readPoint(reader, UNCOMPRESSED_POINT_BYTES),
    cCommitment: readPoint(reader, UNCOMPRESSED_POINT_BYTES),
  };
  reader.end();
  return message;
}

/**
 * A participant's signature share sᵢ, sent privately to the sign coordinator, with the rerandomised
 * R the sender computed. R depends on the presignature and on every input of the request, so the
 * coordinator can tell a share meant for another signing instance (a misrouted or replayed message)
 * from a wrong share, instead of blaming its sender for a bad share.
 */
export interface SignShareMessage {
  /** The sender's rerandomised R, compressed; compared as bytes, never decoded. */
  readonly bigR: Uint8Array;
  readonly share: bigint;
}

export function encodeSignShare(message: SignShareMessage): Uint8Array {
  if (message.bigR.length !== COMPRESSED_POINT_BYTES) throw new RangeError(`R must be ${COMPRESSED_POINT_BYTES} bytes`);
  const writer = writeHeader(new ByteWriter(2 + COMPRESSED_POINT_BYTES + SCALAR_BYTES), SIGN_SHARE_TAG).fixed(message.bigR);
  return writeScalar(writer, message.share).finish();
}

export function decodeSignShare(data: Uint8Array): SignShareMessage {
  const reader = new ByteReader(data, 'ecdsa-sign share message');
  readHeader(reader, [SIGN_SHARE_TAG]);
  const message = { bigR: reader.fixed(COMPRESSED_POINT_BYTES), share: readScalar(reader) };
  reader.end();
  return message;
}
