/**
 * In-memory stand-ins for the lake follower's ports (services/lake-follower/ports.ts): a public lake a test
 * writes blocks into as a Lake writer would, the operator's bucket, and the chain's shard layout. Used by
 * the follower's unit tests and its benchmark; the S3 adapters have their own tests against fauxqs.
 */
import { lakeBlockFolder, type LakeBlock } from '../../shared/near/lake-types.js';
import type { Checkpoint } from '../../services/lake-follower/checkpoint.js';
import type { ChainInfo, OperatorLake, PublicLake } from '../../services/lake-follower/ports.js';
import { parseShardLayout, type ShardLayout } from '../../services/lake-follower/shard-layout.js';
import { blockFile, blockHashAt, shardFile } from '../integration/lake-indexer/lake-fixtures.js';

/** MPC_CONTRACT (v1.signer.test.near) sorts after "m": shard 7 in this layout, alice.near on shard 3. */
export const TWO_SHARD_LAYOUT = parseShardLayout({ V2: { boundary_accounts: ['m'], shard_ids: [3, 7] } });

/** A block's folder in a lake (the follower's own key format; the S3 and devnet tests spell it out themselves). */
export const folder = lakeBlockFolder;
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

export type Outcomes = Parameters<typeof shardFile>[2];

export class FakePublicLake implements PublicLake {
  readonly objects = new Map<string, Uint8Array>();
  readonly gets: string[] = [];
  readonly lists: (number | null)[] = [];

  /** Writes a block as a Lake writer does: every shard file, then block.json. */
  write(height: number, options: { shards?: Record<number, Outcomes>; parent?: number; epoch?: string; writeBlockJson?: boolean } = {}): void {
    const shards = options.shards ?? { 3: [], 7: [] };
    const parent = options.parent ?? height - 1;
    for (const [shardId, outcomes] of Object.entries(shards)) this.objects.set(`${folder(height)}/shard_${shardId}.json`, encode(shardFile(height, Number(shardId), outcomes)));
    const base = blockFile(height);
    const block: LakeBlock = {
      ...base,
      header: { ...base.header, prev_height: parent, prev_hash: blockHashAt(parent), epoch_id: options.epoch ?? 'epoch-1' },
      chunks: Object.keys(shards).map((shardId) => ({ ...base.chunks[0]!, shard_id: Number(shardId) })),
    };
    if (options.writeBlockJson ?? true) this.objects.set(`${folder(height)}/block.json`, encode(block));
  }

  async get(key: string): Promise<Uint8Array | null> {
    this.gets.push(key);
    return this.objects.get(key) ?? null;
  }

  async listHeightsAfter(afterHeight: number | null, limit: number): Promise<number[]> {
    this.lists.push(afterHeight);
    const heights = new Set([...this.objects.keys()].map((key) => Number(key.slice(0, 12))));
    return [...heights].filter((height) => afterHeight === null || height > afterHeight).sort((a, b) => a - b).slice(0, limit);
  }
}

export class FakeOperatorLake implements OperatorLake {
  readonly objects = new Map<string, Uint8Array>();
  readonly metadata = new Map<string, Readonly<Record<string, string>>>();
  readonly puts: string[] = [];
  checkpointValue: Checkpoint | null = null;
  checkpointWrites = 0;
  failPutOf: string | null = null;

  async put(key: string, body: Uint8Array, metadata: Readonly<Record<string, string>>): Promise<void> {
    if (key === this.failPutOf) throw new Error(`S3 is down for ${key}`);
    this.puts.push(key);
    this.objects.set(key, body);
    this.metadata.set(key, metadata);
  }
  async blockKeysAbove(height: number): Promise<Set<string>> {
    return new Set([...this.objects.keys()].filter((key) => Number(key.slice(0, 12)) > height));
  }
  async readCheckpoint(): Promise<Checkpoint | null> {
    return this.checkpointValue;
  }
  async writeCheckpoint(checkpoint: Checkpoint): Promise<void> {
    this.checkpointWrites += 1;
    this.checkpointValue = checkpoint;
  }
}

export class FakeChain implements ChainInfo {
  readonly layoutCalls: number[] = [];
  constructor(
    private readonly layoutAt: (height: number) => ShardLayout = () => TWO_SHARD_LAYOUT,
    private readonly final = 100,
  ) {}
  async shardLayoutAt(height: number): Promise<ShardLayout> {
    this.layoutCalls.push(height);
    return this.layoutAt(height);
  }
  async finalHeight(): Promise<number> {
    return this.final;
  }
}
