/**
 * Authenticated, encrypted node-to-node frames (security invariant 4; docs/decisions/0008-mesh-identity.md).
 * A node's mesh identity is one Ed25519 key, registered in the contract. A receiver serves a session
 * prekey (./prekey.ts): an X25519 key made at its start and signed by its identity key. A sender opens
 * one session per peer prekey: a fresh X25519 ephemeral key and session id, the header naming the prekey
 * it targets, signed once by the sender's identity key. The frame key is HKDF over X25519(ephemeral,
 * prekey), bound to the header's participants and keys, so only the registered sender could have made
 * the frame and only the receiver process that holds the prekey secret can read it. Every frame carries
 * the session header and a sequence number; AES-256-GCM authenticates both, and the receiver drops any
 * sequence number it has already accepted (sliding window), so replays are refused without signing
 * every message (Ed25519 costs ~1–3 ms here). A receiver remembers every session opened under its
 * current prekey, and a frame sealed to a prekey it no longer holds (it restarted) is refused as
 * `stale-prekey`: a captured frame can never be accepted a second time.
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
import { createSessionPrekey, identitySigned, MeshPrekeyRejected, type PeerPrekey, type SessionPrekey } from './prekey.js';

/** 3: sessions are opened to the receiver's signed prekey (2 encrypted to static X25519 keys). */
const FRAME_VERSION = 3;
const SESSION_ID_BYTES = 16;
/**
 * Version, sender, recipient, recipient's prekey, session id, ephemeral X25519 key, Ed25519 signature: the
 * bytes a receiver needs before it can decide on a frame without buffering its body ({@link InboundChannels.admit}).
 */
export const SESSION_HEADER_BYTES = 1 + 4 + 4 + 32 + SESSION_ID_BYTES + 32 + 64;
const MAX_FRAME_PAYLOAD = 100 * 1024 * 1024;
/** Payloads one frame may carry: bounds the batch decoder and what a sender puts in one frame. */
export const MAX_PAYLOADS_PER_FRAME = 4096;
/** Bytes of a sealed frame besides its payloads: header, sequence number, GCM tag and the payload count. */
export const FRAME_OVERHEAD_BYTES = SESSION_HEADER_BYTES + 8 + GCM_TAG_BYTES + 4;
/** Bytes each payload adds to a frame besides itself: its length prefix. */
export const PAYLOAD_OVERHEAD_BYTES = 4;
/** How far behind the highest accepted sequence number a frame may arrive (HTTP requests race). */
export const REPLAY_WINDOW = 4096;
/**
 * Sessions one peer may open under one prekey of this node: one per start of the peer's process, change
 * of its registration or of this node's prekey, so a handful in a prekey's life. Every one is remembered
 * while the prekey lives (a forgotten session would take its frames again); a peer that opens more makes
 * this node renew its prekey, which ends every session at once: the peers fetch the new one and resend.
 */
export const MAX_SESSIONS_PER_PEER = 64;
const SESSION_SIGNATURE_DOMAIN = utf8ToBytes('chainsig mesh session v2');
const SESSION_KEY_DOMAIN = utf8ToBytes('chainsig mesh key v2');

/** What a node registers in the contract so that peers can authenticate it. */
export interface PeerKeys {
  readonly id: ParticipantId;
  /** Ed25519 public key (32 bytes) that signs the node's prekeys and session headers. */
  readonly identityPublicKey: Uint8Array;
}

/** Whether two registrations carry the same participant and key. */
export function samePeerKeys(a: PeerKeys, b: PeerKeys): boolean {
  return a.id === b.id && equalBytes(a.identityPublicKey, b.identityPublicKey);
}

/** This node's long-term secret; never logged. */
export interface MeshIdentity {
  readonly id: ParticipantId;
  /** Ed25519 secret key (32 bytes) of the registered identity key. */
  readonly identitySecretKey: Uint8Array;
}

/** `removed-sender`: the sender was a peer of this node, and left its participant set. */
export type MeshRejectReason = 'malformed' | 'unknown-sender' | 'removed-sender' | 'wrong-recipient' | 'stale-prekey' | 'bad-signature' | 'decrypt-failed' | 'replay';

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
  const identitySecretKey = ed25519.utils.randomSecretKey();
  return { identity: { id, identitySecretKey }, keys: { id, identityPublicKey: ed25519.getPublicKey(identitySecretKey) } };
}

/** The fields of a session header that its signature covers. */
interface SessionHeader {
  readonly from: ParticipantId;
  readonly to: ParticipantId;
  /** The recipient's prekey the session is opened to. */
  readonly prekey: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly ephemeralPublic: Uint8Array;
}

function signedSessionBytes(header: SessionHeader): Uint8Array {
  return new ByteWriter(160).fixed(SESSION_SIGNATURE_DOMAIN).u32(header.from).u32(header.to).fixed(header.prekey).fixed(header.sessionId).fixed(header.ephemeralPublic).finish();
}

/** HKDF over X25519(ephemeral, prekey), salted with the session id, bound to both participants and both keys. */
function sessionKey(shared: Uint8Array, header: SessionHeader): Uint8Array {
  const info = new ByteWriter(96).fixed(SESSION_KEY_DOMAIN).u32(header.from).u32(header.to).fixed(header.prekey).fixed(header.ephemeralPublic).finish();
  return hkdf(sha256, shared, header.sessionId, info, 32);
}

function nonceFor(sequence: bigint): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, sequence, true);
  return nonce;
}

/** Sealing side of one session from this node to one peer's prekey. */
export class OutboundChannel {
  private readonly header: Uint8Array;
  private readonly key: Uint8Array;
  private nextSequence = 0n;

  /** Throws {@link MeshPrekeyRejected} for a prekey that is no usable X25519 key. */
  constructor(identity: MeshIdentity, peer: PeerPrekey) {
    const ephemeralSecret = x25519.utils.randomSecretKey();
    const session: SessionHeader = { from: identity.id, to: peer.id, prekey: peer.publicKey, sessionId: randomBytes(SESSION_ID_BYTES), ephemeralPublic: x25519.getPublicKey(ephemeralSecret) };
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(ephemeralSecret, peer.publicKey);
    } catch {
      throw new MeshPrekeyRejected('malformed', peer.id, 'not a usable X25519 key');
    }
    const signature = ed25519.sign(signedSessionBytes(session), identity.identitySecretKey);
    this.header = new ByteWriter(SESSION_HEADER_BYTES)
      .u8(FRAME_VERSION)
      .u32(session.from)
      .u32(session.to)
      .fixed(session.prekey)
      .fixed(session.sessionId)
      .fixed(session.ephemeralPublic)
      .fixed(signature)
      .finish();
    this.key = sessionKey(shared, session);
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
  /** The sender's identity key the header was verified under; after a re-registration it is verified again. */
  verifiedWith: Uint8Array;
  highest: bigint;
  /** Bit i set: sequence (highest − i) was accepted. */
  seen: bigint;
}

/** Opening side for every peer of this node: holds its prekey, verifies, decrypts and de-duplicates frames. */
export class InboundChannels {
  private readonly peers: Map<ParticipantId, PeerKeys>;
  private prekey: SessionPrekey;
  /** Every session opened under the current prekey, by peer and session id (hex). */
  private readonly sessions = new Map<ParticipantId, Map<string, InboundSession>>();
  /** Peers removed from the set (and not set again), to tell their frames from strangers'. */
  private readonly removed = new Set<ParticipantId>();

  constructor(
    private readonly identity: MeshIdentity,
    peers: readonly PeerKeys[],
  ) {
    this.peers = new Map(peers.map((peer) => [peer.id, peer]));
    this.prekey = createSessionPrekey(identity);
  }

  /** The prekey this node serves, signed by its identity key; it changes only when the node renews it. */
  get signedPrekey(): Uint8Array {
    return this.prekey.signed;
  }

  /**
   * Accepts frames from `peer` from now on: a participant added by a resharing, or one that registered a
   * new key (then its sessions' headers must verify under the new key before another frame is opened).
   */
  setPeer(peer: PeerKeys): void {
    if (peer.id === this.identity.id) return;
    this.peers.set(peer.id, peer);
    this.removed.delete(peer.id);
  }

  /**
   * Stops accepting frames from `peer` (it left the participant set): its sessions end with it, and its
   * frames are refused as `removed-sender` until it is set again.
   */
  removePeer(peer: ParticipantId): void {
    if (!this.peers.delete(peer)) return;
    this.sessions.delete(peer);
    this.removed.add(peer);
  }

  /**
   * Decides on a frame from its session header alone (the first {@link SESSION_HEADER_BYTES} bytes), so
   * that a receiver buffers no body it would refuse: the cheap checks first (version, sender, recipient,
   * prekey), then the header's signature, only for a session not seen yet. Returns the sender; throws
   * {@link MeshFrameRejected}.
   */
  admit(headerBytes: Uint8Array): ParticipantId {
    let header: SessionHeader;
    let signature: Uint8Array;
    try {
      const reader = new ByteReader(headerBytes.subarray(0, SESSION_HEADER_BYTES), 'mesh frame');
      ({ header, signature } = readSessionHeader(reader));
    } catch (error) {
      throw new MeshFrameRejected('malformed', undefined, (error as Error).message);
    }
    const peer = this.checkHeader(header);
    this.session(peer, header, signature);
    return peer.id;
  }

  /** Returns the authenticated sender and the frame's payloads in order, or throws {@link MeshFrameRejected}. */
  open(frame: Uint8Array): { from: ParticipantId; payloads: Uint8Array[] } {
    let header: SessionHeader;
    let signature: Uint8Array;
    let sequence: bigint;
    let prefixLength: number;
    try {
      const reader = new ByteReader(frame, 'mesh frame');
      ({ header, signature } = readSessionHeader(reader));
      const sequenceBytes = reader.fixed(8);
      sequence = new DataView(sequenceBytes.buffer, sequenceBytes.byteOffset, 8).getBigUint64(0, true);
      prefixLength = reader.position;
      if (frame.length - prefixLength < GCM_TAG_BYTES) reader.fail('no room for the authentication tag');
      if (frame.length - prefixLength > MAX_FRAME_PAYLOAD + GCM_TAG_BYTES) reader.fail('payload over the frame limit');
    } catch (error) {
      throw new MeshFrameRejected('malformed', undefined, (error as Error).message);
    }
    const peer = this.checkHeader(header);
    const { id: from } = peer;
    const session = this.session(peer, header, signature);

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

  /** The checks that cost no signature: a registered sender, this node as recipient, its current prekey. */
  private checkHeader(header: SessionHeader): PeerKeys {
    const { from, to } = header;
    const peer = this.peers.get(from);
    if (peer === undefined || from === this.identity.id) {
      if (this.removed.has(from)) throw new MeshFrameRejected('removed-sender', from, 'left this node\'s participant set');
      throw new MeshFrameRejected('unknown-sender', from, 'not a participant of this node\'s set');
    }
    if (to !== this.identity.id) throw new MeshFrameRejected('wrong-recipient', from, `addressed to ${to}`);
    if (!equalBytes(header.prekey, this.prekey.publicKey)) throw new MeshFrameRejected('stale-prekey', from, 'sealed to a prekey this node no longer holds (it restarted or renewed it)');
    return peer;
  }

  private session(peer: PeerKeys, header: SessionHeader, signature: Uint8Array): InboundSession {
    const known = this.sessions.get(peer.id) ?? new Map<string, InboundSession>();
    const sessionId = sessionIdHex(header);
    const cached = known.get(sessionId);
    if (cached !== undefined && equalBytes(cached.verifiedWith, peer.identityPublicKey)) return cached;
    if (!identitySigned(signature, signedSessionBytes(header), peer)) throw new MeshFrameRejected('bad-signature', peer.id, 'session header not signed by the registered identity key');
    if (cached !== undefined) {
      // The peer is registered under the key this session was opened with again: the session goes on,
      // replay window included (a fresh window would take its frames a second time).
      cached.verifiedWith = peer.identityPublicKey;
      return cached;
    }
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(this.prekey.secretKey, header.ephemeralPublic);
    } catch {
      throw new MeshFrameRejected('malformed', peer.id, 'ephemeral key is not a usable X25519 point');
    }
    if (known.size >= MAX_SESSIONS_PER_PEER) {
      this.renewPrekey();
      throw new MeshFrameRejected('stale-prekey', peer.id, `a ${MAX_SESSIONS_PER_PEER + 1}th session under one prekey: this node renewed its prekey`);
    }
    const session: InboundSession = { key: sessionKey(shared, header), verifiedWith: peer.identityPublicKey, highest: -1n, seen: 0n };
    known.set(sessionId, session);
    this.sessions.set(peer.id, known);
    return session;
  }

  /** A new prekey: every session under the old one ends with its secret, and no frame sealed to it opens again. */
  private renewPrekey(): void {
    this.prekey = createSessionPrekey(this.identity);
    this.sessions.clear();
  }
}

/** Version check and the session header's fields, from a reader at the frame's start. */
function readSessionHeader(reader: ByteReader): { header: SessionHeader; signature: Uint8Array } {
  const version = reader.u8();
  if (version !== FRAME_VERSION) reader.fail(`version ${version}, expected ${FRAME_VERSION}`);
  const header = { from: reader.u32(), to: reader.u32(), prekey: reader.fixed(32), sessionId: reader.fixed(SESSION_ID_BYTES), ephemeralPublic: reader.fixed(32) };
  return { header, signature: reader.fixed(64) };
}

function sessionIdHex(header: SessionHeader): string {
  return Buffer.from(header.sessionId).toString('hex');
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
