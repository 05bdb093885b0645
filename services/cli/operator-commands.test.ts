// The operator commands' command lines: what they print offline, and every bad input refused with exit
// code 2 before anything is sent. Against a chain: test/integration/devnet/chainsig-operator.test.ts.
import { KeyPair } from '@near-js/crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { base58 } from '@scure/base';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { participantInfo, type ParticipantIdentity } from '../devnet/network/identities.js';
import { runCli } from './run-cli.js';

const MESH_SECRET = bytesToHex(new Uint8Array(32).fill(7));
const SECRET_KEY = KeyPair.fromRandom('ed25519').toString();
const RPC = 'http://127.0.0.1:3030';
const tls = (seed: number) => participantInfo({ mesh: { id: seed, identitySecretKey: new Uint8Array(32).fill(seed) }, meshPort: 1 } as ParticipantIdentity).tls_public_key;
const PARTICIPANTS = JSON.stringify([1, 2, 3].map((seed, id) => ({ account_id: `node${id}.near`, url: `https://node${id}.example.org`, tls_public_key: tls(seed) })));
const DOMAINS = JSON.stringify([{ id: 0, protocol: 'CaitSith', reconstruction_threshold: 2, purpose: 'Sign' }]);
const caller = ['--rpc', RPC, '--account', 'node0.near', '--secret-key', SECRET_KEY];
const onSigner = [...caller, '--contract', 'signer.near'];

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'chainsig-operator-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const file = (name: string, content: string | Uint8Array): string => {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
};

/** A loopback port nothing listens on: bound, then released. */
async function closedRpc(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('chainsig participant info', () => {
  it('derives tls_public_key from the mesh secret as the nodes and the devnet launcher do, and prints the submit arguments', async () => {
    const result = await runCli('participant', 'info', '--mesh-secret-key', MESH_SECRET, '--url', 'https://node0.example.org', '--account', 'node0.near');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const info = { url: 'https://node0.example.org', tls_public_key: tls(7) };
    expect(result.stdout).toBe(
      [
        `participant:  ${JSON.stringify(info)}`,
        `submit args:  ${JSON.stringify({ proposed_participant_attestation: { Mock: 'Valid' }, tls_public_key: info.tls_public_key })}`,
        `init entry:   ${JSON.stringify({ account_id: 'node0.near', ...info })}`,
        '',
      ].join('\n'),
    );
  });

  it('prints one JSON record with --json, and takes the secret with 0x', async () => {
    const result = await runCli('participant', 'info', '--mesh-secret-key', `0x${MESH_SECRET}`, '--url', 'http://127.0.0.1:9100', '--json');
    expect(JSON.parse(result.stdout)).toEqual({
      participant_info: { url: 'http://127.0.0.1:9100', tls_public_key: tls(7) },
      submit_participant_info_args: { proposed_participant_attestation: { Mock: 'Valid' }, tls_public_key: tls(7) },
    });
  });

  it('never echoes the mesh secret in an error', async () => {
    const secret = `${MESH_SECRET}ff`;
    const result = await runCli('participant', 'info', '--mesh-secret-key', secret, '--url', 'https://node0.example.org');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('participant info: --mesh-secret-key must be the node\'s 32-byte mesh identity secret as 64 hex digits (MESH_SIGN_SECRET_KEY), got 66 characters');
    expect(result.stderr).not.toContain(secret);
  });

  it('is the NEAR form of the Ed25519 public key of the secret', async () => {
    const result = await runCli('participant', 'info', '--mesh-secret-key', MESH_SECRET, '--url', 'https://node0.example.org', '--json');
    expect(JSON.parse(result.stdout).participant_info.tls_public_key).toBe(`ed25519:${base58.encode(ed25519.getPublicKey(new Uint8Array(32).fill(7)))}`);
  });
});

describe('chainsig operator commands refuse bad input with exit code 2 and the usage', () => {
  const notWasm = () => file('not.wasm', 'this is text');
  const participantsFile = () => file('participants.json', PARTICIPANTS);

  it.each<[string, () => string[], RegExp]>([
    ['a group without its subcommand', () => ['contract'], /contract: which one\? contract deploy, contract init/],
    ['an unknown subcommand', () => ['vote', 'remove-domains'], /unknown command "vote remove-domains" \(known: vote add-domains, vote new-parameters, vote cancel-resharing, vote cancel-keygen\)/],
    ['deploy without --wasm', () => ['contract', 'deploy', ...caller], /contract deploy: --wasm is required/],
    ['deploy of a file that is not wasm', () => ['contract', 'deploy', '--wasm', notWasm(), ...caller], /contract deploy: --wasm .*not\.wasm is not a wasm module \(it does not start with \\0asm\)/],
    ['deploy of an empty file', () => ['contract', 'deploy', '--wasm', file('empty.wasm', ''), ...caller], /is not a wasm module/],
    ['deploy of a missing file', () => ['contract', 'deploy', '--wasm', join(scratch, 'missing.wasm'), ...caller], /contract deploy: cannot read --wasm .*missing\.wasm \(ENOENT\)/],
    ['deploy without --secret-key', () => ['contract', 'deploy', '--wasm', file('ok.wasm', Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0)), '--rpc', RPC, '--account', 'a.near'], /contract deploy: --secret-key is required/],
    ['deploy with --contract (it deploys to --account)', () => ['contract', 'deploy', '--wasm', notWasm(), ...onSigner], /contract deploy: unknown argument "--contract"/],
    ['init without --threshold', () => ['contract', 'init', '--participants', PARTICIPANTS, ...caller], /contract init: --threshold is required/],
    ['init with a threshold below 60 %', () => ['contract', 'init', '--participants', PARTICIPANTS, '--threshold', '1', ...caller], /--threshold 1 is below near\/mpc's minimum for 3 participants: 2/],
    ['init with a threshold above n', () => ['contract', 'init', '--participants', participantsFile(), '--threshold', '4', ...caller], /--threshold 4 exceeds the number of participants, 3/],
    ['init with a threshold that is not a number', () => ['contract', 'init', '--participants', PARTICIPANTS, '--threshold', 'two', ...caller], /--threshold must be a whole number, got "two"/],
    ['participants that are not JSON', () => ['contract', 'init', '--participants', '[{"account_id": node0}]', '--threshold', '2', ...caller], /contract init: --participants is not valid JSON: /],
    ['a participants file that is not JSON', () => ['contract', 'init', '--participants', file('bad.json', 'node0.near,node1.near'), '--threshold', '2', ...caller], /--participants \(file .*bad\.json\) is not valid JSON/],
    ['a participants file that does not exist', () => ['contract', 'init', '--participants', join(scratch, 'none.json'), '--threshold', '2', ...caller], /--participants is neither JSON nor a readable file \(".*none\.json": ENOENT\)/],
    ['a participant with a bad key', () => ['contract', 'init', '--participants', PARTICIPANTS.replace(tls(2), 'ed25519:abc'), '--threshold', '2', ...caller], /--participants\[1\]\.tls_public_key: invalid public key "ed25519:abc": ed25519 key must be 32 bytes/],
    ['an init_config field the contract does not have', () => ['contract', 'init', '--participants', PARTICIPANTS, '--threshold', '2', '--init-config', '{"timeout":1}', ...caller], /--init-config: unknown field "timeout"/],
    ['a bad secret key', () => ['contract', 'init', '--participants', PARTICIPANTS, '--threshold', '2', '--rpc', RPC, '--account', 'a.near', '--secret-key', 'ed25519:???'], /contract init: --secret-key is not a NEAR secret key/],
    ['participant info without --url', () => ['participant', 'info', '--mesh-secret-key', MESH_SECRET], /participant info: --url is required/],
    ['participant info with a URL without scheme', () => ['participant', 'info', '--mesh-secret-key', MESH_SECRET, '--url', 'node0.example.org'], /--url "node0\.example\.org" is not an http\(s\) URL/],
    ['participant info with --rpc but no --submit', () => ['participant', 'info', '--mesh-secret-key', MESH_SECRET, '--url', 'https://n.org', '--rpc', RPC], /participant info: --rpc is for --submit, which is not given/],
    ['participant info --submit without --contract', () => ['participant', 'info', '--mesh-secret-key', MESH_SECRET, '--url', 'https://n.org', '--submit', ...caller], /participant info: --contract is required/],
    ['add-domains with bad JSON', () => ['vote', 'add-domains', '--domains', '[{"id":0,', ...onSigner], /vote add-domains: --domains is not valid JSON/],
    ['add-domains with a protocol the purpose does not allow', () => ['vote', 'add-domains', '--domains', DOMAINS.replace('"Sign"', '"CKD"'), ...onSigner], /--domains\[0\]: a CKD domain runs ConfidentialKeyDerivation, not CaitSith/],
    ['a vote without --contract', () => ['vote', 'add-domains', '--domains', DOMAINS, ...caller], /vote add-domains: --contract is required/],
    ['new-parameters without the epoch', () => ['vote', 'new-parameters', '--parameters', `{"participants":${PARTICIPANTS},"threshold":2}`, ...onSigner], /vote new-parameters: --prospective-epoch-id is required/],
    ['new-parameters below the threshold rule', () => ['vote', 'new-parameters', '--prospective-epoch-id', '1', '--parameters', `{"participants":${PARTICIPANTS},"threshold":1}`, ...onSigner], /--parameters\.threshold 1 is below/],
    ['new-parameters with a per-domain threshold above n', () => ['vote', 'new-parameters', '--prospective-epoch-id', '1', '--parameters', `{"participants":${PARTICIPANTS},"threshold":2}`, '--per-domain-thresholds', '{"0":4}', ...onSigner], /--per-domain-thresholds\.0: threshold 4 exceeds the 3 proposed participants/],
    ['cancel-keygen with a domain id that is not a number', () => ['vote', 'cancel-keygen', '--next-domain-id', '-1', ...onSigner], /vote cancel-keygen: --next-domain-id must be a whole number, got "-1"/],
    ['cancel-resharing with an argument it does not take', () => ['vote', 'cancel-resharing', '--domains', DOMAINS, ...onSigner], /vote cancel-resharing: unknown argument "--domains"/],
    ['state without --contract', () => ['state', '--rpc', RPC], /state: --contract is required/],
    ['state with an RPC that is not http', () => ['state', '--rpc', 'ws://127.0.0.1:3030', '--contract', 'signer.near'], /state: --rpc must be an http\(s\) URL/],
  ])('%s', async (_name, argv, message) => {
    const result = await runCli(...argv());
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: chainsig');
    expect(result.stdout).toBe('');
  });

  it('never echoes the secret key', async () => {
    const secret = 'ed25519:3D4YudUahN1nawWogh8pAKSj92sUNMdbZGjn7kERKzYoTy8tnFQuwoGUC51DowKqorvkr2pytJSnwuSbsNVfqygr!';
    const result = await runCli('vote', 'cancel-resharing', '--rpc', RPC, '--contract', 'signer.near', '--account', 'a.near', '--secret-key', secret);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain(secret.slice(8, 40));
  });
});

describe('chainsig operator commands against an RPC that does not answer', () => {
  it.each<[string, string[]]>([
    ['state', ['state', '--contract', 'signer.near']],
    ['vote add-domains', ['vote', 'add-domains', '--domains', DOMAINS, '--contract', 'signer.near', '--account', 'node0.near', '--secret-key', SECRET_KEY]],
    ['contract init', ['contract', 'init', '--participants', PARTICIPANTS, '--threshold', '3', '--account', 'signer.near', '--secret-key', SECRET_KEY]],
  ])('%s exits 1 saying so', async (_name, argv) => {
    const rpc = await closedRpc();
    const result = await runCli(...argv, '--rpc', rpc);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `chainsig: cannot reach the RPC at ${rpc} (ECONNREFUSED)\n` });
  });
});

describe('chainsig help', () => {
  it('lists every operator command', async () => {
    const result = await runCli('--help');
    expect(result.code).toBe(0);
    for (const command of ['contract deploy', 'contract init', 'participant info', 'vote add-domains', 'vote new-parameters', 'vote cancel-resharing', 'vote cancel-keygen', 'state ']) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}${command}`, 'm'));
    }
  });
});
