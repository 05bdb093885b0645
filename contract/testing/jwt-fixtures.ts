/** Test support for JWT guards: RSA keys generated at test time and tokens minted with jose. */
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import type { RsaJwk } from '../fast-auth/jwt/rs256.js';

export const ISSUER = 'https://login.example-tenant.auth0.com/';
export const GUARD_ACCOUNT = 'auth0.jwt.fast-auth.near';

export interface TestIssuerKey {
  readonly kid: string;
  readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  readonly jwk: RsaJwk;
}

export async function issuerKey(kid: string): Promise<TestIssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const { n, e } = await exportJWK(publicKey);
  return { kid, privateKey, jwk: { kid, n: n!, e: e! } };
}

/** A token valid at `now` (seconds) for the default issuer and guard audience, with overrides. */
export async function mintToken(
  key: TestIssuerKey,
  now: number,
  claims: JWTPayload & Record<string, unknown> = {},
  header: { kid?: string | undefined } = { kid: key.kid },
): Promise<string> {
  return new SignJWT({ iss: ISSUER, aud: GUARD_ACCOUNT, sub: 'google-oauth2|1234567890', exp: now + 600, iat: now - 10, ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(header.kid === undefined ? {} : { kid: header.kid }) })
    .sign(key.privateKey);
}

export const base64url = (text: string) => Buffer.from(text).toString('base64url');
