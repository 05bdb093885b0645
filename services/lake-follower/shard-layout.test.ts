import { createHash } from 'node:crypto';
import { layoutKey, parseShardLayout, shardOfAccount, ShardLayoutError } from './shard-layout.js';

describe('parseShardLayout', () => {
  it('reads V0, V1, V2 and V3 as the RPC serialises them, ignoring fields it does not use', () => {
    expect(parseShardLayout({ V0: { num_shards: 4, version: 0 } })).toEqual({ version: 'V0', numShards: 4 });
    expect(parseShardLayout({ V1: { boundary_accounts: ['aurora', 'sweat'], shards_split_map: [[0, 1, 2]], to_parent_shard_map: [0, 0, 0], version: 1 } })).toEqual({
      version: 'V1',
      boundaryAccounts: ['aurora', 'sweat'],
      shardIds: [0, 1, 2],
    });
    const v2 = { boundary_accounts: ['aurora', 'sweat'], shard_ids: [0, 5, 6], id_to_index_map: { '0': 0, '5': 1, '6': 2 }, index_to_id_map: { '0': 0, '1': 5, '2': 6 }, shards_split_map: null, shards_parent_map: null, version: 3 };
    expect(parseShardLayout({ V2: v2 })).toEqual({ version: 'V2', boundaryAccounts: ['aurora', 'sweat'], shardIds: [0, 5, 6] });
    expect(parseShardLayout({ V3: { boundary_accounts: ['m'], shard_ids: [8, 9], id_to_index_map: {}, shards_split_map: {}, last_split: 2 } })).toEqual({ version: 'V3', boundaryAccounts: ['m'], shardIds: [8, 9] });
  });

  it('refuses unsorted boundaries, a shard id count that does not fit, and unknown versions', () => {
    expect(() => parseShardLayout({ V1: { boundary_accounts: ['sweat', 'aurora'] } })).toThrow(/not sorted at index 1/);
    expect(() => parseShardLayout({ V2: { boundary_accounts: ['a'], shard_ids: [0, 1, 2] } })).toThrow(/1 boundary accounts need 2 shard ids, got 3/);
    expect(() => parseShardLayout({ V9: {} })).toThrow(ShardLayoutError);
    expect(() => parseShardLayout(null)).toThrow(ShardLayoutError);
  });
});

describe('shardOfAccount', () => {
  const ranges = parseShardLayout({ V2: { boundary_accounts: ['aurora', 'game.hot.tg', 'tge-lockup.sweat'], shard_ids: [0, 1, 10, 11] } });

  it('puts an account in the range its boundary starts: boundaries belong to the shard on their right', () => {
    expect(shardOfAccount(ranges, 'alice.near')).toBe(0);
    expect(shardOfAccount(ranges, 'aurora')).toBe(1);
    expect(shardOfAccount(ranges, 'aurora.pool.near')).toBe(1);
    expect(shardOfAccount(ranges, 'game.hot.tg')).toBe(10);
    expect(shardOfAccount(ranges, 'tge-lockup.sweat')).toBe(11);
    expect(shardOfAccount(ranges, 'v1.signer')).toBe(11);
    expect(shardOfAccount(ranges, 'v1.signer-prod.testnet')).toBe(11);
  });

  it('numbers V1 ranges by position', () => {
    const v1 = parseShardLayout({ V1: { boundary_accounts: ['h', 'p'] } });
    expect(['a', 'h', 'o', 'p', 'z'].map((account) => shardOfAccount(v1, account))).toEqual([0, 1, 1, 2, 2]);
  });

  it('hashes the account for V0: the first 8 bytes of its SHA-256, little-endian, mod the shard count', () => {
    const v0 = parseShardLayout({ V0: { num_shards: 7, version: 0 } });
    for (const account of ['v1.signer', 'alice.near', 'x']) {
      const expected = Number(createHash('sha256').update(account).digest().readBigUInt64LE(0) % 7n);
      expect(shardOfAccount(v0, account)).toBe(expected);
    }
    expect(shardOfAccount(parseShardLayout({ V0: { num_shards: 1, version: 0 } }), 'v1.signer')).toBe(0);
  });
});

describe('layoutKey', () => {
  it('is equal for layouts that assign accounts alike and differs after a split', () => {
    const before = parseShardLayout({ V1: { boundary_accounts: ['m'] } });
    const sameAsV2 = parseShardLayout({ V2: { boundary_accounts: ['m'], shard_ids: [0, 1] } });
    const split = parseShardLayout({ V2: { boundary_accounts: ['m', 't'], shard_ids: [0, 2, 3] } });
    expect(layoutKey(before)).toBe(layoutKey(sameAsV2));
    expect(layoutKey(split)).not.toBe(layoutKey(before));
  });
});
