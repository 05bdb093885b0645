import { SignJWT } from 'jose';
import { ContractTestbed, type CallOutcome } from '../testing/test-host.js';
import { base64url, claimsAt, GUARD_ACCOUNT, ISSUER, issuerKey, mintToken, signRawToken, type TestIssuerKey, withDuplicateMember } from '../testing/jwt-fixtures.js';
import { IAT_LEEWAY_SECONDS } from './jwt/jwt.js';
import { auth0GuardContract, jwtGuardContract } from './jwt-guard.js';

const OWNER = 'owner.near';
const SIGN_PAYLOAD = [...new TextEncoder().encode('borsh-encoded delegate action')];
const FORMAT = 'Invalid JWT format: expected three base64url parts with a JSON object in the header and payload';

let primary: TestIssuerKey;
let rotated: TestIssuerKey;
let stranger: TestIssuerKey;
beforeAll(async () => {
  [primary, rotated, stranger] = await Promise.all([issuerKey('key-1'), issuerKey('key-2'), issuerKey('key-1')]);
});

function guard(contract = auth0GuardContract, keys = [primary.publicKey, rotated.publicKey]): ContractTestbed {
  const testbed = new ContractTestbed(contract, GUARD_ACCOUNT);
  const outcome = testbed.call('init', { owner: OWNER, public_keys: keys, issuer: ISSUER }, { predecessor: GUARD_ACCOUNT });
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
    expect(verify(testbed, await mintToken(rotated, now(testbed), { fatxn: SIGN_PAYLOAD }, { kid: 'key-1' })).value).toEqual([false, 'Invalid signature']);
  });

  it('accepts an audience list that contains the guard', async () => {
    const token = await mintToken(primary, now(testbed), { fatxn: SIGN_PAYLOAD, aud: ['https://api.example', GUARD_ACCOUNT] });
    expect(verify(testbed, token).value).toEqual([true, 'google-oauth2|1234567890']);
  });

  it.each<[string, (t: ContractTestbed) => Promise<string>, string]>([
    ['expired', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, exp: now(t) }), 'Token expired'],
    ['not yet valid', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, nbf: now(t) + 1 }), 'Token not yet valid'],
    ['without exp', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, exp: undefined }), 'The exp claim must be a number'],
    ['from another issuer', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, iss: 'https://evil.example/' }), 'Invalid issuer'],
    ['for another audience', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, aud: 'other.near' }), 'audience mismatch'],
    ['without sub', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, sub: undefined }), 'The sub claim must be a string of 1 to 256 bytes'],
    ['with an oversize sub', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, sub: 'x'.repeat(257) }), 'The sub claim must be a string of 1 to 256 bytes'],
    ['with a sub of 256 characters but 257 bytes', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, sub: `é${'x'.repeat(255)}` }), 'The sub claim must be a string of 1 to 256 bytes'],
    ['bound to another payload', async (t) => mintToken(primary, now(t), { fatxn: [...SIGN_PAYLOAD, 0] }), 'Transaction payload mismatch'],
    ['without the fatxn claim', async (t) => mintToken(primary, now(t)), 'Transaction payload mismatch'],
    ['with an unknown kid', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD }, { kid: 'key-9' }), 'Unknown kid "key-9"'],
    ['signed by an unknown key with a known kid', async (t) => mintToken(stranger, now(t), { fatxn: SIGN_PAYLOAD }), 'Invalid signature'],
    [
      'with alg none',
      async (t) => `${base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url(JSON.stringify({ iss: ISSUER, aud: GUARD_ACCOUNT, sub: 'x', exp: now(t) + 60, fatxn: SIGN_PAYLOAD }))}.`,
      'Unsupported JWT algorithm "none": only RS256 is accepted',
    ],
    [
      'HS256-signed with the public key as the secret',
      async (t) =>
        new SignJWT({ iss: ISSUER, aud: GUARD_ACCOUNT, sub: 'x', exp: now(t) + 60, fatxn: SIGN_PAYLOAD })
          .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
          .sign(new TextEncoder().encode(JSON.stringify(primary.publicKey))),
      'Unsupported JWT algorithm "HS256": only RS256 is accepted',
    ],
    [
      'with a tampered payload',
      async (t) => {
        const [header, , signature] = (await mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD })).split('.');
        const forged = base64url(JSON.stringify({ iss: ISSUER, aud: GUARD_ACCOUNT, sub: 'admin', exp: now(t) + 600, fatxn: SIGN_PAYLOAD }));
        return `${header}.${forged}.${signature}`;
      },
      'Invalid signature',
    ],
    [
      'with a tampered signature',
      async (t) => {
        const token = await mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD });
        const signature = Buffer.from(token.split('.')[2]!, 'base64url');
        signature[100] ^= 0x01;
        return `${token.split('.').slice(0, 2).join('.')}.${signature.toString('base64url')}`;
      },
      'Invalid signature',
    ],
    [
      'with a truncated signature',
      async (t) => {
        const token = await mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD });
        return `${token.split('.').slice(0, 2).join('.')}.${Buffer.from(token.split('.')[2]!, 'base64url').subarray(1).toString('base64url')}`;
      },
      'Invalid signature',
    ],
    [
      'with the modulus as its signature',
      async (t) => `${(await mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD })).split('.').slice(0, 2).join('.')}.${Buffer.from(primary.publicKey.n).toString('base64url')}`,
      'Invalid signature',
    ],
    ['oversize', async (t) => mintToken(primary, now(t), { fatxn: SIGN_PAYLOAD, padding: 'x'.repeat(7000) }), 'JWT token exceeds maximum size limit'],
    ['with two parts', async () => 'abc.def', FORMAT],
    ['with a header that is not JSON', async () => `${base64url('not json')}.e30.`, FORMAT],
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
    expect(verify(testbed, token).value).toEqual([false, 'Token expired']);
  });

  it('answers only for its own issuer when it has one, and for the issuer the router names when it has none', async () => {
    const token = await mintToken(primary, now(testbed), { fatxn: SIGN_PAYLOAD, iss: 'https://other/' });
    expect(verify(testbed, token, SIGN_PAYLOAD, 'https://other/').value).toEqual([false, 'Invalid issuer']);
    const unpinned = new ContractTestbed(auth0GuardContract, GUARD_ACCOUNT);
    expect(unpinned.call('init', { owner: OWNER, public_keys: [primary.publicKey] }, { predecessor: GUARD_ACCOUNT }).status).toBe('success');
    expect(unpinned.view('issuer')).toBeNull();
    expect(verify(unpinned, token, SIGN_PAYLOAD, 'https://other/').value).toEqual([true, 'google-oauth2|1234567890']);
    // The token's iss must still be the issuer named.
    expect(verify(unpinned, token, SIGN_PAYLOAD, ISSUER).value).toEqual([false, 'Invalid issuer']);
  });

  it('fails the call on malformed arguments', () => {
    expect(testbed.call('verify', { issuer: ISSUER, jwt: 7, sign_payload: [], predecessor: 'a.near' })).toMatchObject({ status: 'panic', error: expect.stringMatching(/jwt: expected a string/) });
    expect(testbed.call('verify', { issuer: ISSUER, jwt: 'x'.repeat(16 * 1024 + 1), sign_payload: [], predecessor: 'a.near' })).toMatchObject({ status: 'panic', error: expect.stringMatching(/jwt: longer than 16384/) });
    expect(testbed.call('verify', { issuer: ISSUER, jwt: 'a.b.c', sign_payload: new Array(32 * 1024 + 1).fill(0), predecessor: 'a.near' })).toMatchObject({ error: expect.stringMatching(/sign_payload: 32769 bytes/) });
  });
});

describe('JWT guard strictness', () => {
  let testbed: ContractTestbed;
  beforeEach(() => {
    testbed = guard();
  });
  const header = { alg: 'RS256', typ: 'JWT', kid: 'key-1' };

  it('accepts a raw-signed token without duplicates, so the refusals below are for the duplicates', async () => {
    const token = await signRawToken(primary, JSON.stringify(header), JSON.stringify(claimsAt(now(testbed), { fatxn: SIGN_PAYLOAD })));
    expect(verify(testbed, token).value).toEqual([true, 'google-oauth2|1234567890']);
  });

  it.each([
    ['sub', 'admin'],
    ['iss', ISSUER],
    ['exp', 0],
    ['fatxn', SIGN_PAYLOAD],
  ])('refuses a payload naming %s twice, even with the same value', async (name, value) => {
    const payload = withDuplicateMember(claimsAt(now(testbed), { fatxn: SIGN_PAYLOAD }), name, value);
    // JSON.parse would have read the last value without complaint.
    expect((JSON.parse(payload) as Record<string, unknown>)[name]).toEqual(value);
    const token = await signRawToken(primary, JSON.stringify(header), payload);
    expect(verify(testbed, token).value).toEqual([false, `Duplicate member "${name}" in the JWT payload`]);
  });

  it('refuses a duplicate member inside a nested claim', async () => {
    const payload = JSON.stringify(claimsAt(now(testbed), { fatxn: SIGN_PAYLOAD })).replace(/}$/, ',"ext":{"role":"user","role":"admin"}}');
    const token = await signRawToken(primary, JSON.stringify(header), payload);
    expect(verify(testbed, token).value).toEqual([false, 'Duplicate member "role" in the JWT payload']);
  });

  it.each([
    ['alg', 'none'],
    ['alg', 'RS256'],
    ['kid', 'key-2'],
  ])('refuses a header naming %s twice', async (name, value) => {
    const token = await signRawToken(primary, withDuplicateMember(header, name, value), JSON.stringify(claimsAt(now(testbed), { fatxn: SIGN_PAYLOAD })));
    expect(verify(testbed, token).value).toEqual([false, `Duplicate member "${name}" in the JWT header`]);
  });

  it(`accepts iat up to ${IAT_LEEWAY_SECONDS} s ahead of block time and refuses it beyond`, async () => {
    const at = (iat: number) => mintToken(primary, now(testbed), { fatxn: SIGN_PAYLOAD, iat });
    expect(verify(testbed, await at(now(testbed) + IAT_LEEWAY_SECONDS)).value).toEqual([true, 'google-oauth2|1234567890']);
    expect(verify(testbed, await at(now(testbed) + IAT_LEEWAY_SECONDS + 1)).value).toEqual([false, 'Token issued in the future']);
    expect(verify(testbed, await at(now(testbed) + 86_400)).value).toEqual([false, 'Token issued in the future']);
    const textIat = JSON.stringify({ ...claimsAt(now(testbed), { fatxn: SIGN_PAYLOAD }), iat: String(now(testbed)) });
    expect(verify(testbed, await signRawToken(primary, JSON.stringify(header), textIat)).value).toEqual([false, 'The iat claim must be a number']);
    // iat is optional, as in RFC 7519.
    expect(verify(testbed, await mintToken(primary, now(testbed), { fatxn: SIGN_PAYLOAD, iat: undefined })).value).toEqual([true, 'google-oauth2|1234567890']);
  });

  it('accepts a token issued in the future once block time catches up', async () => {
    const token = await mintToken(primary, now(testbed), { fatxn: SIGN_PAYLOAD, iat: now(testbed) + IAT_LEEWAY_SECONDS + 10 });
    expect(verify(testbed, token).value).toEqual([false, 'Token issued in the future']);
    testbed.advanceBlocks(10);
    expect(verify(testbed, token).value).toEqual([true, 'google-oauth2|1234567890']);
  });

  it('refuses critical header extensions and a kid that is not a string', async () => {
    const claims = JSON.stringify(claimsAt(now(testbed), { fatxn: SIGN_PAYLOAD }));
    expect(verify(testbed, await signRawToken(primary, JSON.stringify({ ...header, crit: ['exp'] }), claims)).value).toEqual([false, 'Critical JWT header extensions are not supported']);
    expect(verify(testbed, await signRawToken(primary, JSON.stringify({ ...header, kid: 1 }), claims)).value).toEqual([false, 'The kid header must be a string']);
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
    const testbed = guard(auth0GuardContract, [primary.publicKey]);
    const token = await mintToken(rotated, now(testbed), { fatxn: SIGN_PAYLOAD });
    expect(verify(testbed, token).value).toEqual([false, 'Unknown kid "key-2"']);
    expect(testbed.call('set_public_keys', { public_keys: [rotated.publicKey] }, { predecessor: 'mallory.near' })).toMatchObject({ status: 'panic', error: 'Unauthorized: Only the owner can call this function' });
    expect(testbed.call('set_public_keys', { public_keys: [rotated.publicKey] }, { predecessor: OWNER }).status).toBe('success');
    expect(testbed.view('get_public_keys')).toEqual([rotated.publicKey]);
    expect(verify(testbed, token).value).toEqual([true, 'google-oauth2|1234567890']);

    expect(testbed.call('set_audiences', { audiences: ['my-client-id'] }, { predecessor: OWNER }).status).toBe('success');
    expect(verify(testbed, token).value).toEqual([false, 'audience mismatch']);
    expect(testbed.view('audiences')).toEqual(['my-client-id']);

    expect(testbed.call('change_owner', { new_owner: 'new-owner.near' }, { predecessor: OWNER }).status).toBe('success');
    expect(testbed.view('owner')).toBe('new-owner.near');
    expect(testbed.call('set_audiences', { audiences: ['x'] }, { predecessor: OWNER }).status).toBe('panic');
    expect(testbed.view('issuer')).toBe(ISSUER);
  });

  it('takes keys in Peersyst\'s form: modulus and exponent bytes, without a kid too', async () => {
    const { kid: _kid, ...withoutKid } = primary.publicKey;
    const testbed = guard(auth0GuardContract, [withoutKid]);
    expect(testbed.view('get_public_keys')).toEqual([{ n: primary.publicKey.n, e: [1, 0, 1] }]);
    // A token naming a kid finds no key with it; one without a kid is checked against every key.
    expect(verify(testbed, await mintToken(primary, now(testbed), { fatxn: SIGN_PAYLOAD })).value).toEqual([false, 'Unknown kid "key-1"']);
    expect(verify(testbed, await mintToken(primary, now(testbed), { fatxn: SIGN_PAYLOAD }, {})).value).toEqual([true, 'google-oauth2|1234567890']);
  });

  it('refuses unusable keys', () => {
    const testbed = guard();
    const key = primary.publicKey;
    const refuse = (keys: unknown, pattern: RegExp) => {
      const before = testbed.snapshot();
      expect(testbed.call('set_public_keys', { public_keys: keys }, { predecessor: OWNER })).toMatchObject({ status: 'panic', error: expect.stringMatching(pattern) });
      expect(testbed.snapshot()).toEqual(before);
    };
    // jose will not make keys below 2048 bits; the low half of a real modulus is an odd 1024-bit number.
    refuse([{ ...key, n: key.n.slice(128) }], /^InvalidArguments: public_keys\[0\]: invalid RSA public key: invalid n component length/);
    refuse([{ ...key, n: [0, ...key.n.slice(1)] }], /invalid n component length/);
    refuse([{ ...key, n: [0, ...key.n] }], /invalid n component length/);
    refuse([{ ...key, e: [3] }], /invalid e component/);
    refuse([{ ...key, e: [0, 1, 0, 1] }], /invalid e component/);
    refuse([{ ...key, n: [...key.n.slice(0, -1), key.n[key.n.length - 1]! & 0xfe] }], /modulus must be odd/);
    refuse([{ ...key, n: Buffer.from(key.n).toString('base64url') }], /public_keys\[0\]\.n: expected an array of bytes/);
    refuse([{ ...key, kty: 'RSA' }], /public_keys\[0\]: unknown field "kty"/);
    refuse([], /at least one key is needed/);
  });

  it('is initialised once, by its own account', () => {
    const testbed = guard();
    expect(testbed.call('init', { owner: OWNER, public_keys: [primary.publicKey] }, { predecessor: GUARD_ACCOUNT })).toMatchObject({ error: expect.stringMatching(/already initialized/) });
    const fresh = new ContractTestbed(auth0GuardContract, GUARD_ACCOUNT);
    expect(fresh.call('init', { owner: OWNER, public_keys: [primary.publicKey] }, { predecessor: OWNER })).toMatchObject({ error: expect.stringMatching(/Unauthorized: init may only be called by the contract itself/) });
  });
});
