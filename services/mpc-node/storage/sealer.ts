/**
 * Envelope encryption of every secret the node stores (key shares, triples, presignatures), security
 * invariant 3: AES-256-GCM under a per-item key with the item id bound as AAD, so a sealed blob copied
 * to another item's slot does not open.
 *
 * One master-key call per item would cost a KMS request per triple (thousands per hour at a full
 * stockpile), so a data key from the {@link DataKeyProvider} is reused for a bounded number of items and
 * each item gets its own key derived from it: HKDF-SHA256(data key, random salt, item id). The sealed
 * data key travels inside every item, so any node holding the master key can open any item alone.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { ByteReader, ByteWriter } from '../../../shared/codec/binary.js';
import { aesGcmOpen, aesGcmSeal } from '../aes-gcm.js';
import { setBounded } from '../bounded-map.js';
import { awsErrorKind, rootCause } from './aws-calls.js';
import type { DataKey, DataKeyProvider } from './data-keys.js';
import { SealError } from './errors.js';
import type { StorageMetrics } from './storage-metrics.js';

const SEALED_ITEM_VERSION = 1;
const SALT_BYTES = 16;
const DATA_KEY_CONTEXT = 'chainsig/sealer/v1';
const MAX_SEALED_DATA_KEY_BYTES = 4096;
const MAX_CIPHERTEXT_BYTES = 16 * 1024 * 1024;
/** Unsealed data keys kept by default: 1024 of them cover a million items at the default reuse. */
const DEFAULT_OPENED_DATA_KEYS = 1024;

export interface SealerOptions {
  /** Items sealed under one data key before a new one is generated (default 1024). */
  readonly itemsPerDataKey?: number;
  /** Unsealed data keys kept in memory, least recently used forgotten first (default 1024). */
  readonly openedDataKeys?: number;
  /** Counts failed master-key calls (`kms_errors_total`). */
  readonly metrics?: StorageMetrics;
}

export class Sealer {
  /** The data key in use; a promise so that concurrent seals share one generation call. */
  private currentKey: Promise<DataKey> | undefined;
  private remainingUses = 0;
  /**
   * Unsealed data keys by their sealed bytes (hex), so opening a batch costs one master-key call; least
   * recently used first, bounded (a node reads items sealed under ever more data keys over its life).
   */
  private readonly openedKeys = new Map<string, Promise<Uint8Array>>();
  private readonly itemsPerDataKey: number;
  private readonly openedDataKeys: number;

  constructor(
    private readonly provider: DataKeyProvider,
    private readonly options: SealerOptions = {},
  ) {
    this.itemsPerDataKey = options.itemsPerDataKey ?? 1024;
    this.openedDataKeys = options.openedDataKeys ?? DEFAULT_OPENED_DATA_KEYS;
  }

  async seal(itemId: string, plaintext: Uint8Array): Promise<Uint8Array> {
    if (this.currentKey === undefined || this.remainingUses === 0) {
      const generating = this.provider.generateDataKey(DATA_KEY_CONTEXT);
      this.currentKey = generating;
      this.remainingUses = this.itemsPerDataKey;
      // A failed generation must not poison later seals.
      generating.catch((error: unknown) => {
        this.countMasterKeyError('GenerateDataKey', error);
        if (this.currentKey === generating) this.currentKey = undefined;
      });
    }
    this.remainingUses -= 1;
    const key = await this.currentKey;
    const salt = new Uint8Array(randomBytes(SALT_BYTES));
    const ciphertext = aesGcmSeal(itemKey(key.plaintext, salt, itemId), plaintext, new TextEncoder().encode(itemId));
    return new ByteWriter(ciphertext.length + key.sealed.length + 64)
      .u8(SEALED_ITEM_VERSION)
      .bytes(key.sealed)
      .fixed(salt)
      .bytes(ciphertext)
      .finish();
  }

  async open(itemId: string, sealed: Uint8Array): Promise<Uint8Array> {
    let sealedKey: Uint8Array;
    let salt: Uint8Array;
    let ciphertext: Uint8Array;
    try {
      const reader = new ByteReader(sealed, 'sealed item');
      const version = reader.u8();
      if (version !== SEALED_ITEM_VERSION) reader.fail(`version ${version}, expected ${SEALED_ITEM_VERSION}`);
      sealedKey = reader.bytes(MAX_SEALED_DATA_KEY_BYTES);
      salt = reader.fixed(SALT_BYTES);
      ciphertext = reader.bytes(MAX_CIPHERTEXT_BYTES);
      reader.end();
    } catch (error) {
      throw new SealError(itemId, 'malformed sealed item', { cause: error });
    }
    const dataKey = await this.openDataKey(itemId, sealedKey);
    try {
      return aesGcmOpen(itemKey(dataKey, salt, itemId), ciphertext, new TextEncoder().encode(itemId));
    } catch (error) {
      throw new SealError(itemId, 'authentication failed (tampered, or sealed for another item)', { cause: error });
    }
  }

  private async openDataKey(itemId: string, sealedKey: Uint8Array): Promise<Uint8Array> {
    const cacheKey = Buffer.from(sealedKey).toString('hex');
    const opening =
      this.openedKeys.get(cacheKey) ??
      this.provider.openDataKey(sealedKey, DATA_KEY_CONTEXT).catch((error: unknown) => {
        this.countMasterKeyError('Decrypt', error);
        throw error;
      });
    // (Re)inserted as the newest: the keys of items read lately stay, the oldest go beyond the bound.
    setBounded(this.openedKeys, cacheKey, opening, this.openedDataKeys);
    try {
      return await opening;
    } catch (error) {
      if (this.openedKeys.get(cacheKey) === opening) this.openedKeys.delete(cacheKey);
      throw new SealError(itemId, 'the data key does not open under this master key', { cause: error });
    }
  }

  /** An SDK error (it has `$metadata`) by its kind; the devnet's key-file provider fails locally. */
  private countMasterKeyError(operation: 'GenerateDataKey' | 'Decrypt', error: unknown): void {
    const cause = rootCause(error);
    const kind = typeof cause === 'object' && cause !== null && '$metadata' in cause ? awsErrorKind(cause) : 'local';
    this.options.metrics?.kmsErrors.inc({ operation, kind });
  }
}

function itemKey(dataKey: Uint8Array, salt: Uint8Array, itemId: string): Uint8Array {
  return hkdf(sha256, dataKey, salt, new TextEncoder().encode(`chainsig item key v1:${itemId}`), 32);
}
