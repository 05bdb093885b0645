/**
 * Reading and validating participant sets, threshold parameters, domains and key event ids, and the
 * threshold rules near/mpc applies (crates/contract/src/primitives/thresholds.rs): a threshold of at
 * least 2, at most n, at least 60 % of n, and a new set keeping at least the old threshold of old members.
 */
import { parsePublicKey, formatNearPublicKey } from '../../shared/near/keys.js';
import { accountId, array, hexBytes, integer, object, onlyKeys, string, U32_MAX } from '../common/args.js';
import { fail } from '../common/errors.js';
import type { AccountId } from '../host.js';
import type { DomainConfig, KeyEventId, ParticipantEntry, ParticipantInfo, Participants, SignatureScheme, ThresholdParameters } from './types.js';

export const MIN_THRESHOLD = 2;
/** near/mpc's `MIN_THRESHOLD_RELATIVE`: a threshold below 60 % of the participants is refused. */
export const MIN_THRESHOLD_PERCENT = 60;
export const MAX_PARTICIPANTS = 128;
const MAX_URL_LENGTH = 512;

function participantInfo(value: unknown, where: string): ParticipantInfo {
  const info = object(value, where);
  onlyKeys(info, ['url', 'sign_pk', 'cipher_pk'], where);
  const url = string(info.url, `${where}.url`, MAX_URL_LENGTH);
  if (!/^https?:\/\/[^\s]+$/.test(url)) fail('InvalidArguments', `${where}.url: expected an http(s) URL, got "${url}"`);
  let signPk: string;
  try {
    signPk = formatNearPublicKey(parsePublicKey(string(info.sign_pk, `${where}.sign_pk`), 'ed25519'));
  } catch (error) {
    return fail('InvalidArguments', `${where}.sign_pk: ${(error as Error).message}`);
  }
  const cipherPk = hexBytes(info.cipher_pk, `${where}.cipher_pk`, { exact: 32 });
  // The all-zero X25519 key is the low-order point: every shared secret with it is zero.
  if (cipherPk.every((byte) => byte === 0)) fail('InvalidArguments', `${where}.cipher_pk: the all-zero X25519 key is not usable`);
  return { url, sign_pk: signPk, cipher_pk: (info.cipher_pk as string).toLowerCase() };
}

export function readParticipants(value: unknown, where: string): Participants {
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
  const accounts = new Set<AccountId>();
  const ids = new Set<number>();
  for (const [account, id] of participants) {
    if (accounts.has(account)) fail('InvalidParameters', `participant ${account} is listed twice`);
    if (ids.has(id)) fail('InvalidParameters', `participant id ${id} is used twice`);
    if (id >= nextId) fail('InvalidParameters', `participant id ${id} is not below next_id ${nextId}`);
    accounts.add(account);
    ids.add(id);
  }
  return { next_id: nextId, participants };
}

/** Threshold rules that hold for any parameter set on its own. */
export function readThresholdParameters(value: unknown, where: string): ThresholdParameters {
  const input = object(value, where);
  onlyKeys(input, ['participants', 'threshold'], where);
  const participants = readParticipants(input.participants, `${where}.participants`);
  const threshold = integer(input.threshold, `${where}.threshold`, U32_MAX);
  const count = participants.participants.length;
  if (threshold < MIN_THRESHOLD) fail('InvalidParameters', `threshold ${threshold} is below the minimum of ${MIN_THRESHOLD}`);
  if (threshold > count) fail('InvalidParameters', `threshold ${threshold} exceeds the ${count} participants`);
  if (threshold * 100 < count * MIN_THRESHOLD_PERCENT) {
    fail('InvalidParameters', `threshold ${threshold} is below ${MIN_THRESHOLD_PERCENT}% of the ${count} participants`);
  }
  return { participants, threshold };
}

/** Rules for moving from `current` to `proposed`: stable ids, fresh ids for newcomers, enough old members to reshare. */
export function validateParametersChange(current: ThresholdParameters, proposed: ThresholdParameters): void {
  const currentIds = new Map(current.participants.participants.map(([account, id]) => [account, id]));
  if (proposed.participants.next_id < current.participants.next_id) {
    fail('InvalidParameters', `next_id ${proposed.participants.next_id} is below the current ${current.participants.next_id}`);
  }
  let kept = 0;
  for (const [account, id] of proposed.participants.participants) {
    const existingId = currentIds.get(account);
    if (existingId === undefined) {
      if (id < current.participants.next_id) fail('InvalidParameters', `new participant ${account} must get an id of at least ${current.participants.next_id}, got ${id}`);
    } else {
      if (existingId !== id) fail('InvalidParameters', `participant ${account} must keep id ${existingId}, got ${id}`);
      kept += 1;
    }
  }
  // Resharing needs `threshold` holders of the old shares taking part.
  if (kept < current.threshold) fail('InvalidParameters', `only ${kept} current participants remain; resharing needs at least the current threshold ${current.threshold}`);
}

export function isParticipant(parameters: ThresholdParameters, account: AccountId): boolean {
  return parameters.participants.participants.some(([member]) => member === account);
}

export function participantAccounts(parameters: ThresholdParameters): AccountId[] {
  return parameters.participants.participants.map(([account]) => account);
}

/** near/mpc's key event leader: the participant with the lowest id. */
export function leaderOf(parameters: ThresholdParameters): AccountId {
  const [leader] = [...parameters.participants.participants].sort((a, b) => a[1] - b[1]);
  if (leader === undefined) fail('InvalidState', 'the participant set is empty');
  return leader[0];
}

const SCHEMES: readonly SignatureScheme[] = ['Secp256k1', 'Ed25519'];

/** The domains a `vote_add_domains` proposes: contiguous new ids from `nextDomainId`, supported schemes, purpose Sign. */
export function readNewDomains(value: unknown, nextDomainId: number): DomainConfig[] {
  const domains = array(value, 'domains', 16);
  if (domains.length === 0) fail('InvalidArguments', 'domains: at least one domain is needed');
  return domains.map((entry, index) => {
    const at = `domains[${index}]`;
    const input = object(entry, at);
    onlyKeys(input, ['id', 'scheme', 'purpose'], at);
    const id = integer(input.id, `${at}.id`);
    if (id !== nextDomainId + index) fail('InvalidParameters', `${at}.id: domain ids must continue from ${nextDomainId} without gaps, got ${id}`);
    const scheme = string(input.scheme, `${at}.scheme`, 32);
    if (!SCHEMES.includes(scheme as SignatureScheme)) fail('InvalidParameters', `${at}.scheme: "${scheme}" is not supported (supported: ${SCHEMES.join(', ')})`);
    if (input.purpose !== undefined && input.purpose !== 'Sign') fail('InvalidParameters', `${at}.purpose: only "Sign" is supported`);
    return { id, scheme: scheme as SignatureScheme, purpose: 'Sign' };
  });
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

/** Parameter sets compared by content, independent of JSON key order. */
export function sameParameters(a: ThresholdParameters, b: ThresholdParameters): boolean {
  const canonical = (p: ThresholdParameters) =>
    JSON.stringify([p.threshold, p.participants.next_id, [...p.participants.participants].sort((x, y) => x[1] - y[1]).map(([account, id, info]) => [account, id, info.url, info.sign_pk, info.cipher_pk])]);
  return canonical(a) === canonical(b);
}
