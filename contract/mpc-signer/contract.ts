/**
 * The MPC signer contract (near/mpc `v1.signer` API): users `sign`, the request waits in a yield
 * until a participant `respond`s with a signature the contract verifies against the derived key, and
 * participants run the key lifecycle through votes (see transitions.ts). Storage layout and every
 * method's arguments, results and errors are in docs/contracts.md.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { deriveEd25519PublicKey, deriveSecp256k1PublicKey, deriveTweak, secp256k1TweakScalar, TweakNotOnCurve } from '../../shared/crypto/kdf.js';
import { formatNearPublicKey, parsePublicKey } from '../../shared/near/keys.js';
import { accountId, boolean, integer, type JsonObject, object, onlyKeys, optional, string } from '../common/args.js';
import { fail } from '../common/errors.js';
import { defineContract, encodeJson, readStored, removeStored, requireGas, requirePrivate, returnJson, singlePromiseResult, StateCell, writeStored } from '../common/runtime.js';
import { type AccountId, type ContractHost, ONE_YOCTO, TGAS } from '../host.js';
import { isParticipant, readKeyEventId, readThresholdParameters } from './parameters.js';
import { canonicalRequest, MAX_PATH_LENGTH, payloadBytes, payloadScheme, readSignArgs, readSignatureRequest, requireEcdsaScalar, type SignatureRequest } from './sign-request.js';
import { readSignatureResponse, type SignatureResponse, toLegacyResponse, verifyEcdsaResponse, verifyEd25519Response } from './signature-response.js';
import {
  initialRunningState,
  signingView,
  startKeyEventInstance,
  voteAbortKeyEventInstance,
  voteAddDomains,
  voteCancelKeygen,
  voteCancelResharing,
  voteNewParameters,
  votePk,
  voteReshared,
} from './transitions.js';
import { type ContractConfig, DEFAULT_CONFIG, type DomainConfig, type KeyEvent, type ProtocolState, type SignatureScheme } from './types.js';

export const MPC_SIGNER_VERSION = '0.1.0';
/** near/mpc `SIGN_DEPOSIT_YOCTONEAR`: forces a full-access key; the rest of the deposit is refunded. */
export const SIGN_DEPOSIT = ONE_YOCTO;
/**
 * Gas of the yield callback. near/mpc gives it 7 Tgas, but on timeout it pays for a refund transfer
 * and the `fail_on_timeout` call (about 4.6 Tgas of receipt fees plus that call's 2 Tgas), which
 * with its own work comes to about 7.3 Tgas; 10 Tgas leaves room for long payloads and full queues.
 */
export const RETURN_SIGNATURE_GAS = 10n * TGAS;
/**
 * Minimum gas for `sign`: the callback's gas plus the call's own work and the fees of the callback
 * and refund receipts (about 6 Tgas in all). near/mpc's default of 15 Tgas rests on its 7 Tgas callback.
 */
export const MIN_SIGN_GAS = 20n * TGAS;
export const FAIL_ON_TIMEOUT_GAS = 2n * TGAS;
/** near/mpc `MAX_PENDING_REQUEST_FAN_OUT`: identical requests that can wait for one response. */
export const MAX_PENDING_REQUESTS_PER_PAYLOAD = 128;
/** NEAR's yield timeout (the chain enforces it; nodes drop requests at the same age). */
export const SIGN_REQUEST_TIMEOUT_BLOCKS = 200;

const protocolState = new StateCell<ProtocolState>('the contract');
const CONFIG_KEY = 'CONFIG';
const PENDING_PREFIX = 'pending:';

const RETURN_SIGNATURE_METHOD = 'return_signature_and_clean_state_on_success';
const FAIL_ON_TIMEOUT_METHOD = 'fail_on_timeout';

/** One parked `sign` call waiting for a request's response. */
interface QueuedYield {
  readonly data_id: string;
  readonly caller: AccountId;
  readonly legacy: boolean;
}

interface PendingQueue {
  readonly request: SignatureRequest;
  /** Oldest first: yields time out in the order they were made. */
  readonly yields: readonly QueuedYield[];
}

// ---- storage ----

const loadState = (host: ContractHost) => protocolState.load(host);

function saveState(host: ContractHost, before: ProtocolState, after: ProtocolState): void {
  const [from] = Object.keys(before);
  const [to] = Object.keys(after);
  if (from !== to) host.log(`protocol state: ${from} -> ${to}`);
  protocolState.save(host, after);
}

function loadConfig(host: ContractHost): ContractConfig {
  return readStored<ContractConfig>(host, CONFIG_KEY) ?? DEFAULT_CONFIG;
}

function pendingKey(request: SignatureRequest): string {
  return PENDING_PREFIX + bytesToHex(sha256(utf8ToBytes(canonicalRequest(request))));
}

// ---- keys ----

function domainWithKey(state: ProtocolState, domainId: number): { domain: DomainConfig; key: string } {
  const view = signingView(state);
  const domain = view.domains.find((candidate) => candidate.id === domainId);
  if (domain === undefined) fail('InvalidRequest', `domain ${domainId} does not exist`);
  const key = view.keys.find((candidate) => candidate.domain_id === domainId);
  if (key === undefined) fail('InvalidRequest', `domain ${domainId} has no key yet`);
  return { domain, key: key.key };
}

/** The child public key for `tweak` (hex) under the domain's root key, in NEAR form and as a point. */
function derivedKey(scheme: SignatureScheme, rootKey: string, tweakHex: string) {
  const tweak = hexToBytes(tweakHex);
  const root = parsePublicKey(rootKey);
  try {
    if (scheme === 'Secp256k1' && root.curve === 'secp256k1') return { curve: 'secp256k1' as const, point: deriveSecp256k1PublicKey(root.point, tweak) };
    if (scheme === 'Ed25519' && root.curve === 'ed25519') return { curve: 'ed25519' as const, point: deriveEd25519PublicKey(root.point, tweak) };
  } catch (error) {
    if (error instanceof TweakNotOnCurve) fail('InvalidRequest', error.message);
    throw error;
  }
  return fail('InvalidState', `root key ${rootKey} does not match scheme ${scheme}`);
}

/** near/mpc's default domain for callers that give none: the first secp256k1 domain (`legacy_ecdsa_id`). */
function defaultDomainId(state: ProtocolState): number {
  const domain = signingView(state).domains.find((candidate) => candidate.scheme === 'Secp256k1');
  return domain?.id ?? fail('InvalidRequest', 'there is no Secp256k1 domain');
}

// ---- participant checks ----

/** Participant methods must be sent by the participant's own key: no contract may act for it. */
function directCaller(host: ContractHost): AccountId {
  const caller = host.predecessorAccountId();
  if (caller !== host.signerAccountId()) fail('Unauthorized', 'participant methods must be signed by the calling account itself');
  return caller;
}

// ---- methods ----

function init(host: ContractHost, args: JsonObject): void {
  requirePrivate(host, 'init');
  onlyKeys(args, ['parameters', 'init_config'], 'arguments');
  const parameters = readThresholdParameters(args.parameters, 'parameters');
  const initConfig = optional(args.init_config, (value) => object(value, 'init_config'));
  if (initConfig !== undefined) onlyKeys(initConfig, ['key_event_timeout_blocks'], 'init_config');
  const config: ContractConfig = {
    key_event_timeout_blocks: optional(initConfig?.key_event_timeout_blocks, (value) => integer(value, 'init_config.key_event_timeout_blocks', 100_000)) ?? DEFAULT_CONFIG.key_event_timeout_blocks,
  };
  if (config.key_event_timeout_blocks < 1) fail('InvalidArguments', 'init_config.key_event_timeout_blocks must be at least 1');
  protocolState.initialize(host, { Running: initialRunningState(parameters) });
  writeStored(host, CONFIG_KEY, config);
  host.log(`initialized with ${parameters.participants.participants.length} participants, threshold ${parameters.threshold}`);
}

function sign(host: ContractHost, args: JsonObject): void {
  const request = readSignArgs(args);
  const state = loadState(host);
  const { domain } = domainWithKey(state, request.domainId);
  if (payloadScheme(request.payload) !== domain.scheme) {
    fail('InvalidRequest', `domain ${domain.id} signs with ${domain.scheme}; the payload is for ${payloadScheme(request.payload)}`);
  }
  requireEcdsaScalar(request.payload);
  requireGas(host, MIN_SIGN_GAS, 'sign');
  const deposit = host.attachedDeposit();
  if (deposit < SIGN_DEPOSIT) fail('InvalidDeposit', `sign needs an attached deposit of at least ${SIGN_DEPOSIT} yoctoNEAR`);

  const caller = host.predecessorAccountId();
  const tweak = deriveTweak(caller, request.path);
  if (domain.scheme === 'Secp256k1') {
    try {
      secp256k1TweakScalar(tweak);
    } catch (error) {
      if (error instanceof TweakNotOnCurve) fail('InvalidRequest', `${error.message}; choose another path`);
      throw error;
    }
  }
  const signatureRequest: SignatureRequest = { tweak: bytesToHex(tweak), payload: request.payload, domain_id: domain.id };
  const key = pendingKey(signatureRequest);
  const queue = readStored<PendingQueue>(host, key) ?? { request: signatureRequest, yields: [] };
  if (queue.yields.length >= MAX_PENDING_REQUESTS_PER_PAYLOAD) {
    fail('PendingRequestQueueFull', `${MAX_PENDING_REQUESTS_PER_PAYLOAD} identical requests are already waiting for a signature`);
  }
  const parked = host.promiseYieldCreate(RETURN_SIGNATURE_METHOD, encodeJson({ request: signatureRequest, caller, legacy: request.legacy }), RETURN_SIGNATURE_GAS, 0n);
  writeStored(host, key, { ...queue, yields: [...queue.yields, { data_id: bytesToHex(parked.dataId), caller, legacy: request.legacy }] } satisfies PendingQueue);
  if (deposit > SIGN_DEPOSIT) host.promiseTransfer(caller, deposit - SIGN_DEPOSIT);
  host.promiseReturn(parked.promise);
}

/** The yield callback: hands the response to the caller, or on timeout drops the request, refunds and fails. */
function returnSignature(host: ContractHost, args: JsonObject): void {
  requirePrivate(host, RETURN_SIGNATURE_METHOD);
  const request = readSignatureRequest(args.request, 'request');
  const caller = accountId(args.caller, 'caller');
  const legacy = boolean(args.legacy, 'legacy');
  const result = singlePromiseResult(host, RETURN_SIGNATURE_METHOD);
  if (result.status === 'successful') {
    // `respond` already removed the request; the payload is the verified response in the current form.
    const response = JSON.parse(new TextDecoder().decode(result.value)) as SignatureResponse;
    returnJson(host, legacy && response.scheme === 'Secp256k1' ? toLegacyResponse(response) : response);
    return;
  }
  const key = pendingKey(request);
  const queue = readStored<PendingQueue>(host, key);
  if (queue !== null) {
    // Yields time out oldest first, so the oldest queued entry is the one that expired.
    const remaining = queue.yields.slice(1);
    if (remaining.length === 0) removeStored(host, key);
    else writeStored(host, key, { ...queue, yields: remaining } satisfies PendingQueue);
  }
  host.promiseTransfer(caller, SIGN_DEPOSIT);
  // Failing in a separate receipt keeps the cleanup and refund above; a panic here would undo them.
  host.promiseReturn(host.promiseCreate(host.currentAccountId(), FAIL_ON_TIMEOUT_METHOD, encodeJson({}), 0n, FAIL_ON_TIMEOUT_GAS));
}

function failOnTimeout(host: ContractHost): void {
  requirePrivate(host, FAIL_ON_TIMEOUT_METHOD);
  fail('Timeout', `the signature request was not answered before its yield timed out (on NEAR after ${SIGN_REQUEST_TIMEOUT_BLOCKS} blocks); the deposit was refunded`);
}

function respond(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['request', 'response'], 'arguments');
  const request = readSignatureRequest(args.request, 'request');
  const response = readSignatureResponse(args.response, 'response');
  const caller = directCaller(host);
  const state = loadState(host);
  if (!isParticipant(signingView(state).parameters, caller)) fail('Unauthorized', `${caller} is not a participant that may respond`);
  const key = pendingKey(request);
  const queue = readStored<PendingQueue>(host, key);
  if (queue === null) fail('RequestNotFound', 'no pending request matches (it was answered, timed out or never made)');

  const { domain, key: rootKey } = domainWithKey(state, request.domain_id);
  if (response.scheme !== domain.scheme) fail('InvalidSignature', `domain ${domain.id} expects a ${domain.scheme} signature, got ${response.scheme}`);
  const derived = derivedKey(domain.scheme, rootKey, request.tweak);
  const message = payloadBytes(request.payload);
  if (response.scheme === 'Secp256k1' && derived.curve === 'secp256k1') verifyEcdsaResponse(response, message, derived.point);
  if (response.scheme === 'Ed25519' && derived.curve === 'ed25519') verifyEd25519Response(response, message, derived.point);

  removeStored(host, key);
  const payload = encodeJson(response);
  let resumed = 0;
  for (const parked of queue.yields) if (host.promiseYieldResume(hexToBytes(parked.data_id), payload)) resumed += 1;
  host.log(`responded to ${resumed} of ${queue.yields.length} queued sign calls`);
}

// ---- key lifecycle ----

type Transition = (host: ContractHost, state: ProtocolState, caller: AccountId, args: JsonObject) => ProtocolState;

/** Loads the state, applies one participant action and stores the result. */
function participantAction(argumentNames: readonly string[], transition: Transition) {
  return (host: ContractHost, args: JsonObject): void => {
    onlyKeys(args, argumentNames, 'arguments');
    const caller = directCaller(host);
    const state = loadState(host);
    saveState(host, state, transition(host, state, caller, args));
  };
}

function requireInitializing(state: ProtocolState) {
  if (!('Initializing' in state)) fail('InvalidState', `key generation needs the Initializing state, not ${Object.keys(state)[0]}`);
  return state.Initializing;
}

function requireResharing(state: ProtocolState) {
  if (!('Resharing' in state)) fail('InvalidState', `resharing needs the Resharing state, not ${Object.keys(state)[0]}`);
  return state.Resharing;
}

function withKeyEvent(state: ProtocolState, update: (event: KeyEvent) => KeyEvent): ProtocolState {
  if ('Initializing' in state) return { Initializing: { ...state.Initializing, generating_key: update(state.Initializing.generating_key) } };
  if ('Resharing' in state) return { Resharing: { ...state.Resharing, resharing_key: update(state.Resharing.resharing_key) } };
  return fail('InvalidState', 'no key event is in progress (state is Running)');
}

const height = (host: ContractHost) => Number(host.blockHeight());

const voteAddDomainsMethod = participantAction(['domains'], (_host, state, caller, args) => {
  if (!('Running' in state)) fail('InvalidState', `domains can only be added while Running, not ${Object.keys(state)[0]}`);
  return voteAddDomains(state.Running, caller, args.domains);
});

const startKeygenInstance = participantAction(['key_event_id'], (host, state, caller, args) => {
  const initializing = requireInitializing(state);
  const id = readKeyEventId(args.key_event_id, 'key_event_id');
  return { Initializing: { ...initializing, generating_key: startKeyEventInstance(initializing.generating_key, caller, id, height(host), loadConfig(host)) } };
});

const votePkMethod = participantAction(['key_event_id', 'public_key'], (host, state, caller, args) => {
  const id = readKeyEventId(args.key_event_id, 'key_event_id');
  const result = votePk(requireInitializing(state), caller, id, string(args.public_key, 'public_key', 256), height(host));
  if (result.aborted) host.log(`key generation attempt ${id.attempt_id} aborted: ${caller} voted for a different public key`);
  return result.state;
});

const voteAbortKeyEventInstanceMethod = participantAction(['key_event_id'], (host, state, caller, args) => {
  const id = readKeyEventId(args.key_event_id, 'key_event_id');
  const next = withKeyEvent(state, (event) => voteAbortKeyEventInstance(event, caller, id, height(host)));
  host.log(`key event attempt ${id.attempt_id} for domain ${id.domain_id} aborted by ${caller}`);
  return next;
});

const voteCancelKeygenMethod = participantAction(['next_domain_id'], (_host, state, caller, args) =>
  voteCancelKeygen(requireInitializing(state), caller, integer(args.next_domain_id, 'next_domain_id')),
);

const voteNewParametersMethod = participantAction(['prospective_epoch_id', 'proposal'], (_host, state, caller, args) =>
  voteNewParameters(state, caller, integer(args.prospective_epoch_id, 'prospective_epoch_id'), readThresholdParameters(args.proposal, 'proposal')),
);

const startReshareInstance = participantAction(['key_event_id'], (host, state, caller, args) => {
  const resharing = requireResharing(state);
  const id = readKeyEventId(args.key_event_id, 'key_event_id');
  return { Resharing: { ...resharing, resharing_key: startKeyEventInstance(resharing.resharing_key, caller, id, height(host), loadConfig(host)) } };
});

const voteResharedMethod = participantAction(['key_event_id'], (host, state, caller, args) =>
  voteReshared(requireResharing(state), caller, readKeyEventId(args.key_event_id, 'key_event_id'), height(host)),
);

const voteCancelResharingMethod = participantAction([], (_host, state, caller) => voteCancelResharing(requireResharing(state), caller));

// ---- views ----

function publicKeyView(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['domain_id'], 'arguments');
  const state = loadState(host);
  const domainId = optional(args.domain_id, (value) => integer(value, 'domain_id')) ?? defaultDomainId(state);
  returnJson(host, domainWithKey(state, domainId).key);
}

function derivedPublicKeyView(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['path', 'predecessor', 'domain_id'], 'arguments');
  const path = string(args.path, 'path', MAX_PATH_LENGTH);
  // Without `predecessor` the caller is used, which only exists in a transaction, not in a view query.
  const predecessor = optional(args.predecessor, (value) => accountId(value, 'predecessor')) ?? host.predecessorAccountId();
  const state = loadState(host);
  const domainId = optional(args.domain_id, (value) => integer(value, 'domain_id')) ?? defaultDomainId(state);
  const { domain, key } = domainWithKey(state, domainId);
  returnJson(host, formatNearPublicKey(derivedKey(domain.scheme, key, bytesToHex(deriveTweak(predecessor, path)))));
}

function latestKeyVersionView(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['signature_scheme'], 'arguments');
  const scheme = optional(args.signature_scheme, (value) => string(value, 'signature_scheme', 32)) ?? 'Secp256k1';
  const view = signingView(loadState(host));
  const keyed = new Set(view.keys.map((key) => key.domain_id));
  const latest = view.domains.filter((domain) => domain.scheme === scheme && keyed.has(domain.id)).at(-1);
  if (latest === undefined) fail('InvalidRequest', `there is no ${scheme} domain with a key`);
  returnJson(host, latest.id);
}

function getPendingRequestView(host: ContractHost, args: JsonObject): void {
  onlyKeys(args, ['request'], 'arguments');
  const queue = readStored<PendingQueue>(host, pendingKey(readSignatureRequest(args.request, 'request')));
  const [oldest] = queue?.yields ?? [];
  returnJson(host, oldest === undefined ? null : { data_id: oldest.data_id });
}

export const mpcSignerContract = defineContract(
  'mpc-signer',
  {
    init,
    sign,
    [RETURN_SIGNATURE_METHOD]: returnSignature,
    [FAIL_ON_TIMEOUT_METHOD]: failOnTimeout,
    respond,
    vote_add_domains: voteAddDomainsMethod,
    start_keygen_instance: startKeygenInstance,
    vote_pk: votePkMethod,
    vote_abort_key_event_instance: voteAbortKeyEventInstanceMethod,
    vote_cancel_keygen: voteCancelKeygenMethod,
    vote_new_parameters: voteNewParametersMethod,
    start_reshare_instance: startReshareInstance,
    vote_reshared: voteResharedMethod,
    vote_cancel_resharing: voteCancelResharingMethod,
    public_key: publicKeyView,
    derived_public_key: derivedPublicKeyView,
    latest_key_version: latestKeyVersionView,
    state: (host) => returnJson(host, loadState(host)),
    config: (host) => returnJson(host, loadConfig(host)),
    version: (host) => returnJson(host, MPC_SIGNER_VERSION),
    get_pending_request: getPendingRequestView,
  },
  ['public_key', 'derived_public_key', 'latest_key_version', 'state', 'config', 'version', 'get_pending_request'],
);
