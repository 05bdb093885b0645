/**
 * KmsDataKeyProvider against a FAKE KMS client: there is no local KMS emulator available to this
 * project, so `FakeKms` below imitates the behaviour the provider relies on: a random 32-byte data key,
 * a CiphertextBlob that is that key AES-GCM-sealed under the fake master key with the encryption context
 * as AAD (and the key id in front, as real blobs embed it), Decrypt refusing another key
 * (IncorrectKeyException) or another context (InvalidCiphertextException). Every command the provider
 * sends is recorded so the tests can assert its exact input.
 */
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSClient,
  type DecryptCommandOutput,
  type GenerateDataKeyCommandOutput,
} from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { aesGcmOpen, aesGcmSeal } from '../aes-gcm.js';
import { KmsDataKeyError, KmsDataKeyProvider, type KmsDataKeyClient } from './kms-data-keys.js';
import { SealError } from './errors.js';
import { Sealer } from './sealer.js';

const KEY_A = 'arn:aws:kms:us-east-1:111122223333:key/aaaaaaaa-0000-0000-0000-000000000001';
const KEY_B = 'arn:aws:kms:us-east-1:111122223333:key/bbbbbbbb-0000-0000-0000-000000000002';

/** Compile-time check that the real client fits the provider's client type (no call is made). */
export const realClientFits = (client: KMSClient): KmsDataKeyClient => client;

const kmsError = { $metadata: {} };

/** Canonical AAD for an encryption context: sorted pairs, as KMS treats the context as an unordered map. */
function contextAad(context: Record<string, string> | undefined): Uint8Array {
  const sorted = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new TextEncoder().encode(JSON.stringify(sorted));
}

class FakeKms implements KmsDataKeyClient {
  readonly sent: (GenerateDataKeyCommand | DecryptCommand)[] = [];
  private readonly masterKeys = new Map<string, Uint8Array>();

  constructor(keyIds: readonly string[]) {
    for (const keyId of keyIds) this.masterKeys.set(keyId, new Uint8Array(randomBytes(32)));
  }

  send(command: GenerateDataKeyCommand): Promise<GenerateDataKeyCommandOutput>;
  send(command: DecryptCommand): Promise<DecryptCommandOutput>;
  async send(command: GenerateDataKeyCommand | DecryptCommand): Promise<GenerateDataKeyCommandOutput | DecryptCommandOutput> {
    this.sent.push(command);
    if (command instanceof GenerateDataKeyCommand) return this.generate(command);
    return this.decrypt(command);
  }

  private generate(command: GenerateDataKeyCommand): GenerateDataKeyCommandOutput {
    const { KeyId, KeySpec, EncryptionContext } = command.input;
    const master = this.masterKeys.get(KeyId ?? '');
    if (master === undefined) throw new Error(`NotFoundException: no key ${KeyId}`);
    if (KeySpec !== 'AES_256') throw new Error(`fake supports only AES_256, got ${KeySpec}`);
    const plaintext = new Uint8Array(randomBytes(32));
    const keyIdBytes = new TextEncoder().encode(KeyId);
    const sealed = aesGcmSeal(master, plaintext, contextAad(EncryptionContext));
    const blob = new Uint8Array(1 + keyIdBytes.length + sealed.length);
    blob[0] = keyIdBytes.length;
    blob.set(keyIdBytes, 1);
    blob.set(sealed, 1 + keyIdBytes.length);
    return { KeyId, Plaintext: plaintext, CiphertextBlob: blob, $metadata: {} };
  }

  private decrypt(command: DecryptCommand): DecryptCommandOutput {
    const { KeyId, CiphertextBlob, EncryptionContext } = command.input;
    if (CiphertextBlob === undefined || CiphertextBlob.length < 2) throw new InvalidCiphertextException({ ...kmsError, message: 'empty' });
    const blobKeyId = new TextDecoder().decode(CiphertextBlob.subarray(1, 1 + CiphertextBlob[0]!));
    if (KeyId !== undefined && KeyId !== blobKeyId) {
      throw new IncorrectKeyException({ ...kmsError, message: 'The key ID in the request does not identify the key that encrypted the ciphertext.' });
    }
    const master = this.masterKeys.get(blobKeyId);
    if (master === undefined) throw new InvalidCiphertextException({ ...kmsError, message: 'unknown key' });
    try {
      const plaintext = aesGcmOpen(master, CiphertextBlob.subarray(1 + CiphertextBlob[0]!), contextAad(EncryptionContext));
      return { KeyId: blobKeyId, Plaintext: plaintext, $metadata: {} };
    } catch {
      throw new InvalidCiphertextException({ ...kmsError, message: '' });
    }
  }
}

describe('KmsDataKeyProvider', () => {
  it('generates a 32-byte AES_256 data key under its key with the context as { purpose }, and opens it again', async () => {
    const kms = new FakeKms([KEY_A]);
    const provider = new KmsDataKeyProvider(kms, KEY_A);

    const dataKey = await provider.generateDataKey('chainsig/sealer/v1');
    expect(dataKey.plaintext).toHaveLength(32);
    expect(Buffer.from(dataKey.sealed).includes(Buffer.from(dataKey.plaintext))).toBe(false);
    expect(await provider.openDataKey(dataKey.sealed, 'chainsig/sealer/v1')).toEqual(dataKey.plaintext);

    expect(kms.sent).toHaveLength(2);
    const [generate, decrypt] = kms.sent;
    expect(generate).toBeInstanceOf(GenerateDataKeyCommand);
    expect(generate!.input).toEqual({ KeyId: KEY_A, KeySpec: 'AES_256', EncryptionContext: { purpose: 'chainsig/sealer/v1' } });
    expect(decrypt).toBeInstanceOf(DecryptCommand);
    expect(decrypt!.input).toEqual({ KeyId: KEY_A, CiphertextBlob: dataKey.sealed, EncryptionContext: { purpose: 'chainsig/sealer/v1' } });
  });

  it('refuses a data key opened under another context, naming the operation, key and context but no key bytes', async () => {
    const provider = new KmsDataKeyProvider(new FakeKms([KEY_A]), KEY_A);
    const dataKey = await provider.generateDataKey('chainsig/sealer/v1');

    const failure = await provider.openDataKey(dataKey.sealed, 'chainsig/other/v1').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KmsDataKeyError);
    const error = failure as KmsDataKeyError;
    expect(error.operation).toBe('Decrypt');
    expect(error.keyId).toBe(KEY_A);
    expect(error.context).toBe('chainsig/other/v1');
    expect(error.message).toContain('InvalidCiphertextException');
    expect(error.cause).toBeInstanceOf(InvalidCiphertextException);
    const hex = Buffer.from(dataKey.plaintext).toString('hex');
    const base64 = Buffer.from(dataKey.plaintext).toString('base64');
    expect(error.message).not.toContain(hex);
    expect(error.message).not.toContain(base64);
  });

  it('refuses a data key sealed under another KMS key, because Decrypt names its own key', async () => {
    const kms = new FakeKms([KEY_A, KEY_B]);
    const sealedUnderB = (await new KmsDataKeyProvider(kms, KEY_B).generateDataKey('chainsig/sealer/v1')).sealed;

    await expect(new KmsDataKeyProvider(kms, KEY_A).openDataKey(sealedUnderB, 'chainsig/sealer/v1')).rejects.toMatchObject({
      name: 'KmsDataKeyError',
      operation: 'Decrypt',
      keyId: KEY_A,
      cause: expect.any(IncorrectKeyException),
    });
  });

  it('wraps a failed GenerateDataKey with its context', async () => {
    const provider = new KmsDataKeyProvider(new FakeKms([KEY_B]), KEY_A);
    await expect(provider.generateDataKey('chainsig/sealer/v1')).rejects.toMatchObject({
      name: 'KmsDataKeyError',
      operation: 'GenerateDataKey',
      keyId: KEY_A,
      context: 'chainsig/sealer/v1',
      message: expect.stringContaining('NotFoundException'),
    });
  });

  it('rejects a response whose data key is not 32 bytes', async () => {
    const shortKeyKms: KmsDataKeyClient = {
      send: (async () => ({ Plaintext: new Uint8Array(16), CiphertextBlob: new Uint8Array(40), $metadata: {} })) as KmsDataKeyClient['send'],
    };
    await expect(new KmsDataKeyProvider(shortKeyKms, KEY_A).generateDataKey('c')).rejects.toThrow(/expected a 32-byte data key, got 16/);
    await expect(new KmsDataKeyProvider(shortKeyKms, KEY_A).openDataKey(new Uint8Array(40), 'c')).rejects.toBeInstanceOf(KmsDataKeyError);
  });

  it('serves the Sealer: items sealed by one node open on another holding the same KMS key, not under a different key', async () => {
    const kms = new FakeKms([KEY_A, KEY_B]);
    const secret = new TextEncoder().encode('presignature share');
    const sealed = await new Sealer(new KmsDataKeyProvider(kms, KEY_A)).seal('presignature#7', secret);

    expect(await new Sealer(new KmsDataKeyProvider(kms, KEY_A)).open('presignature#7', sealed)).toEqual(secret);
    await expect(new Sealer(new KmsDataKeyProvider(kms, KEY_B)).open('presignature#7', sealed)).rejects.toBeInstanceOf(SealError);
  });
});
