/**
 * The AWS {@link DataKeyProvider}: a KMS symmetric key generates and unseals the sealer's data keys
 * (envelope encryption, docs/decisions/0003). The master key never leaves KMS; the task role needs
 * kms:GenerateDataKey and kms:Decrypt on it (cdk/lib/node-service.ts).
 *
 * The `context` string is bound as the KMS encryption context `{ purpose: context }`: KMS folds it into
 * the ciphertext as additional authenticated data, so a data key generated for one purpose does not open
 * under another. The encryption context is logged in CloudTrail in plaintext, so it must never be secret
 * (the sealer's is a fixed label).
 */
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  type DecryptCommandOutput,
  type GenerateDataKeyCommandOutput,
} from '@aws-sdk/client-kms';
import type { DataKey, DataKeyProvider } from './data-keys.js';

/** Encryption-context key under which the provider binds the caller's `context` string. */
export const ENCRYPTION_CONTEXT_PURPOSE = 'purpose';

const DATA_KEY_BYTES = 32;

/** The two KMS calls the provider makes; `KMSClient` satisfies it, and tests pass a fake. */
export interface KmsDataKeyClient {
  send(command: GenerateDataKeyCommand): Promise<GenerateDataKeyCommandOutput>;
  send(command: DecryptCommand): Promise<DecryptCommandOutput>;
}

export type KmsDataKeyOperation = 'GenerateDataKey' | 'Decrypt';

/**
 * A KMS data-key call failed or answered with something unusable. Carries the operation, key and
 * context (none of them secret) and the KMS error as `cause`; never any key material.
 */
export class KmsDataKeyError extends Error {
  constructor(
    readonly operation: KmsDataKeyOperation,
    readonly keyId: string,
    readonly context: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`KMS ${operation} with key ${keyId} for context "${context}": ${message}`, options);
    this.name = 'KmsDataKeyError';
  }
}

export class KmsDataKeyProvider implements DataKeyProvider {
  /**
   * @param client a `KMSClient` (or anything with the same `send` for these two commands)
   * @param keyId the KMS key's ARN (KMS_KEY_ID); also passed to Decrypt so a blob sealed under any
   *   other key is refused (IncorrectKeyException) instead of silently opened with it
   */
  constructor(
    private readonly client: KmsDataKeyClient,
    readonly keyId: string,
  ) {
    if (keyId.length === 0) throw new Error('KmsDataKeyProvider needs a KMS key id or ARN');
  }

  async generateDataKey(context: string): Promise<DataKey> {
    const output = await this.call('GenerateDataKey', context, () =>
      this.client.send(
        new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: encryptionContext(context) }),
      ),
    );
    const plaintext = this.checkedDataKey('GenerateDataKey', context, output.Plaintext);
    const sealed = output.CiphertextBlob;
    if (sealed === undefined || sealed.length === 0) {
      throw new KmsDataKeyError('GenerateDataKey', this.keyId, context, 'the response carries no CiphertextBlob');
    }
    return { plaintext, sealed };
  }

  async openDataKey(sealed: Uint8Array, context: string): Promise<Uint8Array> {
    const output = await this.call('Decrypt', context, () =>
      this.client.send(new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: sealed, EncryptionContext: encryptionContext(context) })),
    );
    return this.checkedDataKey('Decrypt', context, output.Plaintext);
  }

  /** Runs one KMS call, wrapping its failure (which names the KMS error, e.g. InvalidCiphertextException). */
  private async call<T>(operation: KmsDataKeyOperation, context: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      const kmsError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new KmsDataKeyError(operation, this.keyId, context, kmsError, { cause: error });
    }
  }

  /** The sealer derives AES-256 item keys from the data key; anything but 32 bytes is a broken response. */
  private checkedDataKey(operation: KmsDataKeyOperation, context: string, plaintext: Uint8Array | undefined): Uint8Array {
    if (plaintext === undefined || plaintext.length !== DATA_KEY_BYTES) {
      throw new KmsDataKeyError(operation, this.keyId, context, `expected a ${DATA_KEY_BYTES}-byte data key, got ${plaintext?.length ?? 'none'}`);
    }
    return plaintext;
  }
}

function encryptionContext(context: string): Record<string, string> {
  if (context.length === 0) throw new Error('a KMS encryption context must not be empty');
  return { [ENCRYPTION_CONTEXT_PURPOSE]: context };
}
