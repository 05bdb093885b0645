/**
 * Authenticated, encrypted node-to-node frames (security invariant 4). A sender opens one session per
 * peer per process start: a fresh X25519 ephemeral key and session id, signed once with the sender's
 * registered Ed25519 `sign_pk`. The frame key is HKDF over X25519(ephemeral, peer cipher_pk) ‖
 * X25519(own cipher key, peer cipher_pk), so only the registered sender could have produced it and only
 * the registered receiver can read it. Every frame carries the session header and a sequence number;
 * AES-256-GCM authenticates both, and the receiver drops any sequence number it has already accepted
 * (sliding window), so replays are refused without signing every message (Ed25519 costs ~1–3 ms here).
 * The encrypted body is a batch — a u32 count, then that many u32-length-prefixed payloads — so that one
 * frame (one HTTP request, one AES-GCM pass, one replay-window step) can carry many payloads.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { equalBytes } from '@noble/curves/utils.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { ByteReader, ByteWriter } from '../../../shared/codec/binary.js';
import type { ParticipantId } from '../../../shared/crypto/protocol.js';
import { aesGcmDecrypt, aesGcmEncrypt, GCM_TAG_BYTES } from '../aes-gcm.js';
import { setBounded } from '../bounded-map.js';

/** 2: the body is a batch of payloads (1 carried exactly one payload). */
const FRAME_VERSION = 2;
const SESSION_ID_BYTES = 16;
/** Version, sender, recipient, session id, ephemeral X25519 key, Ed25519 signature. */
const SESSION_HEADER_BYTES = 1 + 4 + 4 + SESSION_ID_BYTES + 32 + 64;
const MAX_FRAME_PAYLOAD = 100 * 1024 * 1024;
/** Payloads one frame may carry: bounds the batch decoder and what a sender puts in one frame. */
export const MAX_PAYLOADS_PER_FRAME = 4096;
/** Bytes of a sealed frame besides its payloads: header, sequence number, GCM tag and the payload count. */
export const FRAME_OVERHEAD_BYTES = SESSION_HEADER_BYTES + 8 + GCM_TAG_BYTES + 4;
/** Bytes each payload adds to a frame besides itself: its length prefix. */
export const PAYLOAD_OVERHEAD_BYTES = 4;
/** How far behind the highest accepted sequence number a frame may arrive (HTTP requests race). */
export const REPLAY_WINDOW = 4096;
/** Sessions remembered per peer; a restarted peer opens a new one and older ones age out. */
const SESSIONS_PER_PEER = 4;
const SESSION_SIGNATURE_DOMAIN = utf8ToBytes('chainsig mesh session v1');

/** What a node publishes in the contract so that peers can authenticate it and encrypt to it. */
export interface PeerKeys {
  readonly id: ParticipantId;
  /** Ed25519 public key (32 bytes) that signs session headers. */
  readonly signPublicKey: Uint8Array;
  /** X25519 public key (32 bytes) that frames are encrypted to. */
  readonly cipherPublicKey: Uint8Array;
}

/** Whether two registrations carry the same participant and keys. */
export function samePeerKeys(a: PeerKeys, b: PeerKeys): boolean {
  return a.id === b.id && equalBytes(a.signPublicKey, b.signPublicKey) && equalBytes(a.cipherPublicKey, b.cipherPublicKey);
}

/** This node's secrets; never logged. */
export interface MeshIdentity {
  readonly id: ParticipantId;
  readonly signSecretKey: Uint8Array;
  readonly cipherSecretKey: Uint8Array;
}

export type MeshRejectReason = 'malformed' | 'unknown-sender' | 'wrong-recipient' | 'bad-signature' | 'decrypt-failed' | 'replay';

/** A frame was refused; the receiver drops and counts it, it never crashes on one. */
export class MeshFrameRejected extends Error {
  constructor(
    readonly reason: MeshRejectReason,
    readonly claimedSender: ParticipantId | undefined,
    detail: string,
  ) {
    super(`mesh frame rejected (${reason}${claimedSender === undefined ? '' : `, claimed sender ${claimedSender}`}): ${detail}`);
    this.name = 'MeshFrameRejected';
  }
}

export function generateMeshIdentity(id: ParticipantId): { identity: MeshIdentity; keys: PeerKeys } {
  const signSecretKey = ed25519.utils.randomSecretKey();
  const cipherSecretKey = x25519.utils.randomSecretKey();
  return {
    identity: { id, signSecretKey, cipherSecretKey },
    keys: { id, signPublicKey: ed25519.getPublicKey(signSecretKey), cipherPublicKey: x25519.getPublicKey(cipherSecretKey) },
  };
}

function sessionKey(ephemeralShared: Uint8Array, staticShared: Uint8Array, sessionId: Uint8Array, from: ParticipantId, to: ParticipantId): Uint8Array {
  const info = new ByteWriter(32).fixed(utf8ToBytes('chainsig mesh key v1')).u32(from).u32(to).finish();
  return hkdf(sha256, concatBytes(ephemeralShared, staticShared), sessionId, info, 32);
}

function signedSessionBytes(from: ParticipantId, to: ParticipantId, sessionId: Uint8Array, ephemeralPublic: Uint8Array, recipientCipherKey: Uint8Array): Uint8Array {
  return new ByteWriter(128).fixed(SESSION_SIGNATURE_DOMAIN).u32(from).u32(to).fixed(sessionId).fixed(ephemeralPublic).fixed(recipientCipherKey).finish();
}

function nonceFor(sequence: bigint): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, sequence, true);
  return nonce;
}

/** Sealing side of one session from this node to one peer. */
export class OutboundChannel {
  private readonly header: Uint8Array;
  private readonly key: Uint8Array;
  private nextSequence = 0n;

  constructor(identity: MeshIdentity, peer: PeerKeys) {
    const sessionId = randomBytes(SESSION_ID_BYTES);
    const ephemeralSecret = x25519.utils.randomSecretKey();
    const ephemeralPublic = x25519.getPublicKey(ephemeralSecret);
    const signature = ed25519.sign(signedSessionBytes(identity.id, peer.id, sessionId, ephemeralPublic, peer.cipherPublicKey), identity.signSecretKey);
    this.header = new ByteWriter(SESSION_HEADER_BYTES).u8(FRAME_VERSION).u32(identity.id).u32(peer.id).fixed(sessionId).fixed(ephemeralPublic).fixed(signature).finish();
    this.key = sessionKey(
      x25519.getSharedSecret(ephemeralSecret, peer.cipherPublicKey),
      x25519.getSharedSecret(identity.cipherSecretKey, peer.cipherPublicKey),
      sessionId,
      identity.id,
      peer.id,
    );
  }

  /** One frame carrying `payloads` in order (at most {@link MAX_PAYLOADS_PER_FRAME}). */
  seal(...payloads: [Uint8Array, ...Uint8Array[]]): Uint8Array {
    return this.sealBody(encodeBatch(payloads));
  }

  /**
   * Session header ‖ sequence ‖ AES-256-GCM(body), header and sequence authenticated. The body is sealed
   * as given: {@link seal} passes a well-formed batch, tests pass malformed ones.
   */
  sealBody(body: Uint8Array): Uint8Array {
    const sequence = this.nextSequence;
    this.nextSequence += 1n;
    const prefix = new ByteWriter(this.header.length + 8).fixed(this.header).fixed(nonceFor(sequence).subarray(4)).finish();
    return concatBytes(prefix, aesGcmEncrypt(this.key, nonceFor(sequence), body, prefix));
  }
}

function encodeBatch(payloads: readonly Uint8Array[]): Uint8Array {
  if (payloads.length > MAX_PAYLOADS_PER_FRAME) throw new RangeError(`${payloads.length} payloads, a frame carries at most ${MAX_PAYLOADS_PER_FRAME}`);
  const writer = new ByteWriter(payloads.reduce((size, payload) => size + PAYLOAD_OVERHEAD_BYTES + payload.length, 4)).u32(payloads.length);
  for (const payload of payloads) writer.bytes(payload);
  return writer.finish();
}

/** Parses an authenticated body; any flaw rejects the whole frame, so none of its payloads is delivered. */
function decodeBatch(body: Uint8Array, from: ParticipantId): Uint8Array[] {
  try {
    const reader = new ByteReader(body, 'mesh batch');
    const count = reader.count(MAX_PAYLOADS_PER_FRAME);
    if (count === 0) reader.fail('no payloads');
    const payloads = Array.from({ length: count }, () => reader.bytes(MAX_FRAME_PAYLOAD));
    reader.end();
    return payloads;
  } catch (error) {
    throw new MeshFrameRejected('malformed', from, (error as Error).message);
  }
}

interface InboundSession {
  readonly key: Uint8Array;
  highest: bigint;
  /** Bit i set: sequence (highest − i) was accepted. */
  seen: bigint;
}

/** Opening side for every peer of this node: verifies, decrypts and de-duplicates frames. */
export class InboundChannels {
  private readonly peers: Map<ParticipantId, PeerKeys>;
  private readonly sessions = new Map<ParticipantId, Map<string, InboundSession>>();

  constructor(
    private readonly identity: MeshIdentity,
    peers: readonly PeerKeys[],
  ) {
    this.peers = new Map(peers.map((peer) => [peer.id, peer]));
  }

  /**
   * Accepts frames from `peer` from now on: a participant added by a resharing, or one that registered
   * new keys (then its sessions under the old keys end).
   */
  setPeer(peer: PeerKeys): void {
    if (peer.id === this.identity.id) return;
    const known = this.peers.get(peer.id);
    if (known !== undefined && samePeerKeys(known, peer)) return;
    this.peers.set(peer.id, peer);
    this.sessions.delete(peer.id);
  }

  /** Returns the authenticated sender and the frame's payloads in order, or throws {@link MeshFrameRejected}. */
  open(frame: Uint8Array): { from: ParticipantId; payloads: Uint8Array[] } {
    let from: ParticipantId;
    let to: ParticipantId;
    let sessionId: Uint8Array;
    let ephemeralPublic: Uint8Array;
    let signature: Uint8Array;
    let sequence: bigint;
    let prefixLength: number;
    try {
      const reader = new ByteReader(frame, 'mesh frame');
      const version = reader.u8();
      if (version !== FRAME_VERSION) reader.fail(`version ${version}, expected ${FRAME_VERSION}`);
      from = reader.u32();
      to = reader.u32();
      sessionId = reader.fixed(SESSION_ID_BYTES);
      ephemeralPublic = reader.fixed(32);
      signature = reader.fixed(64);
      const sequenceBytes = reader.fixed(8);
      sequence = new DataView(sequenceBytes.buffer, sequenceBytes.byteOffset, 8).getBigUint64(0, true);
      prefixLength = reader.position;
      if (frame.length - prefixLength < GCM_TAG_BYTES) reader.fail('no room for the authentication tag');
      if (frame.length - prefixLength > MAX_FRAME_PAYLOAD + GCM_TAG_BYTES) reader.fail('payload over the frame limit');
    } catch (error) {
      throw new MeshFrameRejected('malformed', undefined, (error as Error).message);
    }
    const peer = this.peers.get(from);
    if (peer === undefined || from === this.identity.id) throw new MeshFrameRejected('unknown-sender', from, 'not a participant of this node\'s set');
    if (to !== this.identity.id) throw new MeshFrameRejected('wrong-recipient', from, `addressed to ${to}`);
    const session = this.session(peer, sessionId, ephemeralPublic, signature);

    const prefix = frame.subarray(0, prefixLength);
    const body = frame.subarray(prefixLength);
    let plaintext: Uint8Array;
    try {
      plaintext = aesGcmDecrypt(session.key, nonceFor(sequence), body, prefix);
    } catch {
      throw new MeshFrameRejected('decrypt-failed', from, 'authentication tag mismatch');
    }
    // Only an authentic frame may move the replay window, and only authentic bytes are parsed; the
    // window moves first so that a replayed frame is refused as a replay whatever its body.
    acceptSequence(session, sequence, from);
    return { from, payloads: decodeBatch(plaintext, from) };
  }

  private session(peer: PeerKeys, sessionId: Uint8Array, ephemeralPublic: Uint8Array, signature: Uint8Array): InboundSession {
    const known = this.sessions.get(peer.id) ?? new Map<string, InboundSession>();
    const sessionKeyHex = Buffer.from(sessionId).toString('hex');
    const cached = known.get(sessionKeyHex);
    if (cached !== undefined) return cached;
    const signed = signedSessionBytes(peer.id, this.identity.id, sessionId, ephemeralPublic, x25519.getPublicKey(this.identity.cipherSecretKey));
    let valid = false;
    try {
      valid = ed25519.verify(signature, signed, peer.signPublicKey);
    } catch {
      valid = false;
    }
    if (!valid) throw new MeshFrameRejected('bad-signature', peer.id, 'session header not signed by the registered sign key');
    let ephemeralShared: Uint8Array;
    try {
      ephemeralShared = x25519.getSharedSecret(this.identity.cipherSecretKey, ephemeralPublic);
    } catch {
      throw new MeshFrameRejected('malformed', peer.id, 'ephemeral key is not a usable X25519 point');
    }
    const session: InboundSession = {
      key: sessionKey(ephemeralShared, x25519.getSharedSecret(this.identity.cipherSecretKey, peer.cipherPublicKey), sessionId, peer.id, this.identity.id),
      highest: -1n,
      seen: 0n,
    };
    setBounded(known, sessionKeyHex, session, SESSIONS_PER_PEER);
    this.sessions.set(peer.id, known);
    return session;
  }
}

function acceptSequence(session: InboundSession, sequence: bigint, from: ParticipantId): void {
  if (sequence > session.highest) {
    const shift = sequence - session.highest;
    session.seen = shift >= BigInt(REPLAY_WINDOW) ? 1n : ((session.seen << shift) | 1n) & ((1n << BigInt(REPLAY_WINDOW)) - 1n);
    session.highest = sequence;
    return;
  }
  const age = session.highest - sequence;
  if (age >= BigInt(REPLAY_WINDOW)) throw new MeshFrameRejected('replay', from, `sequence ${sequence} is older than the replay window`);
  const bit = 1n << age;
  if ((session.seen & bit) !== 0n) throw new MeshFrameRejected('replay', from, `sequence ${sequence} already accepted`);
  session.seen |= bit;
}
