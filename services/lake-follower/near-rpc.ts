/**
 * The two NEAR JSON-RPC calls the follower makes: `EXPERIMENTAL_protocol_config` at a block (its
 * `shard_layout`), once per run and per epoch, and `block` at final finality, once, to begin without
 * a checkpoint. A historical block needs an RPC node that still has it (non-archival nodes keep about
 * five epochs); a follower down longer than that needs an archival RPC to catch up.
 */
import type { ChainInfo } from './ports.js';
import { parseShardLayout, type ShardLayout } from './shard-layout.js';

export class NearRpcError extends Error {
  constructor(
    readonly method: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`NEAR RPC ${method} failed: ${reason}`, options);
    this.name = 'NearRpcError';
  }
}

const RPC_TIMEOUT_MS = 10_000;

export class NearRpcChainInfo implements ChainInfo {
  private nextId = 1;

  constructor(
    private readonly rpcUrl: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async shardLayoutAt(height: number): Promise<ShardLayout> {
    const config = (await this.call('EXPERIMENTAL_protocol_config', { block_id: height })) as { shard_layout?: unknown } | null;
    if (config === null || typeof config !== 'object' || config.shard_layout === undefined) {
      throw new NearRpcError('EXPERIMENTAL_protocol_config', 'the answer has no shard_layout');
    }
    return parseShardLayout(config.shard_layout);
  }

  async finalHeight(): Promise<number> {
    const block = (await this.call('block', { finality: 'final' })) as { header?: { height?: unknown } } | null;
    const height = block?.header?.height;
    if (typeof height !== 'number' || !Number.isSafeInteger(height)) throw new NearRpcError('block', 'the answer has no header.height');
    return height;
  }

  private async call(method: string, params: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
        signal: AbortSignal.timeout(RPC_TIMEOUT_MS),
      });
    } catch (error) {
      throw new NearRpcError(method, `no answer (${(error as Error).message})`, { cause: error });
    }
    if (!response.ok) throw new NearRpcError(method, `HTTP ${response.status}`);
    const body = (await response.json().catch(() => null)) as { result?: unknown; error?: unknown } | null;
    if (body === null) throw new NearRpcError(method, 'the answer is not JSON');
    if (body.error !== undefined) throw new NearRpcError(method, JSON.stringify(body.error));
    return body.result ?? null;
  }
}
