// Generates the node's key material for the two Secrets Manager secrets of the operator stack, so the
// secret halves go straight from this process into `aws secretsmanager put-secret-value` (stdout) and
// only the public halves are shown (stderr). Usage in docs/deploy.md:
//   node --import tsx cdk/tools/node-keys.ts account | aws secretsmanager put-secret-value --secret-id <arn> --secret-string file:///dev/stdin
//   node --import tsx cdk/tools/node-keys.ts mesh    | aws secretsmanager put-secret-value --secret-id <arn> --secret-string file:///dev/stdin
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { base58 } from '@scure/base';
import { pathToFileURL } from 'node:url';
import { MESH_IDENTITY_FIELDS } from '../lib/node-service.js';

export interface GeneratedKey {
  /** The secret string to store, exactly as the node reads it. */
  readonly secretString: string;
  /** Public values for registration, by name. */
  readonly publicParts: Record<string, string>;
}

/** A NEAR access key: the secret in NEAR's `ed25519:<base58(seed ‖ public key)>` form. */
export function generateAccountKey(): GeneratedKey {
  const seed = ed25519.utils.randomSecretKey();
  const publicKey = ed25519.getPublicKey(seed);
  return {
    secretString: `ed25519:${base58.encode(Uint8Array.from([...seed, ...publicKey]))}`,
    publicParts: { public_key: `ed25519:${base58.encode(publicKey)}` },
  };
}

/**
 * The mesh identity: one Ed25519 secret, 32 bytes of hex, stored as `{"sign": hex}` (the field name
 * predates the 3.14 ABI; existing secrets keep working). Its public key is the participant record's
 * `tls_public_key`, which the node registers itself with `submit_participant_info` when it starts.
 */
export function generateMeshIdentity(): GeneratedKey {
  const sign = ed25519.utils.randomSecretKey();
  return {
    secretString: JSON.stringify({ [MESH_IDENTITY_FIELDS.sign]: bytesToHex(sign) }),
    publicParts: { tls_public_key: `ed25519:${base58.encode(ed25519.getPublicKey(sign))}` },
  };
}

const GENERATORS: Record<string, () => GeneratedKey> = { account: generateAccountKey, mesh: generateMeshIdentity };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const generate = GENERATORS[process.argv[2] ?? ''];
  if (generate === undefined) {
    console.error('usage: node --import tsx cdk/tools/node-keys.ts <account|mesh>  (secret on stdout, public keys on stderr)');
    process.exitCode = 2;
  } else {
    const key = generate();
    process.stdout.write(key.secretString);
    for (const [name, value] of Object.entries(key.publicParts)) console.error(`${name}: ${value}`);
  }
}
