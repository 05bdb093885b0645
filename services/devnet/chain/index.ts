/** The devnet chain's public surface: start a node, or open a chain and drive it directly. */
export { startDevnetChain, DevnetSetupError, ONE_NEAR, type RunningDevnetChain, type StartDevnetChainOptions, type DevnetContractDeployment, type CreatedAccount } from './start.js';
export { DevnetChain, defaultChainConfig, type ChainConfig, type GenesisAccount, type GenesisCall, type TransactionResult, type BlockListener } from './chain.js';
export { FolderChainStore } from './persistence.js';
export { LocalSigner, waitForExecution } from './local-signer.js';
export { readSignedTransaction } from './transaction.js';
export * from './errors.js';
export type { ChainBlock, ChainTransaction, ExecutionOutcome, Receipt, ActionReceipt, DataReceipt } from './types.js';
