import { NearRpcChainInfo, NearRpcError } from './near-rpc.js';

/** A fetch that answers each JSON-RPC call with `answer(method, params)` and records the calls. */
function fakeRpc(answer: (method: string, params: unknown) => { result?: unknown; error?: unknown } | Response) {
  const calls: { method: string; params: unknown }[] = [];
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    const { method, params } = JSON.parse(init.body as string) as { method: string; params: unknown };
    calls.push({ method, params });
    const body = answer(method, params);
    return body instanceof Response ? body : new Response(JSON.stringify({ jsonrpc: '2.0', id: 1, ...body }));
  }) as typeof fetch;
  return { chain: new NearRpcChainInfo('http://127.0.0.1:1', fetchImpl), calls };
}

describe('NearRpcChainInfo', () => {
  it('reads the shard layout at a block and the final height', async () => {
    const { chain, calls } = fakeRpc((method) =>
      method === 'block' ? { result: { header: { height: 1234 } } } : { result: { protocol_version: 80, shard_layout: { V2: { boundary_accounts: ['m'], shard_ids: [4, 5] } } } },
    );
    expect(await chain.shardLayoutAt(1200)).toEqual({ version: 'V2', boundaryAccounts: ['m'], shardIds: [4, 5] });
    expect(await chain.finalHeight()).toBe(1234);
    expect(calls).toEqual([
      { method: 'EXPERIMENTAL_protocol_config', params: { block_id: 1200 } },
      { method: 'block', params: { finality: 'final' } },
    ]);
  });

  it('turns RPC errors, HTTP errors and answers without a layout into NearRpcError', async () => {
    await expect(fakeRpc(() => ({ error: { name: 'HANDLER_ERROR', cause: { name: 'UNKNOWN_BLOCK' } } })).chain.shardLayoutAt(1)).rejects.toThrow(/UNKNOWN_BLOCK/);
    await expect(fakeRpc(() => new Response('busy', { status: 503 })).chain.finalHeight()).rejects.toThrow(new NearRpcError('block', 'HTTP 503'));
    await expect(fakeRpc(() => ({ result: { protocol_version: 80 } })).chain.shardLayoutAt(1)).rejects.toThrow(/no shard_layout/);
  });
});
