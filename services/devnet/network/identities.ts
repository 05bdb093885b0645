/**
 * Who takes part in a local network: N participant accounts with their NEAR keys, mesh identities
 * (services/mpc-node/mesh/channel.ts) and loopback ports, a demo user, and the JWT issuer's key.
 * A persistent network keeps them in `<dataDir>/identities.json` (mode 0600, it holds secrets), since
 * a resumed chain has these accounts and participant keys registered already.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { KeyPair, type KeyPairString } from '@near-js/crypto';
import type { JWK } from 'jose';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { tlsPublicKeyOf } from '../../../shared/near/keys.js';
import type { ParticipantInfo } from '../../../shared/near/signer-abi.js';
import { generateMeshIdentity, type MeshIdentity } from '../../mpc-node/mesh/channel.js';
import { findFreePorts, isPortFree } from '../emulators/free-port.js';

export interface ParticipantIdentity {
  /** Participant id in the contract, and the node's index in the network. */
  readonly index: number;
  readonly accountId: string;
  readonly keyPair: KeyPair;
  readonly mesh: MeshIdentity;
  readonly meshPort: number;
  /** The node's /health and /metrics port. */
  readonly httpPort: number;
}

export interface NetworkIdentities {
  readonly participants: readonly ParticipantIdentity[];
  readonly demoUser: { readonly accountId: string; readonly keyPair: KeyPair };
  /** Undefined until the issuer made one; the launcher stores it back. */
  readonly issuerPrivateJwk: JWK | undefined;
}

const storedIdentities = z.object({
  version: z.literal(1),
  participants: z.array(
    z.object({ accountId: z.string(), secretKey: z.string(), meshSignSecretKey: z.string(), meshPort: z.number().int(), httpPort: z.number().int() }),
  ),
  demoUser: z.object({ accountId: z.string(), secretKey: z.string() }),
  issuerPrivateJwk: z.record(z.string(), z.unknown()),
});

/** The participant entry the signer registers: the mesh URL and the mesh identity key as `tls_public_key`. */
export function participantInfo(participant: ParticipantIdentity): ParticipantInfo {
  return { url: `http://127.0.0.1:${participant.meshPort}`, tls_public_key: tlsPublicKeyOf(participant.mesh.identitySecretKey) };
}

export async function generateIdentities(accountIds: readonly string[], demoUserId: string): Promise<NetworkIdentities> {
  const participants: ParticipantIdentity[] = [];
  const ports = await findFreePorts(2 * accountIds.length);
  for (const [index, accountId] of accountIds.entries()) {
    const mesh = generateMeshIdentity(index).identity;
    participants.push({ index, accountId, keyPair: KeyPair.fromRandom('ed25519'), mesh, meshPort: ports[2 * index]!, httpPort: ports[2 * index + 1]! });
  }
  return { participants, demoUser: { accountId: demoUserId, keyPair: KeyPair.fromRandom('ed25519') }, issuerPrivateJwk: undefined };
}

/** The identities kept in `file`, or null if there is none; a file for another node count is refused. */
export function readIdentities(file: string, nodeCount: number): NetworkIdentities | null {
  if (!existsSync(file)) return null;
  const stored = storedIdentities.parse(JSON.parse(readFileSync(file, 'utf8')));
  if (stored.participants.length !== nodeCount) throw new Error(`${file} holds ${stored.participants.length} participants, not ${nodeCount}: use another data directory`);
  return {
    participants: stored.participants.map((participant, index) => ({
      index,
      accountId: participant.accountId,
      keyPair: KeyPair.fromString(participant.secretKey as KeyPairString),
      mesh: { id: index, identitySecretKey: hexToBytes(participant.meshSignSecretKey) },
      meshPort: participant.meshPort,
      httpPort: participant.httpPort,
    })),
    demoUser: { accountId: stored.demoUser.accountId, keyPair: KeyPair.fromString(stored.demoUser.secretKey as KeyPairString) },
    issuerPrivateJwk: stored.issuerPrivateJwk as JWK,
  };
}

/**
 * Refuses kept identities whose ports another program listens on now: the chain registers each mesh URL,
 * so a resumed node cannot move, and would only exit once started.
 */
export async function requirePortsFree(identities: NetworkIdentities, file: string): Promise<void> {
  for (const participant of identities.participants) {
    for (const [use, port] of [['mesh', participant.meshPort], ['/health and /metrics', participant.httpPort]] as const) {
      if (!(await isPortFree(port))) {
        throw new Error(`port ${port} (${use} of ${participant.accountId}, kept in ${file}) is in use by another program: stop it, or use another data directory for a new network`);
      }
    }
  }
}

export function writeIdentities(file: string, identities: NetworkIdentities, issuerPrivateJwk: JWK): void {
  const stored: z.infer<typeof storedIdentities> = {
    version: 1,
    participants: identities.participants.map((participant) => ({
      accountId: participant.accountId,
      secretKey: participant.keyPair.toString(),
      meshSignSecretKey: bytesToHex(participant.mesh.identitySecretKey),
      meshPort: participant.meshPort,
      httpPort: participant.httpPort,
    })),
    demoUser: { accountId: identities.demoUser.accountId, secretKey: identities.demoUser.keyPair.toString() },
    issuerPrivateJwk: { ...issuerPrivateJwk },
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
}
