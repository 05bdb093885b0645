import { OwnAssets } from './own-assets.js';
import { combinations, SetRotation } from './participant-sets.js';
import { needsTripleBatch, pairableTriples, presignatureDeficit } from './targets.js';

describe('participant sets', () => {
  it('enumerates k-subsets, or refuses beyond the limit', () => {
    expect(combinations([1, 2, 3], 2, 10)).toEqual([[1, 2], [1, 3], [2, 3]]);
    expect(combinations([1, 2, 3], 0, 10)).toEqual([[]]);
    expect(combinations([1, 2, 3, 4, 5, 6], 3, 19)).toBeUndefined();
  });

  it('candidate sets are the owner plus threshold − 1 reachable peers', () => {
    const rotation = new SetRotation();
    expect(rotation.candidateSets(2, [0, 1, 3, 2], 3)).toEqual([[0, 1, 2], [0, 2, 3], [1, 2, 3]]);
    const sampled = new SetRotation({ maxCandidates: 5 }).candidateSets(0, Array.from({ length: 20 }, (_, i) => i), 4);
    expect(sampled.length).toBeLessThanOrEqual(5);
    for (const set of sampled) expect(set).toHaveLength(4), expect(set).toContain(0);
  });

  it('rotates so every peer serves about as many runs', () => {
    const rotation = new SetRotation();
    const candidates = rotation.candidateSets(0, [1, 2, 3, 4], 2);
    for (let i = 0; i < 40; i += 1) rotation.recordUse(0, rotation.pick(0, candidates)!);
    expect([1, 2, 3, 4].map((peer) => rotation.uses(peer))).toEqual([10, 10, 10, 10]);
  });

  it('backs off a failed set exponentially, then offers it again', () => {
    let now = 0;
    const rotation = new SetRotation({ baseBackoffMs: 100, maxBackoffMs: 300, now: () => now });
    expect(rotation.recordFailure([0, 1])).toBe(100);
    expect(rotation.pick(0, [[0, 1], [0, 2]])).toEqual([0, 2]);
    expect(rotation.pick(0, [[0, 1]])).toBeUndefined();
    expect(rotation.recordFailure([0, 1])).toBe(200);
    expect(rotation.recordFailure([0, 1])).toBe(300);
    now = 301;
    expect(rotation.pick(0, [[0, 1]])).toEqual([0, 1]);
    rotation.recordFailure([0, 1]);
    rotation.recordSuccess([0, 1]);
    expect(rotation.isBackedOff([0, 1])).toBe(false);
  });
});

describe('targets', () => {
  it('fills to the target counting only usable presignatures and runs under way, within the cap on everything owned', () => {
    expect(presignatureDeficit({ target: 4, usable: 1, owned: 1, inFlight: 1, maxOwned: 8 })).toBe(2);
    expect(presignatureDeficit({ target: 4, usable: 0, owned: 7, inFlight: 0, maxOwned: 8 })).toBe(1);
    expect(presignatureDeficit({ target: 4, usable: 5, owned: 5, inFlight: 0, maxOwned: 8 })).toBe(0);
  });

  it('counts triples in pairs and, while signing is busy, starts a batch only for a deficit that fits under the cap', () => {
    expect(pairableTriples(5)).toBe(4);
    const level = { ecdsaDeficit: 2, pairable: 0, usable: 0, owned: 0, inFlight: 0, tripleTarget: 8, maxOwned: 16, batchSize: 4, fillAhead: false };
    expect(needsTripleBatch(level)).toBe(true);
    expect(needsTripleBatch({ ...level, inFlight: 4 })).toBe(false);
    expect(needsTripleBatch({ ...level, pairable: 2 })).toBe(true);
    expect(needsTripleBatch({ ...level, owned: 13 })).toBe(false);
    expect(needsTripleBatch({ ...level, ecdsaDeficit: 0 })).toBe(false);
  });

  it('when not busy, keeps usable triples up to the target ahead of need, never past it', () => {
    const idle = { ecdsaDeficit: 0, pairable: 0, usable: 0, owned: 0, inFlight: 0, tripleTarget: 8, maxOwned: 16, batchSize: 4, fillAhead: true };
    expect(needsTripleBatch(idle)).toBe(true);
    expect(needsTripleBatch({ ...idle, usable: 4, owned: 4 })).toBe(true);
    expect(needsTripleBatch({ ...idle, usable: 4, owned: 4, inFlight: 4 })).toBe(false);
    expect(needsTripleBatch({ ...idle, usable: 6, owned: 6 })).toBe(false);
  });

  it('a full stock of triples whose sets include a peer that is down does not stop batches for the sets that can sign, up to the cap', () => {
    const peerDown = { ecdsaDeficit: 2, pairable: 0, usable: 0, owned: 8, inFlight: 0, tripleTarget: 8, maxOwned: 16, batchSize: 8, fillAhead: false };
    expect(needsTripleBatch(peerDown)).toBe(true);
    expect(needsTripleBatch({ ...peerDown, ecdsaDeficit: 0, fillAhead: true })).toBe(true);
    expect(needsTripleBatch({ ...peerDown, owned: 16 })).toBe(false);
  });
});

describe('own asset counts', () => {
  it('follows puts, takes and reservations, and refuses a resync that raced with a local change', () => {
    const own = new OwnAssets(0);
    const partition = 'triples#o0#p0.1';
    own.added(partition, 3);
    expect(own.reserve(partition, 2)).toBe(true);
    expect(own.reserve(partition, 2)).toBe(false);
    expect(own.available(partition)).toBe(1);
    own.release(partition, 2);
    const version = own.version(partition);
    own.removed(partition);
    expect(own.resynced(partition, 9, version)).toBe(false);
    expect(own.count(partition)).toBe(2);
    expect(own.resynced(partition, 5, own.version(partition))).toBe(true);
    expect(own.count(partition)).toBe(5);
    expect(() => own.added('triples#o1#p0.1')).toThrow(/not a partition owned/);
  });
});
