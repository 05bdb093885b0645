/**
 * secp256k1 group operations on libsecp256k1, through the native addon of the `secp256k1` npm package.
 *
 * The package's own entry point silently falls back to a pure-JavaScript implementation (elliptic)
 * when its binary does not load; that fallback is neither constant-time nor fast. This module loads
 * the addon itself, through the package's `node-gyp-build` resolver, and throws
 * `NativeBackendUnavailable` at import when no binary loads (decision 0006).
 *
 * Points cross this module as SEC1 encodings, 65 bytes uncompressed unless a function says
 * otherwise; the identity has no encoding and appears as `undefined` where it can occur. Scalars are
 * bigints below the group order n.
 *
 * Which libsecp256k1 routine runs, and why that matters for secrets:
 * - {@link multiplyGenerator}: `secp256k1_ec_pubkey_create` (ecmult_gen, constant time, blinded);
 * - {@link multiplySecret}: `secp256k1_ecdh` (ecmult_const, constant time), its hash callback only
 *   copying out the shared point;
 * - {@link addPoints}: `secp256k1_ec_pubkey_combine` (constant-time addition and inversion), and
 *   {@link negatePoint}: `secp256k1_ec_pubkey_negate`;
 * - {@link multiplyPublic}, {@link linearCombination}: `secp256k1_ec_pubkey_tweak_mul` (variable-time
 *   Strauss–wNAF with the endomorphism): for public points and public scalars only;
 * - {@link recoverPublicKey}: `secp256k1_ecdsa_recover`, the chain's own ecrecover.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { writeUint256 } from '../scalar-bytes.js';
import { installedPackageDir, loadFailClosed, packageVersion, type CurveBackend } from './backend.js';

export const UNCOMPRESSED_POINT_BYTES = 65;
export const COMPRESSED_POINT_BYTES = 33;
/** The group order n. */
export const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The methods of the addon's `Secp256k1` class this module uses; each returns 0 on success, an error code otherwise. */
interface Secp256k1Addon {
  contextRandomize(seed: Uint8Array): number;
  publicKeyVerify(point: Uint8Array): number;
  publicKeyCreate(output: Uint8Array, scalar: Uint8Array): number;
  publicKeyConvert(output: Uint8Array, point: Uint8Array): number;
  publicKeyNegate(output: Uint8Array, point: Uint8Array): number;
  publicKeyCombine(output: Uint8Array, points: readonly Uint8Array[]): number;
  publicKeyTweakAdd(output: Uint8Array, point: Uint8Array, scalar: Uint8Array): number;
  publicKeyTweakMul(output: Uint8Array, point: Uint8Array, scalar: Uint8Array): number;
  ecdsaRecover(output: Uint8Array, signature: Uint8Array, recoveryId: number, digest: Uint8Array): number;
  ecdh(
    output: Uint8Array,
    point: Uint8Array,
    scalar: Uint8Array,
    data: undefined,
    hash: (x: Uint8Array, y: Uint8Array) => Uint8Array,
    xOutput: Uint8Array,
    yOutput: Uint8Array,
  ): number;
}

/** `publicKeyCombine`'s code for a sum that is the identity. */
const COMBINE_IDENTITY = 2;

export interface LoadedLibsecp256k1 {
  readonly addon: Secp256k1Addon;
  readonly backend: CurveBackend;
}

/**
 * Loads the addon binary of the `secp256k1` package installed in `packageDir` (prebuilt or built at
 * install), never its JavaScript fallback. Exported for the test that a missing binary fails.
 */
export function loadLibsecp256k1(packageDir: string): LoadedLibsecp256k1 {
  return loadFailClosed('libsecp256k1', 'secp256k1', packageDir, () => {
    const requireFromPackage = createRequire(join(packageDir, 'package.json'));
    const resolver = requireFromPackage('node-gyp-build') as { resolve(dir: string): string };
    const binary = resolver.resolve(packageDir);
    const { Secp256k1 } = requireFromPackage(binary) as { Secp256k1: new () => Secp256k1Addon };
    const addon = new Secp256k1();
    // Fresh blinding of the generator multiplication for this process.
    if (addon.contextRandomize(randomBytes(32)) !== 0) throw new Error('context randomization failed');
    return { addon, backend: { curve: 'secp256k1', library: 'libsecp256k1', package: packageVersion(packageDir), binary } };
  });
}

const loaded = loadLibsecp256k1(installedPackageDir('libsecp256k1', 'secp256k1'));
const addon = loaded.addon;
export const LIBSECP256K1_BACKEND: CurveBackend = loaded.backend;

/** An operation on points failed; `operation` names the libsecp256k1 call and its error code. */
export class Secp256k1OperationError extends RangeError {
  constructor(
    readonly operation: string,
    readonly code: number,
    reason: string,
  ) {
    super(`secp256k1 ${operation} failed (code ${code}): ${reason}`);
    this.name = 'Secp256k1OperationError';
  }
}

/** The 32-byte big-endian form of a scalar in [1, n); the caller zeroes it after use. */
function scalarBytes(scalar: bigint, operation: string): Uint8Array<ArrayBuffer> {
  if (scalar <= 0n || scalar >= SECP256K1_ORDER) throw new Secp256k1OperationError(operation, -1, 'scalar not in [1, n)');
  const bytes = new Uint8Array(32);
  writeUint256(bytes, 0, scalar);
  return bytes;
}

function check(operation: string, code: number, reason: string): void {
  if (code !== 0) throw new Secp256k1OperationError(operation, code, reason);
}

/**
 * Whether `bytes` is a SEC1 encoding of a point on the curve: 33 bytes with prefix 02/03 or 65 bytes
 * with prefix 04 (libsecp256k1 also parses the "hybrid" prefixes 06/07, which SEC1 parsers such as
 * noble refuse; so does this).
 */
export function isPoint(bytes: Uint8Array): boolean {
  const prefixOk =
    (bytes.length === COMPRESSED_POINT_BYTES && (bytes[0] === 0x02 || bytes[0] === 0x03)) || (bytes.length === UNCOMPRESSED_POINT_BYTES && bytes[0] === 0x04);
  return prefixOk && addon.publicKeyVerify(bytes) === 0;
}

/** k·G for a secret k in [1, n), constant time. */
export function multiplyGenerator(scalar: bigint): Uint8Array<ArrayBuffer> {
  const output = new Uint8Array(UNCOMPRESSED_POINT_BYTES);
  const k = scalarBytes(scalar, 'multiplyGenerator');
  try {
    check('multiplyGenerator', addon.publicKeyCreate(output, k), 'invalid scalar');
  } finally {
    k.fill(0);
  }
  return output;
}

const sharedX = new Uint8Array(32);
const sharedY = new Uint8Array(32);
const NO_HASH = new Uint8Array(1);
/** The ECDH hash callback: the point lands in sharedX/sharedY, the 1-byte "hash" is discarded. */
const copyOutPoint = (): Uint8Array => NO_HASH;

/** k·P for a secret k in [1, n) and any point P, constant time. */
export function multiplySecret(point: Uint8Array, scalar: bigint): Uint8Array<ArrayBuffer> {
  const k = scalarBytes(scalar, 'multiplySecret');
  try {
    check('multiplySecret', addon.ecdh(NO_HASH, point, k, undefined, copyOutPoint, sharedX, sharedY), 'invalid point or scalar');
    const output = new Uint8Array(UNCOMPRESSED_POINT_BYTES);
    output[0] = 0x04;
    output.set(sharedX, 1);
    output.set(sharedY, 33);
    return output;
  } finally {
    k.fill(0);
    sharedX.fill(0);
    sharedY.fill(0);
  }
}

/** k·P for PUBLIC k in [1, n) and P, variable time. */
export function multiplyPublic(point: Uint8Array, scalar: bigint): Uint8Array<ArrayBuffer> {
  const output = new Uint8Array(UNCOMPRESSED_POINT_BYTES);
  check('multiplyPublic', addon.publicKeyTweakMul(output, point, scalarBytes(scalar, 'multiplyPublic')), 'invalid point or scalar');
  return output;
}

/** P + k·G for public P and k in [0, n) (a NEAR-derived key: root + ε·G); throws if the sum is the identity. */
export function addGeneratorMultiple(point: Uint8Array, scalar: bigint): Uint8Array<ArrayBuffer> {
  if (scalar < 0n || scalar >= SECP256K1_ORDER) throw new Secp256k1OperationError('addGeneratorMultiple', -1, 'scalar not in [0, n)');
  const k = new Uint8Array(32);
  writeUint256(k, 0, scalar);
  const output = new Uint8Array(UNCOMPRESSED_POINT_BYTES);
  check('addGeneratorMultiple', addon.publicKeyTweakAdd(output, point, k), 'invalid point, or the sum is the identity');
  return output;
}

/** −P. */
export function negatePoint(point: Uint8Array): Uint8Array<ArrayBuffer> {
  const output = new Uint8Array(UNCOMPRESSED_POINT_BYTES);
  check('negatePoint', addon.publicKeyNegate(output, point), 'not a curve point');
  return output;
}

/** Σ points, or `undefined` for the identity. Constant time. */
export function addPoints(points: readonly Uint8Array[]): Uint8Array<ArrayBuffer> | undefined {
  if (points.length === 0) return undefined;
  const output = new Uint8Array(UNCOMPRESSED_POINT_BYTES);
  const code = addon.publicKeyCombine(output, points);
  if (code === COMBINE_IDENTITY) return undefined;
  check('addPoints', code, 'invalid point');
  return output;
}

/**
 * Σ scalars[i]·points[i] for PUBLIC points and scalars (verification), or `undefined` for the
 * identity. Scalars may be any integers; they are reduced mod n and zero terms are skipped.
 */
export function linearCombination(points: readonly Uint8Array[], scalars: readonly bigint[]): Uint8Array<ArrayBuffer> | undefined {
  if (points.length !== scalars.length) throw new RangeError('one scalar per point expected');
  const terms: Uint8Array[] = [];
  for (let i = 0; i < points.length; i += 1) {
    const scalar = ((scalars[i]! % SECP256K1_ORDER) + SECP256K1_ORDER) % SECP256K1_ORDER;
    if (scalar !== 0n) terms.push(multiplyPublic(points[i]!, scalar));
  }
  return addPoints(terms);
}

/** The 33-byte compressed encoding of a point given in either encoding. */
export function compressPoint(point: Uint8Array): Uint8Array<ArrayBuffer> {
  const output = new Uint8Array(COMPRESSED_POINT_BYTES);
  check('compressPoint', addon.publicKeyConvert(output, point), 'not a curve point');
  return output;
}

/** The 65-byte uncompressed encoding of a point given in either encoding. */
export function decompressPoint(point: Uint8Array): Uint8Array<ArrayBuffer> {
  const output = new Uint8Array(UNCOMPRESSED_POINT_BYTES);
  check('decompressPoint', addon.publicKeyConvert(output, point), 'not a curve point');
  return output;
}

/**
 * ecrecover: the public key (33 bytes, compressed) under which (r ‖ s) with `recoveryId` is a valid
 * signature of the 32-byte `digest`, or `undefined` when there is none.
 */
export function recoverPublicKey(signature: Uint8Array, recoveryId: number, digest: Uint8Array): Uint8Array<ArrayBuffer> | undefined {
  if (signature.length !== 64 || digest.length !== 32 || !Number.isInteger(recoveryId) || recoveryId < 0 || recoveryId > 3) {
    throw new RangeError('recoverPublicKey needs a 64-byte signature, a 32-byte digest and a recovery id 0..3');
  }
  const output = new Uint8Array(COMPRESSED_POINT_BYTES);
  return addon.ecdsaRecover(output, signature, recoveryId, digest) === 0 ? output : undefined;
}
