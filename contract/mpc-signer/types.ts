/**
 * The MPC signer contract's state and argument shapes, as JSON. Field names and nesting follow
 * near/mpc's contract interface (near-mpc-contract-interface `types/state.rs`); block heights, ids and
 * epochs are JSON numbers as in serde's u64 encoding. Differences are listed in docs/contracts.md.
 */
import type { AccountId } from '../host.js';

export type SignatureScheme = 'Secp256k1' | 'Ed25519';
export type DomainPurpose = 'Sign';

export interface DomainConfig {
  readonly id: number;
  readonly scheme: SignatureScheme;
  readonly purpose: DomainPurpose;
}

export interface DomainRegistry {
  readonly domains: readonly DomainConfig[];
  /** Ids are never reused, even for domains whose key generation was cancelled. */
  readonly next_domain_id: number;
}

export interface KeyForDomain {
  readonly domain_id: number;
  /** The domain's root public key in NEAR form (`secp256k1:…` / `ed25519:…`). */
  readonly key: string;
  /** The key event attempt that produced (or last reshared) the key. */
  readonly attempt: number;
}

export interface Keyset {
  readonly epoch_id: number;
  readonly domains: readonly KeyForDomain[];
}

/**
 * What peers need to reach and trust a node: `url` of its message endpoint, `sign_pk` (Ed25519, NEAR
 * form) verifying the signature on every message it sends, and `cipher_pk` (X25519, 32 bytes hex)
 * that peers encrypt messages to it with.
 */
export interface ParticipantInfo {
  readonly url: string;
  readonly sign_pk: string;
  readonly cipher_pk: string;
}

/** `[account, participant id, info]`, serde's encoding of near/mpc's tuple. */
export type ParticipantEntry = readonly [AccountId, number, ParticipantInfo];

export interface Participants {
  readonly next_id: number;
  readonly participants: readonly ParticipantEntry[];
}

export interface ThresholdParameters {
  readonly participants: Participants;
  readonly threshold: number;
}

export interface ParametersProposal {
  readonly prospective_epoch_id: number;
  readonly parameters: ThresholdParameters;
}

export interface RunningState {
  readonly domains: DomainRegistry;
  readonly keyset: Keyset;
  readonly parameters: ThresholdParameters;
  readonly parameters_votes: { readonly proposal_by_account: Readonly<Record<AccountId, ParametersProposal>> };
  readonly add_domains_votes: { readonly proposal_by_account: Readonly<Record<AccountId, readonly DomainConfig[]>> };
  /** Set when a resharing was cancelled; the next proposal must target a later epoch. */
  readonly previously_cancelled_resharing_epoch_id: number | null;
}

export interface KeyEventId {
  readonly epoch_id: number;
  readonly domain_id: number;
  readonly attempt_id: number;
}

/** One attempt at generating or resharing a domain's key, led by the leader and open until `expires_on`. */
export interface KeyEventInstance {
  readonly attempt_id: number;
  readonly started_in: number;
  readonly expires_on: number;
  /** Participants that voted success (`vote_pk` / `vote_reshared`) in this attempt. */
  readonly completed: readonly AccountId[];
  /** The key the first `vote_pk` proposed (keygen only). */
  readonly public_key: string | null;
}

export interface KeyEvent {
  readonly epoch_id: number;
  readonly domain: DomainConfig;
  /** The participants that run the event (the new set, for resharing). */
  readonly parameters: ThresholdParameters;
  readonly instance: KeyEventInstance | null;
  readonly next_attempt_id: number;
}

export interface InitializingState {
  /** All domains, including those whose keys are still being generated. */
  readonly domains: DomainRegistry;
  readonly epoch_id: number;
  /** Keys of existing domains, then keys generated so far, in domain order. */
  readonly generated_keys: readonly KeyForDomain[];
  readonly generating_key: KeyEvent;
  readonly cancel_votes: readonly AccountId[];
  /** Carried over from the running state, which it is restored into. */
  readonly previously_cancelled_resharing_epoch_id: number | null;
}

export interface ResharingState {
  readonly previous_running_state: RunningState;
  readonly reshared_keys: readonly KeyForDomain[];
  readonly resharing_key: KeyEvent;
  readonly cancellation_requests: readonly AccountId[];
}

export type ProtocolState =
  | { readonly Running: RunningState }
  | { readonly Initializing: InitializingState }
  | { readonly Resharing: ResharingState };

export interface ContractConfig {
  /** Blocks a key event attempt stays open after its leader starts it. */
  readonly key_event_timeout_blocks: number;
}

export const DEFAULT_CONFIG: ContractConfig = { key_event_timeout_blocks: 30 };
