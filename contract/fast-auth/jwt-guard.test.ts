import { SignJWT } from 'jose';
import { ContractTestbed, type CallOutcome } from '../testing/test-host.js';
import { base64url, GUARD_ACCOUNT, ISSUER, issuerKey, mintToken, type TestIssuerKey } from '../testing/jwt-fixtures.js';
import { auth0GuardContract, jwtGuardContract } from './jwt-guard.js';

const OWNER = 'owner.near';
const SIGN_PAYLOAD = [...new TextEncoder().encode('borsh-encoded delegate action')];

let primary: TestIssuerKey;
let rotated: TestIssuerKey;
let stranger: TestIssuerKey;
beforeAll(async () => {
  [primary, rotated, stranger] = await Promise.all([issuerKey('key-1'), issuerKey('key-2'), issuerKey('key-1')]);
});

function guard(contract = auth0GuardContract, keys = [primary.jwk, rotated.jwk]): ContractTestbed {
  const testbed = new ContractTestbed(contract, GUARD_ACCOUNT);
  const outcome = testbed.call('init', { owner: OWNER, issuer: ISSUER, public_keys: keys }, { predecessor: GUARD_ACCOUNT });
  expect(outcome.status).toBe('success');
  return testbed;
}

const now = (testbed: ContractTestbed) => Number(testbed.blockTimestampNs / 1_000_000_000n);

function verify(testbed: ContractTestbed, jwt: string, signPayload = SIGN_PAYLOAD, issuer = ISSUER): CallOutcome {
  return testbed.call('verify', { issuer, jwt, sign_payload: signPayload, predecessor: 'relayer.near' }, { predecessor: 'jwt.fast-auth.near' });
}

describe('JWT guard verify', () => {
  let testbed: ContractTestbed;
  beforeEach(() => {
    testbed = guard();
  });

  it('accepts a valid token bound to the payload and returns its sub', async () => {
    const token = await mintToken(primary, now(testbed), { fatxn: SIGN_PAYLOAD });
    expect(verify(testbed, token).value).toEqual([true, 'google-oauth2|1234567890']);
  });

  it('uses the kid to pick the key, and tries every key when there is none', async () => {
    expect(verify(testbed, await mintToken(rotated, now(testbed), { fatxn: SIGN_PAYLOAD })).value).toEqual([true, 'google-oauth2|1234567890']);
    expect(verify(testbed, await mintToken(rotated, now(testbed), { fatxn: SIGN_PAYLOAD }, {})).value).toEqual([true, 'google-oauth2|1234567890']);
    // Signed by key-2 but labelled key-1: only key-1 is tried.
    expect(verify(testbed, await mintToken(rotated, now(testbed), { fatxn: SIGN_PAYLOAD }, { kid: 'key-1' })).value).toEqual([false, 'the signature does not verify with any trusted key']);
  });

  it('accepts an audience list that contains the guard', async () => {
    const token = await mintToken(primary, now(testbed), { fatxn: SIGN_PAYLOAD, aud: ['https://api.example', GUARD_ACCOUNT] });
    expect(verify(testbed, token).value).toEqual([true, 'google-oauth2|1234567890']);
  });

  it.each<[string, (t: ContractTestbed) => Promise<string>, string]>([
    ['expired', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, exp: now(t) }), 'the token has expired'],
    ['not yet valid', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, nbf: now(t) + 1 }), 'the token is not valid yet'],
    ['without exp', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, exp: undefined }), 'the exp claim must be a number'],
    ['from another issuer', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, iss: 'https://evil.example/' }), 'the issuer "https://evil.example/" is not "https://login.example-tenant.auth0.com/"'],
    ['for another audience', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, aud: 'other.near' }), 'the audience does not include this guard'],
    ['without sub', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, sub: undefined }), 'the sub claim must be a string of 1 to 256 characters'],
    ['with an oversize sub', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, sub: 'x'.repeat(257) }), 'the sub claim must be a string of 1 to 256 characters'],
    ['bound to another payload', async (t) => mintToken(primary, now(t), { fatxn: [...SIGN_PAYLOAD, 0] }), 'the fatxn claim does not match the payload to sign'],
    ['without the fatxn claim', async (t) => mintToken(primary, now(t)), 'the fatxn claim does not match the payload to sign'],
    ['with an unknown kid', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD }, { kid: 'key-9' }), 'no key with kid "key-9"'],
    ['signed by an unknown key with a known kid', async (t) => mintToken(stranger, now(t), { fatxn: SIGN_PAYLOAD }), 'the signature does not verify with any trusted key'],
    [
      'with alg none',
      async (t) => `${base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url(JSON.stringify({ iss: ISSUER, aud: GUARD_ACCOUNT, sub: 'x', exp: now(t) + 60, fatxn: SIGN_PAYLOAD }))}.`,
      'the algorithm must be RS256, got "none"',
    ],
    [
      'HS256-signed with the public key as the secret',
      async (t) =>
        new SignJWT({ iss: ISSUER, aud: GUARD_ACCOUNT, sub: 'x', exp: now(t) + 60, fatxn: SIGN_PAYLOAD })
          .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
          .sign(new TextEncoder().encode(JSON.stringify(primary.jwk))),
      'the algorithm must be RS256, got "HS256"',
    ],
    [
      'with a tampered payload',
      async (t) => {
        const [header, , signature] = (await mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD })).split('.');
        const forged = base64url(JSON.stringify({ iss: ISSUER, aud: GUARD_ACCOUNT, sub: 'admin', exp: now(t) + 600, fatxn: SIGN_PAYLOAD }));
        return `${header}.${forged}.${signature}`;
      },
      'the signature does not verify with any trusted key',
    ],
    [
      'with a tampered signature',
      async (t) => {
        const token = await mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD });
        const signature = Buffer.from(token.split('.')[2]!, 'base64url');
        signature[100] ^= 0x01;
        return `${token.split('.').slice(0, 2).join('.')}.${signature.toString('base64url')}`;
      },
      'the signature does not verify with any trusted key',
    ],
    [
      'with a truncated signature',
      async (t) => {
        const token = await mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD });
        return `${token.split('.').slice(0, 2).join('.')}.${Buffer.from(token.split('.')[2]!, 'base64url').subarray(1).toString('base64url')}`;
      },
      'the signature does not verify with any trusted key',
    ],
    [
      'with the modulus as its signature',
      async (t) => `${(await mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD })).split('.').slice(0, 2).join('.')}.${primary.jwk.n}`,
      'the signature does not verify with any trusted key',
    ],
    ['oversize', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, padding: 'x'.repeat(7000) }), 'the token is larger than 7168 bytes'],
    ['with two parts', async () => 'abc.def', 'the token must have three dot-separated parts'],
    ['with a header that is not JSON', async () => `${base64url('not json')}.e30.`, 'the header is not base64url-encoded JSON'],
  ])('rejects a token %s', async (_name, makeToken, reason) => {
    const token = await makeToken(testbed);
    const before = testbed.snapshot();
    expect(verify(testbed, token).value).toEqual([false, reason]);
    expect(testbed.snapshot()).toEqual(before);
  });

  it('checks expiry against block time, not the wall clock', async () => {
    const token = await mintToken(primary, now(testbed), { fatxn: SIGN_PAYLOAD, exp: now(testbed) + 60 });
    expect(verify(testbed, token).value).toEqual([true, 'google-oauth2|1234567890']);
    testbed.advanceBlocks(60);
    expect(verify(testbed, token).value).toEqual([false, 'the token has expired']);
  });

  it('answers only for its own issuer', async () => {
    const token = await mintToken(primary, now(testbed), { fatxn: SIGN_PAYLOAD, iss: 'https://other/' });
    expect(verify(testbed, token, SIGN_PAYLOAD, 'https://other/').value).toEqual([false, `this guard serves issuer ${ISSUER}, not https://other/`]);
  });

  it('fails the call on malformed arguments', () => {
    expect(testbed.call('verify', { issuer: ISSUER, jwt: 7, sign_payload: [], predecessor: 'a.near' })).toMatchObject({ status: 'panic', error: expect.stringMatching(/jwt: expected a string/) });
    expect(testbed.call('verify', { issuer: ISSUER, jwt: 'x'.repeat(16 * 1024 + 1), sign_payload: [], predecessor: 'a.near' })).toMatchObject({ status: 'panic', error: expect.stringMatching(/jwt: longer than 16384/) });
    expect(testbed.call('verify', { issuer: ISSUER, jwt: 'a.b.c', sign_payload: new Array(32 * 1024 + 1).fill(0), predecessor: 'a.near' })).toMatchObject({ error: expect.stringMatching(/sign_payload: 32769 bytes/) });
  });
});

describe('plain JWT guard', () => {
  it('does not require the fatxn claim', async () => {
    const testbed = guard(jwtGuardContract);
    expect(verify(testbed, await mintToken(primary, now(testbed))).value).toEqual([true, 'google-oauth2|1234567890']);
  });
});

describe('guard administration', () => {
  it('lets only the owner rotate keys, set audiences and hand over ownership', async () => {
    const testbed = guard(auth0GuardContract, [primary.jwk]);
    const token = await mintToken(rotated, now(testbed), { fatxn: SIGN_PAYLOAD });
    expect(verify(testbed, token).value).toEqual([false, 'no key with kid "key-2"']);
    expect(testbed.call('set_public_keys', { public_keys: [rotated.jwk] }, { predecessor: 'mallory.near' })).toMatchObject({ status: 'panic', error: expect.stringMatching(/Unauthorized: set_public_keys may only be called by the owner owner.near/) });
    expect(testbed.call('set_public_keys', { public_keys: [rotated.jwk] }, { predecessor: OWNER }).status).toBe('success');
    expect(testbed.view('public_keys')).toEqual([rotated.jwk]);
    expect(verify(testbed, token).value).toEqual([true, 'google-oauth2|1234567890']);

    expect(testbed.call('set_audiences', { audiences: ['my-client-id'] }, { predecessor: OWNER }).status).toBe('success');
    expect(verify(testbed, token).value).toEqual([false, 'the audience does not include this guard']);
    expect(testbed.view('audiences')).toEqual(['my-client-id']);

    expect(testbed.call('change_owner', { new_owner: 'new-owner.near' }, { predecessor: OWNER }).status).toBe('success');
    expect(testbed.view('owner')).toBe('new-owner.near');
    expect(testbed.call('set_audiences', { audiences: ['x'] }, { predecessor: OWNER }).status).toBe('panic');
    expect(testbed.view('issuer')).toBe(ISSUER);
  });

  it('refuses unusable keys', () => {
    const testbed = guard();
    // jose will not make keys below 2048 bits; the low half of a real modulus is an odd 1024-bit number.
    const weak = { ...primary.jwk, n: Buffer.from(primary.jwk.n, 'base64url').subarray(128).toString('base64url') };
    const refuse = (keys: unknown, pattern: RegExp) => {
      const before = testbed.snapshot();
      expect(testbed.call('set_public_keys', { public_keys: keys }, { predecessor: OWNER })).toMatchObject({ status: 'panic', error: expect.stringMatching(pattern) });
      expect(testbed.snapshot()).toEqual(before);
    };
    refuse([weak], /the modulus has 10\d\d bits; 2048 to 4096 are accepted/);
    refuse([{ ...primary.jwk, e: 'Aw' }], /the exponent must be 65537/);
    const even = Buffer.from(primary.jwk.n, 'base64url');
    even[even.length - 1]! &= 0xfe;
    refuse([{ ...primary.jwk, n: even.toString('base64url') }], /the modulus is even/);
    refuse([{ ...primary.jwk, n: `${primary.jwk.n}=` }], /n is not base64url without padding/);
    refuse([{ ...primary.jwk, kty: 'EC' }], /only RSA keys are accepted/);
    refuse([], /at least one key is needed/);
  });

  it('is initialised once, by its own account', () => {
    const testbed = guard();
    expect(testbed.call('init', { owner: OWNER, issuer: ISSUER, public_keys: [primary.jwk] }, { predecessor: GUARD_ACCOUNT })).toMatchObject({ error: expect.stringMatching(/already initialized/) });
    const fresh = new ContractTestbed(auth0GuardContract, GUARD_ACCOUNT);
    expect(fresh.call('init', { owner: OWNER, issuer: ISSUER, public_keys: [primary.jwk] }, { predecessor: OWNER })).toMatchObject({ error: expect.stringMatching(/Unauthorized: init may only be called by the contract itself/) });
  });
});
