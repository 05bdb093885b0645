/**
 * The NEAR JSON-RPC subset of the devnet chain, over node:http on 127.0.0.1: `status`, `block`,
 * `chunk`, `gas_price`, `validators`, `EXPERIMENTAL_protocol_config`, `query` (`view_account`,
 * `view_access_key`, `view_access_key_list`, `call_function`, `view_state`), `send_tx`,
 * `broadcast_tx_async`, `broadcast_tx_commit`, `tx` and `EXPERIMENTAL_tx_status`. Answers and
 * errors have nearcore's shapes so @near-js/* and near-api-js work unchanged.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DevnetChain, type TransactionResult } from '../chain/chain.js';
import { codeHashOf } from '../chain/contract-code.js';
import { fromBase64, toBase64, ZERO_HASH } from '../chain/encoding.js';
import { BlockStateUnavailableError, TransactionWaitTimeoutError, UnknownChunkError, UnknownTransactionError } from '../chain/errors.js';
import { GAS_PRICE, MAX_PREPAID_GAS, STORAGE_PRICE_PER_BYTE } from '../chain/gas.js';
import { readSignedTransaction } from '../chain/transaction.js';
import type { ChainBlock, ChainTransaction } from '../chain/types.js';
import { accessKeyView, blockView, chainIdentity, chunkHeaderView, outcomeView, receiptView, transactionView, type ChainIdentity } from '../chain/views.js';
import { RpcRequestError, requestValidationFailure, rpcFailureFor } from './errors.js';

/** nearcore's default `polling_timeout` for waiting transactions. */
export const DEFAULT_TRANSACTION_WAIT_MS = 10_000;
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** How long an idle keep-alive connection stays open: well beyond any client's own idle timeout. */
const IDLE_CONNECTION_MS = 65_000;
const NODE_VERSION = { version: 'devnet', build: 'chainsig-devnet', rustc_version: 'n/a' } as const;

export interface RpcServerOptions {
  readonly chain: DevnetChain;
  /** 0 (default) picks a free port. The server binds 127.0.0.1 only. */
  readonly port?: number;
  /** How long `send_tx` / `tx` wait before answering TIMEOUT_ERROR (the client then retries). */
  readonly transactionWaitMs?: number;
}

export interface RunningRpcServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

type Params = unknown;
type WaitUntil = 'NONE' | 'INCLUDED' | 'INCLUDED_FINAL' | 'EXECUTED_OPTIMISTIC' | 'EXECUTED' | 'FINAL';
const WAIT_LEVELS: readonly WaitUntil[] = ['NONE', 'INCLUDED', 'INCLUDED_FINAL', 'EXECUTED_OPTIMISTIC', 'EXECUTED', 'FINAL'];

// ---- parameter reading ----

function object(params: Params, method: string): Record<string, unknown> {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new RpcRequestError(`${method}: params must be an object`);
  return params as Record<string, unknown>;
}

function stringField(params: Record<string, unknown>, name: string): string {
  const value = params[name];
  if (typeof value !== 'string') throw new RpcRequestError(`missing field \`${name}\``);
  return value;
}

function base64Field(params: Record<string, unknown>, name: string): Uint8Array {
  const text = stringField(params, name);
  try {
    return fromBase64(text);
  } catch {
    throw new RpcRequestError(`\`${name}\` is not valid base64`);
  }
}

function waitUntilField(params: Record<string, unknown>, fallback: WaitUntil): WaitUntil {
  const value = params.wait_until ?? fallback;
  if (typeof value !== 'string' || !WAIT_LEVELS.includes(value as WaitUntil)) throw new RpcRequestError(`unknown wait_until ${JSON.stringify(value)}`);
  return value as WaitUntil;
}

/** Reads a block reference: `finality`, `block_id` (height or hash), or the array form `[block_id]`. */
function blockReference(params: Params): { finality: true } | { blockId: number | string } {
  if (Array.isArray(params)) {
    const [blockId] = params as unknown[];
    if (blockId === null || blockId === undefined) return { finality: true };
    if (typeof blockId === 'number' || typeof blockId === 'string') return { blockId };
    throw new RpcRequestError('block_id must be a height or a hash');
  }
  const fields = object(params, 'block');
  if (fields.block_id !== undefined && fields.block_id !== null) {
    if (typeof fields.block_id === 'number' || typeof fields.block_id === 'string') return { blockId: fields.block_id };
    throw new RpcRequestError('block_id must be a height or a hash');
  }
  if (fields.finality === 'optimistic' || fields.finality === 'near-final' || fields.finality === 'final') return { finality: true };
  throw new RpcRequestError('expected `finality` (optimistic, near-final, final) or `block_id`');
}

// ---- the handler ----

class RpcHandler {
  private readonly identity: ChainIdentity;

  constructor(
    private readonly chain: DevnetChain,
    private readonly waitMs: number,
    private readonly url: () => string,
  ) {
    this.identity = chainIdentity(chain.config);
  }

  async call(method: string, params: Params): Promise<unknown> {
    switch (method) {
      case 'status':
        return this.status();
      case 'block':
        return blockView(this.block(params), this.identity);
      case 'chunk':
        return this.chunk(params);
      case 'EXPERIMENTAL_protocol_config':
        this.block(params);
        return this.protocolConfig();
      case 'validators':
        return this.validators();
      case 'gas_price':
        return { gas_price: this.block(Array.isArray(params) ? params : [null]).header.gasPrice.toString() };
      case 'query':
        return this.query(object(params, 'query'));
      case 'send_tx': {
        const fields = object(params, 'send_tx');
        return this.sendTransaction(base64Field(fields, 'signed_tx_base64'), waitUntilField(fields, 'EXECUTED_OPTIMISTIC'));
      }
      case 'broadcast_tx_async':
        return this.submit(this.arrayBase64(params, method)).hash;
      case 'broadcast_tx_commit':
        return this.sendTransaction(this.arrayBase64(params, method), 'EXECUTED_OPTIMISTIC');
      case 'tx':
      case 'EXPERIMENTAL_tx_status':
        return this.transactionStatus(params, method === 'EXPERIMENTAL_tx_status');
      default:
        throw new RpcRequestError(method, 'METHOD_NOT_FOUND');
    }
  }

  private arrayBase64(params: Params, method: string): Uint8Array {
    if (!Array.isArray(params) || typeof params[0] !== 'string') throw new RpcRequestError(`${method}: params must be [signed transaction base64]`);
    return base64Field({ tx: params[0] }, 'tx');
  }

  private status(): unknown {
    const head = this.chain.head().header;
    const earliest = this.chain.blockAt(this.chain.earliestRetainedHeight()) ?? this.chain.head();
    const genesis = this.chain.blockAt(0);
    return {
      chain_id: this.chain.config.chainId,
      genesis_hash: genesis?.header.hash ?? earliest.header.hash,
      latest_protocol_version: this.chain.config.protocolVersion,
      protocol_version: this.chain.config.protocolVersion,
      rpc_addr: new URL(this.url()).host,
      node_public_key: `ed25519:${'1'.repeat(32)}`,
      validator_account_id: this.chain.config.registrarId,
      validators: [{ account_id: this.chain.config.registrarId, is_slashed: false }],
      version: NODE_VERSION,
      sync_info: {
        latest_block_hash: head.hash,
        latest_block_height: head.height,
        latest_state_root: head.stateRoot,
        latest_block_time: isoTime(head.timestampNs),
        syncing: false,
        earliest_block_hash: earliest.header.hash,
        earliest_block_height: earliest.header.height,
        earliest_block_time: isoTime(earliest.header.timestampNs),
      },
      uptime_sec: Math.floor(process.uptime()),
    };
  }

  /** The parts of nearcore's protocol config clients read (storage price, gas prices, limits). */
  private protocolConfig(): unknown {
    const genesis = this.chain.blockAt(0) ?? this.chain.head();
    return {
      chain_id: this.chain.config.chainId,
      genesis_height: genesis.header.height,
      genesis_time: isoTime(genesis.header.timestampNs),
      protocol_version: this.chain.config.protocolVersion,
      epoch_length: Number.MAX_SAFE_INTEGER,
      num_block_producer_seats: 1,
      min_gas_price: GAS_PRICE.toString(),
      max_gas_price: GAS_PRICE.toString(),
      gas_limit: 1_000_000_000_000_000,
      // One shard holding every account, in the V2 form mainnet's layout has (readers such as the public-lake follower locate accounts with it).
      shard_layout: { V2: { boundary_accounts: [], shard_ids: [0], id_to_index_map: { '0': 0 }, index_to_id_map: { '0': 0 }, shards_split_map: null, shards_parent_map: null, version: 3 } },
      transaction_validity_period: this.chain.config.transactionValidityBlocks,
      runtime_config: {
        storage_amount_per_byte: STORAGE_PRICE_PER_BYTE.toString(),
        account_creation_config: { min_allowed_top_level_account_length: 32, registrar_account_id: this.chain.config.registrarId },
        wasm_config: { limit_config: { max_total_prepaid_gas: Number(MAX_PREPAID_GAS), max_gas_burnt: Number(MAX_PREPAID_GAS) } },
      },
    };
  }

  private validators(): unknown {
    const head = this.chain.head().header;
    const producer = { account_id: this.chain.config.registrarId, public_key: `ed25519:${'1'.repeat(32)}`, is_slashed: false, stake: '0', shards: [0], num_produced_blocks: head.height, num_expected_blocks: head.height };
    return { current_validators: [producer], next_validators: [], current_fishermen: [], next_fishermen: [], current_proposals: [], prev_epoch_kickout: [], epoch_start_height: 0, epoch_height: 1 };
  }

  private block(params: Params): ChainBlock {
    const reference = blockReference(params);
    return 'finality' in reference ? this.chain.head() : this.chain.resolveBlock(reference.blockId);
  }

  private chunk(params: Params): unknown {
    let block: ChainBlock | undefined;
    if (Array.isArray(params) || typeof (params as Record<string, unknown>)?.chunk_id === 'string') {
      const chunkId = Array.isArray(params) ? params[0] : (params as Record<string, unknown>).chunk_id;
      if (typeof chunkId !== 'string') throw new RpcRequestError('chunk_id must be a hash');
      for (let height = this.chain.head().header.height; height >= this.chain.earliestRetainedHeight() && block === undefined; height -= 1) {
        const candidate = this.chain.blockAt(height);
        if (candidate?.header.chunkHash === chunkId) block = candidate;
      }
      if (block === undefined) throw new UnknownChunkError(chunkId);
    } else {
      const fields = object(params, 'chunk');
      if (fields.shard_id !== 0) throw new RpcRequestError('the devnet has one shard, shard_id 0');
      block = this.block({ block_id: fields.block_id });
    }
    return {
      author: this.identity.validatorId,
      header: chunkHeaderView(block),
      transactions: block.transactions.map(({ transaction }) => transactionView(transaction)),
      receipts: block.receipts.map(receiptView),
    };
  }

  /** The devnet keeps state at the head only: older blocks answer GARBAGE_COLLECTED_BLOCK. */
  private queryBlock(params: Record<string, unknown>): ChainBlock {
    const block = this.block(params);
    const head = this.chain.head();
    if (block.header.height !== head.header.height) throw new BlockStateUnavailableError(block.header.height, block.header.hash);
    return block;
  }

  private query(params: Record<string, unknown>): unknown {
    const block = this.queryBlock(params);
    const at = { block_height: block.header.height, block_hash: block.header.hash };
    const requestType = stringField(params, 'request_type');
    const accountId = stringField(params, 'account_id');
    switch (requestType) {
      case 'view_account': {
        const { account, storageUsage } = this.chain.account(accountId);
        return {
          amount: account.amount.toString(),
          locked: account.locked.toString(),
          code_hash: account.contract === null ? ZERO_HASH : codeHashOf(account.contract),
          storage_usage: storageUsage,
          storage_paid_at: 0,
          ...at,
        };
      }
      case 'view_access_key':
        return { ...accessKeyView(this.chain.accessKey(accountId, stringField(params, 'public_key'))), ...at };
      case 'view_access_key_list': {
        const { account } = this.chain.account(accountId);
        return { keys: [...account.keys].map(([publicKey, key]) => ({ public_key: publicKey, access_key: accessKeyView(key) })), ...at };
      }
      case 'call_function': {
        const { result, logs } = this.chain.callView(accountId, stringField(params, 'method_name'), base64Field(params, 'args_base64'));
        return { result: [...result], logs, ...at };
      }
      case 'view_state': {
        const { account } = this.chain.account(accountId);
        const prefix = Buffer.from(base64Field(params, 'prefix_base64')).toString('hex');
        const values = [...account.storage]
          .filter(([hexKey]) => hexKey.startsWith(prefix))
          .map(([hexKey, value]) => ({ key: Buffer.from(hexKey, 'hex').toString('base64'), value: toBase64(value) }));
        return { values, ...at };
      }
      case 'view_code': {
        const { code, codeHash } = this.chain.contractCode(accountId);
        return { code_base64: toBase64(code), hash: codeHash, ...at };
      }
      default:
        throw new RpcRequestError(`unknown request_type ${requestType}`);
    }
  }

  private submit(bytes: Uint8Array): ChainTransaction {
    const transaction = readSignedTransaction(bytes);
    this.chain.submit(transaction);
    return transaction;
  }

  private async sendTransaction(bytes: Uint8Array, waitUntil: WaitUntil): Promise<unknown> {
    const transaction = this.submit(bytes);
    return this.awaitTransaction(transaction.hash, waitUntil, false);
  }

  private async transactionStatus(params: Params, withReceipts: boolean): Promise<unknown> {
    let hash: string;
    let waitUntil: WaitUntil = 'EXECUTED_OPTIMISTIC';
    if (Array.isArray(params)) {
      if (typeof params[0] !== 'string') throw new RpcRequestError('tx: params must be [hash, sender]');
      hash = params[0];
    } else {
      const fields = object(params, 'tx');
      hash = typeof fields.signed_tx_base64 === 'string' ? readSignedTransaction(base64Field(fields, 'signed_tx_base64')).hash : stringField(fields, 'tx_hash');
      waitUntil = waitUntilField(fields, 'EXECUTED_OPTIMISTIC');
    }
    if (this.chain.transactionResult(hash).phase === 'unknown') throw new UnknownTransactionError(hash);
    return this.awaitTransaction(hash, waitUntil, withReceipts);
  }

  /** Waits for the level `waitUntil` asks for; every devnet block is final when produced. */
  private async awaitTransaction(hash: string, waitUntil: WaitUntil, withReceipts: boolean): Promise<unknown> {
    if (waitUntil === 'NONE') return { final_execution_status: 'NONE' };
    const needsExecution = waitUntil !== 'INCLUDED' && waitUntil !== 'INCLUDED_FINAL';
    let result: TransactionResult = this.chain.transactionResult(hash);
    const reached = (): boolean => {
      result = this.chain.transactionResult(hash);
      return result.phase === 'rejected' || (result.phase === 'included' && (!needsExecution || result.complete));
    };
    if (!(await this.chain.waitFor(reached, this.waitMs))) throw new TransactionWaitTimeoutError(hash);
    const settled = result as Exclude<TransactionResult, { phase: 'unknown' | 'pending' }>;
    if (settled.phase === 'rejected') throw settled.error;
    if (!needsExecution) return { final_execution_status: 'INCLUDED_FINAL' };
    const status = settled.status;
    return {
      final_execution_status: 'FINAL',
      status:
        status.kind === 'SuccessValue' ? { SuccessValue: toBase64(status.value) } : status.kind === 'Failure' ? { Failure: status.error } : status.kind,
      transaction: transactionView(settled.transaction),
      transaction_outcome: outcomeView(settled.outcome),
      receipts_outcome: settled.receiptOutcomes.map(outcomeView),
      ...(withReceipts ? { receipts: settled.receiptOutcomes.flatMap((outcome) => this.receiptOf(outcome.id)) } : {}),
    };
  }

  private receiptOf(receiptId: string): ReturnType<typeof receiptView>[] {
    const outcome = this.chain.receiptOutcome(receiptId);
    const block = outcome === undefined ? undefined : this.chain.blockByHash(outcome.blockHash);
    const executed = block?.receiptOutcomes.find((entry) => entry.receipt.receiptId === receiptId);
    return executed === undefined ? [] : [receiptView(executed.receipt)];
  }
}


const isoTime = (timestampNs: bigint): string => new Date(Number(timestampNs / 1_000_000n)).toISOString();

// ---- HTTP ----

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new RpcRequestError(`request body larger than ${MAX_REQUEST_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, httpStatus: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(httpStatus, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export async function startRpcServer(options: RpcServerOptions): Promise<RunningRpcServer> {
  let url = '';
  const handler = new RpcHandler(options.chain, options.transactionWaitMs ?? DEFAULT_TRANSACTION_WAIT_MS, () => url);
  const server: Server = createServer((request, response) => {
    void serve(handler, options.chain, request, response);
  });
  // Clients (undici, 4 s) must drop idle connections before the server does, or a request sent on a
  // connection the server is closing fails with ECONNRESET; a busy event loop shifts both timers.
  server.keepAliveTimeout = IDLE_CONNECTION_MS;
  server.headersTimeout = IDLE_CONNECTION_MS + 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function serve(handler: RpcHandler, chain: DevnetChain, request: IncomingMessage, response: ServerResponse): Promise<void> {
  let id: unknown = null;
  try {
    if (request.method !== 'POST') {
      send(response, 405, { error: 'the NEAR JSON-RPC answers POST requests' });
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(await readBody(request));
    } catch (error) {
      throw error instanceof RpcRequestError ? error : new RpcRequestError(`invalid JSON: ${(error as Error).message}`);
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) throw new RpcRequestError('a JSON-RPC request must be an object');
    const fields = message as Record<string, unknown>;
    id = fields.id ?? null;
    if (typeof fields.method !== 'string') throw new RpcRequestError('missing field `method`');
    const result = await handler.call(fields.method, fields.params ?? []);
    send(response, 200, { jsonrpc: '2.0', result, id });
  } catch (error) {
    const head = chain.head().header;
    const failure = error instanceof RpcRequestError ? requestValidationFailure(error) : rpcFailureFor(error, { block_height: head.height, block_hash: head.hash });
    send(response, failure.httpStatus, { jsonrpc: '2.0', error: failure.error, id });
  }
}
