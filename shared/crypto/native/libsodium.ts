/**
 * Ed25519 group operations on libsodium, through the `sodium-native` npm package (prebuilt binaries;
 * it has no JavaScript fallback, and a failed load is rethrown as `NativeBackendUnavailable` at
 * import, decision 0006).
 *
 * Points are 32-byte Ed25519 encodings, scalars 32-byte little-endian encodings below ℓ. The
 * multiplications are libsodium's constant-time ones without clamping (`*_noclamp`): FROST scalars
 * are field elements, not RFC 8032 secret keys.
 */
import { createRequire } from 'node:module';
import { installedPackageDir, loadFailClosed, packageVersion, type CurveBackend } from './backend.js';

export const ED25519_POINT_BYTES = 32;
export const ED25519_SCALAR_BYTES = 32;

/** The part of sodium-native's API used here; the functions throw on a libsodium error status. */
interface SodiumNative {
  crypto_core_ed25519_is_valid_point(point: Uint8Array): boolean;
  crypto_core_ed25519_add(result: Uint8Array, p: Uint8Array, q: Uint8Array): void;
  crypto_core_ed25519_scalar_reduce(result: Uint8Array, wide: Uint8Array): void;
  crypto_scalarmult_ed25519_base_noclamp(result: Uint8Array, scalar: Uint8Array): void;
  crypto_scalarmult_ed25519_noclamp(result: Uint8Array, scalar: Uint8Array, point: Uint8Array): void;
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

export interface LoadedLibsodium {
  readonly sodium: SodiumNative;
  readonly backend: CurveBackend;
}

/** Loads sodium-native from `packageDir`; exported for the test that a missing binary fails. */
export function loadLibsodium(packageDir: string): LoadedLibsodium {
  return loadFailClosed('libsodium', 'sodium-native', packageDir, () => {
    const sodium = createRequire(import.meta.url)(packageDir) as SodiumNative;
    if (typeof sodium.crypto_scalarmult_ed25519_noclamp !== 'function') throw new Error('the package lacks the Ed25519 functions');
    return { sodium, backend: { curve: 'ed25519', library: 'libsodium', package: packageVersion(packageDir) } };
  });
}

const loaded = loadLibsodium(installedPackageDir('libsodium', 'sodium-native'));
const sodium = loaded.sodium;
export const LIBSODIUM_BACKEND: CurveBackend = loaded.backend;

/** A libsodium Ed25519 operation refused its input; `operation` names it. */
export class Ed25519OperationError extends RangeError {
  constructor(
    readonly operation: string,
    reason: string,
    options?: { cause: unknown },
  ) {
    super(`ed25519 ${operation} failed: ${reason}`, options);
    this.name = 'Ed25519OperationError';
  }
}

function run(operation: string, reason: string, body: () => void): void {
  try {
    body();
  } catch (cause) {
    throw new Ed25519OperationError(operation, reason, { cause });
  }
}

/**
 * RFC 9591 §3.1 DeserializeElement for Ed25519: a canonical encoding of a point on the curve that is
 * not of small order (so not the identity) and lies in the prime-order subgroup.
 */
export function isPrimeOrderPoint(point: Uint8Array): boolean {
  return point.length === ED25519_POINT_BYTES && sodium.crypto_core_ed25519_is_valid_point(point);
}

/** s·B for a scalar in [1, ℓ) (32 bytes LE), constant time. */
export function multiplyBase(scalar: Uint8Array): Uint8Array<ArrayBuffer> {
  const result = new Uint8Array(ED25519_POINT_BYTES);
  run('multiplyBase', 'the scalar is zero', () => sodium.crypto_scalarmult_ed25519_base_noclamp(result, scalar));
  return result;
}

/**
 * s·P for a scalar in [1, ℓ) and a prime-order P, constant time. libsodium validates P first (as
 * {@link isPrimeOrderPoint}), so an invalid point is refused here too.
 */
export function multiply(point: Uint8Array, scalar: Uint8Array): Uint8Array<ArrayBuffer> {
  const result = new Uint8Array(ED25519_POINT_BYTES);
  run('multiply', 'the point is not a prime-order point, or the scalar is zero', () => sodium.crypto_scalarmult_ed25519_noclamp(result, scalar, point));
  return result;
}

/** P + Q for points on the curve. */
export function addPoints(p: Uint8Array, q: Uint8Array): Uint8Array<ArrayBuffer> {
  const result = new Uint8Array(ED25519_POINT_BYTES);
  run('addPoints', 'an input is not a point on the curve', () => sodium.crypto_core_ed25519_add(result, p, q));
  return result;
}

/** A 64-byte little-endian integer reduced mod ℓ, as 32 bytes. */
export function reduceScalar(wide: Uint8Array): Uint8Array<ArrayBuffer> {
  const result = new Uint8Array(ED25519_SCALAR_BYTES);
  sodium.crypto_core_ed25519_scalar_reduce(result, wide);
  return result;
}

/**
 * Whether `signature` (R ‖ S) is an Ed25519 signature of `message` under `publicKey`: libsodium's
 * RFC 8032 verification (`crypto_sign_verify_detached`; it also refuses small-order keys and R and a
 * non-canonical S). False for malformed lengths.
 */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  return signature.length === 64 && publicKey.length === ED25519_POINT_BYTES && sodium.crypto_sign_verify_detached(signature, message, publicKey);
}
