/**
 * The contract's participant entries as mesh peers. The contract accepts any text as a participant's
 * URL and any Ed25519 point as its `tls_public_key`; one entry the mesh cannot use (a port beyond
 * 65535, a scheme other than HTTP(S), a key of small order) must not stop this node from serving the
 * others (issue 21): such an entry is left out with the reason, and its participant counts as
 * unreachable.
 */
import { parsePublicKey } from '../../shared/near/keys.js';
import type { ParticipantEntry } from '../../shared/near/signer-abi.js';
import type { ParticipantId } from '../../shared/crypto/protocol.js';
import type { MeshPeer } from './mesh/transport.js';

/** A participant entry this node cannot reach on the mesh, and why. */
export interface UnusableParticipant {
  readonly account: string;
  readonly participant: ParticipantId;
  readonly reason: string;
}

const MESH_URL_PROTOCOLS = new Set(['http:', 'https:']);

/** The registered `tls_public_key` is the participant's mesh identity key (near/mpc authenticates its TLS mesh with it). */
function meshPeerOf([account, id, info]: ParticipantEntry): MeshPeer {
  let url: URL;
  try {
    url = new URL(info.url);
  } catch {
    throw new Error(`url ${JSON.stringify(info.url)} is not a URL`);
  }
  if (!MESH_URL_PROTOCOLS.has(url.protocol)) throw new Error(`url ${JSON.stringify(info.url)} is not http(s)`);
  const key = parsePublicKey(info.tls_public_key, 'ed25519').point;
  // A small-order identity key verifies signatures nobody made with a secret (noble accepts them).
  if (key.isSmallOrder()) throw new Error(`tls_public_key of ${account} is a point of small order`);
  return { id, url: info.url, identityPublicKey: key.toBytes() };
}

/** The entries' mesh peers, and the entries left out. */
export function meshPeersOf(entries: readonly ParticipantEntry[]): { peers: MeshPeer[]; unusable: UnusableParticipant[] } {
  const peers: MeshPeer[] = [];
  const unusable: UnusableParticipant[] = [];
  for (const entry of entries) {
    try {
      peers.push(meshPeerOf(entry));
    } catch (error) {
      unusable.push({ account: entry[0], participant: entry[1], reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { peers, unusable };
}
