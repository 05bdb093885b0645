// The launcher as `npm start` will use it: its own emulators and a data directory. Stopping leaves
// nothing listening; starting again on the same directory resumes the chain with the same
// participants, keys and JWT issuer instead of registering new ones.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalNetwork, type LocalNetwork } from '../../../services/devnet/network/index.js';
import { connectionRefused, quietPowertools } from './support.js';

describe('local network with its own emulators and a data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'devnet-network-resume-'));
  const running: LocalNetwork[] = [];
  let restorePowertools: () => void;
  const start = async () => {
    const network = await startLocalNetwork({ nodes: 2, blockTimeMs: 50, dataDir, maxEmulatorLifetimeSeconds: 120 });
    running.push(network);
    return network;
  };
  const stop = async (network: LocalNetwork) => {
    running.splice(running.indexOf(network), 1);
    await network.stop();
  };

  beforeAll(() => {
    restorePowertools = quietPowertools();
  });

  afterAll(async () => {
    for (const network of running) await network.stop();
    restorePowertools();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops its emulators and chain, resumes with the same participants and issuer, refuses mismatched identities', async () => {
    const first = await start();
    // DynamoDB Local, fauxqs (SQS and S3 on one port) and the RPC.
    expect(first.listeningPorts).toHaveLength(3);
    expect(first.threshold).toBe(2);
    const heightBefore = first.devnet.chain.head().header.height;
    await stop(first);
    for (const port of first.listeningPorts) expect({ port, refused: await connectionRefused(port) }).toEqual({ port, refused: true });

    const second = await start();
    expect(second.devnet.chain.head().header.height).toBeGreaterThanOrEqual(heightBefore);
    expect(second.participants.map((participant) => participant.info)).toEqual(first.participants.map((participant) => participant.info));
    expect(second.nodeEnvironment(1)).toEqual({ ...first.nodeEnvironment(1), ...pick(second.nodeEnvironment(1), ['NEAR_RPC_URL', 'SIGN_REQUESTS_QUEUE_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SQS', 'AWS_ENDPOINT_URL_S3']) });
    // The guard trusts the kept issuer key, so tokens minted before the restart still verify.
    expect(second.jwtIssuerPublicKey).toEqual(first.jwtIssuerPublicKey);
    const stored = second.devnet.chain.callView(second.contracts.auth0Guard, 'get_public_keys', new TextEncoder().encode('{}'));
    expect(JSON.parse(new TextDecoder().decode(stored.result))).toEqual([first.jwtIssuerPublicKey]);
    await stop(second);

    // Identities that do not match the chain (lost, or from another network) are refused, not used.
    const identitiesFile = join(dataDir, 'identities.json');
    const identities = JSON.parse(readFileSync(identitiesFile, 'utf8')) as { participants: { meshSignSecretKey: string }[] };
    identities.participants[0]!.meshSignSecretKey = '11'.repeat(32);
    writeFileSync(identitiesFile, JSON.stringify(identities));
    await expect(start()).rejects.toThrow(/contracts: the chain's signer registers other participants or keys than identities.json/);
  }, 60_000);
});

function pick(record: Record<string, string>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, record[key]!]));
}
