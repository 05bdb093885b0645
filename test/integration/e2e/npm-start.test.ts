// The README's first command, as a user runs it on a fresh clone: `npm start` (services/devnet/main.ts)
// in a process of its own, with its own emulators, chain, indexers and nodes, and `--json` records; and
// the same with `--signer-wasm`, near/mpc's published 3.14.0 signer in place of our model.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifySignRecord, type SignRecord } from '../../../services/devnet/demo/sign-client.js';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const RUN_LIMIT_MS = 8 * 60_000;
const RECORD_FIELDS = ['domain_id', 'scheme', 'predecessor', 'path', 'payload_hex', 'root_public_key', 'derived_public_key', 'response', 'latency_ms'];

describe.each([
  ['', [], '3.14.0-chainsig-model'],
  [' -- --signer-wasm …/signer-3_14_0.wasm', ['--signer-wasm', '../shared/fixtures/near-mpc/signer-3_14_0.wasm'], '3.14.0'],
])('npm start%s', (_title, extraArgs: readonly string[], signerVersion) => {
  it(
    'brings the network up, signs direct and FastAuth requests in both schemes, writes one verified record each and exits 0',
    async () => {
      const json = join(mkdtempSync(join(tmpdir(), 'npm-start-')), 'records.json');
      // A user's shell: none of the test run's emulator endpoints, so the launcher starts its own.
      const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_ENDPOINT_URL')));
      const child = spawn(process.execPath, ['--import', 'tsx', 'services/devnet/main.ts', '--requests', '4', '--json', json, ...extraArgs], {
        cwd: PROJECT_ROOT,
        env: environment,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const killer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
      const code = await new Promise<number | null>((resolveExit) => child.once('exit', resolveExit)).finally(() => clearTimeout(killer));
      if (code !== 0) throw new Error(`npm start exited with ${code}:\n${output}`);

      const records = JSON.parse(readFileSync(json, 'utf8')) as SignRecord[];
      expect(records).toHaveLength(4);
      for (const record of records) {
        expect(Object.keys(record).sort()).toEqual([...RECORD_FIELDS].sort());
        verifySignRecord(record);
      }
      expect(records.map((record) => [record.domain_id, record.scheme, record.predecessor === 'fast-auth.devnet'])).toEqual([
        [0, 'Secp256k1', false],
        [1, 'Ed25519', false],
        [0, 'Secp256k1', true],
        [1, 'Ed25519', true],
      ]);
      expect(output).toContain(`signer v1.signer.devnet version ${signerVersion} `);
      expect(output).toContain('all 4 signatures verified');
      expect(output).toMatch(/latency on chain \(sign receipt to the callback returning the signature\): median \d+ blocks/);
    },
    RUN_LIMIT_MS + 30_000,
  );
});

describe('npm start with a bad --signer-wasm', () => {
  it.each([
    ['a file that is not wasm', 'package.json', 'package.json is not a wasm module'],
    ['a missing file', 'no-such.wasm', '--signer-wasm: cannot read no-such.wasm'],
  ])('refuses %s before starting anything (exit 1)', async (_name, file, message) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/devnet/main.ts', '--signer-wasm', file], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
    expect({ code, output }).toEqual({ code: 1, output: expect.stringContaining(message) });
    expect(output).not.toContain('local-aws');
  });
});
