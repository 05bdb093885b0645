/**
 * near/mpc's signer contract ABI at 3.14 (mainnet 3.14.0, testnet 3.14.1): the JSON of its state,
 * method arguments, views, responses, gas and deposit requirements, and the error texts callers
 * match. The one definition every part of this project speaks: the node, the CLI, the lake indexer,
 * the devnet launcher and our TypeScript model of the contract (contract/mpc-signer).
 *
 * Shapes are as the published wasm serializes them (checked against it by
 * test/integration/devnet/signer-conformance.test.ts), which differs from its ABI schema in places:
 * `tls_public_key` is NEAR text (`ed25519:…`), not a byte array. Integers (ids, epochs, heights,
 * thresholds) are JSON numbers (serde's u64). Key order follows the contract's struct fields.
 */

import { base58 } from '@scure/base';

export type AccountId = string;
export type ParticipantId = number;
export type DomainId = number;
export type EpochId = number;
export type AttemptId = number;

// ---- domains ----

/** The MPC protocol a domain runs. */
export type Protocol = 'CaitSith' | 'Frost' | 'ConfidentialKeyDerivation' | 'DamgardEtAl';
/** What a domain serves: `sign`, `verify_foreign_transaction` or `request_app_private_key`. */
export type DomainPurpose = 'Sign' | 'ForeignTx' | 'CKD';
/** The curve of a domain's key (`latest_key_version`'s argument). */
export type Curve = 'Secp256k1' | 'Edwards25519' | 'Bls12381';

export interface DomainConfig {
  readonly id: DomainId;
  readonly protocol: Protocol;
  /** The `t` of this domain's key: shares needed to sign (at least 2, at most the participants). */
  readonly reconstruction_threshold: number;
  readonly purpose: DomainPurpose;
}

export interface DomainRegistry {
  readonly domains: readonly DomainConfig[];
  /** Ids are never reused, even for domains whose key generation was cancelled. */
  readonly next_domain_id: number;
}

export const PROTOCOL_CURVE: Readonly<Record<Protocol, Curve>> = {
  CaitSith: 'Secp256k1',
  DamgardEtAl: 'Secp256k1',
  Frost: 'Edwards25519',
  ConfidentialKeyDerivation: 'Bls12381',
};

/** Protocols a domain of each purpose may run (near/mpc `validate_domain_purpose`). */
export const PURPOSE_PROTOCOLS: Readonly<Record<DomainPurpose, readonly Protocol[]>> = {
  Sign: ['CaitSith', 'DamgardEtAl', 'Frost'],
  ForeignTx: ['CaitSith'],
  CKD: ['ConfidentialKeyDerivation'],
};

/** The smallest reconstruction threshold a domain may have. */
export const MIN_RECONSTRUCTION_THRESHOLD = 2;

// ---- keys ----

/** A domain's root public key as the contract keeps it (`PublicKeyExtended`). */
export type PublicKeyExtended =
  | { readonly Secp256k1: { readonly near_public_key: string } }
  | { readonly Ed25519: { readonly near_public_key_compressed: string; readonly edwards_point: readonly number[] } }
  | { readonly Bls12381: { readonly public_key: string } };

export interface KeyForDomain {
  readonly domain_id: DomainId;
  readonly key: PublicKeyExtended;
  /** The key event attempt that produced (or last reshared) the key. */
  readonly attempt: AttemptId;
}

export interface Keyset {
  readonly epoch_id: EpochId;
  readonly domains: readonly KeyForDomain[];
}

/** The NEAR text form (`secp256k1:…`, `ed25519:…`, `bls12381g2:…`) of a stored key: what `public_key` returns. */
export function nearPublicKeyOf(key: PublicKeyExtended): string {
  if ('Secp256k1' in key) return key.Secp256k1.near_public_key;
  if ('Ed25519' in key) return key.Ed25519.near_public_key_compressed;
  return key.Bls12381.public_key;
}

// ---- participants and parameters ----

/** What peers need to reach and authenticate a node: its mesh URL and its Ed25519 identity (`ed25519:…`). */
export interface ParticipantInfo {
  readonly url: string;
  readonly tls_public_key: string;
}

/** `[account, participant id, info]`, serde's encoding of near/mpc's tuple. */
export type ParticipantEntry = readonly [AccountId, ParticipantId, ParticipantInfo];

export interface Participants {
  readonly next_id: ParticipantId;
  readonly participants: readonly ParticipantEntry[];
}

export interface GovernanceThresholdParameters {
  readonly participants: Participants;
  /** Participants that must agree on governance (changes of the set, resharing). */
  readonly threshold: number;
}

/** `vote_new_parameters`'s proposal: the new set, and reconstruction thresholds to change by domain id. */
export interface ProposedGovernanceThresholdParameters {
  readonly parameters: GovernanceThresholdParameters;
  /** Keys are domain ids as strings (a JSON map); empty keeps every domain's threshold. */
  readonly per_domain_thresholds: Readonly<Record<string, number>>;
}

/** near/mpc's governance threshold rules: at least 2, at most n, at least ⌈3n/5⌉. */
export const MIN_GOVERNANCE_THRESHOLD = 2;
export const minGovernanceThreshold = (participants: number): number => Math.max(MIN_GOVERNANCE_THRESHOLD, Math.ceil((3 * participants) / 5));

// ---- protocol state ----

export interface KeyEventId {
  readonly epoch_id: EpochId;
  readonly domain_id: DomainId;
  readonly attempt_id: AttemptId;
}

/** One attempt at generating or resharing a domain's key, open until `expires_on` (exclusive). */
export interface KeyEventInstance {
  readonly attempt_id: AttemptId;
  readonly started_in: number;
  readonly expires_on: number;
  /** Participant ids that voted success (`vote_pk` / `vote_reshared`), ascending. */
  readonly completed: readonly ParticipantId[];
  /** The key the first `vote_pk` proposed (keygen), or the key being reshared once someone voted. */
  readonly public_key: PublicKeyExtended | null;
}

export interface KeyEvent {
  readonly epoch_id: EpochId;
  readonly domain: DomainConfig;
  /** The participants that run the event (the new set, for resharing). */
  readonly parameters: GovernanceThresholdParameters;
  readonly instance: KeyEventInstance | null;
  readonly next_attempt_id: AttemptId;
}

export interface RunningContractState {
  readonly domains: DomainRegistry;
  readonly keyset: Keyset;
  readonly parameters: GovernanceThresholdParameters;
  /** By voter account (a prospective participant may vote before it has an id). */
  readonly parameters_votes: { readonly proposal_by_account: Readonly<Record<AccountId, ProposedGovernanceThresholdParameters>> };
  /** By voter participant id (as a string: a JSON map key). */
  readonly add_domains_votes: { readonly proposal_by_account: Readonly<Record<string, readonly DomainConfig[]>> };
  /** Set when a resharing was cancelled; the next proposal must target a later epoch. */
  readonly previously_cancelled_resharing_epoch_id: EpochId | null;
}

export interface InitializingContractState {
  /** All domains, including those whose keys are still being generated. */
  readonly domains: DomainRegistry;
  readonly epoch_id: EpochId;
  /** Keys of existing domains, then keys generated so far, in domain order. */
  readonly generated_keys: readonly KeyForDomain[];
  readonly generating_key: KeyEvent;
  /** Participant ids that voted to cancel, ascending. */
  readonly cancel_votes: readonly ParticipantId[];
}

export interface ResharingContractState {
  readonly previous_running_state: RunningContractState;
  readonly reshared_keys: readonly KeyForDomain[];
  readonly resharing_key: KeyEvent;
  /** Accounts of the previous set that voted to cancel. */
  readonly cancellation_requests: readonly AccountId[];
  /** Reconstruction thresholds the accepted proposal changes, applied when resharing completes. */
  readonly per_domain_thresholds: Readonly<Record<string, number>>;
}

/** `state()`. Before `init` the published contract has no state and the view panics (see {@link SIGNER_ERRORS}). */
export type ProtocolContractState =
  | 'NotInitialized'
  | { readonly Running: RunningContractState }
  | { readonly Initializing: InitializingContractState }
  | { readonly Resharing: ResharingContractState };

export type ProtocolStateName = 'NotInitialized' | 'Running' | 'Initializing' | 'Resharing';

export const protocolStateName = (state: ProtocolContractState): ProtocolStateName => (typeof state === 'string' ? state : (Object.keys(state)[0] as ProtocolStateName));

// ---- requests and responses ----

/** Lower-case hex, tagged with the scheme that signs it: ECDSA a 32-byte hash, EdDSA up to 1232 bytes. */
export type Payload = { readonly Ecdsa: string } | { readonly Eddsa: string };

// Type aliases, not interfaces, so that they pass as near-api-js call arguments.
/** `sign`'s argument in its current form (`domain_id` is required). */
export type SignRequestArgs = {
  readonly path: string;
  readonly payload_v2: Payload;
  readonly domain_id: DomainId;
};

/** `sign`'s legacy argument: an ECDSA hash as 32 numbers, the domain as `key_version`. */
export type LegacySignRequestArgs = {
  readonly path: string;
  readonly payload: readonly number[];
  readonly key_version: DomainId;
};

/** `sign({request})`. */
export type SignArgs = {
  readonly request: SignRequestArgs | LegacySignRequestArgs;
};

/** A request as the contract stores it and `respond` / `get_pending_request` name it. */
export interface SignatureRequest {
  /** The 32-byte derivation tweak as numbers. */
  readonly tweak: readonly number[];
  readonly payload: Payload;
  readonly domain_id: DomainId;
}

export interface EcdsaSignatureResponse {
  readonly scheme: 'Secp256k1';
  readonly big_r: { readonly affine_point: string };
  readonly s: { readonly scalar: string };
  readonly recovery_id: number;
}

export interface Ed25519SignatureResponse {
  readonly scheme: 'Ed25519';
  readonly signature: readonly number[];
}

/** What `respond` takes and `sign` returns (also for legacy requests, at 3.14). */
export type SignatureResponse = EcdsaSignatureResponse | Ed25519SignatureResponse;

/** `get_pending_request`'s answer for a pending request (presence is all it means). */
export interface YieldIndex {
  readonly data_id: readonly number[];
}

/** `submit_participant_info`'s attestation; the contract verifies a mock one synchronously. */
export type Attestation = { readonly Mock: 'Valid' | 'Invalid' } | { readonly Dstack: unknown };

export const MOCK_VALID_ATTESTATION: Attestation = { Mock: 'Valid' };
/** A stored mock attestation: `Valid` as `init` records the initial participants, or the constraints a submitted mock is kept under. */
export type VerifiedMockAttestation =
  | 'Valid'
  | {
      readonly WithConstraints: {
        readonly mpc_docker_image_hash: string | null;
        readonly launcher_docker_compose_hash: string | null;
        readonly expiry_timestamp_seconds: number | null;
        readonly expected_measurements: unknown;
      };
    };
/** What `get_attestation(tls_public_key)` answers for a stored registration (null for none). */
export type VerifiedAttestation = { readonly Mock: VerifiedMockAttestation } | { readonly Dstack: unknown };
/** A submitted mock attestation expires this long after its block (near/mpc's `DEFAULT_EXPIRATION_DURATION_SECONDS`, 7 days). */
export const MOCK_ATTESTATION_LIFETIME_SECONDS = 604_800;

// ---- method names, gas and deposits ----

export const SIGNER_METHODS = {
  init: 'init',
  sign: 'sign',
  respond: 'respond',
  submitParticipantInfo: 'submit_participant_info',
  voteAddDomains: 'vote_add_domains',
  startKeygenInstance: 'start_keygen_instance',
  votePk: 'vote_pk',
  voteAbortKeyEventInstance: 'vote_abort_key_event_instance',
  voteCancelKeygen: 'vote_cancel_keygen',
  voteNewParameters: 'vote_new_parameters',
  startReshareInstance: 'start_reshare_instance',
  voteReshared: 'vote_reshared',
  voteCancelResharing: 'vote_cancel_resharing',
  state: 'state',
  config: 'config',
  version: 'version',
  publicKey: 'public_key',
  derivedPublicKey: 'derived_public_key',
  latestKeyVersion: 'latest_key_version',
  getPendingRequest: 'get_pending_request',
  getAttestation: 'get_attestation',
  /** The yield callback: its receipt id is the request id the indexer and nodes use. */
  returnSignature: 'return_signature_and_clean_state_on_success',
  failOnTimeout: 'fail_on_timeout',
} as const;

export const TGAS = 1_000_000_000_000n;
/** `sign` refuses less prepaid gas (config `sign_call_gas_attachment_requirement_tera_gas`). */
export const SIGN_MIN_GAS = 15n * TGAS;
/** What `config()` answers after an `init` without `init_config` (near/mpc 3.14 defaults). */
export const DEFAULT_SIGNER_CONFIG = {
  key_event_timeout_blocks: 30,
  tee_upgrade_deadline_duration_seconds: 604_800,
  contract_upgrade_deposit_tera_gas: 50,
  sign_call_gas_attachment_requirement_tera_gas: 15,
  ckd_call_gas_attachment_requirement_tera_gas: 15,
  return_signature_and_clean_state_on_success_call_tera_gas: 7,
  return_ck_and_clean_state_on_success_call_tera_gas: 7,
  fail_on_timeout_tera_gas: 2,
  fail_attestation_submission_tera_gas: 2,
  clean_tee_status_tera_gas: 10,
  clean_invalid_attestations_tera_gas: 10,
  cleanup_orphaned_node_migrations_tera_gas: 4,
  remove_non_participant_update_votes_tera_gas: 5,
  clean_foreign_chain_data_tera_gas: 5,
  remove_non_participant_tee_verifier_votes_tera_gas: 5,
  verifier_tera_gas: 200,
  resolve_verification_tera_gas: 60,
  launcher_hash_unused_ttl_seconds: 1_209_600,
} as const;

/** `config()`; `init_config` may set any field (the rest keep their defaults). */
export type SignerConfig = { readonly [Field in keyof typeof DEFAULT_SIGNER_CONFIG]: number };

/** `sign` keeps this deposit and refunds the rest at once. */
export const SIGN_DEPOSIT = 1n;
/** What near/mpc's nodes attach to `respond` and their other participant calls. */
export const PARTICIPANT_CALL_GAS = 300n * TGAS;
/** near/mpc `MAX_PENDING_REQUEST_FAN_OUT`: identical requests that can wait for one response. */
export const MAX_PENDING_REQUEST_FAN_OUT = 128;
/** near/mpc's EdDSA payload limit (a Solana transaction). */
export const MAX_EDDSA_PAYLOAD_BYTES = 1232;

// ---- error texts ----

/**
 * The panic messages callers match (the transaction fails with `Smart contract panicked: <text>`).
 * Functions build the ones with values.
 */
export const SIGNER_ERRORS = {
  requestNotFound: 'This sign request has timed out, was completed, or never existed.',
  requestTimedOut: 'Request has timed out.',
  invalidSignature: 'The provided signature is invalid.',
  /** `respond` with a response of another scheme than the domain key's: both in Rust's debug form (contract/mpc-signer/rust-debug.ts). */
  signatureSchemeMismatch: (responseDebug: string, keyDebug: string) => `The provided signature scheme does not match. MPC response: ${responseDebug}, user request: ${keyDebug}`,
  /**
   * `respond` naming an EdDSA payload for a secp256k1 domain (`sign` spells it `Payload is not Ecdsa`).
   * Both payload texts are Rust `expect` panics, which the wasm prefixes with their source location
   * (`panicked at crates/contract/src/lib.rs:618:63:\n`); the text here is what follows it.
   */
  payloadNotEcdsa: 'Payload is not ECDSA',
  /** `sign` or `respond` naming an ECDSA payload for an Ed25519 domain (an `expect` panic too). */
  payloadNotEddsa: 'Payload is not EdDSA',
  notAttestedParticipant: 'Caller must be an attested participant',
  notRunningNorResharing: 'Protocol state is not running, nor resharing.',
  notRunning: 'The protocol is not Running.',
  notInitializing: 'Protocol state is not initializing.',
  notResharing: 'Protocol state is not resharing.',
  callerNotSigner: (signer: AccountId, predecessor: AccountId) => `Caller must be the signer account (signer: ${signer}, predecessor: ${predecessor})`,
  uninitialized: 'Calling default not allowed.',
  noSuchDomain: 'No such domain.',
  /** `latest_key_version` unwraps its error: Rust's panic text around the error's debug form (`DomainError(NoSuchDomain)`). */
  unwrapped: (debug: string) => `called \`Result::unwrap()\` on an \`Err\` value: ${debug}`,
  keyEventIdMismatch: 'Key event Id mismatch',
  activeKeyEvent: 'Can not start a new reshare or keygen instance while the current instance is still active.',
  noActiveKeyEvent: 'Expected ongoing reshare',
  voterNotLeader: 'Voting account is not the leader of the current reshare or keygen instance.',
  voteAlreadySubmitted: 'Vote already casted.',
  voterPending: 'Candidates can only cast a vote after `threshold` participants casted one to admit them',
  nextDomainIdMismatch: 'Next domain ID mismatch',
  domainNotFound: (domainId: DomainId) => `The provided domain ID, ${domainId}, was not found.`,
  insufficientGas: (provided: bigint, required: bigint) => `Provided gas is lower than required. Provided: ${provided}, required: ${required}`,
  insufficientDeposit: (attached: bigint, required: bigint) => `Attached deposit is lower than required. Attached: ${attached}, required: ${required}`,
  epochMismatch: (provided: EpochId, expected: EpochId) => `Provided Epoch Id, ${provided}, does not match expected, ${expected}.`,
  wrongDomainPurpose: (domainId: DomainId, expected: DomainPurpose, actual: DomainPurpose) => `Domain ${domainId} has purpose ${actual}, but this method requires ${expected}.`,
  malformedPayload: (reason: string) => `Malformed payload: ${reason}`,
  invalidTeeAttestation: (reason: string) => `Invalid TEE Remote Attestation: ${reason}`,
  /** `submit_participant_info` with an attestation that fails verification; `reason` is the verification error's debug form (`InvalidMockAttestation`). */
  attestationFailedVerification: (reason: string) => `the submitted attestation failed verification, reason: ${reason}`,
  tlsKeyOwnedByOtherAccount: 'TLS public key is already registered to a different account; only the owning account may update it',
  /** `vote_new_parameters` naming proposed participants whose mesh key has no stored attestation, in Rust's debug form. */
  invalidTeeStatus: (participants: readonly ParticipantEntry[]) =>
    `Invalid TEE Remote Attestation: The following participants have invalid TEE status: [${participants
      .map(([account, id, info]) => `(AccountId(${JSON.stringify(account)}), ParticipantId(${id}), ParticipantInfo { url: ${JSON.stringify(info.url)}, tls_public_key: Ed25519PublicKey([${[...base58.decode(info.tls_public_key.slice('ed25519:'.length))].join(', ')}]) })`)
      .join(', ')}]`,
  pendingRequestQueueFull: `Pending-request queue is full for this request key (limit: ${MAX_PENDING_REQUEST_FAN_OUT}). Try again once an in-flight response or timeout has cleared room.`,
} as const;
