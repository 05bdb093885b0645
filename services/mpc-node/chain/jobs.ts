/**
 * What one node has to do given the contract's state. A node may have a `serve` job next to a key event
 * job: while Resharing the contract signs with the previous epoch's keys; while Initializing it refuses
 * `sign` and `respond` (near/mpc 3.14), so the serve job then only keeps the keys generated so far loaded.
 *
 * The node signs with one threshold per epoch: the reconstruction threshold of the served domains. A
 * served domain with another threshold is reported as unserved rather than half served
 * (docs/decisions/0009-unserved-domains.md). A key event for a domain the node cannot serve is a job of
 * its own: the node does not take part and votes to cancel it, so it never stalls the others.
 */
import type { KeyEventId, ParticipantEntry } from '../../../shared/near/signer-abi.js';
import { isServed, type ContractView, type NodeDomain, type NodeDomainKey, type NodeKeyEvent, type UnservedDomain } from './contract-state.js';

/** A key event's current attempt as this node sees it. */
interface KeyEventJobFields {
  readonly domain: NodeDomain;
  /** The open attempt, or when none is open the one the leader starts next. */
  readonly keyEventId: KeyEventId;
  /** `open` until `expiresOn` (block height); `not-started` while waiting for the leader. */
  readonly attempt: { readonly status: 'open'; readonly expiresOn: number; readonly voted: readonly string[] } | { readonly status: 'not-started' };
  /** The set running the event (for resharing, the new set). */
  readonly participants: readonly ParticipantEntry[];
  /** The key's reconstruction threshold (for resharing, the new one). */
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

/** A key event for a domain this node cannot take part in: it votes to cancel the event instead. */
export type UnservableKeyEventJob =
  | { readonly kind: 'unservable-key-event'; readonly event: 'keygen'; readonly domain: UnservedDomain; readonly epochId: number; readonly nextDomainId: number }
  | { readonly kind: 'unservable-key-event'; readonly event: 'reshare'; readonly domain: UnservedDomain; readonly epochId: number };

export interface ServeJob {
  readonly kind: 'serve';
  readonly epochId: number;
  readonly keyset: readonly NodeDomainKey[];
  readonly domains: readonly NodeDomain[];
  /** Served domains whose threshold differs from `threshold`, and domains the node does not serve. */
  readonly unserved: readonly UnservedDomain[];
  readonly participants: readonly ParticipantEntry[];
  /** The reconstruction threshold every served domain has. */
  readonly threshold: number;
  /** While Resharing: the new set's participant ids, the only ones whose `respond` near/mpc 3.14 accepts. */
  readonly responders?: readonly number[];
}

export type NodeJob = KeygenJob | ReshareJob | ServeJob | UnservableKeyEventJob;

/** The jobs of `accountId`: none for a node outside every set that matters. */
export function jobsFor(view: ContractView, accountId: string): NodeJob[] {
  if (view.phase === 'NotInitialized') return [];
  const jobs: NodeJob[] = [];
  const signing = view.signing;
  const [first] = signing.domains;
  if (first !== undefined && isMember(signing.parameters.participants.participants, accountId)) {
    const served = signing.domains.filter((domain) => domain.threshold === first.threshold);
    const otherThreshold = signing.domains
      .filter((domain) => domain.threshold !== first.threshold)
      .map((domain) => ({ id: domain.id, unserved: `its reconstruction threshold ${domain.threshold} differs from ${first.threshold}, the one this node serves` }));
    jobs.push({
      kind: 'serve',
      epochId: signing.epochId,
      keyset: signing.keys.filter((key) => served.some((domain) => domain.id === key.domain_id)),
      domains: served,
      unserved: [...signing.unserved, ...otherThreshold],
      participants: signing.parameters.participants.participants,
      threshold: first.threshold,
      ...(view.phase === 'Resharing' ? { responders: view.reshare.parameters.participants.participants.map(([, id]) => id) } : {}),
    });
  }
  if (view.phase === 'Initializing' && isMember(view.keygen.parameters.participants.participants, accountId)) {
    const domain = view.keygen.domain;
    if (isServed(domain)) jobs.push({ kind: 'keygen', ...keyEventFields(view.keygen, domain, accountId), proposedPublicKey: view.keygen.instance?.public_key ?? null });
    else jobs.push({ kind: 'unservable-key-event', event: 'keygen', domain, epochId: view.epochId, nextDomainId: view.nextDomainId });
  }
  if (view.phase === 'Resharing' && isMember(view.reshare.parameters.participants.participants, accountId)) {
    const domain = view.reshare.domain;
    if (!isServed(domain)) jobs.push({ kind: 'unservable-key-event', event: 'reshare', domain, epochId: view.reshare.epoch_id });
    else {
      jobs.push({
        kind: 'reshare',
        ...keyEventFields(view.reshare, domain, accountId),
        publicKey: view.resharedPublicKey,
        previousParticipants: view.previousParameters.participants.participants,
        previousThreshold: view.previousThreshold,
      });
    }
  }
  return jobs;
}

function isMember(participants: readonly ParticipantEntry[], accountId: string): boolean {
  return participants.some(([member]) => member === accountId);
}

function keyEventFields(event: NodeKeyEvent, domain: NodeDomain, accountId: string): KeyEventJobFields {
  const participants = event.parameters.participants.participants;
  // near/mpc's leader: the lowest participant id of the event's set (the contract checks the same).
  const leader = [...participants].sort((a, b) => a[1] - b[1])[0]![0];
  const instance = event.instance;
  return {
    domain,
    keyEventId: { epoch_id: event.epoch_id, domain_id: domain.id, attempt_id: instance?.attempt_id ?? event.next_attempt_id },
    attempt: instance === null ? { status: 'not-started' } : { status: 'open', expiresOn: instance.expires_on, voted: instance.completed },
    participants,
    threshold: domain.threshold,
    leader,
    amLeader: leader === accountId,
    iVoted: instance?.completed.includes(accountId) ?? false,
  };
}
