/**
 * NEAR's shard layout as the RPC's `EXPERIMENTAL_protocol_config` returns it (`shard_layout`, serde's
 * externally tagged enum), and which shard an account lives on — the rule nearcore applies
 * (core/primitives/src/shard_layout): V0 hashes the account, V1–V3 cut the sorted account space at the
 * boundary accounts; V1 numbers the ranges 0…n, V2 and V3 name them with `shard_ids` (not contiguous:
 * a resharding replaces the split shard's id by two new ones). Pure: no I/O.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';

/** The layout could not be read; `reason` says which field. */
export class ShardLayoutError extends Error {
  constructor(readonly reason: string) {
    super(`cannot read NEAR shard layout: ${reason}`);
    this.name = 'ShardLayoutError';
  }
}

export type ShardLayout =
  | { readonly version: 'V0'; readonly numShards: number }
  | { readonly version: 'V1' | 'V2' | 'V3'; readonly boundaryAccounts: readonly string[]; readonly shardIds: readonly number[] };

const shardId = z.number().int().nonnegative();
const rangeLayout = z.object({ boundary_accounts: z.array(z.string().min(1)) });
const layoutSchema = z.union([
  z.object({ V0: z.object({ num_shards: z.number().int().positive() }) }),
  z.object({ V1: rangeLayout }),
  z.object({ V2: rangeLayout.extend({ shard_ids: z.array(shardId) }) }),
  z.object({ V3: rangeLayout.extend({ shard_ids: z.array(shardId) }) }),
]);

/** Reads `shard_layout` from a protocol config (unknown fields are ignored, as nearcore adds them). */
export function parseShardLayout(json: unknown): ShardLayout {
  const parsed = layoutSchema.safeParse(json);
  if (!parsed.success) throw new ShardLayoutError(`not a V0–V3 shard_layout: ${z.prettifyError(parsed.error).replaceAll('\n', '; ')}`);
  const layout = parsed.data;
  if ('V0' in layout) return { version: 'V0', numShards: layout.V0.num_shards };
  const [version, body] = 'V1' in layout ? (['V1', layout.V1] as const) : 'V2' in layout ? (['V2', layout.V2] as const) : (['V3', layout.V3] as const);
  const boundaryAccounts = body.boundary_accounts;
  for (let index = 1; index < boundaryAccounts.length; index += 1) {
    if (!(boundaryAccounts[index - 1]! < boundaryAccounts[index]!)) throw new ShardLayoutError(`boundary_accounts are not sorted at index ${index}`);
  }
  // V1 names each range by its index; V2/V3 list the ids, one more than the boundaries.
  const shardIds = 'shard_ids' in body ? body.shard_ids : boundaryAccounts.map((_, index) => index).concat(boundaryAccounts.length);
  if (shardIds.length !== boundaryAccounts.length + 1) {
    throw new ShardLayoutError(`${boundaryAccounts.length} boundary accounts need ${boundaryAccounts.length + 1} shard ids, got ${shardIds.length}`);
  }
  return { version, boundaryAccounts, shardIds };
}

/** The shard that holds `accountId` (its receipts execute in that shard's chunk). */
export function shardOfAccount(layout: ShardLayout, accountId: string): number {
  if (layout.version === 'V0') {
    // u64 little-endian of the first 8 bytes of sha256(account) mod the shard count.
    const digest = sha256(new TextEncoder().encode(accountId));
    const prefix = new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0, true);
    return Number(prefix % BigInt(layout.numShards));
  }
  // Accounts compare bytewise (ASCII), as JavaScript compares these strings; a boundary account starts its range.
  let index = 0;
  while (index < layout.boundaryAccounts.length && layout.boundaryAccounts[index]! <= accountId) index += 1;
  return layout.shardIds[index]!;
}

/** Two layouts that assign every account the same way compare equal by this key. */
export function layoutKey(layout: ShardLayout): string {
  return layout.version === 'V0' ? `V0:${layout.numShards}` : `ranges:${JSON.stringify(layout.boundaryAccounts)}:${JSON.stringify(layout.shardIds)}`;
}
