/**
 * The native libraries the curve arithmetic runs on (decision 0006). Importing this module loads
 * both, and throws {@link NativeBackendUnavailable} if either binary is missing: there is no
 * JavaScript fallback.
 */
import type { CurveBackend } from './backend.js';
import { LIBSECP256K1_BACKEND } from './libsecp256k1.js';
import { LIBSODIUM_BACKEND } from './libsodium.js';

export { NativeBackendUnavailable, type CurveBackend } from './backend.js';

/** Which library runs each curve's arithmetic, for the node's start-up log. */
export const CURVE_BACKENDS: readonly CurveBackend[] = [LIBSECP256K1_BACKEND, LIBSODIUM_BACKEND];

/** One line per curve: "secp256k1: libsecp256k1 (secp256k1@5.0.1, …/addon.node)". */
export function describeCurveBackends(): string[] {
  return CURVE_BACKENDS.map(({ curve, library, package: packageName, binary }) => `${curve}: ${library} (${[packageName, binary].filter(Boolean).join(', ')})`);
}
