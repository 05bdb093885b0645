import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auth0GuardContract } from '../../../contract/index.js';
import { ContractTestbed } from '../../../contract/testing/test-host.js';
import { generateIdentities, participantInfo, readIdentities, requirePortsFree, writeIdentities } from './identities.js';
import { createLocalJwtIssuer } from './jwt-issuer.js';

const GUARD = 'auth0.jwt.fast-auth.devnet';
const ISSUER = 'https://issuer.devnet.local/';

describe('network identities', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'network-identities-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('keeps participants, demo user and issuer key across a restart, readable by the owner only', async () => {
    const identities = await generateIdentities(['node0.devnet', 'node1.devnet'], 'alice.devnet');
    const issuer = await createLocalJwtIssuer(ISSUER, GUARD);
    const file = join(folder, 'identities.json');
    writeIdentities(file, identities, issuer.privateJwk);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const restored = readIdentities(file, 2)!;
    expect(restored.participants.map(participantInfo)).toEqual(identities.participants.map(participantInfo));
    expect(restored.participants.map((participant) => participant.keyPair.toString())).toEqual(identities.participants.map((participant) => participant.keyPair.toString()));
    expect(restored.demoUser.keyPair.toString()).toBe(identities.demoUser.keyPair.toString());
    expect((await createLocalJwtIssuer(ISSUER, GUARD, restored.issuerPrivateJwk)).publicKey).toEqual(issuer.publicKey);
    expect(() => readIdentities(file, 3)).toThrow(/holds 2 participants, not 3/);
    expect(readIdentities(join(folder, 'absent.json'), 2)).toBeNull();
  });

  it('refuses kept identities whose port another program listens on', async () => {
    const identities = await generateIdentities(['node0.devnet', 'node1.devnet'], 'alice.devnet');
    await expect(requirePortsFree(identities, 'identities.json')).resolves.toBeUndefined();
    const otherProgram = createServer();
    await new Promise<void>((resolve) => otherProgram.listen(identities.participants[1]!.meshPort, '127.0.0.1', resolve));
    try {
      await expect(requirePortsFree(identities, 'identities.json')).rejects.toThrow(
        `port ${identities.participants[1]!.meshPort} (mesh of node1.devnet, kept in identities.json) is in use by another program`,
      );
    } finally {
      otherProgram.close();
    }
  });

  it('registers each participant with distinct loopback ports and mesh keys', async () => {
    const { participants } = await generateIdentities(['node0.devnet', 'node1.devnet', 'node2.devnet'], 'alice.devnet');
    const infos = participants.map(participantInfo);
    expect(new Set(participants.flatMap((participant) => [participant.meshPort, participant.httpPort])).size).toBe(6);
    for (const info of infos) {
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(info.tls_public_key).toMatch(/^ed25519:[1-9A-HJ-NP-Za-km-z]+$/);
    }
    expect(new Set(infos.map((info) => info.tls_public_key)).size).toBe(3);
  });
});

describe('local JWT issuer', () => {
  it('mints tokens the Auth0 guard accepts for the bound payload only, and another key is refused', async () => {
    const issuer = await createLocalJwtIssuer(ISSUER, GUARD);
    const guard = new ContractTestbed(auth0GuardContract, GUARD);
    guard.blockTimestampNs = BigInt(Date.now()) * 1_000_000n;
    guard.call('init', { owner: 'devnet', public_keys: [issuer.publicKey], issuer: ISSUER }, { predecessor: GUARD });
    const signPayload = [1, 2, 3];
    const verify = (jwt: string, payload = signPayload) => {
      const outcome = guard.call('verify', { issuer: ISSUER, jwt, sign_payload: payload, predecessor: 'fast-auth.devnet' }, { predecessor: 'jwt.fast-auth.devnet' });
      if (outcome.status !== 'success') throw new Error(`verify panicked: ${outcome.error}`);
      return outcome.value;
    };
    const token = await issuer.mint({ sub: 'google-oauth2|42', signPayload: Uint8Array.from(signPayload) });
    expect(verify(token)).toEqual([true, 'google-oauth2|42']);
    expect(verify(token, [9])).toEqual([false, expect.any(String)]);
    const forger = await createLocalJwtIssuer(ISSUER, GUARD);
    expect(verify(await forger.mint({ sub: 'google-oauth2|42', signPayload: Uint8Array.from(signPayload) }))).toEqual([false, expect.any(String)]);
  });
});
