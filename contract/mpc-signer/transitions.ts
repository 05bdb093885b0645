/**
 * The protocol state machine as pure functions (state, caller, arguments, block height → new state):
 *
 *   Running ──vote_add_domains (all participants)──▶ Initializing ──last vote_pk / vote_cancel_keygen──▶ Running
 *   Running ──vote_new_parameters (threshold of old + all new)──▶ Resharing ──last vote_reshared / vote_cancel_resharing──▶ Running
 *
 * Keys are generated (or reshared) one domain at a time; each domain's key event runs in attempts that
 * the leader (lowest participant id) starts and that expire after `key_event_timeout_blocks`.
 */
import { formatNearPublicKey, parsePublicKey } from '../../shared/near/keys.js';
import { fail } from '../common/errors.js';
import type { AccountId } from '../host.js';
import { isParticipant, leaderOf, participantAccounts, readNewDomains, sameParameters, validateParametersChange } from './parameters.js';
import type {
  ContractConfig,
  DomainConfig,
  InitializingState,
  KeyEvent,
  KeyEventId,
  KeyForDomain,
  ProtocolState,
  ResharingState,
  RunningState,
  ThresholdParameters,
} from './types.js';

export function initialRunningState(parameters: ThresholdParameters): RunningState {
  return runningState({ domains: [], next_domain_id: 0 }, { epoch_id: 0, domains: [] }, parameters, null);
}

function runningState(domains: RunningState['domains'], keyset: RunningState['keyset'], parameters: ThresholdParameters, cancelledEpoch: number | null): RunningState {
  return {
    domains,
    keyset,
    parameters,
    parameters_votes: { proposal_by_account: {} },
    add_domains_votes: { proposal_by_account: {} },
    previously_cancelled_resharing_epoch_id: cancelledEpoch,
  };
}

function requireMember(parameters: ThresholdParameters, account: AccountId, role: string): void {
  if (!isParticipant(parameters, account)) fail('Unauthorized', `${account} is not ${role}`);
}

function newKeyEvent(epochId: number, domain: DomainConfig, parameters: ThresholdParameters): KeyEvent {
  return { epoch_id: epochId, domain, parameters, instance: null, next_attempt_id: 0 };
}

// ---- adding domains ----

export function voteAddDomains(state: RunningState, voter: AccountId, domainsArgument: unknown): ProtocolState {
  requireMember(state.parameters, voter, 'a participant');
  const proposal = readNewDomains(domainsArgument, state.domains.next_domain_id);
  const votes = { ...state.add_domains_votes.proposal_by_account, [voter]: proposal };
  const key = JSON.stringify(proposal);
  const agreeing = participantAccounts(state.parameters).filter((account) => votes[account] !== undefined && JSON.stringify(votes[account]) === key);
  // Every participant must take part in key generation, so every participant must agree to it.
  if (agreeing.length < state.parameters.participants.participants.length) {
    return { Running: { ...state, add_domains_votes: { proposal_by_account: votes } } };
  }
  const [first] = proposal as [DomainConfig, ...DomainConfig[]];
  return {
    Initializing: {
      domains: { domains: [...state.domains.domains, ...proposal], next_domain_id: state.domains.next_domain_id + proposal.length },
      epoch_id: state.keyset.epoch_id,
      generated_keys: state.keyset.domains,
      generating_key: newKeyEvent(state.keyset.epoch_id, first, state.parameters),
      cancel_votes: [],
      previously_cancelled_resharing_epoch_id: state.previously_cancelled_resharing_epoch_id,
    },
  };
}

// ---- key event attempts (shared by keygen and resharing) ----

function describeId(id: KeyEventId): string {
  return `epoch ${id.epoch_id}, domain ${id.domain_id}, attempt ${id.attempt_id}`;
}

export function startKeyEventInstance(event: KeyEvent, caller: AccountId, id: KeyEventId, height: number, config: ContractConfig): KeyEvent {
  const leader = leaderOf(event.parameters);
  if (caller !== leader) fail('Unauthorized', `only the leader ${leader} may start a key event attempt`);
  if (event.instance !== null && height < event.instance.expires_on) {
    fail('KeyEvent', `attempt ${event.instance.attempt_id} is still open until block ${event.instance.expires_on}`);
  }
  const expected: KeyEventId = { epoch_id: event.epoch_id, domain_id: event.domain.id, attempt_id: event.next_attempt_id };
  if (id.epoch_id !== expected.epoch_id || id.domain_id !== expected.domain_id || id.attempt_id !== expected.attempt_id) {
    fail('KeyEvent', `the next key event attempt is (${describeId(expected)}), not (${describeId(id)})`);
  }
  return {
    ...event,
    instance: { attempt_id: event.next_attempt_id, started_in: height, expires_on: height + config.key_event_timeout_blocks, completed: [], public_key: null },
    next_attempt_id: event.next_attempt_id + 1,
  };
}

/** The open attempt `id` names; a vote for anything else is refused. */
function openInstance(event: KeyEvent, id: KeyEventId, height: number) {
  const instance = event.instance;
  if (instance === null) fail('KeyEvent', `no key event attempt is open for domain ${event.domain.id}`);
  if (id.epoch_id !== event.epoch_id || id.domain_id !== event.domain.id || id.attempt_id !== instance.attempt_id) {
    fail('KeyEvent', `the open attempt is (${describeId({ epoch_id: event.epoch_id, domain_id: event.domain.id, attempt_id: instance.attempt_id })}), not (${describeId(id)})`);
  }
  if (height >= instance.expires_on) fail('KeyEvent', `attempt ${instance.attempt_id} expired at block ${instance.expires_on}`);
  return instance;
}

export function voteAbortKeyEventInstance(event: KeyEvent, voter: AccountId, id: KeyEventId, height: number): KeyEvent {
  requireMember(event.parameters, voter, 'a participant of this key event');
  openInstance(event, id, height);
  // One participant that cannot complete the attempt is enough to abandon it.
  return { ...event, instance: null };
}

// ---- key generation ----

export type VotePkResult = { readonly state: ProtocolState; readonly aborted: boolean };

export function votePk(state: InitializingState, voter: AccountId, id: KeyEventId, publicKey: string, height: number): VotePkResult {
  const event = state.generating_key;
  requireMember(event.parameters, voter, 'a participant of this key generation');
  const instance = openInstance(event, id, height);
  const curve = event.domain.scheme === 'Secp256k1' ? 'secp256k1' : 'ed25519';
  let key: string;
  try {
    key = formatNearPublicKey(parsePublicKey(publicKey, curve));
  } catch (error) {
    return fail('InvalidArguments', `public_key: ${(error as Error).message}`);
  }
  if (instance.completed.includes(voter)) fail('InvalidVote', `${voter} already voted in attempt ${instance.attempt_id}`);
  if (instance.public_key !== null && instance.public_key !== key) {
    // Participants disagree on the generated key: the attempt cannot succeed.
    return { state: { Initializing: { ...state, generating_key: { ...event, instance: null } } }, aborted: true };
  }
  const completed = [...instance.completed, voter];
  if (completed.length < event.parameters.participants.participants.length) {
    return { state: { Initializing: { ...state, generating_key: { ...event, instance: { ...instance, completed, public_key: key } } } }, aborted: false };
  }
  const generated: KeyForDomain[] = [...state.generated_keys, { domain_id: event.domain.id, key, attempt: instance.attempt_id }];
  const nextDomain = state.domains.domains.find((domain) => domain.id > event.domain.id);
  if (nextDomain !== undefined) {
    return { state: { Initializing: { ...state, generated_keys: generated, generating_key: newKeyEvent(state.epoch_id, nextDomain, event.parameters) } }, aborted: false };
  }
  return {
    state: { Running: runningState(state.domains, { epoch_id: state.epoch_id, domains: generated }, event.parameters, state.previously_cancelled_resharing_epoch_id) },
    aborted: false,
  };
}

export function voteCancelKeygen(state: InitializingState, voter: AccountId, nextDomainId: number): ProtocolState {
  const parameters = state.generating_key.parameters;
  requireMember(parameters, voter, 'a participant');
  // The id pins the vote to this key generation, so a late vote cannot cancel a later one.
  if (nextDomainId !== state.domains.next_domain_id) fail('InvalidVote', `next_domain_id must be ${state.domains.next_domain_id}, got ${nextDomainId}`);
  if (state.cancel_votes.includes(voter)) fail('InvalidVote', `${voter} already voted to cancel`);
  const cancelVotes = [...state.cancel_votes, voter];
  if (cancelVotes.length < parameters.threshold) return { Initializing: { ...state, cancel_votes: cancelVotes } };
  const withKeys = new Set(state.generated_keys.map((key) => key.domain_id));
  return {
    Running: runningState(
      // Ids of dropped domains are not reused: next_domain_id stays where it is.
      { domains: state.domains.domains.filter((domain) => withKeys.has(domain.id)), next_domain_id: state.domains.next_domain_id },
      { epoch_id: state.epoch_id, domains: state.generated_keys },
      parameters,
      state.previously_cancelled_resharing_epoch_id,
    ),
  };
}

// ---- resharing ----

export function voteNewParameters(state: ProtocolState, voter: AccountId, prospectiveEpochId: number, proposal: ThresholdParameters): ProtocolState {
  let base: RunningState;
  let expectedEpoch: number;
  if ('Running' in state) {
    base = state.Running;
    expectedEpoch = (base.previously_cancelled_resharing_epoch_id ?? base.keyset.epoch_id) + 1;
  } else if ('Resharing' in state) {
    // A new proposal during resharing replaces the resharing in progress.
    base = state.Resharing.previous_running_state;
    expectedEpoch = state.Resharing.resharing_key.epoch_id + 1;
  } else {
    return fail('InvalidState', 'new parameters can only be proposed while Running or Resharing');
  }
  if (!isParticipant(base.parameters, voter) && !isParticipant(proposal, voter)) fail('Unauthorized', `${voter} is neither a current nor a proposed participant`);
  if (prospectiveEpochId !== expectedEpoch) fail('InvalidVote', `prospective_epoch_id must be ${expectedEpoch}, got ${prospectiveEpochId}`);
  validateParametersChange(base.parameters, proposal);

  const votes = { ...base.parameters_votes.proposal_by_account, [voter]: { prospective_epoch_id: prospectiveEpochId, parameters: proposal } };
  const agrees = (account: AccountId) => {
    const vote = votes[account];
    return vote !== undefined && vote.prospective_epoch_id === prospectiveEpochId && sameParameters(vote.parameters, proposal);
  };
  const oldAgreeing = participantAccounts(base.parameters).filter(agrees).length;
  const newcomers = participantAccounts(proposal).filter((account) => !isParticipant(base.parameters, account));
  const withVotes = { ...base, parameters_votes: { proposal_by_account: votes } };
  // The old set must reach its threshold, and every newcomer must be ready to receive shares.
  if (oldAgreeing < base.parameters.threshold || !newcomers.every(agrees)) {
    return 'Running' in state ? { Running: withVotes } : { Resharing: { ...state.Resharing, previous_running_state: withVotes } };
  }
  const settled = { ...base, parameters_votes: { proposal_by_account: {} }, add_domains_votes: { proposal_by_account: {} } };
  const [firstDomain] = base.domains.domains;
  if (firstDomain === undefined) {
    // No keys to reshare: the new set takes over at once.
    return { Running: runningState(base.domains, { epoch_id: prospectiveEpochId, domains: [] }, proposal, null) };
  }
  return { Resharing: { previous_running_state: settled, reshared_keys: [], resharing_key: newKeyEvent(prospectiveEpochId, firstDomain, proposal), cancellation_requests: [] } };
}

export function voteReshared(state: ResharingState, voter: AccountId, id: KeyEventId, height: number): ProtocolState {
  const event = state.resharing_key;
  requireMember(event.parameters, voter, 'a participant of the new set');
  const instance = openInstance(event, id, height);
  if (instance.completed.includes(voter)) fail('InvalidVote', `${voter} already voted in attempt ${instance.attempt_id}`);
  const completed = [...instance.completed, voter];
  if (completed.length < event.parameters.participants.participants.length) {
    return { Resharing: { ...state, resharing_key: { ...event, instance: { ...instance, completed } } } };
  }
  const previous = state.previous_running_state;
  const oldKey = previous.keyset.domains.find((key) => key.domain_id === event.domain.id);
  if (oldKey === undefined) fail('InvalidState', `domain ${event.domain.id} has no key to reshare`);
  // Resharing keeps the public key; only the shares change.
  const reshared = [...state.reshared_keys, { domain_id: event.domain.id, key: oldKey.key, attempt: instance.attempt_id }];
  const nextDomain = previous.domains.domains.find((domain) => domain.id > event.domain.id);
  if (nextDomain !== undefined) {
    return { Resharing: { ...state, reshared_keys: reshared, resharing_key: newKeyEvent(event.epoch_id, nextDomain, event.parameters) } };
  }
  return { Running: runningState(previous.domains, { epoch_id: event.epoch_id, domains: reshared }, event.parameters, null) };
}

export function voteCancelResharing(state: ResharingState, voter: AccountId): ProtocolState {
  const previous = state.previous_running_state;
  requireMember(previous.parameters, voter, 'a current participant');
  if (state.cancellation_requests.includes(voter)) fail('InvalidVote', `${voter} already voted to cancel the resharing`);
  const requests = [...state.cancellation_requests, voter];
  if (requests.length < previous.parameters.threshold) return { Resharing: { ...state, cancellation_requests: requests } };
  // Nodes may hold material for the cancelled epoch, so that epoch id is never used again.
  return { Running: runningState(previous.domains, previous.keyset, previous.parameters, state.resharing_key.epoch_id) };
}

/** What signing uses in each state: the keyed domains and the participants allowed to respond (the old set while resharing). */
export function signingView(state: ProtocolState): { domains: readonly DomainConfig[]; keys: readonly KeyForDomain[]; parameters: ThresholdParameters } {
  if ('Running' in state) return { domains: state.Running.domains.domains, keys: state.Running.keyset.domains, parameters: state.Running.parameters };
  if ('Initializing' in state) {
    const s = state.Initializing;
    return { domains: s.domains.domains, keys: s.generated_keys, parameters: s.generating_key.parameters };
  }
  const previous = state.Resharing.previous_running_state;
  return { domains: previous.domains.domains, keys: previous.keyset.domains, parameters: previous.parameters };
}
