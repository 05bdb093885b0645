/**
 * JWT checks a guard makes on chain (RFC 7519 / 7515, compact form): size, header (`alg` must be
 * RS256, `crit` refused, `kid` picks the key), signature, then the claims `iss`, `aud`, `exp`, `nbf`,
 * `iat` against block time and `sub`. A header or payload naming a member twice is refused. `exp` and
 * `nbf` get no leeway (block time is the only clock); `iat` may lie up to {@link IAT_LEEWAY_SECONDS}
 * ahead of it, because a block's timestamp trails the wall clock of the issuer that just minted the token.
 */
import { base64urlnopad } from '@scure/base';
import { JWT_REJECTIONS, MAX_JWT_BYTES, MAX_SUB_BYTES } from '../../../shared/near/fast-auth-abi.js';
import { firstDuplicateMember } from './duplicate-members.js';
import { type RsaPublicKey, verifyRs256 } from './rs256.js';

/** How far `iat` may be ahead of block time: block timestamps trail real time by a block or two, issuers' clocks drift by seconds. */
export const IAT_LEEWAY_SECONDS = 60;

export type JwtRejection = keyof typeof JWT_REJECTIONS;
type RejectionDetails<K extends JwtRejection> = (typeof JWT_REJECTIONS)[K] extends (...details: infer D) => string ? D : [];

/** The token was refused; `reason` is what the guard reports back (`[false, reason]`), `rule` which check refused it. */
export class JwtRejected extends Error {
  constructor(
    readonly rule: JwtRejection,
    readonly reason: string,
  ) {
    super(`JWT rejected: ${reason}`);
    this.name = 'JwtRejected';
  }
}

function reject<K extends JwtRejection>(rule: K, ...details: RejectionDetails<K>): never {
  const text = JWT_REJECTIONS[rule] as string | ((...values: unknown[]) => string);
  throw new JwtRejected(rule, typeof text === 'string' ? text : text(...details));
}

export interface JwtExpectations {
  readonly keys: readonly RsaPublicKey[];
  /** The issuer `iss` must equal. */
  readonly issuer: string;
  /** The token's `aud` (a string or an array) must contain one of these. */
  readonly audiences: readonly string[];
  /** Seconds since the Unix epoch (block time). */
  readonly now: number;
}

export type JwtClaims = Readonly<Record<string, unknown>> & { readonly sub: string };

const encoder = new TextEncoder();

function decodeJsonPart(encoded: string, part: 'header' | 'payload'): Record<string, unknown> {
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(base64urlnopad.decode(encoded));
    value = JSON.parse(text);
  } catch {
    return reject('format');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) reject('format');
  const duplicate = firstDuplicateMember(text);
  if (duplicate !== null) reject('duplicateMember', part, duplicate);
  return value as Record<string, unknown>;
}

function numericDate(claims: Record<string, unknown>, name: 'exp' | 'nbf' | 'iat', required: boolean): number | undefined {
  const value = claims[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) reject('numericDate', name);
  return value;
}

export function verifyJwt(token: string, expect: JwtExpectations): JwtClaims {
  if (encoder.encode(token).length > MAX_JWT_BYTES) reject('tooLarge');
  const parts = token.split('.');
  if (parts.length !== 3) reject('format');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

  const header = decodeJsonPart(headerPart, 'header');
  // Checked before anything else: `none` and HMAC algorithms (with the public key as secret) must never reach a key.
  if (header.alg !== 'RS256') reject('algorithm', header.alg);
  if (header.crit !== undefined) reject('criticalHeader');
  let candidates = expect.keys;
  if (header.kid !== undefined) {
    const kid = header.kid;
    if (typeof kid !== 'string') reject('kid');
    candidates = expect.keys.filter((key) => key.kid === kid);
    if (candidates.length === 0) reject('unknownKid', kid);
  }
  let signature: Uint8Array;
  try {
    signature = base64urlnopad.decode(signaturePart);
  } catch {
    return reject('format');
  }
  const signingInput = encoder.encode(`${headerPart}.${payloadPart}`);
  if (!candidates.some((key) => verifyRs256(key, signingInput, signature))) reject('signature');

  const claims = decodeJsonPart(payloadPart, 'payload');
  if (claims.iss !== expect.issuer) reject('issuer');
  const audience = claims.aud;
  const audiences = typeof audience === 'string' ? [audience] : Array.isArray(audience) ? audience : [];
  if (!audiences.some((value) => typeof value === 'string' && expect.audiences.includes(value))) reject('audience');
  const expiry = numericDate(claims, 'exp', true)!;
  if (expect.now >= expiry) reject('expired');
  const notBefore = numericDate(claims, 'nbf', false);
  if (notBefore !== undefined && expect.now < notBefore) reject('notYetValid');
  const issuedAt = numericDate(claims, 'iat', false);
  if (issuedAt !== undefined && issuedAt > expect.now + IAT_LEEWAY_SECONDS) reject('issuedInFuture');
  const sub = claims.sub;
  if (typeof sub !== 'string' || !isValidSubLength(sub)) reject('sub');
  return claims as JwtClaims;
}

/** 1 to {@link MAX_SUB_BYTES} UTF-8 bytes, the bound FastAuth also puts on `sub`. */
export function isValidSubLength(sub: string): boolean {
  const bytes = encoder.encode(sub).length;
  return bytes >= 1 && bytes <= MAX_SUB_BYTES;
}
