/**
 * The MPC signer's `state()` JSON (near/mpc 3.14, shared/near/signer-abi.ts), validated (it comes from
 * an RPC the node does not control) and turned into the node's `ContractView`: which protocol state the
 * contract is in, what signing may use now, and the key event in progress.
 *
 * The node serves signing domains of two protocols: CaitSith (secp256k1 ECDSA) and Frost (Ed25519
 * EdDSA), each with its reconstruction threshold `t`. Every other domain (CKD, foreign transactions,
 * DamgardEtAl) is listed as unserved; the parser accepts it, the node reports it and never takes part
 * in its key events (docs/decisions/0009-unserved-domains.md).
 */
import { z } from 'zod';
import {
  nearPublicKeyOf,
  type AccountId,
  type DomainConfig,
  type GovernanceThresholdParameters,
  type KeyEvent,
  type KeyForDomain,
  type ParticipantEntry,
  type ProtocolContractState,
  type PublicKeyExtended,
} from '../../../shared/near/signer-abi.js';
import { ContractStateMalformed } from './errors.js';

/** The signature scheme of a domain the node serves. */
export type SignatureScheme = 'Secp256k1' | 'Ed25519';

/** A domain this node signs for: its id, scheme and reconstruction threshold `t` (shares per signature). */
export interface NodeDomain {
  readonly id: number;
  readonly scheme: SignatureScheme;
  readonly threshold: number;
}

/** A root key of a domain, in NEAR text form (`secp256k1:…` / `ed25519:…`). */
export interface NodeDomainKey {
  readonly domain_id: number;
  readonly key: string;
  readonly attempt: number;
}

/** A key event as the node acts on it; the domain is one it serves, or `unserved`. */
export interface NodeKeyEvent {
  readonly epoch_id: number;
  readonly domain: NodeDomain | UnservedDomain;
  readonly parameters: GovernanceThresholdParameters;
  /** `completed` as accounts; `public_key` in NEAR text form. */
  readonly instance: { readonly attempt_id: number; readonly started_in: number; readonly expires_on: number; readonly completed: readonly AccountId[]; readonly public_key: string | null } | null;
  readonly next_attempt_id: number;
}

/** A domain the node does not serve, and why (for the log line an operator reads). */
export interface UnservedDomain {
  readonly id: number;
  readonly unserved: string;
}

export interface SigningView {
  readonly epochId: number;
  /** Served domains that have a root key: only these can be signed for. */
  readonly domains: readonly NodeDomain[];
  readonly keys: readonly NodeDomainKey[];
  readonly parameters: GovernanceThresholdParameters;
  /** Domains the contract has that this node does not serve. */
  readonly unserved: readonly UnservedDomain[];
}

/** What the node acts on. `signing` is what `respond` may use in this state (the old set while resharing). */
export type ContractView =
  | { readonly phase: 'NotInitialized' }
  | { readonly phase: 'Running'; readonly signing: SigningView }
  | {
      readonly phase: 'Initializing';
      readonly signing: SigningView;
      readonly keygen: NodeKeyEvent;
      readonly epochId: number;
      /** `domains.next_domain_id`: what `vote_cancel_keygen` must name. */
      readonly nextDomainId: number;
    }
  | {
      readonly phase: 'Resharing';
      readonly signing: SigningView;
      readonly reshare: NodeKeyEvent;
      readonly previousParameters: GovernanceThresholdParameters;
      /** The domain's key, which resharing keeps, and its threshold before and after. */
      readonly resharedPublicKey: string;
      readonly previousThreshold: number;
    };

const count = z.number().int().nonnegative();
const accountId = z.string().min(2).max(64);
const nearPublicKey = z.string().regex(/^(secp256k1|ed25519|bls12381g1|bls12381g2):[1-9A-HJ-NP-Za-km-z]+$/, 'a NEAR public key ("<curve>:<base58>")');

const domainConfig = z.object({
  id: count,
  protocol: z.enum(['CaitSith', 'Frost', 'ConfidentialKeyDerivation', 'DamgardEtAl']),
  reconstruction_threshold: count,
  purpose: z.enum(['Sign', 'ForeignTx', 'CKD']),
});
const domainRegistry = z.object({ domains: z.array(domainConfig), next_domain_id: count });
const publicKeyExtended = z.union([
  z.strictObject({ Secp256k1: z.object({ near_public_key: nearPublicKey }) }),
  z.strictObject({ Ed25519: z.object({ near_public_key_compressed: nearPublicKey, edwards_point: z.array(count).length(32) }) }),
  z.strictObject({ Bls12381: z.object({ public_key: nearPublicKey }) }),
]);
const keyForDomain = z.object({ domain_id: count, key: publicKeyExtended, attempt: count });
const participantInfo = z.object({
  url: z.string().min(1),
  tls_public_key: nearPublicKey.refine((key) => key.startsWith('ed25519:'), 'an Ed25519 key'),
});
const governanceParameters = z
  .object({
    participants: z.object({ next_id: count, participants: z.array(z.tuple([accountId, count, participantInfo])) }),
    threshold: count,
  })
  .refine((parameters) => parameters.threshold >= 1 && parameters.threshold <= parameters.participants.participants.length, {
    message: 'threshold must be between 1 and the number of participants',
    path: ['threshold'],
  });
const keyEvent = z.object({
  epoch_id: count,
  domain: domainConfig,
  parameters: governanceParameters,
  instance: z.object({ attempt_id: count, started_in: count, expires_on: count, completed: z.array(count), public_key: publicKeyExtended.nullable() }).nullable(),
  next_attempt_id: count,
});
const thresholdsByDomain = z.record(z.string().regex(/^\d+$/), count);
const runningState = z.object({
  domains: domainRegistry,
  keyset: z.object({ epoch_id: count, domains: z.array(keyForDomain) }),
  parameters: governanceParameters,
  parameters_votes: z.object({ proposal_by_account: z.record(accountId, z.object({ parameters: governanceParameters, per_domain_thresholds: thresholdsByDomain.optional() })) }),
  add_domains_votes: z.object({ proposal_by_account: z.record(z.string(), z.array(domainConfig)) }),
  previously_cancelled_resharing_epoch_id: count.nullable().optional(),
});
const protocolState = z.union([
  z.literal('NotInitialized'),
  z.strictObject({ Running: runningState }),
  z.strictObject({
    Initializing: z.object({ domains: domainRegistry, epoch_id: count, generated_keys: z.array(keyForDomain), generating_key: keyEvent, cancel_votes: z.array(count) }),
  }),
  z.strictObject({
    Resharing: z.object({
      previous_running_state: runningState,
      reshared_keys: z.array(keyForDomain),
      resharing_key: keyEvent,
      cancellation_requests: z.array(accountId),
      per_domain_thresholds: thresholdsByDomain.optional(),
    }),
  }),
]);

/** Validates `state()` output; a `ContractStateMalformed` names the first offending field, e.g. `Running.parameters.threshold`. */
export function parseContractState(json: unknown): ContractView {
  const parsed = protocolState.safeParse(json);
  if (!parsed.success) {
    // A union reports every branch; the branch named by the top-level key is the one that matters.
    const issue = innermostIssue(parsed.error.issues, json);
    throw new ContractStateMalformed(formatPath(issue.path), issue.message);
  }
  return toView(parsed.data as ProtocolContractState);
}

/** How the node serves a domain, or why it does not. */
export function nodeDomainOf(domain: DomainConfig): NodeDomain | UnservedDomain {
  if (domain.purpose !== 'Sign') return { id: domain.id, unserved: `purpose ${domain.purpose} is not served by this node` };
  if (domain.protocol === 'CaitSith') return { id: domain.id, scheme: 'Secp256k1', threshold: domain.reconstruction_threshold };
  if (domain.protocol === 'Frost') return { id: domain.id, scheme: 'Ed25519', threshold: domain.reconstruction_threshold };
  return { id: domain.id, unserved: `protocol ${domain.protocol} is not implemented by this node` };
}

export const isServed = (domain: NodeDomain | UnservedDomain): domain is NodeDomain => !('unserved' in domain);

const nodeKey = (key: KeyForDomain): NodeDomainKey => ({ domain_id: key.domain_id, key: nearPublicKeyOf(key.key), attempt: key.attempt });

function signingView(epochId: number, domains: readonly DomainConfig[], keys: readonly KeyForDomain[], parameters: GovernanceThresholdParameters): SigningView {
  const keyed = new Set(keys.map((key) => key.domain_id));
  const nodeDomains = domains.map(nodeDomainOf);
  return {
    epochId,
    // Domains still waiting for their key are listed by the contract but cannot be signed for yet.
    domains: nodeDomains.filter(isServed).filter((domain) => keyed.has(domain.id)),
    keys: keys.map(nodeKey),
    parameters,
    unserved: nodeDomains.filter((domain): domain is UnservedDomain => !isServed(domain)),
  };
}

/** Participant ids of the event's set as accounts, keys in text form. */
function nodeKeyEvent(event: KeyEvent): NodeKeyEvent {
  const accountOf = new Map(event.parameters.participants.participants.map(([account, id]) => [id, account]));
  const instance = event.instance;
  const textOf = (key: PublicKeyExtended | null): string | null => (key === null ? null : nearPublicKeyOf(key));
  return {
    epoch_id: event.epoch_id,
    domain: nodeDomainOf(event.domain),
    parameters: event.parameters,
    instance: instance === null ? null : { ...instance, completed: instance.completed.map((id) => accountOf.get(id) ?? `participant ${id}`), public_key: textOf(instance.public_key) },
    next_attempt_id: event.next_attempt_id,
  };
}

function toView(state: ProtocolContractState): ContractView {
  if (typeof state === 'string') return { phase: 'NotInitialized' };
  if ('Running' in state) {
    const running = state.Running;
    return { phase: 'Running', signing: signingView(running.keyset.epoch_id, running.domains.domains, running.keyset.domains, running.parameters) };
  }
  if ('Initializing' in state) {
    const initializing = state.Initializing;
    return {
      phase: 'Initializing',
      signing: signingView(initializing.epoch_id, initializing.domains.domains, initializing.generated_keys, initializing.generating_key.parameters),
      keygen: nodeKeyEvent(initializing.generating_key),
      epochId: initializing.epoch_id,
      nextDomainId: initializing.domains.next_domain_id,
    };
  }
  const { previous_running_state: previous, resharing_key: reshare, per_domain_thresholds: thresholds = {} } = state.Resharing;
  const resharedKey = previous.keyset.domains.find((key) => key.domain_id === reshare.domain.id);
  const previousDomain = previous.domains.domains.find((domain) => domain.id === reshare.domain.id);
  if (resharedKey === undefined || previousDomain === undefined) {
    throw new ContractStateMalformed('Resharing.resharing_key.domain.id', `domain ${reshare.domain.id} has no key in previous_running_state`);
  }
  // The key event's domain carries the old threshold; the accepted proposal may change it.
  const next = thresholds[String(reshare.domain.id)] ?? previousDomain.reconstruction_threshold;
  return {
    phase: 'Resharing',
    signing: signingView(previous.keyset.epoch_id, previous.domains.domains, previous.keyset.domains, previous.parameters),
    reshare: nodeKeyEvent({ ...reshare, domain: { ...reshare.domain, reconstruction_threshold: next } }),
    previousParameters: previous.parameters,
    resharedPublicKey: nearPublicKeyOf(resharedKey.key),
    previousThreshold: previousDomain.reconstruction_threshold,
  };
}

/** Every participant entry the view names: the signing set and a key event's set. */
export function participantEntries(view: ContractView): ParticipantEntry[] {
  if (view.phase === 'NotInitialized') return [];
  const sets = [view.signing.parameters.participants.participants];
  if (view.phase === 'Initializing') sets.push(view.keygen.parameters.participants.participants);
  if (view.phase === 'Resharing') sets.push(view.reshare.parameters.participants.participants);
  const byAccount = new Map<string, ParticipantEntry>();
  for (const entry of sets.flat()) byAccount.set(entry[0], entry);
  return [...byAccount.values()];
}

type Issue = z.core.$ZodIssue;

const PHASES = ['NotInitialized', 'Running', 'Initializing', 'Resharing'];

function innermostIssue(issues: readonly Issue[], json: unknown): Issue {
  const [first] = issues;
  if (first === undefined) return { code: 'custom', path: [], message: 'invalid', input: json } as Issue;
  if (first.code !== 'invalid_union') return first;
  const phase = typeof json === 'object' && json !== null && !Array.isArray(json) ? Object.keys(json)[0] : undefined;
  const branchIndex = PHASES.indexOf(phase ?? '');
  const branch = branchIndex < 1 ? undefined : first.errors[branchIndex];
  if (branch === undefined || branch.length === 0) {
    return { ...first, message: `expected "NotInitialized", {"Running": …}, {"Initializing": …} or {"Resharing": …}, got ${describeTop(json)}` };
  }
  return innermostIssue(branch.map((issue) => ({ ...issue, path: [...first.path, ...issue.path] })), json);
}

function describeTop(json: unknown): string {
  if (typeof json !== 'object' || json === null) return JSON.stringify(json) ?? String(json);
  return Array.isArray(json) ? 'an array' : `keys ${JSON.stringify(Object.keys(json))}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}
