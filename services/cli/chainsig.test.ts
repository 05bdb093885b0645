import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { base58 } from '@scure/base';
import { computeAddress } from 'ethers';
import { hexToBytes } from '@noble/hashes/utils.js';
import { runCli } from './run-cli.js';

// near/mpc's derived-key vectors (shared/reference/near-mpc.md §1): root from seed [42; 32], tweak (hello, my-path).
const SECP_ROOT_XY = '77c1ff8a2593f5cbe17dd6f05d4fe21f9f3393d90d47cc67f0cf33593e2436e434af6b6ea1bcdb3ca31808472fdda9bb66ab1db74c91da3c7f0c95509adeea3c';
const SECP_DERIVED = 'secp256k1:4zvzanBjPrvRWAr3mjdPX9sSkS8GZTZ11L6V2pcAbmHRd3HHbTyboHdWauExDmHrEoWnbhDkUwnzVEa8hg52C55p';
const SECP_DERIVED_XY = 'c802275eb64d8c38f7e915a55b8e77a0916afd06dc45b15649dea8a56bc81db3bf7d21e0cc64531fa1bafa385c29017ca16d747b4ad52a3f1b8a00f616b275af';
const ED_ROOT = '4fe4ab5c0e3791236e0af15836c45b1497f824df76b4b58e61121ad01ed76576';
const ED_DERIVED = '14a5f4002b886dffd3962c252a475ff17149ee4aa4f6049406c2817cb9a16aaa';
const TWEAK = 'da30fae7557313c718e04d4691596618ce0f4d2d31d5c23cbc216ad0a86d2818';

const run = runCli;

const derive = (root: string, ...extra: string[]) => run('derive', '--root', root, '--predecessor', 'hello', '--path', 'my-path', ...extra);

describe('chainsig derive', () => {
  it('derives near/mpc’s secp256k1 vector from a hex root, as JSON', async () => {
    const result = await derive(SECP_ROOT_XY, '--curve', 'secp256k1', '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toEqual({
      tweak: TWEAK,
      publicKey: SECP_DERIVED,
      publicKeyHex: SECP_DERIVED_XY,
      ethereumAddress: expect.stringMatching(/^0x[0-9a-fA-F]{40}$/),
    });
  });

  it('reads the root in NEAR form and gives the same key and the Ethereum address of the derived key', async () => {
    const nearRoot = `secp256k1:${base58.encode(hexToBytes(SECP_ROOT_XY))}`;
    const fromNear = JSON.parse((await derive(nearRoot, '--json')).stdout);
    const fromHex = JSON.parse((await derive(`0x04${SECP_ROOT_XY}`, '--curve', 'secp256k1', '--json')).stdout);
    expect(fromNear).toEqual(fromHex);
    expect(fromNear.publicKey).toBe(SECP_DERIVED);
    expect(fromNear.ethereumAddress).toBe(computeAddress(`0x04${SECP_DERIVED_XY}`));
  });

  it('derives near/mpc’s ed25519 vector, without an Ethereum address', async () => {
    const json = JSON.parse((await derive(ED_ROOT, '--curve', 'ed25519', '--json')).stdout);
    expect(json).toEqual({ tweak: TWEAK, publicKey: `ed25519:${base58.encode(hexToBytes(ED_DERIVED))}`, publicKeyHex: ED_DERIVED });
    const nearForm = JSON.parse((await derive(`ed25519:${base58.encode(hexToBytes(ED_ROOT))}`, '--json')).stdout);
    expect(nearForm.publicKeyHex).toBe(ED_DERIVED);
  });

  it('prints readable text without --json', async () => {
    const result = await derive(SECP_ROOT_XY, '--curve', 'secp256k1');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`public key:       ${SECP_DERIVED}`);
    expect(result.stdout).toContain(`tweak:            ${TWEAK}`);
    expect(result.stdout).toMatch(/ethereum address: 0x[0-9a-fA-F]{40}/);
  });

  it.each([
    ['a missing --root', ['derive', '--predecessor', 'hello', '--path', 'p'], /--root is required/],
    ['a flag without its value', ['derive', '--root', ED_ROOT, '--curve', 'ed25519', '--predecessor', '--path', 'p'], /--predecessor needs a value/],
    ['an unknown flag', ['derive', '--root', ED_ROOT, '--predecessor', 'a', '--path', 'p', '--nope'], /unknown argument "--nope"/],
    ['an unknown curve', ['derive', '--root', ED_ROOT, '--curve', 'p256', '--predecessor', 'a', '--path', 'p'], /--curve must be secp256k1 or ed25519/],
    ['a hex root without --curve', ['derive', '--root', ED_ROOT, '--predecessor', 'a', '--path', 'p'], /a hex key needs its curve/],
    ['a root that is not a point', ['derive', '--root', `02${'00'.repeat(32)}`, '--curve', 'secp256k1', '--predecessor', 'a', '--path', 'p'], /not a point on secp256k1/],
    ['a root of the other curve', ['derive', '--root', `ed25519:${base58.encode(hexToBytes(ED_ROOT))}`, '--curve', 'secp256k1', '--predecessor', 'a', '--path', 'p'], /expected a secp256k1 key/],
    ['a predecessor with a comma', ['derive', '--root', ED_ROOT, '--curve', 'ed25519', '--predecessor', 'a,b', '--path', 'p'], /not an account id/],
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
  ])('exits 2 with a clear message for %s', async (_, argv, message) => {
    const result = await run(...argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('`node bin/chainsig.js derive` works as `npx chainsig` runs it', async () => {
    const bin = fileURLToPath(new URL('../../bin/chainsig.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [
      bin, 'derive', '--curve', 'secp256k1', '--root', SECP_ROOT_XY, '--predecessor', 'hello', '--path', 'my-path', '--json',
    ]);
    expect(JSON.parse(stdout).publicKey).toBe(SECP_DERIVED);
  }, 60_000);

  it('the bin exits 2 on a bad key', async () => {
    const bin = fileURLToPath(new URL('../../bin/chainsig.js', import.meta.url));
    await expect(promisify(execFile)(process.execPath, [bin, 'derive', '--root', 'secp256k1:zz', '--predecessor', 'a', '--path', 'p'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('invalid public key'),
    });
  }, 60_000);
});

describe('chainsig help', () => {
  it('lists derive', async () => {
    const result = await run('help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('derive');
  });
});
