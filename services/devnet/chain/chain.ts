/**
 * The devnet chain: one producer, one shard, a block every `blockTimeMs`. It keeps the world state
 * at the head, the transaction pool, every block's records (a bounded window of full blocks, all
 * headers) and the outcome index behind `tx` status. Listeners see each block as it is produced
 * (the Lake writer is one); a {@link ChainStore} can persist it so a restart resumes the chain.
 */
import { randomBytes } from 'node:crypto';
import type { ContractDefinition } from '../../../contract/host.js';
import { codeHashOf, contractCodeOf } from './contract-code.js';
import { newContractCatalog, type ContractCatalog } from './contract-runner.js';
import { fromBase58, hashId, sha256Bytes, toBase58, u64Bytes, ZERO_HASH } from './encoding.js';
import { ChainConfigError, ChainStoppedError, InvalidTransactionError, NoContractCodeError, UnknownAccessKeyError, UnknownAccountError, UnknownBlockError } from './errors.js';
import { GAS_PRICE } from './gas.js';
import { normalisePublicKey } from './keys.js';
import { applyChunk, checkTransaction, runViewCall, type BlockEnvironment, type OutcomeDraft } from './runtime.js';
import { emptyChainState, storageUsage, type ChainState, type MutableAccount } from './state.js';
import type { AccessKey, AccountId, BlockHeader, ChainBlock, ChainTransaction, ContractCode, CryptoHash, ExecutionOutcome, NearErrorJson } from './types.js';

export const DEFAULT_BLOCK_TIME_MS = 500;
/** NEAR's yield timeout (NEP-519): the callback gets a failed result 200 blocks after the yield. */
export const DEFAULT_YIELD_TIMEOUT_BLOCKS = 200;
/** nearcore's `transaction_validity_period`: a transaction must reference one of the last 86 400 blocks. */
export const DEFAULT_TRANSACTION_VALIDITY_BLOCKS = 86_400;
const DEFAULT_RETAINED_BLOCKS = 20_000;
const MAX_TRANSACTIONS_PER_BLOCK = 1_000;

export interface GenesisAccount {
  readonly accountId: AccountId;
  readonly balance: bigint;
  /** Full-access keys in NEAR text form. */
  readonly publicKeys?: readonly string[];
  /** A contract of the library, deployed at genesis. */
  readonly contract?: string;
  /** NEAR wasm deployed at genesis (instead of `contract`). */
  readonly wasm?: Uint8Array;
}

/** A function call executed in the first block, as the contract calling itself (e.g. `init`). */
export interface GenesisCall {
  readonly accountId: AccountId;
  readonly methodName: string;
  readonly args: Uint8Array;
  readonly gas?: bigint;
}

export interface ChainConfig {
  readonly chainId: string;
  readonly blockTimeMs: number;
  /** Creates short top-level accounts, produces blocks (the block `author`). */
  readonly registrarId: AccountId;
  readonly yieldTimeoutBlocks: number;
  readonly transactionValidityBlocks: number;
  readonly retainedBlocks: number;
  readonly protocolVersion: number;
}

/** The persisted form of a chain (see persistence.ts); the chain only calls these two methods. */
export interface ChainStore {
  /** The chain recorded so far, or null for a fresh folder. */
  load(): RestoredChain | null;
  /** Called after each block, before listeners see it. */
  saveBlock(block: ChainBlock, state: ChainState, config: ChainConfig): void;
}

export interface RestoredChain {
  readonly state: ChainState;
  /** Every block still recorded, ascending; the last is the head. */
  readonly blocks: readonly ChainBlock[];
}

export type FinalExecutionStatus = { readonly kind: 'NotStarted' } | { readonly kind: 'Started' } | { readonly kind: 'SuccessValue'; readonly value: Uint8Array } | { readonly kind: 'Failure'; readonly error: NearErrorJson };

export type TransactionResult =
  | { readonly phase: 'unknown' }
  | { readonly phase: 'pending'; readonly transaction: ChainTransaction }
  | { readonly phase: 'rejected'; readonly transaction: ChainTransaction; readonly error: InvalidTransactionError }
  | {
      readonly phase: 'included';
      readonly transaction: ChainTransaction;
      readonly outcome: ExecutionOutcome;
      /** Outcomes of every receipt of the transaction executed so far, breadth first. */
      readonly receiptOutcomes: readonly ExecutionOutcome[];
      /** All receipts it spawned have executed. */
      readonly complete: boolean;
      readonly status: FinalExecutionStatus;
    };

export type BlockListener = (block: ChainBlock) => void;

interface TransactionRecord {
  readonly transaction: ChainTransaction;
  readonly outcome: ExecutionOutcome;
}

export class DevnetChain {
  private readonly pool = new Map<CryptoHash, ChainTransaction>();
  private readonly blocksByHeight = new Map<number, ChainBlock>();
  private readonly heightByHash = new Map<CryptoHash, number>();
  private readonly transactions = new Map<CryptoHash, TransactionRecord>();
  private readonly rejected = new Map<CryptoHash, { transaction: ChainTransaction; error: InvalidTransactionError }>();
  private readonly receiptOutcomes = new Map<CryptoHash, ExecutionOutcome>();
  private readonly listeners = new Set<BlockListener>();
  private readonly stopListeners = new Set<() => void>();
  private headBlock!: ChainBlock;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private pendingGenesisCalls: readonly GenesisCall[] = [];
  private stopCause: unknown = undefined;
  private constructor(
    readonly config: ChainConfig,
    private readonly contracts: ContractCatalog,
    private readonly state: ChainState,
    private readonly store: ChainStore | null,
    /** Milliseconds since the epoch that stamp blocks (monotonic per chain regardless). */
    private readonly now: () => number,
  ) {}

  /**
   * Opens the chain: restores it from `store` if it holds one, otherwise builds the genesis block
   * from `genesis`. Blocks are produced once {@link start} is called.
   */
  static open(options: {
    config: ChainConfig;
    library: readonly ContractDefinition[];
    genesis: { accounts: readonly GenesisAccount[]; calls?: readonly GenesisCall[] };
    store?: ChainStore;
    /** The clock that stamps blocks; default `Date.now`. Tests that run two chains side by side share one. */
    now?: () => number;
  }): DevnetChain {
    const library = new Map(options.library.map((definition) => [definition.name, definition]));
    const contracts = newContractCatalog(library);
    const restored = options.store?.load() ?? null;
    if (restored !== null) {
      const chain = new DevnetChain(options.config, contracts, restored.state, options.store ?? null, options.now ?? Date.now);
      for (const block of restored.blocks) chain.index(block);
      if (chain.headBlock === undefined) throw new ChainConfigError('the chain store holds state but no blocks');
      return chain;
    }
    const state = emptyChainState();
    for (const account of options.genesis.accounts) {
      if (state.accounts.has(account.accountId)) throw new ChainConfigError(`genesis lists ${account.accountId} twice`);
      const contract = genesisContract(account, library);
      if (contract?.kind === 'wasm') state.code.set(contract.codeHash, account.wasm!);
      const keys = new Map<string, AccessKey>();
      for (const key of account.publicKeys ?? []) {
        const normalised = normalisePublicKey(key);
        if (normalised === null) throw new ChainConfigError(`genesis key ${key} of ${account.accountId} is malformed`);
        keys.set(normalised, { nonce: 0n, permission: { kind: 'FullAccess' } });
      }
      state.accounts.set(account.accountId, { amount: account.balance, locked: 0n, contract, keys, storage: new Map() });
      state.totalSupply += account.balance;
    }
    const chain = new DevnetChain(options.config, contracts, state, options.store ?? null, options.now ?? Date.now);
    chain.pendingGenesisCalls = options.genesis.calls ?? [];
    const genesis = chain.seal(
      { height: 0, prevHash: ZERO_HASH, prevHeight: null, random: new Uint8Array(32), prevStateRoot: ZERO_HASH },
      { delivered: [], executed: [], included: [], rejected: [], outgoing: [], gasBurnt: 0n, tokensBurnt: 0n },
    );
    chain.record(genesis);
    return chain;
  }

  /** Starts producing blocks. */
  start(): void {
    if (this.stopped) throw new ChainStoppedError(this.stopCause);
    if (this.timer !== null) return;
    const { blockTimeMs } = this.config;
    // Blocks keep a cadence — one every blockTimeMs on average, whatever producing one took and however
    // late the timer fired — so 10 blocks a second at 100 ms, not 9.8. After a stall longer than a block
    // the cadence starts again from now rather than producing the missed blocks in a burst.
    let dueAt = Date.now() + blockTimeMs;
    const tick = (): void => {
      try {
        this.produceBlock();
      } catch (error) {
        // A block that cannot be produced is a devnet bug (contract errors fail receipts, not blocks):
        // stop rather than continue from a half-applied state; waiters see why.
        this.stopCause = error;
        process.stderr.write(`devnet chain stopped at height ${this.headBlock.header.height + 1}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        this.stop();
        return;
      }
      if (this.stopped) return;
      const now = Date.now();
      dueAt = now - dueAt > blockTimeMs ? now + blockTimeMs : dueAt + blockTimeMs;
      this.timer = setTimeout(tick, Math.max(0, dueAt - now));
    };
    this.timer = setTimeout(tick, blockTimeMs);
  }

  /** Stops block production; waiters and later submissions fail with {@link ChainStoppedError}. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const listener of [...this.stopListeners]) listener();
  }

  onBlock(listener: BlockListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  head(): ChainBlock {
    return this.headBlock;
  }

  blockAt(height: number): ChainBlock | undefined {
    return this.blocksByHeight.get(height);
  }

  blockByHash(hash: CryptoHash): ChainBlock | undefined {
    const height = this.heightByHash.get(hash);
    return height === undefined ? undefined : this.blocksByHeight.get(height);
  }

  /** Resolves a `block_id` (height or hash) to a retained block; throws {@link UnknownBlockError}. */
  resolveBlock(blockId: number | string): ChainBlock {
    const block = typeof blockId === 'number' ? this.blockAt(blockId) : this.blockByHash(blockId);
    if (block === undefined) throw new UnknownBlockError(String(blockId));
    return block;
  }

  /** The lowest height still retained in memory (older blocks were pruned). */
  earliestRetainedHeight(): number {
    return Math.max(0, this.headBlock.header.height - this.config.retainedBlocks + 1);
  }

  // ---- transactions ----

  /**
   * Admits a verified transaction to the pool after checking it against the head state. A
   * transaction already known (pooled, included or rejected) is not admitted again.
   */
  submit(transaction: ChainTransaction): void {
    if (this.stopped) throw new ChainStoppedError(this.stopCause);
    if (this.pool.has(transaction.hash) || this.transactions.has(transaction.hash) || this.rejected.has(transaction.hash)) return;
    checkTransaction(this.state.accounts, transaction, this.environment(this.headBlock.header.height + 1, 0n, new Uint8Array(32)));
    this.pool.set(transaction.hash, transaction);
  }

  transactionResult(hash: CryptoHash): TransactionResult {
    const pooled = this.pool.get(hash);
    if (pooled !== undefined) return { phase: 'pending', transaction: pooled };
    const rejected = this.rejected.get(hash);
    if (rejected !== undefined) return { phase: 'rejected', ...rejected };
    const record = this.transactions.get(hash);
    if (record === undefined) return { phase: 'unknown' };
    const receiptOutcomes: ExecutionOutcome[] = [];
    let complete = true;
    const queue = [...record.outcome.receiptIds];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const outcome = this.receiptOutcomes.get(next);
      if (outcome === undefined) {
        complete = false;
        continue;
      }
      receiptOutcomes.push(outcome);
      queue.push(...outcome.receiptIds);
    }
    return { phase: 'included', transaction: record.transaction, outcome: record.outcome, receiptOutcomes, complete, status: this.finalStatus(record.outcome) };
  }

  /** nearcore's final status: follow `SuccessReceiptId` from the transaction to the value or failure. */
  private finalStatus(transactionOutcome: ExecutionOutcome): FinalExecutionStatus {
    let outcome: ExecutionOutcome | undefined = transactionOutcome;
    while (outcome !== undefined) {
      if (outcome.status.kind === 'SuccessValue') return { kind: 'SuccessValue', value: outcome.status.value };
      if (outcome.status.kind === 'Failure') return { kind: 'Failure', error: outcome.status.error };
      outcome = this.receiptOutcomes.get(outcome.status.receiptId);
    }
    return { kind: 'Started' };
  }

  receiptOutcome(receiptId: CryptoHash): ExecutionOutcome | undefined {
    return this.receiptOutcomes.get(receiptId);
  }

  /**
   * Resolves true once `condition` holds (checked now and after every block), false after
   * `timeoutMs`. Rejects with {@link ChainStoppedError} if the chain stops first.
   */
  waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    if (this.stopped) return Promise.reject(new ChainStoppedError(this.stopCause));
    return new Promise((resolve, reject) => {
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        unsubscribe();
        this.stopListeners.delete(onStop);
        settle();
      };
      const unsubscribe = this.onBlock(() => {
        if (condition()) finish(() => resolve(true));
      });
      const onStop = (): void => finish(() => reject(new ChainStoppedError(this.stopCause)));
      this.stopListeners.add(onStop);
      const timer = setTimeout(() => finish(() => resolve(false)), timeoutMs);
    });
  }

  // ---- views at the head ----

  account(accountId: AccountId): { account: MutableAccount; storageUsage: number } {
    const account = this.state.accounts.get(accountId);
    if (account === undefined) throw new UnknownAccountError(accountId);
    return { account, storageUsage: storageUsage(account) };
  }

  accessKey(accountId: AccountId, publicKey: string): AccessKey {
    const { account } = this.account(accountId);
    const key = account.keys.get(normalisePublicKey(publicKey) ?? publicKey);
    if (key === undefined) throw new UnknownAccessKeyError(accountId, publicKey);
    return key;
  }

  /** What `view_code` shows: the wasm an account runs (for a library contract, its name's bytes) and its code hash. */
  contractCode(accountId: AccountId): { code: Uint8Array; codeHash: CryptoHash } {
    const { account } = this.account(accountId);
    const contract = account.contract;
    if (contract === null) throw new NoContractCodeError(accountId);
    return { code: contract.kind === 'wasm' ? this.state.code.get(contract.codeHash)! : new TextEncoder().encode(contract.name), codeHash: codeHashOf(contract) };
  }

  callView(accountId: AccountId, methodName: string, args: Uint8Array): { result: Uint8Array; logs: string[] } {
    const header = this.headBlock.header;
    return runViewCall(this.state, accountId, methodName, args, {
      height: header.height,
      timestampNs: header.timestampNs,
      randomSeed: fromBase58(header.randomValue),
      contracts: this.contracts,
    });
  }

  // ---- block production ----

  private environment(height: number, timestampNs: bigint, randomSeed: Uint8Array): BlockEnvironment {
    return {
      height,
      timestampNs,
      randomSeed,
      gasPrice: GAS_PRICE,
      registrarId: this.config.registrarId,
      yieldTimeoutBlocks: this.config.yieldTimeoutBlocks,
      contracts: this.contracts,
      referencedBlock: (hash) => {
        const referenced = this.heightByHash.get(hash);
        if (referenced === undefined) return 'unknown';
        return height - referenced > this.config.transactionValidityBlocks ? 'expired' : 'recent';
      },
    };
  }

  /** Produces the next block now (the timer calls this; tests may too). */
  produceBlock(): ChainBlock {
    if (this.stopped) throw new ChainStoppedError(this.stopCause);
    const previous = this.headBlock.header;
    const height = previous.height + 1;
    const randomSeed = sha256Bytes(fromBase58(previous.randomValue), randomBytes(32));
    const timestampNs = bigintMax(BigInt(this.now()) * 1_000_000n, previous.timestampNs + 1n);
    const transactions = [...this.pool.values()].slice(0, MAX_TRANSACTIONS_PER_BLOCK);
    for (const transaction of transactions) this.pool.delete(transaction.hash);
    this.injectGenesisCalls();
    const chunk = applyChunk(this.state, transactions, this.environment(height, timestampNs, randomSeed));
    const block = this.seal({ height, prevHash: previous.hash, prevHeight: previous.height, random: randomSeed, prevStateRoot: previous.stateRoot, timestampNs }, chunk);
    for (const { transaction, error } of chunk.rejected) this.rejected.set(transaction.hash, { transaction, error });
    this.record(block);
    return block;
  }

  /** Genesis calls run in block 1 as receipts from the contract to itself. */
  private injectGenesisCalls(): void {
    for (const [index, call] of this.pendingGenesisCalls.entries()) {
      const receiptId = hashId('genesis-call', u64Bytes(index), call.accountId, call.methodName);
      this.state.incoming.push({
        kind: 'action',
        receiptId,
        predecessorId: call.accountId,
        receiverId: call.accountId,
        originTxHash: receiptId,
        signerId: call.accountId,
        signerPublicKey: `ed25519:${ZERO_HASH}`,
        gasPrice: 0n,
        outputDataReceivers: [],
        inputDataIds: [],
        actions: [{ type: 'FunctionCall', methodName: call.methodName, args: call.args, gas: call.gas ?? 300_000_000_000_000n, deposit: 0n }],
        isPromiseYield: false,
        isRefund: false,
      });
    }
    this.pendingGenesisCalls = [];
  }

  private seal(
    parent: { height: number; prevHash: CryptoHash; prevHeight: number | null; random: Uint8Array; prevStateRoot: CryptoHash; timestampNs?: bigint },
    chunk: ReturnType<typeof applyChunk>,
  ): ChainBlock {
    const timestampNs = parent.timestampNs ?? BigInt(this.now()) * 1_000_000n;
    const txRoot = hashId(...chunk.included.map((entry) => entry.transaction.hash));
    const receiptsRoot = hashId(...chunk.delivered.map((receipt) => receipt.receiptId));
    const outcomeRoot = hashId(...[...chunk.included, ...chunk.executed].map((entry) => `${entry.outcome.id}:${JSON.stringify(statusKey(entry.outcome))}`));
    const randomValue = toBase58(parent.random);
    // Not a Merkle root of the state: a chained commitment to everything executed so far.
    const stateRoot = hashId(parent.prevStateRoot, outcomeRoot);
    const chunkHash = hashId(u64Bytes(parent.height), txRoot, receiptsRoot, outcomeRoot);
    const hash = hashId(u64Bytes(parent.height), parent.prevHash, u64Bytes(timestampNs), randomValue, chunkHash, stateRoot);
    const header: BlockHeader = {
      height: parent.height,
      prevHeight: parent.prevHeight,
      hash,
      prevHash: parent.prevHash,
      timestampNs,
      randomValue,
      gasPrice: GAS_PRICE,
      totalSupply: this.state.totalSupply,
      chunkHash,
      outcomeRoot,
      txRoot,
      receiptsRoot,
      stateRoot,
      gasUsed: chunk.gasBurnt,
      balanceBurnt: chunk.tokensBurnt,
    };
    const stamp = (outcome: OutcomeDraft): ExecutionOutcome => ({ ...outcome, blockHash: hash });
    return {
      header,
      transactions: chunk.included.map(({ transaction, outcome }) => ({ transaction, outcome: stamp(outcome) })),
      receipts: chunk.delivered,
      receiptOutcomes: chunk.executed.map(({ receipt, outcome }) => ({ receipt, outcome: stamp(outcome) })),
    };
  }

  /** Persists, indexes and announces a new block. */
  private record(block: ChainBlock): void {
    this.store?.saveBlock(block, this.state, this.config);
    this.index(block);
    for (const listener of [...this.listeners]) listener(block);
  }

  private index(block: ChainBlock): void {
    const height = block.header.height;
    this.blocksByHeight.set(height, block);
    this.heightByHash.set(block.header.hash, height);
    this.blocksByHeight.delete(height - this.config.retainedBlocks);
    for (const { transaction, outcome } of block.transactions) this.transactions.set(transaction.hash, { transaction, outcome });
    for (const { outcome } of block.receiptOutcomes) this.receiptOutcomes.set(outcome.id, outcome);
    this.headBlock = block;
  }
}

/** A genesis account's contract: a library name, or wasm bytes (which must be wasm). */
function genesisContract(account: GenesisAccount, library: ReadonlyMap<string, unknown>): ContractCode | null {
  if (account.contract !== undefined && account.wasm !== undefined) throw new ChainConfigError(`genesis account ${account.accountId} has both a library contract and wasm`);
  if (account.wasm !== undefined) {
    const contract = contractCodeOf(account.wasm);
    if (contract.kind !== 'wasm') throw new ChainConfigError(`the genesis code of ${account.accountId} is not wasm (no \\0asm header)`);
    return contract;
  }
  if (account.contract === undefined) return null;
  if (!library.has(account.contract)) throw new ChainConfigError(`genesis contract ${account.contract} is not in the library`);
  return { kind: 'library', name: account.contract };
}

function statusKey(outcome: OutcomeDraft): string {
  const status = outcome.status;
  if (status.kind === 'SuccessValue') return `value:${toBase58(status.value)}`;
  if (status.kind === 'SuccessReceiptId') return `receipt:${status.receiptId}`;
  return `failure:${JSON.stringify(status.error)}`;
}

const bigintMax = (a: bigint, b: bigint): bigint => (a > b ? a : b);

export function defaultChainConfig(overrides: Partial<ChainConfig> = {}): ChainConfig {
  const config: ChainConfig = {
    chainId: 'devnet',
    blockTimeMs: DEFAULT_BLOCK_TIME_MS,
    registrarId: 'devnet',
    yieldTimeoutBlocks: DEFAULT_YIELD_TIMEOUT_BLOCKS,
    transactionValidityBlocks: DEFAULT_TRANSACTION_VALIDITY_BLOCKS,
    retainedBlocks: DEFAULT_RETAINED_BLOCKS,
    protocolVersion: 73,
    ...overrides,
  };
  if (!(config.blockTimeMs > 0)) throw new ChainConfigError(`blockTimeMs must be positive, got ${config.blockTimeMs}`);
  if (!(config.yieldTimeoutBlocks > 0)) throw new ChainConfigError(`yieldTimeoutBlocks must be positive, got ${config.yieldTimeoutBlocks}`);
  return config;
}
