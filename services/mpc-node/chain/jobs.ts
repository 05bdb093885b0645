/**
 * What one node has to do given the contract's state. Signing continues in every state with the keys
 * that exist, so a node may have a `serve` job next to a key event job (docs/contracts.md).
 */
import type { DomainConfig, KeyEvent, KeyEventId, KeyForDomain, ParticipantEntry } from '../../../contract/mpc-signer/types.js';
import type { ContractView } from './contract-state.js';

/** A key event's current attempt as this node sees it. */
interface KeyEventJobFields {
  readonly domain: DomainConfig;
  /** The open attempt, or when none is open the one the leader starts next. */
  readonly keyEventId: KeyEventId;
  /** `open` until `expiresOn` (block height); `not-started` while waiting for the leader. */
  readonly attempt: { readonly status: 'open'; readonly expiresOn: number; readonly voted: readonly string[] } | { readonly status: 'not-started' };
  /** The set running the event (for resharing, the new set). */
  readonly participants: readonly ParticipantEntry[];
  readonly threshold: number;
  readonly leader: string;
  readonly amLeader: boolean;
  /** This node already voted success in the open attempt: nothing is left to do for it. */
  readonly iVoted: boolean;
}

export interface KeygenJob extends KeyEventJobFields {
  readonly kind: 'keygen';
  /** The key the first `vote_pk` of the open attempt proposed; a node that generated another one aborts. */
  readonly proposedPublicKey: string | null;
}

export interface ReshareJob extends KeyEventJobFields {
  readonly kind: 'reshare';
  /** The domain's public key, which resharing keeps. */
  readonly publicKey: string;
  /** Holders of the old shares and their threshold: the reshare's inputs. */
  readonly previousParticipants: readonly ParticipantEntry[];
  readonly previousThreshold: number;
}

export interface ServeJob {
  readonly kind: 'serve';
  readonly epochId: number;
  readonly keyset: readonly KeyForDomain[];
  readonly domains: readonly DomainConfig[];
  readonly participants: readonly ParticipantEntry[];
  readonly threshold: number;
}

export type NodeJob = KeygenJob | ReshareJob | ServeJob;

/** The jobs of `accountId`: none for a node outside every set that matters. */
export function jobsFor(view: ContractView, accountId: string): NodeJob[] {
  const jobs: NodeJob[] = [];
  const signing = view.signing;
  if (signing.keys.length > 0 && isMember(signing.parameters.participants.participants, accountId)) {
    jobs.push({
      kind: 'serve',
      epochId: signing.epochId,
      keyset: signing.keys,
      domains: signing.domains.filter((domain) => signing.keys.some((key) => key.domain_id === domain.id)),
      participants: signing.parameters.participants.participants,
      threshold: signing.parameters.threshold,
    });
  }
  if (view.phase === 'Initializing' && isMember(view.keygen.parameters.participants.participants, accountId)) {
    jobs.push({ kind: 'keygen', ...keyEventFields(view.keygen, accountId), proposedPublicKey: view.keygen.instance?.public_key ?? null });
  }
  if (view.phase === 'Resharing' && isMember(view.reshare.parameters.participants.participants, accountId)) {
    jobs.push({
      kind: 'reshare',
      ...keyEventFields(view.reshare, accountId),
      publicKey: view.resharedPublicKey,
      previousParticipants: view.previous.parameters.participants.participants,
      previousThreshold: view.previous.parameters.threshold,
    });
  }
  return jobs;
}

function isMember(participants: readonly ParticipantEntry[], accountId: string): boolean {
  return participants.some(([member]) => member === accountId);
}

function keyEventFields(event: KeyEvent, accountId: string): KeyEventJobFields {
  const participants = event.parameters.participants.participants;
  // near/mpc's leader: the lowest participant id of the event's set (the contract checks the same).
  const leader = [...participants].sort((a, b) => a[1] - b[1])[0]![0];
  const instance = event.instance;
  return {
    domain: event.domain,
    keyEventId: { epoch_id: event.epoch_id, domain_id: event.domain.id, attempt_id: instance?.attempt_id ?? event.next_attempt_id },
    attempt: instance === null ? { status: 'not-started' } : { status: 'open', expiresOn: instance.expires_on, voted: instance.completed },
    participants,
    threshold: event.parameters.threshold,
    leader,
    amLeader: leader === accountId,
    iVoted: instance?.completed.includes(accountId) ?? false,
  };
}
