/**
 * JWT checks a guard makes on chain (RFC 7519 / 7515, compact form): size, header (`alg` must be
 * RS256, `kid` picks the key), signature, then the claims `iss`, `aud`, `exp`, `nbf` against block
 * time (no leeway: block time is the only clock) and `sub`.
 */
import { base64urlnopad } from '@scure/base';
import { type RsaPublicKey, verifyRs256 } from './rs256.js';

/** Peersyst's guard limit. */
export const MAX_JWT_BYTES = 7168;
export const MAX_SUB_LENGTH = 256;

/** The token was refused; `reason` is what the guard reports back (`[false, reason]`). */
export class JwtRejected extends Error {
  constructor(readonly reason: string) {
    super(`JWT rejected: ${reason}`);
    this.name = 'JwtRejected';
  }
}

export interface JwtExpectations {
  readonly keys: readonly RsaPublicKey[];
  readonly issuer: string;
  /** The token's `aud` (a string or an array) must contain one of these. */
  readonly audiences: readonly string[];
  /** Seconds since the Unix epoch (block time). */
  readonly now: number;
}

export type JwtClaims = Readonly<Record<string, unknown>> & { readonly sub: string };

const encoder = new TextEncoder();

function decodeJsonPart(part: string, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64urlnopad.decode(part)));
  } catch {
    throw new JwtRejected(`the ${name} is not base64url-encoded JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwtRejected(`the ${name} is not a JSON object`);
  return value as Record<string, unknown>;
}

function numericDate(claims: Record<string, unknown>, name: string, required: boolean): number | undefined {
  const value = claims[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new JwtRejected(`the ${name} claim must be a number`);
  return value;
}

export function verifyJwt(token: string, expect: JwtExpectations): JwtClaims {
  if (encoder.encode(token).length > MAX_JWT_BYTES) throw new JwtRejected(`the token is larger than ${MAX_JWT_BYTES} bytes`);
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtRejected('the token must have three dot-separated parts');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

  const header = decodeJsonPart(headerPart, 'header');
  // Checked before anything else: `none` and HMAC algorithms (with the public key as secret) must never reach a key.
  if (header.alg !== 'RS256') throw new JwtRejected(`the algorithm must be RS256, got ${JSON.stringify(header.alg)}`);
  if (header.crit !== undefined) throw new JwtRejected('critical header extensions are not supported');
  let candidates = expect.keys;
  if (header.kid !== undefined) {
    if (typeof header.kid !== 'string') throw new JwtRejected('the kid header must be a string');
    candidates = expect.keys.filter((key) => key.kid === header.kid);
    if (candidates.length === 0) throw new JwtRejected(`no key with kid "${header.kid}"`);
  }
  let signature: Uint8Array;
  try {
    signature = base64urlnopad.decode(signaturePart);
  } catch {
    throw new JwtRejected('the signature is not base64url without padding');
  }
  const signingInput = encoder.encode(`${headerPart}.${payloadPart}`);
  if (!candidates.some((key) => verifyRs256(key, signingInput, signature))) throw new JwtRejected('the signature does not verify with any trusted key');

  const claims = decodeJsonPart(payloadPart, 'payload');
  if (claims.iss !== expect.issuer) throw new JwtRejected(`the issuer ${JSON.stringify(claims.iss)} is not ${JSON.stringify(expect.issuer)}`);
  const audience = claims.aud;
  const audiences = typeof audience === 'string' ? [audience] : Array.isArray(audience) ? audience : [];
  if (!audiences.some((value) => typeof value === 'string' && expect.audiences.includes(value))) throw new JwtRejected('the audience does not include this guard');
  const expiry = numericDate(claims, 'exp', true)!;
  if (expect.now >= expiry) throw new JwtRejected('the token has expired');
  const notBefore = numericDate(claims, 'nbf', false);
  if (notBefore !== undefined && expect.now < notBefore) throw new JwtRejected('the token is not valid yet');
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUB_LENGTH) throw new JwtRejected(`the sub claim must be a string of 1 to ${MAX_SUB_LENGTH} characters`);
  return claims as JwtClaims;
}
