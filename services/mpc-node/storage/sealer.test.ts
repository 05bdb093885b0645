import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalKeyFileProvider, type DataKeyProvider } from './data-keys.js';
import { SealError } from './errors.js';
import { Sealer } from './sealer.js';

const keyFile = (): string => join(mkdtempSync(join(tmpdir(), 'sealer-')), 'master.key');

/** Counts master-key calls to show data keys are reused within their bound. */
function counting(provider: DataKeyProvider): DataKeyProvider & { generated: number; opened: number } {
  const counter = {
    generated: 0,
    opened: 0,
    generateDataKey: async (context: string) => {
      counter.generated += 1;
      return provider.generateDataKey(context);
    },
    openDataKey: async (sealed: Uint8Array, context: string) => {
      counter.opened += 1;
      return provider.openDataKey(sealed, context);
    },
  };
  return counter;
}

describe('Sealer (AES-256-GCM envelope, item id as AAD)', () => {
  const secret = new TextEncoder().encode('triple share 0xdeadbeef');

  it('opens what it sealed, and the stored bytes do not contain the plaintext', async () => {
    const sealer = new Sealer(new LocalKeyFileProvider(keyFile()));
    const sealed = await sealer.seal('triple#1', secret);
    expect(Buffer.from(sealed).includes(Buffer.from(secret))).toBe(false);
    expect(await sealer.open('triple#1', sealed)).toEqual(secret);
  });

  it('refuses a blob moved to another item id', async () => {
    const sealer = new Sealer(new LocalKeyFileProvider(keyFile()));
    const sealed = await sealer.seal('triple#1', secret);
    await expect(sealer.open('triple#2', sealed)).rejects.toBeInstanceOf(SealError);
  });

  it('refuses any flipped byte, truncation or trailing garbage', async () => {
    const sealer = new Sealer(new LocalKeyFileProvider(keyFile()));
    const sealed = await sealer.seal('presig#9', secret);
    for (const index of [0, 5, sealed.length - 20, sealed.length - 1]) {
      const tampered = sealed.slice();
      tampered[index]! ^= 0x01;
      await expect(sealer.open('presig#9', tampered)).rejects.toBeInstanceOf(SealError);
    }
    await expect(sealer.open('presig#9', sealed.subarray(0, sealed.length - 1))).rejects.toBeInstanceOf(SealError);
    await expect(sealer.open('presig#9', Uint8Array.from([...sealed, 0]))).rejects.toBeInstanceOf(SealError);
  });

  it('another master key cannot open it; a restarted node with the same key file can', async () => {
    const file = keyFile();
    const sealed = await new Sealer(new LocalKeyFileProvider(file)).seal('keyshare#0', secret);
    await expect(new Sealer(new LocalKeyFileProvider(keyFile())).open('keyshare#0', sealed)).rejects.toBeInstanceOf(SealError);
    expect(await new Sealer(new LocalKeyFileProvider(file)).open('keyshare#0', sealed)).toEqual(secret);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file)).toHaveLength(32);
  });

  it('reuses a data key for a bounded number of items and unseals each data key once', async () => {
    const provider = counting(new LocalKeyFileProvider(keyFile()));
    const sealer = new Sealer(provider, { itemsPerDataKey: 3 });
    const sealed = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => sealer.seal(`t#${i}`, secret)));
    expect(provider.generated).toBe(3);
    const reader = new Sealer(provider);
    const opened = await Promise.all(sealed.map((blob, i) => reader.open(`t#${i + 1}`, blob)));
    expect(opened).toEqual(sealed.map(() => secret));
    expect(provider.opened).toBe(3);
  });

  it('keeps a bounded number of opened data keys, forgetting the least recently used first', async () => {
    const provider = counting(new LocalKeyFileProvider(keyFile()));
    // One data key per item: three items, three data keys.
    const writer = new Sealer(provider, { itemsPerDataKey: 1 });
    const [first, second, third] = await Promise.all(['a', 'b', 'c'].map((id) => writer.seal(id, secret)));
    const reader = new Sealer(provider, { openedDataKeys: 2 });
    const openedAfter = async (id: string, blob: Uint8Array) => {
      expect(await reader.open(id, blob)).toEqual(secret);
      return provider.opened;
    };
    expect(await openedAfter('a', first!)).toBe(1);
    expect(await openedAfter('b', second!)).toBe(2);
    // Read again, a's key becomes the most recent; c's key then pushes out b's.
    expect(await openedAfter('a', first!)).toBe(2);
    expect(await openedAfter('c', third!)).toBe(3);
    expect(await openedAfter('a', first!)).toBe(3);
    expect(await openedAfter('b', second!)).toBe(4);
  });
});
