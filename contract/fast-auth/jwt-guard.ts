/**
 * JWT guards: contracts that check a JWT on chain (RS256 against owner-managed keys, see jwt/) and
 * answer `verify` with `[true, sub]` or `[false, reason]`, in Peersyst's ABI (shared/near/fast-auth-abi.ts).
 * Two variants:
 *
 * - `jwtGuardContract`: issuer, audience, time and signature checks.
 * - `auth0GuardContract`: also requires the custom claim `fatxn` (set by the Auth0 post-login action)
 *   to equal the exact `sign_payload` bytes, so a token authorises one transaction only.
 */
import {
  JWT_REJECTIONS,
  type JwtGuardInitArgs,
  type JwtGuardVerdict,
  type JwtGuardVerifyArgs,
  type JwtPublicKey,
  MAX_GUARD_NAME_BYTES,
  type SetPublicKeysArgs,
} from '../../shared/near/fast-auth-abi.js';
import { accountId, array, byteArray, type JsonObject, object, onlyKeys, optional, string } from '../common/args.js';
import { fail } from '../common/errors.js';
import { defineContract, requirePrivate, returnJson, StateCell } from '../common/runtime.js';
import type { AccountId, ContractDefinition, ContractHost } from '../host.js';
import { JwtRejected, verifyJwt } from './jwt/jwt.js';
import { InvalidRsaKey, rsaPublicKey } from './jwt/rs256.js';
import { argumentNames } from './abi.js';
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
/** Guard ids are `jwt#{issuer}`; an issuer is the router's guard name, at most 2048 bytes. */
const MAX_ISSUER_LENGTH = MAX_GUARD_NAME_BYTES;
/** The Auth0 post-login action writes the borsh transaction (or delegate action) into this claim. */
export const SIGN_PAYLOAD_CLAIM = 'fatxn';

interface GuardState {
  readonly owner: AccountId;
  /** The one issuer served, or null to serve the issuer the router names (Peersyst's guards pin none). */
  readonly issuer: string | null;
  readonly audiences: readonly string[];
  readonly public_keys: readonly JwtPublicKey[];
}

const guardState = new StateCell<GuardState>('the guard');

const loadState = (host: ContractHost) => guardState.load(host);

function readPublicKeys(value: unknown): JwtPublicKey[] {
  const keys = array(value, 'public_keys', MAX_PUBLIC_KEYS);
  if (keys.length === 0) fail('InvalidArguments', 'public_keys: at least one key is needed');
  return keys.map((entry, index) => {
    const where = `public_keys[${index}]`;
    const input = object(entry, where);
    onlyKeys(input, argumentNames<JwtPublicKey>({ n: true, e: true, kid: true }), where);
    const kid = optional(input.kid, (kidValue) => string(kidValue, `${where}.kid`, 256));
    const key: JwtPublicKey = { n: [...byteArray(input.n, `${where}.n`, { max: 512 })], e: [...byteArray(input.e, `${where}.e`, { max: 8 })], ...(kid === undefined ? {} : { kid }) };
    try {
      rsaPublicKey(key);
    } catch (error) {
      if (error instanceof InvalidRsaKey) fail('InvalidArguments', `${where}: ${error.message}`);
      throw error;
    }
    return key;
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
    onlyKeys(args, argumentNames<JwtGuardInitArgs>({ owner: true, public_keys: true, issuer: true, audiences: true }), 'arguments');
    guardState.initialize(host, {
      owner: accountId(args.owner, 'owner'),
      issuer: optional(args.issuer, (value) => string(value, 'issuer', MAX_ISSUER_LENGTH)) ?? null,
      // Auth0's rule (Peersyst #97): the token must be issued for this guard unless told otherwise.
      audiences: optional(args.audiences, readAudiences) ?? [host.currentAccountId()],
      public_keys: readPublicKeys(args.public_keys),
    });
  }

  function verify(host: ContractHost, args: JsonObject): void {
    onlyKeys(args, argumentNames<JwtGuardVerifyArgs>({ issuer: true, jwt: true, sign_payload: true, predecessor: true }), 'arguments');
    const issuer = string(args.issuer, 'issuer', MAX_ISSUER_LENGTH);
    const token = string(args.jwt, 'jwt', MAX_JWT_ARGUMENT_LENGTH);
    const signPayload = byteArray(args.sign_payload, 'sign_payload', { max: MAX_SIGN_PAYLOAD_BYTES });
    accountId(args.predecessor, 'predecessor');
    const state = loadState(host);
    returnJson(host, check(state, issuer, token, signPayload, Number(host.blockTimestampNs() / 1_000_000_000n)) satisfies JwtGuardVerdict);
  }

  function check(state: GuardState, issuer: string, token: string, signPayload: Uint8Array, now: number): JwtGuardVerdict {
    if (state.issuer !== null && issuer !== state.issuer) return [false, JWT_REJECTIONS.issuer];
    try {
      const claims = verifyJwt(token, { keys: state.public_keys.map(rsaPublicKey), issuer, audiences: state.audiences, now });
      if (bindsSignPayload && !claimEqualsBytes(claims[SIGN_PAYLOAD_CLAIM], signPayload)) return [false, JWT_REJECTIONS.signPayload];
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
      set_public_keys: ownerUpdate(guardState, 'set_public_keys', argumentNames<SetPublicKeysArgs>({ public_keys: true }), (state, args) => ({ ...state, public_keys: readPublicKeys(args.public_keys) })),
      set_audiences: ownerUpdate(guardState, 'set_audiences', ['audiences'], (state, args) => ({ ...state, audiences: readAudiences(args.audiences) })),
      change_owner: changeOwner(guardState),
      get_public_keys: (host) => returnJson(host, loadState(host).public_keys),
      issuer: (host) => returnJson(host, loadState(host).issuer),
      audiences: (host) => returnJson(host, loadState(host).audiences),
      owner: (host) => returnJson(host, loadState(host).owner),
    },
    ['get_public_keys', 'issuer', 'audiences', 'owner'],
  );
}

/** The claim as a JSON byte array equal to `bytes` (the Auth0 action writes `Array.from(bytes)`). */
function claimEqualsBytes(claim: unknown, bytes: Uint8Array): boolean {
  return Array.isArray(claim) && claim.length === bytes.length && claim.every((value, index) => value === bytes[index]);
}

export const jwtGuardContract = defineJwtGuard('jwt-guard', false);
export const auth0GuardContract = defineJwtGuard('auth0-guard', true);
