import { lakeNotificationFilters } from './lake-ingest.js';
import { assertLocalEsbuild } from './project-lambda.js';

describe('lakeNotificationFilters', () => {
  it('takes every .json object when all shards are wanted (block.json included, for the lag metric)', () => {
    expect(lakeNotificationFilters('all')).toEqual([{ suffix: '.json' }]);
  });

  it('takes exactly the named shard files otherwise, never block.json', () => {
    const filters = lakeNotificationFilters([0, 3, 11]);
    expect(filters).toEqual([{ suffix: '/shard_0.json' }, { suffix: '/shard_3.json' }, { suffix: '/shard_11.json' }]);
    const matches = (key: string) => filters.filter((filter) => key.endsWith(filter.suffix!)).length;
    expect(matches('000123456789/shard_3.json')).toBe(1);
    expect(matches('000123456789/shard_1.json')).toBe(0);
    expect(matches('000123456789/shard_13.json')).toBe(0);
    expect(matches('000123456789/block.json')).toBe(0);
  });
});

describe('assertLocalEsbuild', () => {
  it('passes when esbuild resolves from the project', () => {
    expect(() => assertLocalEsbuild()).not.toThrow();
  });

  it('refuses to let the bundle fall back to Docker when esbuild is missing', () => {
    const missing = (id: string): string => {
      throw new Error(`Cannot find module '${id}'`);
    };
    expect(() => assertLocalEsbuild(missing)).toThrow(/esbuild is not installed .*not in Docker/);
  });
});
