/** A node's mesh identity secret from the command line (its `tls_public_key`: shared/near/keys.ts `tlsPublicKeyOf`). */
import { hexToBytes } from '@noble/hashes/utils.js';
import { UsageError } from './usage-error.js';

/** The 32-byte secret from hex (`0x` optional), as the node's config takes it. */
export function meshSecretKey(command: string, flag: string, value: string): Uint8Array {
  const hex = value.startsWith('0x') ? value.slice(2) : value;
  // The value is a secret: the message says what is expected, never what was given.
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new UsageError(`${command}: ${flag} must be the node's 32-byte mesh identity secret as 64 hex digits (MESH_SIGN_SECRET_KEY), got ${value.length} characters`);
  return hexToBytes(hex.toLowerCase());
}
