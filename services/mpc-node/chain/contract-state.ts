/**
 * The MPC signer's `state()` JSON, validated (it comes from an RPC the node does not control) and
 * summarised into a `ContractView`: which protocol state the contract is in, what signing may use
 * now, and the key event in progress. Shapes are the contract's own (contract/mpc-signer/types.ts).
 */
import { z } from 'zod';
import type {
  DomainConfig,
  KeyEvent,
  KeyForDomain,
  ProtocolState,
  RunningState,
  ThresholdParameters,
} from '../../../contract/mpc-signer/types.js';
import { ContractStateMalformed } from './errors.js';

const count = z.number().int().nonnegative();
const accountId = z.string().min(2).max(64);
const nearPublicKey = z.string().regex(/^(secp256k1|ed25519):[1-9A-HJ-NP-Za-km-z]+$/, 'a NEAR public key ("<curve>:<base58>")');

const domainConfig = z.object({ id: count, scheme: z.enum(['Secp256k1', 'Ed25519']), purpose: z.literal('Sign') });
const domainRegistry = z.object({ domains: z.array(domainConfig), next_domain_id: count });
const keyForDomain = z.object({ domain_id: count, key: nearPublicKey, attempt: count });
const participantInfo = z.object({
  url: z.string().regex(/^https?:\/\/\S+$/, 'an http(s) URL'),
  sign_pk: nearPublicKey.refine((key) => key.startsWith('ed25519:'), 'an Ed25519 key'),
  cipher_pk: z.string().regex(/^[0-9a-f]{64}$/, '32 bytes of lower-case hex'),
});
const thresholdParameters = z
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
  parameters: thresholdParameters,
  instance: z.object({ attempt_id: count, started_in: count, expires_on: count, completed: z.array(accountId), public_key: nearPublicKey.nullable() }).nullable(),
  next_attempt_id: count,
});
const runningState = z.object({
  domains: domainRegistry,
  keyset: z.object({ epoch_id: count, domains: z.array(keyForDomain) }),
  parameters: thresholdParameters,
  parameters_votes: z.object({ proposal_by_account: z.record(accountId, z.object({ prospective_epoch_id: count, parameters: thresholdParameters })) }),
  add_domains_votes: z.object({ proposal_by_account: z.record(accountId, z.array(domainConfig)) }),
  previously_cancelled_resharing_epoch_id: count.nullable(),
});
const protocolState = z.union([
  z.strictObject({ Running: runningState }),
  z.strictObject({
    Initializing: z.object({
      domains: domainRegistry,
      epoch_id: count,
      generated_keys: z.array(keyForDomain),
      generating_key: keyEvent,
      cancel_votes: z.array(accountId),
      previously_cancelled_resharing_epoch_id: count.nullable(),
    }),
  }),
  z.strictObject({
    Resharing: z.object({
      previous_running_state: runningState,
      reshared_keys: z.array(keyForDomain),
      resharing_key: keyEvent,
      cancellation_requests: z.array(accountId),
    }),
  }),
]);

/** What the node acts on. `signing` is what `respond` may use in this state (the old set while resharing). */
export type ContractView =
  | { readonly phase: 'Running'; readonly state: RunningState; readonly signing: SigningView }
  | { readonly phase: 'Initializing'; readonly signing: SigningView; readonly keygen: KeyEvent; readonly epochId: number }
  | { readonly phase: 'Resharing'; readonly signing: SigningView; readonly reshare: KeyEvent; readonly previous: RunningState; readonly resharedPublicKey: string };

export interface SigningView {
  readonly epochId: number;
  readonly domains: readonly DomainConfig[];
  /** Root keys of the domains that have one; only these domains can be signed for. */
  readonly keys: readonly KeyForDomain[];
  readonly parameters: ThresholdParameters;
}

/** Validates `state()` output; a `ContractStateMalformed` names the first offending field, e.g. `Running.parameters.threshold`. */
export function parseContractState(json: unknown): ContractView {
  const parsed = protocolState.safeParse(json);
  if (!parsed.success) {
    // A union reports every branch; the branch named by the top-level key is the one that matters.
    const issue = innermostIssue(parsed.error.issues, json);
    throw new ContractStateMalformed(formatPath(issue.path), issue.message);
  }
  return toView(parsed.data satisfies ProtocolState);
}

function toView(state: ProtocolState): ContractView {
  if ('Running' in state) {
    const running = state.Running;
    return { phase: 'Running', state: running, signing: { epochId: running.keyset.epoch_id, domains: running.domains.domains, keys: running.keyset.domains, parameters: running.parameters } };
  }
  if ('Initializing' in state) {
    const initializing = state.Initializing;
    const keyed = new Set(initializing.generated_keys.map((key) => key.domain_id));
    return {
      phase: 'Initializing',
      // Domains still waiting for their key are listed but cannot be signed for yet.
      signing: {
        epochId: initializing.epoch_id,
        domains: initializing.domains.domains.filter((domain) => keyed.has(domain.id)),
        keys: initializing.generated_keys,
        parameters: initializing.generating_key.parameters,
      },
      keygen: initializing.generating_key,
      epochId: initializing.epoch_id,
    };
  }
  const previous = state.Resharing.previous_running_state;
  const reshare = state.Resharing.resharing_key;
  const resharedKey = previous.keyset.domains.find((key) => key.domain_id === reshare.domain.id);
  if (resharedKey === undefined) throw new ContractStateMalformed('Resharing.resharing_key.domain.id', `domain ${reshare.domain.id} has no key in previous_running_state.keyset`);
  return {
    phase: 'Resharing',
    resharedPublicKey: resharedKey.key,
    signing: { epochId: previous.keyset.epoch_id, domains: previous.domains.domains, keys: previous.keyset.domains, parameters: previous.parameters },
    reshare,
    previous,
  };
}

type Issue = z.core.$ZodIssue;

function innermostIssue(issues: readonly Issue[], json: unknown): Issue {
  const [first] = issues;
  if (first === undefined) return { code: 'custom', path: [], message: 'invalid', input: json } as Issue;
  if (first.code !== 'invalid_union') return first;
  const phase = typeof json === 'object' && json !== null && !Array.isArray(json) ? Object.keys(json)[0] : undefined;
  const branchIndex = ['Running', 'Initializing', 'Resharing'].indexOf(phase ?? '');
  const branch = branchIndex < 0 ? undefined : first.errors[branchIndex];
  if (branch === undefined || branch.length === 0) {
    return { ...first, message: `expected {"Running": …}, {"Initializing": …} or {"Resharing": …}, got ${describeTop(json)}` };
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
