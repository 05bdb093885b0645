/**
 * JWT guards: contracts that check a JWT on chain (RS256 against owner-managed keys, see jwt/) and
 * answer `verify` with `[true, sub]` or `[false, reason]`, as Peersyst's guards do. Two variants:
 *
 * - `jwtGuardContract`: issuer, audience, time and signature checks.
 * - `auth0GuardContract`: also requires the custom claim `fatxn` (set by the Auth0 post-login action)
 *   to equal the exact `sign_payload` bytes, so a token authorises one transaction only.
 */
import { accountId, array, byteArray, type JsonObject, object, onlyKeys, optional, string } from '../common/args.js';
import { fail } from '../common/errors.js';
import { defineContract, requirePrivate, returnJson, StateCell } from '../common/runtime.js';
import type { AccountId, ContractDefinition, ContractHost } from '../host.js';
import { JwtRejected, verifyJwt } from './jwt/jwt.js';
import { InvalidRsaKey, type RsaJwk, rsaPublicKey } from './jwt/rs256.js';
import { changeOwner, ownerUpdate } from './owner.js';

export const MAX_SIGN_PAYLOAD_BYTES = 32 * 1024;
/**
 * Bound on the `jwt` argument itself. Tokens between MAX_JWT_BYTES and this are answered with
 * `[false, reason]` like any other bad token; only larger arguments make the call fail.
 */
export const MAX_JWT_ARGUMENT_LENGTH = 16 * 1024;
/** Up to this many keys, for rotation. */
const MAX_PUBLIC_KEYS = 8;
const MAX_AUDIENCES = 8;
/** Guard ids are `{prefix}#{issuer}`; an issuer is a URL and stays below Peersyst's 2048-byte name limit. */
export const MAX_ISSUER_LENGTH = 2048;
/** The Auth0 post-login action writes the borsh transaction (or delegate action) into this claim. */
export const SIGN_PAYLOAD_CLAIM = 'fatxn';

interface GuardState {
  readonly owner: AccountId;
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly public_keys: readonly RsaJwk[];
}

const guardState = new StateCell<GuardState>('the guard');

/** `[valid, sub or reason]`, the tuple FastAuth and the router pass on. */
export type GuardVerdict = readonly [boolean, string];

const loadState = (host: ContractHost) => guardState.load(host);

function readPublicKeys(value: unknown): RsaJwk[] {
  const keys = array(value, 'public_keys', MAX_PUBLIC_KEYS);
  if (keys.length === 0) fail('InvalidArguments', 'public_keys: at least one key is needed');
  return keys.map((entry, index) => {
    const where = `public_keys[${index}]`;
    const input = object(entry, where);
    // JWKS entries carry more members (kty, use, alg, x5c…); only these three matter here.
    const kid = optional(input.kid, (kidValue) => string(kidValue, `${where}.kid`, 256));
    const jwk: RsaJwk = { ...(kid === undefined ? {} : { kid }), n: string(input.n, `${where}.n`, 1024), e: string(input.e, `${where}.e`, 16) };
    if (input.kty !== undefined && input.kty !== 'RSA') fail('InvalidArguments', `${where}.kty: only RSA keys are accepted`);
    try {
      rsaPublicKey(jwk);
    } catch (error) {
      if (error instanceof InvalidRsaKey) fail('InvalidArguments', `${where}: ${error.message}`);
      throw error;
    }
    return jwk;
  });
}

function readAudiences(value: unknown): string[] {
  const audiences = array(value, 'audiences', MAX_AUDIENCES).map((entry, index) => string(entry, `audiences[${index}]`, 512));
  if (audiences.length === 0) fail('InvalidArguments', 'audiences: at least one audience is needed');
  return audiences;
}

function defineJwtGuard(name: string, bindsSignPayload: boolean): ContractDefinition {
  function init(host: ContractHost, args: JsonObject): void {
    requirePrivate(host, 'init');
    onlyKeys(args, ['owner', 'issuer', 'audiences', 'public_keys'], 'arguments');
    guardState.initialize(host, {
      owner: accountId(args.owner, 'owner'),
      issuer: string(args.issuer, 'issuer', MAX_ISSUER_LENGTH),
      // Auth0's rule (Peersyst #97): the token must be issued for this guard unless told otherwise.
      audiences: optional(args.audiences, readAudiences) ?? [host.currentAccountId()],
      public_keys: readPublicKeys(args.public_keys),
    });
  }

  function verify(host: ContractHost, args: JsonObject): void {
    onlyKeys(args, ['issuer', 'jwt', 'sign_payload', 'predecessor'], 'arguments');
    const issuer = string(args.issuer, 'issuer', MAX_ISSUER_LENGTH);
    const token = string(args.jwt, 'jwt', MAX_JWT_ARGUMENT_LENGTH);
    const signPayload = byteArray(args.sign_payload, 'sign_payload', { max: MAX_SIGN_PAYLOAD_BYTES });
    accountId(args.predecessor, 'predecessor');
    const state = loadState(host);
    returnJson(host, check(state, issuer, token, signPayload, Number(host.blockTimestampNs() / 1_000_000_000n)) satisfies GuardVerdict);
  }

  function check(state: GuardState, issuer: string, token: string, signPayload: Uint8Array, now: number): GuardVerdict {
    if (issuer !== state.issuer) return [false, `this guard serves issuer ${state.issuer}, not ${issuer}`];
    try {
      const claims = verifyJwt(token, { keys: state.public_keys.map(rsaPublicKey), issuer: state.issuer, audiences: state.audiences, now });
      if (bindsSignPayload && !claimEqualsBytes(claims[SIGN_PAYLOAD_CLAIM], signPayload)) {
        return [false, `the ${SIGN_PAYLOAD_CLAIM} claim does not match the payload to sign`];
      }
      return [true, claims.sub];
    } catch (error) {
      if (error instanceof JwtRejected) return [false, error.reason];
      throw error;
    }
  }

  return defineContract(
    name,
    {
      init,
      verify,
      set_public_keys: ownerUpdate(guardState, 'set_public_keys', ['public_keys'], (state, args) => ({ ...state, public_keys: readPublicKeys(args.public_keys) })),
      set_audiences: ownerUpdate(guardState, 'set_audiences', ['audiences'], (state, args) => ({ ...state, audiences: readAudiences(args.audiences) })),
      change_owner: changeOwner(guardState),
      public_keys: (host) => returnJson(host, loadState(host).public_keys),
      issuer: (host) => returnJson(host, loadState(host).issuer),
      audiences: (host) => returnJson(host, loadState(host).audiences),
      owner: (host) => returnJson(host, loadState(host).owner),
    },
    ['public_keys', 'issuer', 'audiences', 'owner'],
  );
}

/** The claim as a JSON byte array equal to `bytes` (the Auth0 action writes `Array.from(bytes)`). */
function claimEqualsBytes(claim: unknown, bytes: Uint8Array): boolean {
  return Array.isArray(claim) && claim.length === bytes.length && claim.every((value, index) => value === bytes[index]);
}

export const jwtGuardContract = defineJwtGuard('jwt-guard', false);
export const auth0GuardContract = defineJwtGuard('auth0-guard', true);
