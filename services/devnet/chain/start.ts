/**
 * `startDevnetChain`: the devnet's NEAR node in one call — a chain hosting the given contracts, its
 * JSON-RPC on 127.0.0.1, optionally kept in a folder — plus helpers the one-command network uses
 * (funded accounts signed for by the root account's key).
 */
import { KeyPair, type KeyPairString } from '@near-js/crypto';
import { actionCreators } from '@near-js/transactions';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContractDefinition } from '../../../contract/host.js';
import { startRpcServer, type RunningRpcServer } from '../rpc/server.js';
import { DevnetChain, defaultChainConfig, type ChainConfig, type GenesisAccount } from './chain.js';
import { ChainConfigError, ChainError } from './errors.js';
import { TERA_GAS } from './gas.js';
import { LocalSigner } from './local-signer.js';
import { FolderChainStore } from './persistence.js';
import type { AccountId, NearErrorJson } from './types.js';

export const ONE_NEAR = 10n ** 24n;
const DEFAULT_ROOT_BALANCE = 1_000_000_000n * ONE_NEAR;
const DEFAULT_CONTRACT_BALANCE = 100n * ONE_NEAR;
const ROOT_KEY_FILE = 'root-key.json';
const SETUP_TIMEOUT_MS = 60_000;

/** A contract on a genesis account: a TypeScript definition, or NEAR wasm bytes (e.g. near/mpc's published signer). */
export type DevnetContractDeployment = DeploymentOptions & ({ readonly definition: ContractDefinition; readonly wasm?: never } | { readonly wasm: Uint8Array; readonly definition?: never });

interface DeploymentOptions {
  readonly accountId: AccountId;
  /** Default 100 NEAR; wasm must be covered by storage staking (10¹⁹ yoctoNEAR per byte, 1 NEAR per 100 kB). */
  readonly balance?: bigint;
  /** Full-access keys of the contract account (none by default: a locked contract). */
  readonly publicKeys?: readonly string[];
  /** Called in the first block as the contract calling itself; `args` is JSON unless bytes. */
  readonly init?: { readonly methodName: string; readonly args?: unknown; readonly gas?: bigint };
}

export interface StartDevnetChainOptions {
  readonly blockTimeMs?: number;
  /** Keep the chain in this folder; a folder that already holds a chain is resumed (genesis options are then ignored). */
  readonly dataDir?: string;
  readonly chainId?: string;
  /** The registrar and block producer; its key signs `createAccount`. Default `devnet`. */
  readonly rootAccountId?: AccountId;
  /** Default: generated (and kept in `dataDir` if there is one). */
  readonly rootSecretKey?: KeyPairString;
  readonly rootBalance?: bigint;
  readonly contracts?: readonly DevnetContractDeployment[];
  /** More contracts `DeployContract` may name (the genesis contracts are always deployable). */
  readonly library?: readonly ContractDefinition[];
  readonly accounts?: readonly GenesisAccount[];
  readonly yieldTimeoutBlocks?: number;
  readonly rpcPort?: number;
  readonly transactionWaitMs?: number;
}

export interface CreatedAccount {
  readonly accountId: AccountId;
  readonly keyPair: KeyPair;
}

export interface RunningDevnetChain {
  readonly rpcUrl: string;
  readonly chain: DevnetChain;
  readonly rootAccount: { readonly accountId: AccountId; readonly secretKey: KeyPairString; readonly publicKey: string };
  /** Creates a funded account (a sub-account of the root, or any top-level name) with a full-access key. */
  createAccount(accountId: AccountId, options?: { balance?: bigint; keyPair?: KeyPair }): Promise<CreatedAccount>;
  /** Resolves once the chain reached `height`; false on timeout. */
  waitForHeight(height: number, timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** A setup transaction of the devnet itself failed on chain. */
export class DevnetSetupError extends ChainError {
  constructor(message: string, readonly failure: NearErrorJson) {
    super(`${message}: ${JSON.stringify(failure)}`);
  }
}

function rootKey(options: StartDevnetChainOptions, accountId: AccountId): KeyPairString {
  if (options.rootSecretKey !== undefined) return options.rootSecretKey;
  const keyFile = options.dataDir === undefined ? null : join(options.dataDir, ROOT_KEY_FILE);
  if (keyFile !== null && existsSync(keyFile)) {
    const stored = JSON.parse(readFileSync(keyFile, 'utf8')) as { account_id: string; secret_key: KeyPairString };
    if (stored.account_id !== accountId) throw new ChainConfigError(`${keyFile} is the key of ${stored.account_id}, not ${accountId}`);
    return stored.secret_key;
  }
  const secretKey = KeyPair.fromRandom('ed25519').toString() as KeyPairString;
  if (keyFile !== null) {
    mkdirSync(options.dataDir!, { recursive: true });
    writeFileSync(keyFile, JSON.stringify({ account_id: accountId, public_key: KeyPair.fromString(secretKey).getPublicKey().toString(), secret_key: secretKey }), { mode: 0o600 });
  }
  return secretKey;
}

const encodeArgs = (args: unknown): Uint8Array => (args instanceof Uint8Array ? args : new TextEncoder().encode(JSON.stringify(args ?? {})));

export async function startDevnetChain(options: StartDevnetChainOptions = {}): Promise<RunningDevnetChain> {
  const overrides: Partial<ChainConfig> = {
    ...(options.blockTimeMs !== undefined ? { blockTimeMs: options.blockTimeMs } : {}),
    ...(options.chainId !== undefined ? { chainId: options.chainId } : {}),
    ...(options.rootAccountId !== undefined ? { registrarId: options.rootAccountId } : {}),
    ...(options.yieldTimeoutBlocks !== undefined ? { yieldTimeoutBlocks: options.yieldTimeoutBlocks } : {}),
  };
  const config = defaultChainConfig(overrides);
  const secretKey = rootKey(options, config.registrarId);
  const rootKeyPair = KeyPair.fromString(secretKey);
  const contracts = options.contracts ?? [];
  const chain = DevnetChain.open({
    config,
    library: [...new Set([...contracts.flatMap((contract) => (contract.definition === undefined ? [] : [contract.definition])), ...(options.library ?? [])])],
    genesis: {
      accounts: [
        { accountId: config.registrarId, balance: options.rootBalance ?? DEFAULT_ROOT_BALANCE, publicKeys: [rootKeyPair.getPublicKey().toString()] },
        ...contracts.map((contract) => ({
          accountId: contract.accountId,
          balance: contract.balance ?? DEFAULT_CONTRACT_BALANCE,
          ...(contract.definition === undefined ? { wasm: contract.wasm } : { contract: contract.definition.name }),
          publicKeys: contract.publicKeys ?? [],
        })),
        ...(options.accounts ?? []),
      ],
      calls: contracts.flatMap((contract) =>
        contract.init === undefined ? [] : [{ accountId: contract.accountId, methodName: contract.init.methodName, args: encodeArgs(contract.init.args), gas: contract.init.gas ?? 300n * TERA_GAS }],
      ),
    },
    ...(options.dataDir !== undefined ? { store: new FolderChainStore(options.dataDir, config.chainId) } : {}),
  });
  let rpc: RunningRpcServer;
  try {
    rpc = await startRpcServer({ chain, port: options.rpcPort ?? 0, ...(options.transactionWaitMs !== undefined ? { transactionWaitMs: options.transactionWaitMs } : {}) });
  } catch (error) {
    chain.stop();
    throw error;
  }
  chain.start();
  // Genesis `init` calls execute in block 1; callers must never see a contract before its init ran.
  if (contracts.some((contract) => contract.init !== undefined) && !(await chain.waitFor(() => chain.head().header.height >= 1, SETUP_TIMEOUT_MS))) {
    chain.stop();
    await rpc.stop();
    throw new DevnetSetupError(`block 1, which runs the contracts' init calls, was not produced within ${SETUP_TIMEOUT_MS} ms`, { Timeout: { waitedMs: SETUP_TIMEOUT_MS } });
  }
  const root = new LocalSigner(chain, config.registrarId, rootKeyPair);
  const { createAccount, transfer, addKey, fullAccessKey } = actionCreators;
  return {
    rpcUrl: rpc.url,
    chain,
    rootAccount: { accountId: config.registrarId, secretKey, publicKey: rootKeyPair.getPublicKey().toString() },
    async createAccount(accountId, accountOptions = {}) {
      const keyPair = accountOptions.keyPair ?? KeyPair.fromRandom('ed25519');
      const result = await root.execute(accountId, [createAccount(), transfer(accountOptions.balance ?? 100n * ONE_NEAR), addKey(keyPair.getPublicKey(), fullAccessKey())], SETUP_TIMEOUT_MS);
      if (result.status.kind === 'Failure') throw new DevnetSetupError(`creating ${accountId} failed`, result.status.error);
      return { accountId, keyPair };
    },
    waitForHeight: (height, timeoutMs) => chain.waitFor(() => chain.head().header.height >= height, timeoutMs),
    async stop() {
      chain.stop();
      await rpc.stop();
    },
  };
}
