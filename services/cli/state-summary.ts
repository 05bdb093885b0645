/**
 * `state()` of the signer as an operator reads it: the protocol phase and epoch, the participants,
 * the governance threshold, the domains and their keys, the key event in progress and the votes
 * waiting for more voters. Pure formatting of the ABI's JSON (shared/near/signer-abi.ts).
 */
import {
  PROTOCOL_CURVE,
  nearPublicKeyOf,
  protocolStateName,
  type DomainConfig,
  type DomainRegistry,
  type GovernanceThresholdParameters,
  type KeyEvent,
  type KeyForDomain,
  type ParticipantId,
  type ProposedGovernanceThresholdParameters,
  type ProtocolContractState,
  type RunningContractState,
} from '../../shared/near/signer-abi.js';

const LABEL_WIDTH = 14;
/** `label:` padded to the summary's column, then `text`. */
export const labelled = (label: string, text: string): string => `${`${label}:`.padEnd(LABEL_WIDTH)}${text}`;
const indent = (lines: readonly string[]): string[] => lines.map((text) => `  ${text}`);

/** Rows padded into columns, the last column unpadded. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]! + 2))).join(''));
}

/** `node1.near (1)` for a participant id, from the set that knows it. */
function participantName(parameters: GovernanceThresholdParameters, id: ParticipantId): string {
  const entry = parameters.participants.participants.find(([, participantId]) => participantId === id);
  return entry === undefined ? `participant ${id}` : `${entry[0]} (${id})`;
}

const names = (parameters: GovernanceThresholdParameters, ids: readonly ParticipantId[]): string => (ids.length === 0 ? 'none' : ids.map((id) => participantName(parameters, id)).join(', '));

const domainText = (domain: DomainConfig): string => `${domain.id} ${domain.protocol} ${domain.purpose} t=${domain.reconstruction_threshold}`;

function participantLines(label: string, parameters: GovernanceThresholdParameters): string[] {
  const { participants, next_id: nextId } = parameters.participants;
  return [
    labelled(label, `${participants.length}, governance threshold ${parameters.threshold}, next id ${nextId}`),
    ...indent(table([['id', 'account', 'url', 'tls public key'], ...participants.map(([account, id, info]) => [String(id), account, info.url, info.tls_public_key])])),
  ];
}

/** `keyText(domain)` says what to print for a domain's key: the key, or why there is none yet. */
function domainLines(registry: DomainRegistry, keyText: (domain: DomainConfig) => string): string[] {
  if (registry.domains.length === 0) return [labelled('domains', `none, next id ${registry.next_domain_id}`)];
  return [
    labelled('domains', `${registry.domains.length}, next id ${registry.next_domain_id}`),
    ...indent(
      table([
        ['id', 'protocol', 'curve', 'purpose', 'threshold', 'key'],
        ...registry.domains.map((domain) => [String(domain.id), domain.protocol, PROTOCOL_CURVE[domain.protocol], domain.purpose, String(domain.reconstruction_threshold), keyText(domain)]),
      ]),
    ),
  ];
}

const keyOf = (keys: readonly KeyForDomain[], domain: DomainConfig): KeyForDomain | undefined => keys.find((key) => key.domain_id === domain.id);

function keyEventLines(kind: 'keygen' | 'reshare', event: KeyEvent): string[] {
  const domain = event.domain;
  const leader = [...event.parameters.participants.participants].sort((a, b) => a[1] - b[1])[0];
  const instance = event.instance;
  const attempt =
    instance === null
      ? `no attempt running; the leader ${leader === undefined ? '(none)' : `${leader[0]} (${leader[1]})`} starts attempt ${event.next_attempt_id}`
      : `attempt ${instance.attempt_id} started at block ${instance.started_in}, expires at block ${instance.expires_on}; completed by ${names(event.parameters, instance.completed)}`;
  return [labelled('key event', `${kind} of domain ${domain.id} (${domain.protocol}, ${domain.purpose}, threshold ${domain.reconstruction_threshold}) for epoch ${event.epoch_id}`), `${' '.repeat(LABEL_WIDTH)}${attempt}`];
}

function proposalText(proposal: ProposedGovernanceThresholdParameters): string {
  const { parameters, per_domain_thresholds: thresholds } = proposal;
  const members = parameters.participants.participants.map(([account, id]) => `${account} (${id})`).join(', ');
  const perDomain = Object.entries(thresholds).map(([domainId, t]) => `domain ${domainId} t=${t}`);
  return `threshold ${parameters.threshold} of ${members}${perDomain.length === 0 ? '' : `; ${perDomain.join(', ')}`}`;
}

/** The votes a Running state holds: new parameters by account, new domains by participant id. */
function voteLines(state: RunningContractState): string[] {
  const votes = [
    ...Object.entries(state.parameters_votes.proposal_by_account).map(([account, proposal]) => `new parameters by ${account}: ${proposalText(proposal)}`),
    ...Object.entries(state.add_domains_votes.proposal_by_account).map(([id, domains]) => `add domains by ${participantName(state.parameters, Number(id))}: ${domains.map(domainText).join(', ')}`),
  ];
  const cancelled = state.previously_cancelled_resharing_epoch_id;
  return [
    labelled('votes', votes.length === 0 ? 'none pending' : `${votes.length} pending`),
    ...indent(votes),
    ...(cancelled === null ? [] : [labelled('cancelled', `the resharing to epoch ${cancelled}; a new proposal must target a later epoch`)]),
  ];
}

function runningLines(state: RunningContractState): string[] {
  return [
    labelled('protocol', `Running, epoch ${state.keyset.epoch_id}`),
    ...participantLines('participants', state.parameters),
    ...domainLines(state.domains, (domain) => {
      const key = keyOf(state.keyset.domains, domain);
      return key === undefined ? '(none)' : nearPublicKeyOf(key.key);
    }),
    labelled('key event', 'none'),
    ...voteLines(state),
  ];
}

/** The readable summary of `state()`, one line per item, without a trailing newline. */
export function stateSummary(state: ProtocolContractState): string[] {
  if (typeof state === 'string') return [labelled('protocol', `${state}: the contract has no state yet (chainsig contract init)`)];
  if ('Running' in state) return runningLines(state.Running);
  if ('Initializing' in state) {
    const initializing = state.Initializing;
    const generating = initializing.generating_key;
    return [
      labelled('protocol', `Initializing, epoch ${initializing.epoch_id}: generating keys for new domains`),
      ...participantLines('participants', generating.parameters),
      ...domainLines(initializing.domains, (domain) => {
        const key = keyOf(initializing.generated_keys, domain);
        if (key !== undefined) return nearPublicKeyOf(key.key);
        return domain.id === generating.domain.id ? '(generating)' : '(waiting for its keygen)';
      }),
      ...keyEventLines('keygen', generating),
      labelled('cancel votes', names(generating.parameters, initializing.cancel_votes)),
    ];
  }
  const resharing = state.Resharing;
  const previous = resharing.previous_running_state;
  const event = resharing.resharing_key;
  const thresholds = Object.entries(resharing.per_domain_thresholds).map(([domainId, t]) => `domain ${domainId} t=${t}`);
  return [
    labelled('protocol', `Resharing, epoch ${previous.keyset.epoch_id} → ${event.epoch_id}: signing continues with epoch ${previous.keyset.epoch_id}'s participants`),
    ...participantLines('participants', previous.parameters),
    ...participantLines('new set', event.parameters),
    ...domainLines(previous.domains, (domain) => {
      const key = keyOf(previous.keyset.domains, domain);
      const reshared = keyOf(resharing.reshared_keys, domain) !== undefined ? ' (reshared)' : domain.id === event.domain.id ? ' (resharing)' : '';
      return `${key === undefined ? '(none)' : nearPublicKeyOf(key.key)}${reshared}`;
    }),
    ...(thresholds.length === 0 ? [] : [labelled('thresholds', `after resharing: ${thresholds.join(', ')}`)]),
    ...keyEventLines('reshare', event),
    labelled('cancel votes', resharing.cancellation_requests.length === 0 ? 'none' : resharing.cancellation_requests.join(', ')),
    ...voteLines(previous),
  ];
}

/** One line for after a call: the phase the contract is in now. */
export function protocolLine(state: ProtocolContractState): string {
  const name = protocolStateName(state);
  if (typeof state === 'string') return labelled('protocol', name);
  if ('Running' in state) return labelled('protocol', `Running, epoch ${state.Running.keyset.epoch_id}, ${state.Running.domains.domains.length} domain(s)`);
  if ('Initializing' in state) return labelled('protocol', `Initializing, epoch ${state.Initializing.epoch_id}: keygen of domain ${state.Initializing.generating_key.domain.id}`);
  return labelled('protocol', `Resharing to epoch ${state.Resharing.resharing_key.epoch_id}: domain ${state.Resharing.resharing_key.domain.id}`);
}
