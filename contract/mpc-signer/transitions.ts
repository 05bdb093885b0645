/**
 * The protocol state machine of near/mpc 3.14 (crates/contract/src/state/*.rs) as pure functions
 * (state, caller, arguments, block height → new state), with its rules, vote bookkeeping and error
 * messages:
 *
 *   Running ──vote_add_domains (every participant, same domains)──▶ Initializing ──last vote_pk / vote_cancel_keygen──▶ Running
 *   Running ──vote_new_parameters (every proposed participant)──▶ Resharing ──last vote_reshared / vote_cancel_resharing──▶ Running
 *
 * Keys are generated (or reshared) one domain at a time; each domain's key event runs in attempts
 * that the leader (lowest participant id) starts and that expire `key_event_timeout_blocks` after the
 * block that started them. Votes name participants by id (domains, key events) or, where a
 * prospective participant votes, by account (parameters, resharing cancellation).
 */
import {
  SIGNER_ERRORS,
  type AccountId,
  type DomainConfig,
  type DomainRegistry,
  type GovernanceThresholdParameters,
  type InitializingContractState,
  type KeyEvent,
  type KeyEventId,
  type KeyForDomain,
  type Keyset,
  type ProposedGovernanceThresholdParameters,
  type ProtocolContractState,
  type PublicKeyExtended,
  type ResharingContractState,
  type RunningContractState,
} from '../../shared/near/signer-abi.js';
import { failWith } from '../common/errors.js';
import {
  authenticatedAccountId,
  authenticatedParticipantId,
  leaderOf,
  readNewDomains,
  sameProposal,
  validateDomain,
  validateGovernanceAgainstDomains,
  validateIncomingProposal,
} from './parameters.js';

type AddDomainsVotes = RunningContractState['add_domains_votes'];

/**
 * near/mpc `RunningContractState::new`: no parameter votes, no cancelled epoch, and of the add-domain
 * votes only those of participants in `parameters` (`get_remaining_votes`).
 */
export function runningState(domains: DomainRegistry, keyset: Keyset, parameters: GovernanceThresholdParameters, addDomainsVotes: AddDomainsVotes = { proposal_by_account: {} }): RunningContractState {
  return {
    domains,
    keyset,
    parameters,
    parameters_votes: { proposal_by_account: {} },
    add_domains_votes: remainingAddDomainsVotes(addDomainsVotes, parameters),
    previously_cancelled_resharing_epoch_id: null,
  };
}

/** Add-domain votes are kept by participant id; those of ids no longer in the set are dropped. */
function remainingAddDomainsVotes(votes: AddDomainsVotes, parameters: GovernanceThresholdParameters): AddDomainsVotes {
  const ids = new Set(parameters.participants.participants.map(([, id]) => String(id)));
  return { proposal_by_account: Object.fromEntries(Object.entries(votes.proposal_by_account).filter(([id]) => ids.has(id))) };
}

export const initialRunningState = (parameters: GovernanceThresholdParameters): RunningContractState =>
  runningState({ domains: [], next_domain_id: 0 }, { epoch_id: 0, domains: [] }, parameters);

const newKeyEvent = (epochId: number, domain: DomainConfig, parameters: GovernanceThresholdParameters): KeyEvent => ({ epoch_id: epochId, domain, parameters, instance: null, next_attempt_id: 0 });

/** Values equal as the contract compares them (same fields, same order of elements). */
const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const ascending = (ids: readonly number[]): number[] => [...ids].sort((a, b) => a - b);

// ---- adding domains ----

export function voteAddDomains(state: RunningContractState, voter: AccountId, domainsArgument: unknown): ProtocolContractState {
  const count = state.parameters.participants.participants.length;
  const domains = readNewDomains(domainsArgument, count, state.parameters.threshold);
  const voterId = authenticatedParticipantId(state.parameters, voter);
  const votes = { ...state.add_domains_votes.proposal_by_account, [String(voterId)]: domains };
  const agreeing = Object.values(votes).filter((proposal) => sameJson(proposal, domains)).length;
  if (agreeing < count) return { Running: { ...state, add_domains_votes: { proposal_by_account: votes } } };
  const registry = addDomains(state.domains, domains);
  return {
    Initializing: {
      domains: registry,
      epoch_id: state.keyset.epoch_id,
      generated_keys: state.keyset.domains,
      generating_key: newKeyEvent(state.keyset.epoch_id, domains[0]!, state.parameters),
      cancel_votes: [],
    },
  };
}

/** near/mpc `DomainRegistry::add_domains`: each new domain takes the next id. */
function addDomains(registry: DomainRegistry, domains: readonly DomainConfig[]): DomainRegistry {
  let next = registry.next_domain_id;
  for (const domain of domains) {
    if (domain.id !== next) failWith('InvalidParameters', `Newly proposed domain IDs are not contiguous. Expected id: ${next}`);
    next += 1;
  }
  return { domains: [...registry.domains, ...domains], next_domain_id: next };
}

// ---- key event attempts (shared by keygen and resharing) ----

/** A timed-out attempt is no attempt (near/mpc removes it at the next call that touches the event). */
const withoutExpiredInstance = (event: KeyEvent, height: number): KeyEvent => (event.instance !== null && height >= event.instance.expires_on ? { ...event, instance: null } : event);

function sameKeyEventId(a: KeyEventId, b: KeyEventId): boolean {
  return a.epoch_id === b.epoch_id && a.domain_id === b.domain_id && a.attempt_id === b.attempt_id;
}

export function startKeyEventInstance(current: KeyEvent, signer: AccountId, id: KeyEventId, height: number, timeoutBlocks: number): KeyEvent {
  const event = withoutExpiredInstance(current, height);
  if (event.instance !== null) failWith('KeyEvent', SIGNER_ERRORS.activeKeyEvent);
  if (!sameKeyEventId(id, { epoch_id: event.epoch_id, domain_id: event.domain.id, attempt_id: event.next_attempt_id })) failWith('KeyEvent', SIGNER_ERRORS.keyEventIdMismatch);
  if (leaderOf(event.parameters) !== signer) failWith('Unauthorized', SIGNER_ERRORS.voterNotLeader);
  return {
    ...event,
    instance: { attempt_id: event.next_attempt_id, started_in: height, expires_on: height + 1 + timeoutBlocks, completed: [], public_key: null },
    next_attempt_id: event.next_attempt_id + 1,
  };
}

/** The voter's participant id and the open attempt `id` names, or near/mpc's refusal. */
function openAttempt(current: KeyEvent, voter: AccountId, id: KeyEventId, height: number) {
  const candidate = authenticatedParticipantId(current.parameters, voter);
  const event = withoutExpiredInstance(current, height);
  const instance = event.instance;
  if (instance === null) return failWith('KeyEvent', SIGNER_ERRORS.noActiveKeyEvent);
  if (!sameKeyEventId(id, { epoch_id: event.epoch_id, domain_id: event.domain.id, attempt_id: instance.attempt_id })) failWith('KeyEvent', SIGNER_ERRORS.keyEventIdMismatch);
  return { candidate, event, instance };
}

/**
 * A success vote for `key`: a key that differs from an earlier vote's aborts the attempt (the vote is
 * then not an error); `done` once every participant voted.
 */
function voteSuccess(current: KeyEvent, voter: AccountId, id: KeyEventId, height: number, key: PublicKeyExtended): { event: KeyEvent; done: boolean; aborted: boolean } {
  const { candidate, event, instance } = openAttempt(current, voter, id, height);
  if (instance.public_key !== null && !sameJson(instance.public_key, key)) return { event: { ...event, instance: null }, done: false, aborted: true };
  if (instance.completed.includes(candidate)) failWith('InvalidVote', SIGNER_ERRORS.voteAlreadySubmitted);
  const completed = ascending([...instance.completed, candidate]);
  return { event: { ...event, instance: { ...instance, completed, public_key: key } }, done: completed.length === event.parameters.participants.participants.length, aborted: false };
}

export function voteAbortKeyEventInstance(current: KeyEvent, voter: AccountId, id: KeyEventId, height: number): KeyEvent {
  const { candidate, event, instance } = openAttempt(current, voter, id, height);
  if (instance.completed.includes(candidate)) failWith('InvalidVote', SIGNER_ERRORS.voteAlreadySubmitted);
  return { ...event, instance: null };
}

// ---- key generation ----

export function votePk(state: InitializingContractState, voter: AccountId, id: KeyEventId, key: PublicKeyExtended, height: number): { state: ProtocolContractState; aborted: boolean } {
  const vote = voteSuccess(state.generating_key, voter, id, height, key);
  if (!vote.done) return { state: { Initializing: { ...state, generating_key: vote.event } }, aborted: vote.aborted };
  const generated: KeyForDomain[] = [...state.generated_keys, { domain_id: id.domain_id, key, attempt: id.attempt_id }];
  const parameters = vote.event.parameters;
  const nextDomain = state.domains.domains[generated.length];
  if (nextDomain !== undefined) return { state: { Initializing: { ...state, generated_keys: generated, generating_key: newKeyEvent(state.epoch_id, nextDomain, parameters) } }, aborted: false };
  return { state: { Running: runningState(state.domains, { epoch_id: state.epoch_id, domains: generated }, parameters) }, aborted: false };
}

export function voteCancelKeygen(state: InitializingContractState, voter: AccountId, nextDomainId: number): ProtocolContractState {
  if (nextDomainId !== state.domains.next_domain_id) failWith('InvalidParameters', SIGNER_ERRORS.nextDomainIdMismatch);
  const parameters = state.generating_key.parameters;
  const voterId = authenticatedParticipantId(parameters, voter);
  if (state.cancel_votes.includes(voterId)) return { Initializing: state };
  const cancelVotes = ascending([...state.cancel_votes, voterId]);
  if (cancelVotes.length < parameters.threshold) return { Initializing: { ...state, cancel_votes: cancelVotes } };
  // Domains without a key are dropped; their ids are not reused (next_domain_id stays).
  const domains = { domains: state.domains.domains.slice(0, state.generated_keys.length), next_domain_id: state.domains.next_domain_id };
  return { Running: runningState(domains, { epoch_id: state.epoch_id, domains: state.generated_keys }, parameters) };
}

// ---- resharing ----

/**
 * near/mpc `process_new_parameters_proposal` on a running state: validates the proposal, records the
 * vote (replacing the voter's earlier one) and says whether every proposed participant now agrees.
 */
function recordParametersVote(running: RunningContractState, voter: AccountId, proposal: ProposedGovernanceThresholdParameters): { running: RunningContractState; accepted: boolean } {
  validateIncomingProposal(running.parameters, proposal.parameters);
  const newCount = proposal.parameters.participants.participants.length;
  for (const domainId of Object.keys(proposal.per_domain_thresholds)) {
    if (!running.domains.domains.some((domain) => domain.id === Number(domainId))) {
      failWith('InvalidParameters', `Resharing proposal references domain ID ${domainId}, which is not in the current registry.`);
    }
  }
  const effective = running.domains.domains.map((domain) => ({ ...domain, reconstruction_threshold: proposal.per_domain_thresholds[String(domain.id)] ?? domain.reconstruction_threshold }));
  for (const domain of effective) validateDomain(domain, newCount);
  validateGovernanceAgainstDomains(newCount, proposal.parameters.threshold, effective);
  const candidate = authenticatedAccountId(proposal.parameters, voter);
  const votes = running.parameters_votes.proposal_by_account;
  const votersFor = (voters: Readonly<Record<AccountId, ProposedGovernanceThresholdParameters>>) => Object.entries(voters).filter(([, vote]) => sameProposal(vote, proposal)).map(([account]) => account);
  const isCurrent = (account: AccountId) => running.parameters.participants.participants.some(([member]) => member === account);
  // A newcomer votes only once `threshold` current participants have voted to admit it.
  if (!isCurrent(candidate) && votersFor(votes).filter(isCurrent).length < running.parameters.threshold) failWith('InvalidVote', SIGNER_ERRORS.voterPending);
  const updated = { ...votes, [candidate]: proposal };
  return { running: { ...running, parameters_votes: { proposal_by_account: updated } }, accepted: votersFor(updated).length === newCount };
}

function startResharing(base: RunningContractState, epochId: number, proposal: ProposedGovernanceThresholdParameters): ProtocolContractState {
  const [firstDomain] = base.domains.domains;
  if (firstDomain === undefined) {
    // No keys to reshare: the new set takes over at once, in the next epoch.
    return { Running: runningState(base.domains, { epoch_id: base.keyset.epoch_id + 1, domains: [] }, proposal.parameters, base.add_domains_votes) };
  }
  return {
    Resharing: {
      previous_running_state: runningState(base.domains, base.keyset, base.parameters, base.add_domains_votes),
      reshared_keys: [],
      resharing_key: newKeyEvent(epochId, firstDomain, proposal.parameters),
      cancellation_requests: [],
      per_domain_thresholds: proposal.per_domain_thresholds,
    },
  };
}

export function voteNewParameters(state: ProtocolContractState, voter: AccountId, prospectiveEpochId: number, proposal: ProposedGovernanceThresholdParameters): ProtocolContractState {
  if (typeof state !== 'string' && 'Running' in state) {
    const running = state.Running;
    const expected = (running.previously_cancelled_resharing_epoch_id ?? running.keyset.epoch_id) + 1;
    if (prospectiveEpochId !== expected) failWith('InvalidParameters', SIGNER_ERRORS.epochMismatch(prospectiveEpochId, expected));
    const vote = recordParametersVote(running, voter, proposal);
    return vote.accepted ? startResharing(vote.running, expected, proposal) : { Running: vote.running };
  }
  if (typeof state !== 'string' && 'Resharing' in state) {
    // A new proposal during resharing replaces the resharing in progress once every proposed participant agrees.
    const resharing = state.Resharing;
    const expected = resharing.resharing_key.epoch_id + 1;
    if (prospectiveEpochId !== expected) failWith('InvalidParameters', SIGNER_ERRORS.epochMismatch(prospectiveEpochId, expected));
    const vote = recordParametersVote(resharing.previous_running_state, voter, proposal);
    if (!vote.accepted) return { Resharing: { ...resharing, previous_running_state: vote.running } };
    return startResharing(vote.running, expected, proposal);
  }
  return failWith('InvalidState', SIGNER_ERRORS.notRunningNorResharing);
}

export function voteReshared(state: ResharingContractState, voter: AccountId, id: KeyEventId, height: number): ProtocolContractState {
  const previous = state.previous_running_state;
  const previousKey = previous.keyset.domains[state.reshared_keys.length]!;
  const vote = voteSuccess(state.resharing_key, voter, id, height, previousKey.key);
  if (!vote.done) return { Resharing: { ...state, resharing_key: vote.event } };
  // Resharing keeps the public key; only the shares change.
  const reshared = [...state.reshared_keys, { domain_id: id.domain_id, key: previousKey.key, attempt: id.attempt_id }];
  const epochId = state.resharing_key.epoch_id;
  const nextDomain = previous.domains.domains[reshared.length];
  if (nextDomain !== undefined) return { Resharing: { ...state, reshared_keys: reshared, resharing_key: newKeyEvent(epochId, nextDomain, vote.event.parameters) } };
  const domains = {
    ...previous.domains,
    domains: previous.domains.domains.map((domain) => ({ ...domain, reconstruction_threshold: state.per_domain_thresholds[String(domain.id)] ?? domain.reconstruction_threshold })),
  };
  return { Running: runningState(domains, { epoch_id: epochId, domains: reshared }, vote.event.parameters, previous.add_domains_votes) };
}

export function voteCancelResharing(state: ResharingContractState, voter: AccountId): ProtocolContractState {
  const previous = state.previous_running_state;
  const account = authenticatedAccountId(previous.parameters, voter);
  const requests = state.cancellation_requests.includes(account) ? state.cancellation_requests : [...state.cancellation_requests, account].sort();
  if (requests.length < previous.parameters.threshold) return { Resharing: { ...state, cancellation_requests: requests } };
  // Nodes may hold material of the cancelled epoch, so that epoch id is never used again.
  return { Running: { ...previous, previously_cancelled_resharing_epoch_id: state.resharing_key.epoch_id } };
}

// ---- what the rest of the contract reads ----

/** The domain registry signing uses (near/mpc `domain_registry`): Running's, or the previous one while Resharing. */
export function domainRegistry(state: ProtocolContractState): DomainRegistry {
  if (typeof state !== 'string' && 'Running' in state) return state.Running.domains;
  if (typeof state !== 'string' && 'Resharing' in state) return state.Resharing.previous_running_state.domains;
  return failWith('InvalidState', SIGNER_ERRORS.notRunningNorResharing);
}

/** The keys signing uses (near/mpc `public_key`): Running's keyset, or the previous one while Resharing. */
export function signingKeyset(state: ProtocolContractState): Keyset {
  if (typeof state !== 'string' && 'Running' in state) return state.Running.keyset;
  if (typeof state !== 'string' && 'Resharing' in state) return state.Resharing.previous_running_state.keyset;
  return failWith('InvalidState', SIGNER_ERRORS.notRunningNorResharing);
}

/** The participants whose attested nodes may act (near/mpc `active_participants`): while Resharing, the new set. */
export function activeParameters(state: ProtocolContractState): GovernanceThresholdParameters {
  if (typeof state === 'string') return failWith('InvalidState', SIGNER_ERRORS.uninitialized);
  if ('Running' in state) return state.Running.parameters;
  if ('Initializing' in state) return state.Initializing.generating_key.parameters;
  return state.Resharing.resharing_key.parameters;
}
