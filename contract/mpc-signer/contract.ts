/**
 * Our model of near/mpc's signer contract at 3.14 (mainnet `v1.signer`): the same methods, JSON in and
 * out and error texts (shared/near/signer-abi.ts), over contract/host.ts so the devnet runs it in
 * process. Users `sign`; the request waits in a yield until an attested participant `respond`s with a
 * signature the contract verifies against the derived key; participants register their node
 * (`submit_participant_info`) and run the key lifecycle through votes (transitions.ts). What differs
 * from near/mpc, and why, is in docs/contracts.md.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { deriveEd25519PublicKey, deriveSecp256k1PublicKey, deriveTweak, TweakNotOnCurve, type Secp256k1Point } from '../../shared/crypto/kdf.js';
import { formatNearPublicKey, parsePublicKey, type NearPublicKey } from '../../shared/near/keys.js';
import {
  DEFAULT_SIGNER_CONFIG,
  MAX_PENDING_REQUEST_FAN_OUT,
  MOCK_ATTESTATION_LIFETIME_SECONDS,
  PROTOCOL_CURVE,
  SIGN_DEPOSIT,
  SIGNER_ERRORS,
  SIGNER_METHODS,
  TGAS,
  nearPublicKeyOf,
  type AccountId,
  type Curve,
  type KeyEvent,
  type Payload,
  type PublicKeyExtended,
  type ProtocolContractState,
  type SignatureRequest,
  type SignatureResponse,
  type SignerConfig,
  type VerifiedAttestation,
} from '../../shared/near/signer-abi.js';
import { accountId, integer, type JsonObject, object, onlyKeys, optional, string } from '../common/args.js';
import { fail, failWith } from '../common/errors.js';
import { defineContract, encodeJson, readStored, removeStored, requirePrivate, returnJson, singlePromiseResult, writeStored } from '../common/runtime.js';
import type { ContractHost } from '../host.js';
import { ed25519KeyText, readGovernanceThresholdParameters, readKeyEventId, readProposal } from './parameters.js';
import { canonicalRequest, isEcdsaScalar, MAX_PATH_LENGTH, payloadBytes, readSignArgs, readSignatureRequest } from './sign-request.js';
import { publicKeyExtendedDebug, signatureResponseDebug } from './rust-debug.js';
import { readSignatureResponse, verifyEcdsaResponse, verifyEd25519Response } from './signature-response.js';
import {
  activeParameters,
  domainRegistry,
  initialRunningState,
  signingKeyset,
  startKeyEventInstance,
  voteAbortKeyEventInstance,
  voteAddDomains,
  voteCancelKeygen,
  voteCancelResharing,
  voteNewParameters,
  votePk,
  voteReshared,
} from './transitions.js';

/** Ours, not near/mpc's: `version()` tells the two apart (docs/contracts.md). */
export const MPC_SIGNER_VERSION = '3.14.0-chainsig-model';

const STATE_KEY = 'STATE';
const CONFIG_KEY = 'CONFIG';
const PENDING_PREFIX = 'pending:';
const ATTESTATION_PREFIX = 'attestation:';

/** A node's registration: its mesh identity, bound to the account key that submitted it (near/mpc `NodeId`), and its verified attestation. */
interface NodeAttestation {
  readonly account_id: AccountId;
  readonly tls_public_key: string;
  readonly account_public_key: string;
  readonly verified: VerifiedAttestation;
}

// ---- storage ----

function loadState(host: ContractHost): Exclude<ProtocolContractState, 'NotInitialized'> {
  // near/mpc before init has no state, and every method but `init` panics as near-sdk does.
  return readStored<Exclude<ProtocolContractState, 'NotInitialized'>>(host, STATE_KEY) ?? failWith('InvalidState', SIGNER_ERRORS.uninitialized);
}

function saveState(host: ContractHost, before: ProtocolContractState, after: ProtocolContractState): void {
  const [from] = Object.keys(before);
  const [to] = Object.keys(after);
  if (from !== to) host.log(`protocol state: ${from} -> ${to}`);
  writeStored(host, STATE_KEY, after);
}

const loadConfig = (host: ContractHost): SignerConfig => readStored<SignerConfig>(host, CONFIG_KEY) ?? DEFAULT_SIGNER_CONFIG;
const pendingKey = (request: SignatureRequest): string => PENDING_PREFIX + bytesToHex(sha256(utf8ToBytes(canonicalRequest(request))));
const tera = (value: number): bigint => BigInt(value) * TGAS;

// ---- participant checks ----

/** near/mpc `assert_caller_is_signer`: participant methods are sent by the participant's own key, never through a contract. */
function callerIsSigner(host: ContractHost): AccountId {
  const signer = host.signerAccountId();
  const predecessor = host.predecessorAccountId();
  if (signer !== predecessor) failWith('Unauthorized', SIGNER_ERRORS.callerNotSigner(signer, predecessor));
  return signer;
}

/**
 * near/mpc `assert_caller_is_attested_participant_and_protocol_active`: the caller is a participant of
 * the active set and its registered node was submitted by the key that signs this call.
 */
function attestedParticipant(host: ContractHost, state: ProtocolContractState): AccountId {
  const caller = callerIsSigner(host);
  const entry = activeParameters(state).participants.participants.find(([account]) => account === caller);
  const refuse = (reason: string): never => failWith('Unauthorized', `${SIGNER_ERRORS.notAttestedParticipant} (${reason})`);
  if (entry === undefined) return refuse('CallerNotParticipant');
  const attestation = readStored<NodeAttestation>(host, ATTESTATION_PREFIX + entry[2].tls_public_key);
  if (attestation === null) return refuse('AttestationNotFound');
  if (attestation.account_id !== caller) return refuse('AttestationOwnerMismatch');
  if (attestation.account_public_key !== host.signerAccountPk()) return refuse('AttestationKeyMismatch');
  return caller;
}

/** A mesh key stays with the account that registered it first (near/mpc's `TlsKeyOwnedByOtherAccount`). */
function storeAttestation(host: ContractHost, attestation: NodeAttestation): void {
  const existing = readStored<NodeAttestation>(host, ATTESTATION_PREFIX + attestation.tls_public_key);
  if (existing !== null && existing.account_id !== attestation.account_id) failWith('Unauthorized', SIGNER_ERRORS.tlsKeyOwnedByOtherAccount);
  writeStored(host, ATTESTATION_PREFIX + attestation.tls_public_key, attestation);
}

// ---- keys ----

function domainKey(state: ProtocolContractState, domainId: number): PublicKeyExtended {
  const key = signingKeyset(state).domains.find((candidate) => candidate.domain_id === domainId);
  return key?.key ?? failWith('InvalidRequest', SIGNER_ERRORS.noSuchDomain);
}

/** The secp256k1 child key for `tweak`, or near/mpc's refusal of a tweak that is no scalar (probability ≈ 2⁻¹²⁸). */
function derivedSecp256k1Key(root: Secp256k1Point, tweak: Uint8Array): Secp256k1Point {
  try {
    return deriveSecp256k1PublicKey(root, tweak);
  } catch (error) {
    if (error instanceof TweakNotOnCurve) failWith('InvalidRequest', 'The provided tweak is not on the curve of the public key.');
    throw error;
  }
}

/** The child public key for `tweak` under a domain's root key (near/mpc's KDF). */
function derivedKey(root: PublicKeyExtended, tweak: Uint8Array): NearPublicKey {
  const key = parsePublicKey(nearPublicKeyOf(root));
  if (key.curve === 'secp256k1') return { curve: 'secp256k1', point: derivedSecp256k1Key(key.point, tweak) };
  return { curve: 'ed25519', point: deriveEd25519PublicKey(key.point, tweak) };
}

/** A voted key in near/mpc's `PublicKeyExtended` form, or `Malformed payload`. */
function publicKeyExtended(text: string): PublicKeyExtended {
  let key: ReturnType<typeof parsePublicKey>;
  try {
    key = parsePublicKey(text);
  } catch (error) {
    return failWith('InvalidArguments', SIGNER_ERRORS.malformedPayload((error as Error).message));
  }
  if (key.curve === 'secp256k1') return { Secp256k1: { near_public_key: formatNearPublicKey(key) } };
  return { Ed25519: { near_public_key_compressed: formatNearPublicKey(key), edwards_point: [...key.point.toBytes()] } };
}

// ---- user methods ----

function init(host: ContractHost, args: JsonObject): void {
  requirePrivate(host, 'init');
  onlyKeys(args, ['parameters', 'init_config'], 'arguments');
  if (readStored(host, STATE_KEY) !== null) fail('InvalidState', 'the contract is already initialized');
  const parameters = readGovernanceThresholdParameters(args.parameters, 'parameters');
  const overrides = optional(args.init_config, (value) => object(value, 'init_config')) ?? {};
  onlyKeys(overrides, Object.keys(DEFAULT_SIGNER_CONFIG), 'init_config');
  const config: Record<string, number> = { ...DEFAULT_SIGNER_CONFIG };
  for (const [field, value] of Object.entries(overrides)) if (value !== null) config[field] = integer(value, `init_config.${field}`);
  writeStored(host, STATE_KEY, { Running: initialRunningState(parameters) });
  writeStored(host, CONFIG_KEY, config);
  // As near/mpc: the initial participants get placeholder registrations keyed by their mesh key, which
  // let them take part but not act, until they submit their participant info with their account key.
  for (const [account, , info] of parameters.participants.participants) storeAttestation(host, { account_id: account, tls_public_key: info.tls_public_key, account_public_key: info.tls_public_key, verified: { Mock: 'Valid' } });
  host.log(`init: signer=${host.signerAccountId()}, num_participants=${parameters.participants.participants.length}`);
}

function sign(host: ContractHost, args: JsonObject): void {
  const request = readSignArgs(args);
  const state = loadState(host);
  const config = loadConfig(host);
  const domain = domainRegistry(state).domains.find((candidate) => candidate.id === request.domainId) ?? failWith('InvalidRequest', SIGNER_ERRORS.domainNotFound(request.domainId));
  if (domain.purpose !== 'Sign') failWith('InvalidRequest', SIGNER_ERRORS.wrongDomainPurpose(domain.id, 'Sign', domain.purpose));
  const minimumGas = tera(config.sign_call_gas_attachment_requirement_tera_gas);
  if (host.prepaidGas() < minimumGas) failWith('InsufficientGas', SIGNER_ERRORS.insufficientGas(host.prepaidGas(), minimumGas));
  const deposit = host.attachedDeposit();
  if (deposit < SIGN_DEPOSIT) failWith('InvalidDeposit', SIGNER_ERRORS.insufficientDeposit(deposit, SIGN_DEPOSIT));
  const caller = host.predecessorAccountId();
  if (deposit > SIGN_DEPOSIT) host.promiseTransfer(caller, deposit - SIGN_DEPOSIT);
  const curve = PROTOCOL_CURVE[domain.protocol];
  if (curve === 'Secp256k1' && !('Ecdsa' in request.payload)) failWith('InvalidRequest', 'Payload is not Ecdsa');
  if (curve === 'Secp256k1' && !isEcdsaScalar(request.payload)) failWith('InvalidRequest', 'Ecdsa payload cannot be converted to Scalar');
  if (curve === 'Edwards25519' && !('Eddsa' in request.payload)) failWith('InvalidRequest', SIGNER_ERRORS.payloadNotEddsa);
  if (curve === 'Bls12381') failWith('InvalidRequest', 'ConfidentialKeyDerivation is not supported for signature responses');

  const signatureRequest: SignatureRequest = { tweak: [...deriveTweak(caller, request.path)], payload: request.payload, domain_id: domain.id };
  const key = pendingKey(signatureRequest);
  const queue = readStored<string[]>(host, key) ?? [];
  if (queue.length >= MAX_PENDING_REQUEST_FAN_OUT) failWith('PendingRequestQueueFull', SIGNER_ERRORS.pendingRequestQueueFull);
  // near/mpc passes the request as a one-element tuple (`[request]`); serde reads it as `{request}` too.
  const parked = host.promiseYieldCreate(SIGNER_METHODS.returnSignature, encodeJson({ request: signatureRequest }), tera(config.return_signature_and_clean_state_on_success_call_tera_gas), 0n);
  writeStored(host, key, [...queue, bytesToHex(parked.dataId)]);
  host.log(`sign: predecessor=${caller}, domain_id=${domain.id}, path=${request.path}`);
  host.promiseReturn(parked.promise);
}

/** The yield callback: hands the response to the caller, or on timeout drops the oldest queued yield and fails. */
function returnSignature(host: ContractHost, args: JsonObject): void {
  requirePrivate(host, SIGNER_METHODS.returnSignature);
  const request = readSignatureRequest(args.request, 'request');
  const result = singlePromiseResult(host, SIGNER_METHODS.returnSignature);
  if (result.status === 'successful') {
    // `respond` verified the response and removed the request; the payload is the response JSON.
    host.valueReturn(result.value);
    return;
  }
  const key = pendingKey(request);
  const queue = readStored<string[]>(host, key);
  if (queue !== null && queue.length > 1) writeStored(host, key, queue.slice(1));
  else if (queue !== null) removeStored(host, key);
  // Failing in a separate receipt keeps the cleanup above; a panic here would undo it.
  host.promiseReturn(host.promiseCreate(host.currentAccountId(), SIGNER_METHODS.failOnTimeout, encodeJson({}), 0n, tera(loadConfig(host).fail_on_timeout_tera_gas)));
}

function failOnTimeout(host: ContractHost): void {
  requirePrivate(host, SIGNER_METHODS.failOnTimeout);
  failWith('Timeout', SIGNER_ERRORS.requestTimedOut);
}

function respond(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['request', 'response'], 'arguments');
  const request = readSignatureRequest(args.request, 'request');
  const response: SignatureResponse = readSignatureResponse(args.response, 'response');
  const state = loadState(host);
  attestedParticipant(host, state);
  // near/mpc asserts the participant first, then refuses any state but Running and Resharing.
  if ('Initializing' in state) failWith('InvalidState', SIGNER_ERRORS.notRunning);
  verifyResponse(request, response, domainKey(state, request.domain_id));
  const key = pendingKey(request);
  const queue = readStored<string[]>(host, key);
  if (queue === null) failWith('RequestNotFound', SIGNER_ERRORS.requestNotFound);
  removeStored(host, key);
  const payload = encodeJson(response);
  for (const dataId of queue) host.promiseYieldResume(hexToBytes(dataId), payload);
  host.log(`respond: signer=${host.signerAccountId()}, resumed ${queue.length} queued sign calls`);
}

/** The payload as the scheme that signs it, or near/mpc's `expect` panic for a payload of the other scheme. */
function payloadOf(payload: Payload, scheme: 'Ecdsa' | 'Eddsa'): Uint8Array {
  if (!(scheme in payload)) failWith('InvalidRequest', scheme === 'Ecdsa' ? SIGNER_ERRORS.payloadNotEcdsa : SIGNER_ERRORS.payloadNotEddsa);
  return payloadBytes(payload);
}

/**
 * As near/mpc: the response's scheme must match the domain key's curve (else both are named in Rust's
 * debug form); only then is the child key derived and the payload read as that scheme's.
 */
function verifyResponse(request: SignatureRequest, response: SignatureResponse, root: PublicKeyExtended): void {
  const key = parsePublicKey(nearPublicKeyOf(root));
  const tweak = Uint8Array.from(request.tweak);
  if (response.scheme === 'Secp256k1' && key.curve === 'secp256k1') {
    const derived = derivedSecp256k1Key(key.point, tweak); // before the payload, as near/mpc
    verifyEcdsaResponse(response, payloadOf(request.payload, 'Ecdsa'), derived);
  } else if (response.scheme === 'Ed25519' && key.curve === 'ed25519') {
    verifyEd25519Response(response, payloadOf(request.payload, 'Eddsa'), deriveEd25519PublicKey(key.point, tweak));
  } else {
    failWith('InvalidSignature', SIGNER_ERRORS.signatureSchemeMismatch(signatureResponseDebug(response), publicKeyExtendedDebug(root)));
  }
}

// ---- participant methods ----

function submitParticipantInfo(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['proposed_participant_attestation', 'tls_public_key'], 'arguments');
  const attestation = object(args.proposed_participant_attestation, 'proposed_participant_attestation');
  const tlsPublicKey = ed25519KeyText(args.tls_public_key, 'tls_public_key');
  loadState(host); // as near-sdk: after the arguments, before anything else (before init: "Calling default not allowed.")
  const caller = callerIsSigner(host);
  const accountKey = host.signerAccountPk();
  if (!accountKey.startsWith('ed25519:')) failWith('InvalidParameters', SIGNER_ERRORS.invalidTeeAttestation('signer account key must be Ed25519'));
  // Only mock attestations are verified here; a TEE quote would go to a verifier contract (near/mpc's Dstack path).
  if ('Dstack' in attestation) failWith('InvalidParameters', 'No TEE verifier is configured yet. Participants must vote one in via vote_tee_verifier_change before Dstack attestations can be submitted.');
  if (attestation.Mock === 'Invalid') failWith('InvalidParameters', SIGNER_ERRORS.attestationFailedVerification('InvalidMockAttestation'));
  if (attestation.Mock !== 'Valid') failWith('InvalidParameters', SIGNER_ERRORS.invalidTeeAttestation(`mock attestation ${JSON.stringify(attestation.Mock)} is not valid`));
  // A valid mock is kept with an expiry, as near/mpc caps every mock's lifetime.
  const expiry = Number(host.blockTimestampNs() / 1_000_000_000n) + MOCK_ATTESTATION_LIFETIME_SECONDS;
  const verified: VerifiedAttestation = { Mock: { WithConstraints: { mpc_docker_image_hash: null, launcher_docker_compose_hash: null, expiry_timestamp_seconds: expiry, expected_measurements: null } } };
  storeAttestation(host, { account_id: caller, tls_public_key: tlsPublicKey, account_public_key: accountKey, verified });
  host.log(`submit_participant_info: signer=${caller}, tls_public_key=${tlsPublicKey}`);
  returnJson(host, null);
}

/** Loads the state, applies one participant action and stores the result. */
function participantAction(argumentNames: readonly string[], access: 'signer' | 'attested', transition: (host: ContractHost, state: Exclude<ProtocolContractState, 'NotInitialized'>, caller: AccountId, args: JsonObject) => ProtocolContractState) {
  return (host: ContractHost, args: JsonObject): void => {
    onlyKeys(args, argumentNames, 'arguments');
    const state = loadState(host);
    const caller = access === 'attested' ? attestedParticipant(host, state) : callerIsSigner(host);
    saveState(host, state, transition(host, state, caller, args));
  };
}

const height = (host: ContractHost): number => Number(host.blockHeight());

function keyEventOf(state: ProtocolContractState, update: (event: KeyEvent) => KeyEvent): ProtocolContractState {
  if (typeof state !== 'string' && 'Initializing' in state) return { Initializing: { ...state.Initializing, generating_key: update(state.Initializing.generating_key) } };
  if (typeof state !== 'string' && 'Resharing' in state) return { Resharing: { ...state.Resharing, resharing_key: update(state.Resharing.resharing_key) } };
  return failWith('InvalidState', SIGNER_ERRORS.notRunningNorResharing);
}

const voteAddDomainsMethod = participantAction(['domains'], 'signer', (_host, state, caller, args) => {
  if (!('Running' in state)) failWith('InvalidState', SIGNER_ERRORS.notRunning);
  return voteAddDomains(state.Running, caller, args.domains);
});

const startKeygenInstance = participantAction(['key_event_id'], 'attested', (host, state, caller, args) => {
  if (!('Initializing' in state)) failWith('InvalidState', SIGNER_ERRORS.notInitializing);
  const id = readKeyEventId(args.key_event_id, 'key_event_id');
  return { Initializing: { ...state.Initializing, generating_key: startKeyEventInstance(state.Initializing.generating_key, caller, id, height(host), loadConfig(host).key_event_timeout_blocks) } };
});

const votePkMethod = participantAction(['key_event_id', 'public_key'], 'attested', (host, state, caller, args) => {
  const id = readKeyEventId(args.key_event_id, 'key_event_id');
  const key = publicKeyExtended(string(args.public_key, 'public_key', 256));
  if (!('Initializing' in state)) failWith('InvalidState', SIGNER_ERRORS.notInitializing);
  const result = votePk(state.Initializing, caller, id, key, height(host));
  if (result.aborted) host.log('Public key disagreement; aborting key event instance.');
  return result.state;
});

const voteAbortKeyEventInstanceMethod = participantAction(['key_event_id'], 'attested', (host, state, caller, args) => {
  const id = readKeyEventId(args.key_event_id, 'key_event_id');
  return keyEventOf(state, (event) => voteAbortKeyEventInstance(event, caller, id, height(host)));
});

const voteCancelKeygenMethod = participantAction(['next_domain_id'], 'signer', (_host, state, caller, args) => {
  if (!('Initializing' in state)) failWith('InvalidState', SIGNER_ERRORS.notInitializing);
  return voteCancelKeygen(state.Initializing, caller, integer(args.next_domain_id, 'next_domain_id'));
});

const voteNewParametersMethod = participantAction(['prospective_epoch_id', 'proposal'], 'signer', (host, state, caller, args) => {
  const proposal = readProposal(args.proposal, 'proposal');
  // near/mpc re-verifies the attestation stored under each proposed participant's mesh key, whichever
  // account registered it. The model requires only that one is stored: it does not expire mocks.
  const unregistered = proposal.parameters.participants.participants.filter(([, , info]) => readStored<NodeAttestation>(host, ATTESTATION_PREFIX + info.tls_public_key) === null);
  if (unregistered.length > 0) failWith('InvalidParameters', SIGNER_ERRORS.invalidTeeStatus(unregistered));
  return voteNewParameters(state, caller, integer(args.prospective_epoch_id, 'prospective_epoch_id'), proposal);
});

const startReshareInstance = participantAction(['key_event_id'], 'attested', (host, state, caller, args) => {
  if (!('Resharing' in state)) failWith('InvalidState', SIGNER_ERRORS.notResharing);
  const id = readKeyEventId(args.key_event_id, 'key_event_id');
  return { Resharing: { ...state.Resharing, resharing_key: startKeyEventInstance(state.Resharing.resharing_key, caller, id, height(host), loadConfig(host).key_event_timeout_blocks) } };
});

const voteResharedMethod = participantAction(['key_event_id'], 'attested', (host, state, caller, args) => {
  if (!('Resharing' in state)) failWith('InvalidState', SIGNER_ERRORS.notResharing);
  return voteReshared(state.Resharing, caller, readKeyEventId(args.key_event_id, 'key_event_id'), height(host));
});

const voteCancelResharingMethod = participantAction([], 'signer', (_host, state, caller) => {
  if (!('Resharing' in state)) failWith('InvalidState', SIGNER_ERRORS.notResharing);
  return voteCancelResharing(state.Resharing, caller);
});

// ---- views ----

const optionalDomainId = (args: JsonObject): number => optional(args.domain_id, (value) => (value === null ? 0 : integer(value, 'domain_id'))) ?? 0;

function publicKeyView(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['domain_id'], 'arguments');
  returnJson(host, nearPublicKeyOf(domainKey(loadState(host), optionalDomainId(args))));
}

/** The attestation stored for a mesh key, or null. */
function getAttestationView(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['tls_public_key'], 'arguments');
  loadState(host); // near-sdk loads the state for every method: an uninitialized contract panics here too
  const stored = readStored<NodeAttestation>(host, ATTESTATION_PREFIX + ed25519KeyText(args.tls_public_key, 'tls_public_key'));
  returnJson(host, stored?.verified ?? null);
}

function derivedPublicKeyView(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['path', 'predecessor', 'domain_id'], 'arguments');
  const path = string(args.path, 'path', MAX_PATH_LENGTH);
  // Without `predecessor` the caller is used, which only exists in a transaction, not in a view query.
  const predecessor = optional(args.predecessor, (value) => (value === null ? null : accountId(value, 'predecessor'))) ?? host.predecessorAccountId();
  const root = domainKey(loadState(host), optionalDomainId(args));
  returnJson(host, formatNearPublicKey(derivedKey(root, deriveTweak(predecessor, path))));
}

const CURVES: readonly Curve[] = ['Secp256k1', 'Edwards25519', 'Bls12381'];

function latestKeyVersionView(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['signature_scheme'], 'arguments');
  const curve = optional(args.signature_scheme, (value) => (value === null ? null : string(value, 'signature_scheme', 32))) ?? 'Secp256k1';
  if (!CURVES.includes(curve as Curve)) fail('InvalidArguments', `signature_scheme: unknown variant \`${curve}\`, expected one of \`Secp256k1\`, \`Edwards25519\`, \`Bls12381\``);
  const state = loadState(host);
  if ('Initializing' in state) failWith('InvalidState', SIGNER_ERRORS.unwrapped('InvalidState(ProtocolStateNotRunningNorResharing)'));
  const latest = [...domainRegistry(state).domains].reverse().find((domain) => PROTOCOL_CURVE[domain.protocol] === curve);
  returnJson(host, latest?.id ?? failWith('InvalidRequest', SIGNER_ERRORS.unwrapped('DomainError(NoSuchDomain)')));
}

function getPendingRequestView(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['request'], 'arguments');
  const request = readSignatureRequest(args.request, 'request');
  loadState(host); // near-sdk loads the state for every method: an uninitialized contract panics here too
  const [oldest] = readStored<string[]>(host, pendingKey(request)) ?? [];
  returnJson(host, oldest === undefined ? null : { data_id: [...hexToBytes(oldest)] });
}

export const mpcSignerContract = defineContract(
  'mpc-signer',
  {
    [SIGNER_METHODS.init]: init,
    [SIGNER_METHODS.sign]: sign,
    [SIGNER_METHODS.returnSignature]: returnSignature,
    [SIGNER_METHODS.failOnTimeout]: failOnTimeout,
    [SIGNER_METHODS.respond]: respond,
    [SIGNER_METHODS.submitParticipantInfo]: submitParticipantInfo,
    [SIGNER_METHODS.voteAddDomains]: voteAddDomainsMethod,
    [SIGNER_METHODS.startKeygenInstance]: startKeygenInstance,
    [SIGNER_METHODS.votePk]: votePkMethod,
    [SIGNER_METHODS.voteAbortKeyEventInstance]: voteAbortKeyEventInstanceMethod,
    [SIGNER_METHODS.voteCancelKeygen]: voteCancelKeygenMethod,
    [SIGNER_METHODS.voteNewParameters]: voteNewParametersMethod,
    [SIGNER_METHODS.startReshareInstance]: startReshareInstance,
    [SIGNER_METHODS.voteReshared]: voteResharedMethod,
    [SIGNER_METHODS.voteCancelResharing]: voteCancelResharingMethod,
    [SIGNER_METHODS.publicKey]: publicKeyView,
    [SIGNER_METHODS.derivedPublicKey]: derivedPublicKeyView,
    [SIGNER_METHODS.latestKeyVersion]: latestKeyVersionView,
    [SIGNER_METHODS.state]: (host) => returnJson(host, loadState(host)),
    [SIGNER_METHODS.config]: (host) => {
      loadState(host);
      returnJson(host, loadConfig(host));
    },
    [SIGNER_METHODS.version]: (host) => returnJson(host, MPC_SIGNER_VERSION),
    [SIGNER_METHODS.getPendingRequest]: getPendingRequestView,
    [SIGNER_METHODS.getAttestation]: getAttestationView,
  },
  [SIGNER_METHODS.publicKey, SIGNER_METHODS.derivedPublicKey, SIGNER_METHODS.latestKeyVersion, SIGNER_METHODS.state, SIGNER_METHODS.config, SIGNER_METHODS.version, SIGNER_METHODS.getPendingRequest, SIGNER_METHODS.getAttestation],
);
