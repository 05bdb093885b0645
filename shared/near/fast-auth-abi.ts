/**
 * FastAuth's public JSON as Peersyst/fast-auth defines it (contracts/fa, contracts/jwt-guard-router,
 * contracts/jwt-guards at 38dc894a): method arguments, views, the router's and the guards' answers, the
 * sign requests FastAuth sends to the MPC signer, and the texts clients match in failures and verdicts.
 * Our contracts (contract/fast-auth/) implement it, and the devnet, the demo client and the tests call
 * them with it. Fields marked "ours" are optional additions a Peersyst client may leave out.
 * The shapes are type aliases, not interfaces, so that they pass as near-api-js's `args: Record<string, unknown>`.
 * docs/contracts.md compares every method with Peersyst's.
 */
import { base64urlnopad } from '@scure/base';
import type { SignArgs } from './signer-abi.js';

type AccountId = string;
/** A yoctoNEAR amount as near-sdk's `NearToken` / `U128` serialise it: a decimal string. */
type YoctoString = string;
/** Rust `Vec<u8>` in serde JSON: an array of numbers 0..255. */
type ByteArray = readonly number[];

// ---- FastAuth (contracts/fa) ----

/** `sign`'s `algorithm`, matched case-insensitively. */
export const FAST_AUTH_ALGORITHMS = ['secp256k1', 'ecdsa', 'eddsa'] as const;
export type FastAuthAlgorithm = (typeof FAST_AUTH_ALGORITHMS)[number];
/** Peersyst's `SignatureAlgorithm` enum as serde writes it, in `on_verify_sign_callback`'s arguments. */
export const SIGNATURE_ALGORITHM_VARIANTS = { secp256k1: 'Secp256k1', ecdsa: 'Ecdsa', eddsa: 'Eddsa' } as const satisfies Record<FastAuthAlgorithm, string>;
export type SignatureAlgorithmVariant = (typeof SIGNATURE_ALGORITHM_VARIANTS)[FastAuthAlgorithm];

export type FastAuthInitArgs = {
  /** Guard id prefix (no `#`) → guard contract; `jwt` names the JWT guard router. */
  readonly init_guards: Readonly<Record<string, AccountId>>;
  readonly owner: AccountId;
  readonly pauser: AccountId;
  /** Ours: Peersyst's init points the MPC address at FastAuth itself until `set_mpc_address`. */
  readonly mpc_address?: AccountId;
};

export type FastAuthSignArgs = {
  /** `<prefix>#<rest>`: the prefix picks the guard, the whole id starts the derivation path `{guard_id}#{sub}`. */
  readonly guard_id: string;
  /** The JWT. */
  readonly verify_payload: string;
  /** The bytes whose SHA-256 the MPC signer signs. */
  readonly sign_payload: ByteArray;
  readonly algorithm: string;
};

export type FastAuthVerifyArgs = Omit<FastAuthSignArgs, 'algorithm'>;
/** `verify`'s answer: `(valid, sub)`. */
export type FastAuthVerifyResult = readonly [valid: boolean, sub: string];

export type FastAuthAddGuardArgs = {
  readonly guard_id: string;
  readonly guard_address: AccountId;
};
/** `remove_guard` and `get_guard`. */
export type FastAuthGuardIdArgs = {
  readonly guard_id: string;
};
export type SetMpcAddressArgs = {
  readonly mpc_address: AccountId;
};
export type SetMpcKeyVersionArgs = {
  readonly mpc_key_version: number;
};
export type SetMpcDomainIdArgs = {
  readonly mpc_domain_id: number;
};
export type ChangeOwnerArgs = {
  readonly new_owner: AccountId;
};
export type SetPauserArgs = {
  readonly pauser: AccountId;
};

/** What FastAuth calls on a guard (for the `jwt` prefix, the router): `verify(guard_id, verify_payload, sign_payload, predecessor)`. */
export type GuardVerifyArgs = FastAuthVerifyArgs & {
  /** Who called FastAuth. */
  readonly predecessor: AccountId;
};

/** The private callbacks' arguments, as FastAuth writes them into its own promises. */
export type OnVerifySignCallbackArgs = {
  readonly guard_id: string;
  readonly sign_payload: ByteArray;
  readonly attached_deposit: YoctoString;
  readonly algorithm: SignatureAlgorithmVariant;
  readonly caller: AccountId;
};
export type OnSignCallbackArgs = {
  readonly caller: AccountId;
  readonly original_deposit: YoctoString;
};

// ---- what FastAuth sends to the MPC signer (near/mpc's `sign`) ----

/**
 * near/mpc's `sign` arguments (shared/near/signer-abi.ts): for `secp256k1` the legacy request (near/mpc
 * reads `key_version` as the domain id); for `ecdsa` / `eddsa` the current one, whose `payload_v2` holds
 * lower-case hex of SHA-256(sign_payload) in both.
 */
export type MpcSignArgs = SignArgs;

/** The signer's answer, which `sign` returns unchanged (Peersyst's untagged `SignResponseAny`). */
export type SignResponseAny =
  | { readonly scheme: string; readonly big_r: { readonly affine_point: string }; readonly s: { readonly scalar: string }; readonly recovery_id: number }
  | { readonly scheme: string; readonly signature: ByteArray };

// ---- JWT guard router (contracts/jwt-guard-router) ----

/** The only guard id form the router serves: `jwt#<guard name>`. */
export const ROUTER_GUARD_ID_PREFIX = 'jwt';
export const MAX_GUARD_NAME_BYTES = 2048;
const MAX_GUARD_ACCOUNT_BYTES = 64;
/** NEAR's storage price: 10¹⁹ yoctoNEAR per byte. */
const STORAGE_BYTE_COST = 10n ** 19n;
/** `add_guard` is payable: storage for the longest name and account plus 1 NEAR, which the router keeps. */
export const ROUTER_ADD_GUARD_DEPOSIT = STORAGE_BYTE_COST * BigInt(MAX_GUARD_NAME_BYTES + MAX_GUARD_ACCOUNT_BYTES) + 10n ** 24n;

export type RouterInitArgs = {
  readonly owner: AccountId;
};
export type RouterAddGuardArgs = {
  /** The issuer the guard serves (the text after `jwt#`). */
  readonly guard_name: string;
  readonly guard_account: AccountId;
};
/** `remove_guard` and `get_guard`. */
export type RouterGuardNameArgs = {
  readonly guard_name: string;
};
export type RouterVerifyArgs = GuardVerifyArgs;
/** The router's answer to `verify`: `(valid, sub, guard_name)`; ours puts the guard's reason in the second place when invalid. */
export type RouterVerdict = readonly [valid: boolean, subOrReason: string, guardName: string];
export type RouterOnVerifyCallbackArgs = {
  readonly guard_name: string;
};

// ---- JWT guards (contracts/jwt-guards) ----

/** Peersyst's guard limit on the token. */
export const MAX_JWT_BYTES = 7168;
/** FastAuth's and the guards' limit on `sub`, in UTF-8 bytes (Peersyst's `sub.len() <= 256`). */
export const MAX_SUB_BYTES = 256;

/** An RSA public key as the guards store it: big-endian modulus and exponent bytes. */
export type JwtPublicKey = {
  readonly n: ByteArray;
  readonly e: ByteArray;
  /** Ours: a token whose header names a `kid` is checked against the keys with that `kid` only. */
  readonly kid?: string;
};

export type JwtGuardInitArgs = {
  readonly owner: AccountId;
  readonly public_keys: readonly JwtPublicKey[];
  /** Ours: the one issuer this guard serves; without it, the issuer the router names (Peersyst). */
  readonly issuer?: string;
  /** Ours: what `aud` must contain; default the guard's own account (Peersyst's Auth0 guard). */
  readonly audiences?: readonly string[];
};
/** What the router calls on a guard. */
export type JwtGuardVerifyArgs = {
  readonly issuer: string;
  readonly jwt: string;
  readonly sign_payload: ByteArray;
  readonly predecessor: AccountId;
};
/** A guard's answer: `(true, sub)` or `(false, reason)`. */
export type JwtGuardVerdict = readonly [valid: boolean, subOrReason: string];
export type SetPublicKeysArgs = {
  readonly public_keys: readonly JwtPublicKey[];
};

/** A JWK's `n`, `e` (base64url) and `kid` in the guards' form. */
export function jwtPublicKeyFromJwk(jwk: { readonly kid?: string | undefined; readonly n: string; readonly e: string }): JwtPublicKey {
  const key = { n: [...base64urlnopad.decode(jwk.n)], e: [...base64urlnopad.decode(jwk.e)] };
  return jwk.kid === undefined ? key : { ...key, kid: jwk.kid };
}

// ---- texts clients match ----

/** Panic texts of FastAuth and the router: ours panic with `<Kind>: <text>` (docs/contracts.md), the text being Peersyst's. */
export const FAST_AUTH_ERRORS = {
  paused: 'Contract is paused',
  onlyOwner: 'Only the owner can call this function',
  onlyPauser: 'Only the pauser can call this function',
  guardIdContainsHash: "Guard ID cannot contain '#'",
  emptyGuardId: 'Guard ID cannot be empty',
  guardIdFormat: "Guard ID must be in format 'guard' or 'prefix#suffix'",
  unknownGuard: (guardId: string) => `Guard with ID '${guardId}' does not exist`,
  cannotVerify: (guardId: string) => `Cannot verify: Guard with ID '${guardId}' does not exist`,
  unsupportedAlgorithm: (algorithm: string) => `Unsupported algorithm: ${algorithm}. Supported algorithms are: ${FAST_AUTH_ALGORITHMS.join(', ')}`,
  invalidSub: 'Invalid sub',
} as const;

export const ROUTER_ERRORS = {
  guardNameContainsHash: "Guard name cannot contain '#' character",
  guardNameTooLong: 'Guard name is too long',
  insufficientDeposit: (required: bigint) => `Insufficient deposit. Required: ${required} yoctoNEAR`,
  guardExists: (name: string) => `Guard with name ${name} already exists`,
  unknownGuard: (name: string) => `Guard with name '${name}' does not exist`,
  guardIdFormat: `Invalid guard name format. Expected '${ROUTER_GUARD_ID_PREFIX}#GUARD_NAME'`,
  verifyFailed: 'Error verifying JWT',
} as const;

/** The guards' key checks (Peersyst's texts; ours accept 2048- to 4096-bit moduli). */
export const JWT_KEY_ERRORS = {
  modulusLength: 'invalid n component length',
  evenModulus: 'modulus must be odd',
  exponent: 'invalid e component',
} as const;

/**
 * Why a guard answers `(false, reason)`: Peersyst's text where Peersyst has the check, ours for the
 * checks only ours make. Peersyst answers an unverifiable signature with an empty reason.
 */
export const JWT_REJECTIONS = {
  tooLarge: 'JWT token exceeds maximum size limit',
  format: 'Invalid JWT format: expected three base64url parts with a JSON object in the header and payload',
  duplicateMember: (part: 'header' | 'payload', name: string) => `Duplicate member ${JSON.stringify(name)} in the JWT ${part}`,
  algorithm: (alg: unknown) => `Unsupported JWT algorithm ${JSON.stringify(alg)}: only RS256 is accepted`,
  criticalHeader: 'Critical JWT header extensions are not supported',
  kid: 'The kid header must be a string',
  unknownKid: (kid: string) => `Unknown kid ${JSON.stringify(kid)}`,
  signature: 'Invalid signature',
  issuer: 'Invalid issuer',
  audience: 'audience mismatch',
  numericDate: (claim: 'exp' | 'nbf' | 'iat') => `The ${claim} claim must be a number`,
  expired: 'Token expired',
  notYetValid: 'Token not yet valid',
  issuedInFuture: 'Token issued in the future',
  sub: `The sub claim must be a string of 1 to ${MAX_SUB_BYTES} bytes`,
  signPayload: 'Transaction payload mismatch',
} as const;
