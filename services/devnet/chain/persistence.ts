/**
 * Keeps a chain in a folder so a restarted devnet resumes where it stopped:
 * - `blocks.ndjson`: one line per block, appended as blocks are produced (the history behind
 *   `block`, `tx` and the Lake writer's catch-up);
 * - `state.json`: the head state (accounts, receipts in flight, parked yields), replaced atomically
 *   after each block;
 * - `code/<hash>.wasm`: deployed wasm, written once per code hash (not with every state).
 * A crash between the two leaves a block line the state does not know; loading drops it.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainConfig, ChainStore, RestoredChain } from './chain.js';
import { fromBase64, toBase64 } from './encoding.js';
import { ChainConfigError } from './errors.js';
import type { ChainState, MutableAccount } from './state.js';
import type { ChainBlock, CryptoHash } from './types.js';

/** 2: contracts are `ContractCode` values and wasm lives under `code/`; 1 named library contracts by a string. */
const FORMAT_VERSION = 2;
const STATE_FILE = 'state.json';
const BLOCKS_FILE = 'blocks.ndjson';
const CODE_FOLDER = 'code';
const CODE_SUFFIX = '.wasm';

// JSON has no bigint, bytes or Map: they travel as one-key tagged objects.
type Tagged = { $bigint: string } | { $bytes: string } | { $map: [unknown, unknown][] };

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() } satisfies Tagged;
  if (value instanceof Uint8Array) return { $bytes: toBase64(value) } satisfies Tagged;
  if (value instanceof Map) return { $map: [...value.entries()] } satisfies Tagged;
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1) return value;
  const tagged = value as Record<string, unknown>;
  if (typeof tagged.$bigint === 'string') return BigInt(tagged.$bigint);
  if (typeof tagged.$bytes === 'string') return fromBase64(tagged.$bytes);
  if (Array.isArray(tagged.$map)) return new Map(tagged.$map as [unknown, unknown][]);
  return value;
}

export const encodeRecord = (value: unknown): string => JSON.stringify(value, replacer);
export const decodeRecord = <T>(text: string): T => JSON.parse(text, reviver) as T;

interface StateFile {
  readonly version: number;
  readonly chainId: string;
  readonly height: number;
  readonly state: Omit<ChainState, 'code'>;
}

/** A format-1 state named each account's library contract by a string. */
function upgradeFormat1(state: Omit<ChainState, 'code'>): void {
  for (const account of state.accounts.values() as Iterable<Omit<MutableAccount, 'contract'> & { contract: unknown }>) {
    if (typeof account.contract === 'string') account.contract = { kind: 'library', name: account.contract };
  }
}

export class FolderChainStore implements ChainStore {
  /** Code hashes already in `code/`. */
  private readonly savedCode = new Set<CryptoHash>();

  constructor(
    readonly directory: string,
    private readonly chainId: string,
  ) {
    mkdirSync(join(directory, CODE_FOLDER), { recursive: true });
  }

  private get codeDirectory(): string {
    return join(this.directory, CODE_FOLDER);
  }

  private loadCode(): Map<CryptoHash, Uint8Array> {
    const code = new Map<CryptoHash, Uint8Array>();
    for (const file of readdirSync(this.codeDirectory)) {
      if (!file.endsWith(CODE_SUFFIX)) continue;
      const codeHash = file.slice(0, -CODE_SUFFIX.length);
      code.set(codeHash, new Uint8Array(readFileSync(join(this.codeDirectory, file))));
      this.savedCode.add(codeHash);
    }
    return code;
  }

  private get statePath(): string {
    return join(this.directory, STATE_FILE);
  }

  private get blocksPath(): string {
    return join(this.directory, BLOCKS_FILE);
  }

  load(): RestoredChain | null {
    if (!existsSync(this.statePath)) return null;
    let snapshot: StateFile;
    try {
      snapshot = decodeRecord<StateFile>(readFileSync(this.statePath, 'utf8'));
    } catch (error) {
      throw new ChainConfigError(`${this.statePath} is not a readable chain state`, { cause: error });
    }
    if (snapshot.version === 1) upgradeFormat1(snapshot.state);
    else if (snapshot.version !== FORMAT_VERSION) throw new ChainConfigError(`${this.statePath} has format ${snapshot.version}, expected ${FORMAT_VERSION}`);
    if (snapshot.chainId !== this.chainId) throw new ChainConfigError(`${this.directory} holds chain ${snapshot.chainId}, not ${this.chainId}`);
    const byHeight = new Map<number, ChainBlock>();
    const lines = existsSync(this.blocksPath) ? readFileSync(this.blocksPath, 'utf8').split('\n') : [];
    for (const line of lines) {
      if (line.trim() === '') continue;
      let block: ChainBlock;
      try {
        block = decodeRecord<ChainBlock>(line);
      } catch {
        continue; // a line cut short by a crash
      }
      if (block.header.height <= snapshot.height) byHeight.set(block.header.height, block);
    }
    const blocks = [...byHeight.values()].sort((a, b) => a.header.height - b.header.height);
    if (blocks.at(-1)?.header.height !== snapshot.height) {
      throw new ChainConfigError(`${this.blocksPath} does not reach the saved state's height ${snapshot.height}`);
    }
    // Rewrite the log without what the state never saw, so heights stay unique.
    writeFileSync(this.blocksPath, blocks.map((block) => `${encodeRecord(block)}\n`).join(''));
    return { state: { ...snapshot.state, code: this.loadCode() }, blocks };
  }

  saveBlock(block: ChainBlock, state: ChainState, config: ChainConfig): void {
    for (const [codeHash, code] of state.code) {
      if (this.savedCode.has(codeHash)) continue;
      writeFileSync(join(this.codeDirectory, `${codeHash}${CODE_SUFFIX}`), code);
      this.savedCode.add(codeHash);
    }
    appendFileSync(this.blocksPath, `${encodeRecord(block)}\n`);
    const { code: _code, ...withoutCode } = state;
    const file: StateFile = { version: FORMAT_VERSION, chainId: config.chainId, height: block.header.height, state: withoutCode };
    const temporary = `${this.statePath}.tmp`;
    writeFileSync(temporary, encodeRecord(file));
    renameSync(temporary, this.statePath);
  }
}
