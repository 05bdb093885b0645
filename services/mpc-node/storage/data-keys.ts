/**
 * Where data keys come from. On AWS a KMS key generates and unseals them (envelope encryption); in the
 * devnet a local master-key file does the same job. Either way the plaintext data key never leaves
 * memory and the sealed form is stored beside the data it protects.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { aesGcmOpen, aesGcmSeal } from '../aes-gcm.js';

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
