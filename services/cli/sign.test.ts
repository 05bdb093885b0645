import { KeyPair } from '@near-js/crypto';
import { createServer } from 'node:net';
import { runCli } from './run-cli.js';
import { parseSignArgs } from './sign.js';

const SECRET_KEY = KeyPair.fromRandom('ed25519').toString();
const HASH = 'ab'.repeat(32);

const run = runCli;

/** Every required flag; `overrides` replace or (with `undefined`) drop flags. */
function signArgs(overrides: Record<string, string | undefined> = {}): string[] {
  const flags: Record<string, string | undefined> = {
    '--rpc': 'http://127.0.0.1:3030',
    '--contract': 'v1.signer.devnet',
    '--account': 'user.devnet',
    '--secret-key': SECRET_KEY,
    '--domain': '0',
    '--path': 'my-path',
    '--payload': HASH,
    ...overrides,
  };
  return Object.entries(flags).flatMap(([flag, value]) => (value === undefined ? [] : [flag, value]));
}

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('chainsig sign arguments', () => {
  it('reads a full command line with the client defaults for deposit, gas and timeout', () => {
    const options = parseSignArgs(signArgs());
    expect(options).toMatchObject({ rpcUrl: 'http://127.0.0.1:3030', contractId: 'v1.signer.devnet', accountId: 'user.devnet', domainId: 0, scheme: 'Secp256k1', path: 'my-path', deposit: 1n, gas: 50n * 10n ** 12n, timeoutMs: 300_000, json: false });
    expect(Buffer.from(options.payload).toString('hex')).toBe(HASH);
    expect(options.keyPair.toString()).toBe(SECRET_KEY);
  });

  it('takes deposit in yoctoNEAR, gas in Tgas, a timeout, --json, a 0x payload and Ed25519 messages up to 1232 bytes', () => {
    const options = parseSignArgs([...signArgs({ '--domain': '1', '--payload': `0x${'00'.repeat(1232)}`, '--path': '-starts-with-dash' }), '--deposit', '5', '--gas', '300', '--timeout-seconds', '2.5', '--json']);
    expect(options).toMatchObject({ domainId: 1, scheme: 'Ed25519', path: '-starts-with-dash', deposit: 5n, gas: 300n * 10n ** 12n, timeoutMs: 2500, json: true });
    expect(options.payload).toHaveLength(1232);
  });

  it.each([
    ['a missing flag', signArgs({ '--payload': undefined }), /sign: --payload is required/],
    ['an unknown flag', [...signArgs(), '--nonce', '1'], /sign: unknown argument "--nonce"/],
    ['a flag given twice', [...signArgs(), '--path', 'other'], /sign: --path given twice/],
    ['a flag without its value', [...signArgs({ '--path': undefined }), '--path'], /sign: --path needs a value/],
    ['bad hex', signArgs({ '--payload': 'xyz' }), /--payload must be non-empty hex/],
    ['an odd number of hex digits', signArgs({ '--payload': 'abc' }), /--payload must be non-empty hex/],
    ['an ECDSA payload that is not 32 bytes', signArgs({ '--payload': 'ab'.repeat(31) }), /an ECDSA payload is a 32-byte hash \(64 hex digits\), got 31 bytes/],
    ['an Ed25519 payload over 1232 bytes', signArgs({ '--domain': '1', '--payload': '00'.repeat(1233) }), /an Ed25519 payload is at most 1232 bytes, got 1233/],
    ['an unknown domain', signArgs({ '--domain': '2' }), /unknown domain "2"/],
    ['a domain that is not a number', signArgs({ '--domain': 'ecdsa' }), /unknown domain "ecdsa"/],
    ['a bad secret key', signArgs({ '--secret-key': 'ed25519:not-base58!' }), /--secret-key is not a NEAR secret key/],
    ['an RPC that is not a URL', signArgs({ '--rpc': 'localhost:3030' }), /--rpc must be an http\(s\) URL|--rpc "localhost:3030" is not a URL/],
    ['a fractional deposit', [...signArgs(), '--deposit', '0.5'], /--deposit must be a whole number/],
    ['gas above 300 Tgas', [...signArgs(), '--gas', '301'], /--gas is in Tgas, from 1 to 300; got 301/],
    ['no gas', [...signArgs(), '--gas', '0'], /--gas is in Tgas/],
    ['a zero timeout', [...signArgs(), '--timeout-seconds', '0'], /--timeout-seconds must be a number of seconds above 0/],
  ])('refuses %s with exit code 2 and the usage', async (_name, argv, message) => {
    const result = await run('sign', ...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('usage: chainsig');
    expect(result.stdout).toBe('');
  });

  it('never echoes the secret key in an error', async () => {
    const secret = 'ed25519:3D4YudUahN1nawWogh8pAKSj92sUNMdbZGjn7kERKzYoTy8tnFQuwoGUC51DowKqorvkr2pytJSnwuSbsNVfqygr!';
    const result = await run('sign', ...signArgs({ '--secret-key': secret }));
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain(secret.slice(8, 40));
  });

  it('lists sign in the help', async () => {
    const result = await run('help');
    expect(result.stdout).toMatch(/sign {6}call sign on the MPC signer/);
  });
});

describe('chainsig sign failures', () => {
  it('reports an unreachable RPC with exit code 1', async () => {
    const rpc = `http://127.0.0.1:${await closedPort()}`;
    const result = await run('sign', ...signArgs({ '--rpc': rpc }));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`chainsig: cannot reach the RPC at ${rpc} (ECONNREFUSED)\n`);
    expect(result.stdout).toBe('');
  });
});
