/** The node's view of the chain: the `Chain` port and its NEAR RPC adapter, the contract's state, and the state poller. */
export { MpcSignerClient, type CallOptions, type Chain } from './chain.js';
export { NearRpcChain, type NearRpcChainOptions } from './near-rpc-chain.js';
export { parseContractState, participantEntries, type ContractView, type NodeDomain, type SigningView } from './contract-state.js';
export { jobsFor, type KeygenJob, type NodeJob, type ReshareJob, type ServeJob, type UnservableKeyEventJob } from './jobs.js';
export { DEFAULT_STATE_POLL_MS, StateSync, type PollTimers, type StateChange, type StateSyncOptions } from './state-sync.js';
export { ChainCallFailed, ChainRequestRejected, ChainUnavailable, ContractStateMalformed } from './errors.js';
