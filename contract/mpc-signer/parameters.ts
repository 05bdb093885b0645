/**
 * Reading and validating participant sets, governance parameters, proposals, domains and key event
 * ids, with near/mpc 3.14's rules and messages (crates/contract/src/primitives/thresholds.rs,
 * participants.rs, domain.rs): a governance threshold of at least 2, at most n and at least ⌈3n/5⌉,
 * at least every domain's reconstruction threshold; a new set keeping `threshold` old members with
 * their ids and info, newcomers taking the next ids without gaps.
 */
import {
  MIN_RECONSTRUCTION_THRESHOLD,
  PURPOSE_PROTOCOLS,
  minGovernanceThreshold,
  type AccountId,
  type DomainConfig,
  type DomainPurpose,
  type GovernanceThresholdParameters,
  type KeyEventId,
  type ParticipantEntry,
  type ParticipantInfo,
  type Participants,
  type Protocol,
  type ProposedGovernanceThresholdParameters,
} from '../../shared/near/signer-abi.js';
import { formatNearPublicKey, parsePublicKey } from '../../shared/near/keys.js';
import { accountId, array, integer, object, onlyKeys, string, U32_MAX } from '../common/args.js';
import { fail, failWith } from '../common/errors.js';

export const MAX_PARTICIPANTS = 128;
const MAX_URL_LENGTH = 512;
const MAX_DOMAINS_PER_PROPOSAL = 16;
const PROTOCOLS: readonly Protocol[] = ['CaitSith', 'Frost', 'ConfidentialKeyDerivation', 'DamgardEtAl'];
const PURPOSES: readonly DomainPurpose[] = ['Sign', 'ForeignTx', 'CKD'];

/** `ed25519:…` in canonical form, or an `InvalidArguments` failure naming `where`. */
export function ed25519KeyText(value: unknown, where: string): string {
  try {
    return formatNearPublicKey(parsePublicKey(string(value, where, 128), 'ed25519'));
  } catch (error) {
    return fail('InvalidArguments', `${where}: ${(error as Error).message}`);
  }
}

function participantInfo(value: unknown, where: string): ParticipantInfo {
  const info = object(value, where);
  onlyKeys(info, ['url', 'tls_public_key'], where);
  const url = string(info.url, `${where}.url`, MAX_URL_LENGTH);
  return { url, tls_public_key: ed25519KeyText(info.tls_public_key, `${where}.tls_public_key`) };
}

function readParticipants(value: unknown, where: string): Participants {
  const input = object(value, where);
  onlyKeys(input, ['next_id', 'participants'], where);
  const nextId = integer(input.next_id, `${where}.next_id`, U32_MAX);
  const entries = array(input.participants, `${where}.participants`, MAX_PARTICIPANTS);
  const participants: ParticipantEntry[] = entries.map((entry, index) => {
    const at = `${where}.participants[${index}]`;
    const tuple = array(entry, at, 3);
    if (tuple.length !== 3) fail('InvalidArguments', `${at}: expected [account_id, participant_id, info]`);
    return [accountId(tuple[0], `${at}[0]`), integer(tuple[1], `${at}[1]`, U32_MAX), participantInfo(tuple[2], `${at}[2]`)];
  });
  return { next_id: nextId, participants };
}

/**
 * near/mpc `Participants::validate`: every id below `next_id`, then distinct ids, then distinct
 * accounts (a set with several faults is refused for the first in that order).
 */
function validateParticipants(participants: Participants): void {
  const entries = participants.participants;
  const tooHigh = entries.find(([, id]) => id >= participants.next_id);
  if (tooHigh !== undefined) failWith('InvalidParameters', `Participant ID ${tooHigh[1]} is not less than next_id ${participants.next_id}.`);
  if (new Set(entries.map(([, id]) => id)).size !== entries.length) failWith('InvalidParameters', 'Duplicate participant IDs found.');
  if (new Set<AccountId>(entries.map(([account]) => account)).size !== entries.length) failWith('InvalidParameters', 'Duplicate account IDs found.');
}

/** near/mpc `validate_governance_threshold` for `participants` participants. */
export function validateGovernanceThreshold(participants: number, threshold: number): void {
  if (threshold > participants) failWith('InvalidParameters', `GovernanceThreshold must not exceed number of participants: max ${participants}, found ${threshold}`);
  if (threshold < 2) failWith('InvalidParameters', 'GovernanceThreshold does not meet the minimum absolute requirement');
  const lower = minGovernanceThreshold(participants);
  if (threshold < lower) failWith('InvalidParameters', `GovernanceThreshold is below the minimum required relative to the participant count: require at least ${lower}, found ${threshold}`);
}

/** The governance threshold must reach every domain's reconstruction threshold. */
export function validateGovernanceAgainstDomains(participants: number, threshold: number, domains: readonly DomainConfig[]): void {
  validateGovernanceThreshold(participants, threshold);
  const highest = Math.max(0, ...domains.map((domain) => domain.reconstruction_threshold));
  if (threshold < highest) failWith('InvalidParameters', `GovernanceThreshold ${threshold} is below the largest ReconstructionThreshold ${highest}`);
}

export function readGovernanceThresholdParameters(value: unknown, where: string): GovernanceThresholdParameters {
  const input = object(value, where);
  onlyKeys(input, ['participants', 'threshold'], where);
  const participants = readParticipants(input.participants, `${where}.participants`);
  const threshold = integer(input.threshold, `${where}.threshold`, U32_MAX);
  validateGovernanceThreshold(participants.participants.length, threshold);
  validateParticipants(participants);
  return { participants, threshold };
}

export function readProposal(value: unknown, where: string): ProposedGovernanceThresholdParameters {
  const input = object(value, where);
  onlyKeys(input, ['parameters', 'per_domain_thresholds'], where);
  const parameters = readGovernanceThresholdParameters(input.parameters, `${where}.parameters`);
  const thresholds = input.per_domain_thresholds === undefined ? {} : object(input.per_domain_thresholds, `${where}.per_domain_thresholds`);
  const perDomain: Record<string, number> = {};
  for (const [domainId, threshold] of Object.entries(thresholds)) {
    if (!/^(0|[1-9]\d*)$/.test(domainId)) fail('InvalidArguments', `${where}.per_domain_thresholds: "${domainId}" is not a domain id`);
    perDomain[domainId] = integer(threshold, `${where}.per_domain_thresholds.${domainId}`);
  }
  // serde's BTreeMap: keys in ascending numeric order.
  const ordered = Object.fromEntries(Object.entries(perDomain).sort(([a], [b]) => Number(a) - Number(b)));
  return { parameters, per_domain_thresholds: ordered };
}

/**
 * near/mpc `validate_incoming_proposal`: the proposal is valid on its own, members that stay keep
 * their id and info, at least `threshold` of them stay, and newcomers take ids from the current
 * `next_id` on without gaps, up to the proposal's `next_id`.
 */
export function validateIncomingProposal(current: GovernanceThresholdParameters, proposed: GovernanceThresholdParameters): void {
  const oldByAccount = new Map(current.participants.participants.map(([account, id, info]) => [account, { id, info }]));
  const oldById = new Map(current.participants.participants.map(([account, id]) => [id, account]));
  let kept = 0;
  const newIds: number[] = [];
  for (const [account, id, info] of proposed.participants.participants) {
    const old = oldByAccount.get(account);
    if (old !== undefined) {
      if (old.id !== id) failWith('InvalidParameters', `Existing participant ${account} changed ID from ${old.id} to ${id}.`);
      if (old.info.url !== info.url || old.info.tls_public_key !== info.tls_public_key) failWith('InvalidParameters', `Existing participant ${account} changed info (url or tls_public_key).`);
      kept += 1;
    } else {
      const existing = oldById.get(id);
      if (existing !== undefined) failWith('InvalidParameters', `New participant ${account} reuses ID ${id} already assigned to existing participant ${existing}.`);
      newIds.push(id);
    }
  }
  if (kept < current.threshold) failWith('InvalidParameters', 'Set of proposed participants must contain at least `threshold` old participants.');
  if (newIds.length === 0) return;
  const lowest = Math.min(...newIds);
  const highest = Math.max(...newIds);
  if (newIds.length - 1 !== highest - lowest || lowest !== current.participants.next_id) failWith('InvalidParameters', 'New Participant ids need to be unique and contiguous.');
  if (highest + 1 !== proposed.participants.next_id) failWith('InvalidParameters', 'New Participant ids need to not skip any unused participant ids.');
}

/** near/mpc `validate_domain_purpose` and `validate_domain_reconstruction_threshold` for `participants` participants. */
export function validateDomain(domain: DomainConfig, participants: number): void {
  if (!PURPOSE_PROTOCOLS[domain.purpose].includes(domain.protocol)) {
    failWith('InvalidParameters', `Invalid protocol-purpose combination: protocol ${domain.protocol} is not compatible with purpose ${domain.purpose}`);
  }
  const t = domain.reconstruction_threshold;
  if (t < MIN_RECONSTRUCTION_THRESHOLD) failWith('InvalidParameters', `Reconstruction threshold must be at least ${MIN_RECONSTRUCTION_THRESHOLD}.`);
  if (t > participants) failWith('InvalidParameters', `Reconstruction threshold ${t} exceeds participant count ${participants}.`);
  if (domain.protocol === 'DamgardEtAl' && 2 * t - 1 > participants) {
    failWith('InvalidParameters', `Protocol DamgardEtAl requires at least ${2 * t - 1} participants, found ${participants}.`);
  }
}

function readDomainConfig(value: unknown, where: string): DomainConfig {
  const input = object(value, where);
  onlyKeys(input, ['id', 'protocol', 'reconstruction_threshold', 'purpose'], where);
  const protocol = string(input.protocol, `${where}.protocol`, 64);
  if (!PROTOCOLS.includes(protocol as Protocol)) fail('InvalidArguments', `${where}.protocol: unknown variant "${protocol}", expected one of ${PROTOCOLS.join(', ')}`);
  const purpose = string(input.purpose, `${where}.purpose`, 64);
  if (!PURPOSES.includes(purpose as DomainPurpose)) fail('InvalidArguments', `${where}.purpose: unknown variant "${purpose}", expected one of ${PURPOSES.join(', ')}`);
  return {
    id: integer(input.id, `${where}.id`),
    protocol: protocol as Protocol,
    reconstruction_threshold: integer(input.reconstruction_threshold, `${where}.reconstruction_threshold`),
    purpose: purpose as DomainPurpose,
  };
}

/** The domains a `vote_add_domains` proposes, read and validated for a set of `participants` with governance `threshold`. */
export function readNewDomains(value: unknown, participants: number, threshold: number): DomainConfig[] {
  const domains = array(value, 'domains', MAX_DOMAINS_PER_PROPOSAL).map((entry, index) => readDomainConfig(entry, `domains[${index}]`));
  if (domains.length === 0) failWith('InvalidParameters', 'vote_add_domains must add at least one domain');
  for (const domain of domains) validateDomain(domain, participants);
  validateGovernanceAgainstDomains(participants, threshold, domains);
  return domains;
}

export function readKeyEventId(value: unknown, where: string): KeyEventId {
  const input = object(value, where);
  onlyKeys(input, ['epoch_id', 'domain_id', 'attempt_id'], where);
  return {
    epoch_id: integer(input.epoch_id, `${where}.epoch_id`),
    domain_id: integer(input.domain_id, `${where}.domain_id`),
    attempt_id: integer(input.attempt_id, `${where}.attempt_id`),
  };
}

export function participantEntry(parameters: GovernanceThresholdParameters, account: AccountId): ParticipantEntry | undefined {
  return parameters.participants.participants.find(([member]) => member === account);
}

/** near/mpc `AuthenticatedParticipantId::new`: the caller's participant id, or `Not a participant: <account>`. */
export function authenticatedParticipantId(parameters: GovernanceThresholdParameters, account: AccountId): number {
  return participantEntry(parameters, account)?.[1] ?? failWith('Unauthorized', `Not a participant: ${account}`);
}

/** near/mpc `AuthenticatedAccountId::new`. */
export function authenticatedAccountId(parameters: GovernanceThresholdParameters, account: AccountId): AccountId {
  return participantEntry(parameters, account)?.[0] ?? failWith('Unauthorized', `Not a participant: ${account}`);
}

/** near/mpc's key event leader: the participant with the lowest id. */
export function leaderOf(parameters: GovernanceThresholdParameters): AccountId {
  const [leader] = [...parameters.participants.participants].sort((a, b) => a[1] - b[1]);
  return leader?.[0] ?? fail('InvalidState', 'the participant set is empty');
}

/** Proposals compared by content (the contract hashes them), independent of JSON key order. */
export function sameProposal(a: ProposedGovernanceThresholdParameters, b: ProposedGovernanceThresholdParameters): boolean {
  const canonical = (proposal: ProposedGovernanceThresholdParameters) =>
    JSON.stringify([
      proposal.parameters.threshold,
      proposal.parameters.participants.next_id,
      proposal.parameters.participants.participants.map(([account, id, info]) => [account, id, info.url, info.tls_public_key]),
      Object.entries(proposal.per_domain_thresholds),
    ]);
  return canonical(a) === canonical(b);
}
