/**
 * The signer's arguments as operators give them — participants, governance parameters, domains,
 * per-domain thresholds, `init_config` — read into the ABI's shapes (shared/near/signer-abi.ts) and
 * checked locally against near/mpc 3.14's rules before anything is sent, so a typo costs no
 * transaction. The contract checks again; what it alone knows (the current state, `next_domain_id`,
 * stored attestations) it reports itself.
 */
import { InvalidPublicKey, formatNearPublicKey, parsePublicKey } from '../../shared/near/keys.js';
import {
  DEFAULT_SIGNER_CONFIG,
  MIN_GOVERNANCE_THRESHOLD,
  MIN_RECONSTRUCTION_THRESHOLD,
  PROTOCOL_CURVE,
  PURPOSE_PROTOCOLS,
  minGovernanceThreshold,
  type DomainConfig,
  type DomainPurpose,
  type GovernanceThresholdParameters,
  type ParticipantEntry,
  type Participants,
  type Protocol,
} from '../../shared/near/signer-abi.js';
import { isHttpUrl } from './flag-values.js';
import { UsageError } from './usage-error.js';

type JsonObject = Record<string, unknown>;

/** Reads one flag's JSON; every refusal names the command, the flag and where in the value. */
class JsonReader {
  constructor(
    private readonly command: string,
    private readonly flag: string,
  ) {}

  fail(where: string, problem: string): never {
    throw new UsageError(`${this.command}: ${this.flag}${where}: ${problem}`);
  }

  /** An object with only `keys` (any keys when not given). */
  object(value: unknown, where: string, keys?: readonly string[]): JsonObject {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(where, `expected a JSON object, got ${JSON.stringify(value)}`);
    if (keys === undefined) return value as JsonObject;
    const unknown = Object.keys(value).filter((key) => !keys.includes(key));
    if (unknown.length > 0) this.fail(where, `unknown field "${unknown[0]}" (expected ${keys.join(', ')})`);
    return value as JsonObject;
  }

  array(value: unknown, where: string): unknown[] {
    if (!Array.isArray(value)) this.fail(where, `expected a JSON array, got ${JSON.stringify(value)}`);
    return value;
  }

  string(value: unknown, where: string): string {
    if (typeof value !== 'string' || value === '') this.fail(where, `expected a non-empty string, got ${JSON.stringify(value)}`);
    return value;
  }

  integer(value: unknown, where: string, minimum = 0): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) this.fail(where, `expected a whole number of at least ${minimum}, got ${JSON.stringify(value)}`);
    return value;
  }

  oneOf<T extends string>(value: unknown, where: string, allowed: readonly T[]): T {
    if (!allowed.includes(value as T)) this.fail(where, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
    return value as T;
  }

  /** A mesh identity key in canonical NEAR form (`ed25519:<base58>`); hex is accepted and converted. */
  tlsPublicKey(value: unknown, where: string): string {
    const text = this.string(value, where);
    try {
      return formatNearPublicKey(parsePublicKey(text, 'ed25519'));
    } catch (error) {
      if (error instanceof InvalidPublicKey) this.fail(where, `${error.message} (tls_public_key is the node's Ed25519 mesh identity: chainsig participant info prints it)`);
      throw error;
    }
  }

  url(value: unknown, where: string): string {
    const text = this.string(value, where);
    if (!isHttpUrl(text)) this.fail(where, `"${text}" is not an http(s) URL (the node's mesh address, e.g. https://node0.example.com)`);
    return text;
  }
}

const PARTICIPANT_FIELDS = ['account_id', 'id', 'url', 'tls_public_key'] as const;

function participantEntry(reader: JsonReader, value: unknown, index: number): ParticipantEntry {
  const where = `[${index}]`;
  if (Array.isArray(value)) {
    // The contract's own form, as `chainsig state --json` prints it.
    if (value.length !== 3) reader.fail(where, 'expected [account_id, participant_id, {url, tls_public_key}]');
    const info = reader.object(value[2], `${where}[2]`, ['url', 'tls_public_key']);
    return [reader.string(value[0], `${where}[0]`), reader.integer(value[1], `${where}[1]`), { url: reader.url(info.url, `${where}[2].url`), tls_public_key: reader.tlsPublicKey(info.tls_public_key, `${where}[2].tls_public_key`) }];
  }
  const entry = reader.object(value, where, PARTICIPANT_FIELDS);
  // The id defaults to the entry's position: a fresh network numbers its participants 0, 1, 2 …
  const id = entry.id === undefined ? index : reader.integer(entry.id, `${where}.id`);
  return [reader.string(entry.account_id, `${where}.account_id`), id, { url: reader.url(entry.url, `${where}.url`), tls_public_key: reader.tlsPublicKey(entry.tls_public_key, `${where}.tls_public_key`) }];
}

/**
 * A participant set, in any of three forms: the contract's `{next_id, participants: [[account, id,
 * {url, tls_public_key}], …]}`, just its array of such tuples, or an array of
 * `{account_id, id?, url, tls_public_key}` (id defaults to the position). Without `next_id` it is one
 * past the highest id. Checked as near/mpc's `Participants::validate` does: ids below `next_id`,
 * distinct ids, distinct accounts; and distinct mesh keys, since the contract keeps one registration
 * per key and refuses a second account's `submit_participant_info` for it.
 */
export function readParticipants(command: string, flag: string, value: unknown): Participants {
  const reader = new JsonReader(command, flag);
  const wrapped = !Array.isArray(value);
  const input = wrapped ? reader.object(value, '', ['next_id', 'participants']) : { participants: value };
  const where = wrapped ? '.participants' : '';
  const participants = reader.array(input.participants, where).map((entry, index) => participantEntry(reader, entry, index));
  if (participants.length === 0) reader.fail(where, 'no participants');
  const nextId = input.next_id === undefined ? Math.max(...participants.map(([, id]) => id)) + 1 : reader.integer(input.next_id, '.next_id');
  const tooHigh = participants.find(([, id]) => id >= nextId);
  if (tooHigh !== undefined) reader.fail('', `participant ${tooHigh[0]} has id ${tooHigh[1]}, not below next_id ${nextId}`);
  const repeated = <T>(values: readonly T[]): T | undefined => values.find((item, index) => values.indexOf(item) !== index);
  const ids = participants.map(([, id]) => id);
  if (repeated(ids) !== undefined) reader.fail('', `participant id ${repeated(ids)} is given twice`);
  const accounts = participants.map(([account]) => account);
  if (repeated(accounts) !== undefined) reader.fail('', `account ${repeated(accounts)} is given twice`);
  const keys = participants.map(([, , info]) => info.tls_public_key);
  if (repeated(keys) !== undefined) reader.fail('', `tls_public_key ${repeated(keys)} is given twice (each node has its own mesh identity)`);
  return { next_id: nextId, participants };
}

/** near/mpc's governance threshold rule (signer-abi `minGovernanceThreshold`): at least 2 and ⌈3n/5⌉, at most n. */
export function checkGovernanceThreshold(command: string, flag: string, threshold: number, participants: number): void {
  if (threshold > participants) throw new UsageError(`${command}: ${flag} ${threshold} exceeds the number of participants, ${participants}`);
  const minimum = minGovernanceThreshold(participants);
  if (threshold < minimum) {
    throw new UsageError(`${command}: ${flag} ${threshold} is below near/mpc's minimum for ${participants} participants: ${minimum} (at least ${MIN_GOVERNANCE_THRESHOLD}, and at least 60 % of them, rounded up)`);
  }
}

/** `vote_new_parameters`'s `{participants, threshold}`, participants in any form {@link readParticipants} takes. */
export function readGovernanceParameters(command: string, flag: string, value: unknown): GovernanceThresholdParameters {
  const reader = new JsonReader(command, flag);
  const input = reader.object(value, '', ['participants', 'threshold']);
  const participants = readParticipants(command, `${flag}.participants`, input.participants);
  const threshold = reader.integer(input.threshold, '.threshold');
  checkGovernanceThreshold(command, `${flag}.threshold`, threshold, participants.participants.length);
  return { participants, threshold };
}

const PROTOCOLS = Object.keys(PROTOCOL_CURVE) as Protocol[];
const PURPOSES = Object.keys(PURPOSE_PROTOCOLS) as DomainPurpose[];

/**
 * `vote_add_domains`'s domains: `{id, protocol, reconstruction_threshold, purpose}` each, a protocol
 * the purpose allows, a threshold of at least 2, ids consecutive. Whether the first id is the
 * contract's `next_domain_id` and the thresholds fit the participants, the contract says.
 */
export function readDomains(command: string, flag: string, value: unknown): DomainConfig[] {
  const reader = new JsonReader(command, flag);
  const domains = reader.array(value, '').map((entry, index): DomainConfig => {
    const where = `[${index}]`;
    const domain = reader.object(entry, where, ['id', 'protocol', 'reconstruction_threshold', 'purpose']);
    const protocol = reader.oneOf(domain.protocol, `${where}.protocol`, PROTOCOLS);
    const purpose = reader.oneOf(domain.purpose, `${where}.purpose`, PURPOSES);
    if (!PURPOSE_PROTOCOLS[purpose].includes(protocol)) reader.fail(`${where}`, `a ${purpose} domain runs ${PURPOSE_PROTOCOLS[purpose].join(' or ')}, not ${protocol}`);
    return { id: reader.integer(domain.id, `${where}.id`), protocol, reconstruction_threshold: reader.integer(domain.reconstruction_threshold, `${where}.reconstruction_threshold`, MIN_RECONSTRUCTION_THRESHOLD), purpose };
  });
  if (domains.length === 0) reader.fail('', 'no domains (vote_add_domains adds at least one)');
  const gap = domains.findIndex((domain, index) => index > 0 && domain.id !== domains[index - 1]!.id + 1);
  if (gap > 0) reader.fail(`[${gap}].id`, `domain ids must be consecutive, got ${domains[gap - 1]!.id} then ${domains[gap]!.id}`);
  return domains;
}

/** `{"<domain id>": threshold}`: reconstruction thresholds a resharing changes, each at least 2 and at most the new set's size. */
export function readPerDomainThresholds(command: string, flag: string, value: unknown, participants: number): Record<string, number> {
  const reader = new JsonReader(command, flag);
  const thresholds: Record<string, number> = {};
  for (const [domainId, threshold] of Object.entries(reader.object(value, ''))) {
    if (!/^(0|[1-9]\d{0,14})$/.test(domainId)) reader.fail('', `"${domainId}" is not a domain id`);
    const t = reader.integer(threshold, `.${domainId}`, MIN_RECONSTRUCTION_THRESHOLD);
    if (t > participants) reader.fail(`.${domainId}`, `threshold ${t} exceeds the ${participants} proposed participants`);
    thresholds[domainId] = t;
  }
  return thresholds;
}

/** `init`'s optional `init_config`: any of `config()`'s fields, each a whole number (null keeps the default). */
export function readInitConfig(command: string, flag: string, value: unknown): Record<string, number | null> {
  const reader = new JsonReader(command, flag);
  const input = reader.object(value, '', Object.keys(DEFAULT_SIGNER_CONFIG));
  const config: Record<string, number | null> = {};
  for (const [field, fieldValue] of Object.entries(input)) config[field] = fieldValue === null ? null : reader.integer(fieldValue, `.${field}`);
  return config;
}
