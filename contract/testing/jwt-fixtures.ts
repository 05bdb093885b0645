/** Test support for JWT guards: RSA keys generated at test time and tokens minted with jose. */
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { type JwtPublicKey, jwtPublicKeyFromJwk } from '../../shared/near/fast-auth-abi.js';

export const ISSUER = 'https://login.example-tenant.auth0.com/';
export const GUARD_ACCOUNT = 'auth0.jwt.fast-auth.near';

export interface TestIssuerKey {
  readonly kid: string;
  readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  /** The key as the guards take it (`public_keys`). */
  readonly publicKey: JwtPublicKey;
}

export async function issuerKey(kid: string): Promise<TestIssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const { n, e } = await exportJWK(publicKey);
  return { kid, privateKey, publicKey: jwtPublicKeyFromJwk({ kid, n: n!, e: e! }) };
}

/** The claims of a token valid at `now` (seconds) for the default issuer and guard audience, with overrides. */
export const claimsAt = (now: number, overrides: JWTPayload & Record<string, unknown> = {}): JWTPayload & Record<string, unknown> => ({
  iss: ISSUER,
  aud: GUARD_ACCOUNT,
  sub: 'google-oauth2|1234567890',
  exp: now + 600,
  iat: now - 10,
  ...overrides,
});

/** A token valid at `now` (seconds) for the default issuer and guard audience, with overrides. */
export async function mintToken(
  key: TestIssuerKey,
  now: number,
  claims: JWTPayload & Record<string, unknown> = {},
  header: { kid?: string | undefined } = { kid: key.kid },
): Promise<string> {
  return new SignJWT(claimsAt(now, claims))
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(header.kid === undefined ? {} : { kid: header.kid }) })
    .sign(key.privateKey);
}

export const base64url = (text: string) => Buffer.from(text).toString('base64url');

/** An RS256 token over exactly these header and payload texts: JSON jose would not write, such as a member named twice. */
export async function signRawToken(key: TestIssuerKey, header: string, payload: string): Promise<string> {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key.privateKey, new TextEncoder().encode(signingInput));
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
}

/** `{...object, name: value}` as JSON text with `name` written again at the end, whatever `object` holds. */
export const withDuplicateMember = (object: object, name: string, value: unknown): string => `${JSON.stringify(object).slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(value)}}`;
