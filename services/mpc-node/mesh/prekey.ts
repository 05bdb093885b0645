/**
 * Session prekeys (docs/decisions/0008-mesh-identity.md). A node's one long-term mesh key is its Ed25519
 * identity key, registered in the contract. It encrypts nothing: at each start the node makes a fresh
 * X25519 key pair, its session prekey, and signs the public half with the identity key; it serves the
 * signed prekey on its mesh server. A sender verifies it under the registered identity key and opens its
 * sessions to it. The prekey's secret half lives only in this process's memory, so once the process ends
 * (or the node renews its prekey) no frame sealed to it can be opened again.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { ByteReader, ByteWriter } from '../../../shared/codec/binary.js';
import type { ParticipantId } from '../../../shared/crypto/protocol.js';
import type { MeshIdentity, PeerKeys } from './channel.js';

const PREKEY_VERSION = 1;
/** Version, participant id, X25519 prekey, Ed25519 signature. */
const SIGNED_PREKEY_BYTES = 1 + 4 + 32 + 64;
const PREKEY_SIGNATURE_DOMAIN = utf8ToBytes('chainsig mesh prekey v1');

/** This node's prekey; the secret is never logged and never stored. */
export interface SessionPrekey {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** What the node serves: version ‖ participant id ‖ prekey ‖ signature by the identity key. */
  readonly signed: Uint8Array;
}

/** A peer's prekey, verified under the peer's registered identity key: what sessions are opened to. */
export interface PeerPrekey {
  readonly id: ParticipantId;
  readonly publicKey: Uint8Array;
}

export type MeshPrekeyRejectReason = 'malformed' | 'wrong-participant' | 'bad-signature';

/** A peer served a prekey this node does not open sessions to. */
export class MeshPrekeyRejected extends Error {
  constructor(
    readonly reason: MeshPrekeyRejectReason,
    readonly peer: ParticipantId,
    detail: string,
  ) {
    super(`prekey of participant ${peer} rejected (${reason}): ${detail}`);
    this.name = 'MeshPrekeyRejected';
  }
}

/** The participant id is signed with the key, so that a prekey cannot be passed off as another participant's. */
function signedPrekeyBytes(id: ParticipantId, prekey: Uint8Array): Uint8Array {
  return new ByteWriter(64).fixed(PREKEY_SIGNATURE_DOMAIN).u32(id).fixed(prekey).finish();
}

export function createSessionPrekey(identity: MeshIdentity): SessionPrekey {
  const secretKey = x25519.utils.randomSecretKey();
  const publicKey = x25519.getPublicKey(secretKey);
  const signature = ed25519.sign(signedPrekeyBytes(identity.id, publicKey), identity.identitySecretKey);
  return { secretKey, publicKey, signed: new ByteWriter(SIGNED_PREKEY_BYTES).u8(PREKEY_VERSION).u32(identity.id).fixed(publicKey).fixed(signature).finish() };
}

/** The prekey `peer` served, once its signature verifies under the peer's registered identity key. */
export function verifySessionPrekey(signed: Uint8Array, peer: PeerKeys): PeerPrekey {
  let id: ParticipantId;
  let publicKey: Uint8Array;
  let signature: Uint8Array;
  try {
    const reader = new ByteReader(signed, 'mesh prekey');
    const version = reader.u8();
    if (version !== PREKEY_VERSION) reader.fail(`version ${version}, expected ${PREKEY_VERSION}`);
    id = reader.u32();
    publicKey = reader.fixed(32);
    signature = reader.fixed(64);
    reader.end();
  } catch (error) {
    throw new MeshPrekeyRejected('malformed', peer.id, (error as Error).message);
  }
  if (id !== peer.id) throw new MeshPrekeyRejected('wrong-participant', peer.id, `it is participant ${id}'s`);
  if (!identitySigned(signature, signedPrekeyBytes(id, publicKey), peer)) throw new MeshPrekeyRejected('bad-signature', peer.id, 'not signed by its registered identity key');
  return { id, publicKey };
}

/** Whether `peer`'s registered identity key signed `message`; a malformed signature is a failed check, not an error. */
export function identitySigned(signature: Uint8Array, message: Uint8Array, peer: PeerKeys): boolean {
  try {
    return ed25519.verify(signature, message, peer.identityPublicKey);
  } catch {
    return false;
  }
}
