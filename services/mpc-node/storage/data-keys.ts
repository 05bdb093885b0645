/**
 * Where data keys come from. On AWS a KMS key generates and unseals them (envelope encryption); in the
 * devnet a local master-key file does the same job. Either way the plaintext data key never leaves
 * memory and the sealed form is stored beside the data it protects.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface DataKey {
  readonly plaintext: Uint8Array;
  /** The data key sealed under the master key; safe to store. */
  readonly sealed: Uint8Array;
}

export interface DataKeyProvider {
  /** A fresh 256-bit data key, bound to `context` (KMS encryption context). */
  generateDataKey(context: string): Promise<DataKey>;
  /** Unseals a data key; throws if it was sealed under another master key or context. */
  openDataKey(sealed: Uint8Array, context: string): Promise<Uint8Array>;
}

const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM with `iv ‖ ciphertext ‖ tag` framing. */
export function aesGcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()]));
}

/** Inverse of {@link aesGcmSeal}; throws on any tampering or a wrong key/AAD. */
export function aesGcmOpen(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('sealed bytes too short');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  return new Uint8Array(Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]));
}

/**
 * Devnet stand-in for KMS: a 32-byte master key in a file (created with mode 0600 on first use)
 * seals data keys with AES-256-GCM, the context bound as AAD.
 */
export class LocalKeyFileProvider implements DataKeyProvider {
  private readonly masterKey: Uint8Array;

  constructor(readonly keyFile: string) {
    if (!existsSync(keyFile)) {
      mkdirSync(dirname(keyFile), { recursive: true });
      writeFileSync(keyFile, randomBytes(MASTER_KEY_BYTES), { mode: 0o600, flag: 'wx' });
    }
    chmodSync(keyFile, 0o600);
    const key = readFileSync(keyFile);
    if (key.length !== MASTER_KEY_BYTES) throw new Error(`master key file ${keyFile} must hold exactly ${MASTER_KEY_BYTES} bytes, found ${key.length}`);
    this.masterKey = new Uint8Array(key);
  }

  async generateDataKey(context: string): Promise<DataKey> {
    const plaintext = new Uint8Array(randomBytes(32));
    return { plaintext, sealed: aesGcmSeal(this.masterKey, plaintext, new TextEncoder().encode(context)) };
  }

  async openDataKey(sealed: Uint8Array, context: string): Promise<Uint8Array> {
    return aesGcmOpen(this.masterKey, sealed, new TextEncoder().encode(context));
  }
}
