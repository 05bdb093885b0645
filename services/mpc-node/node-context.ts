/**
 * What the node's services (key lifecycle, stockpile, signing) share: who this node is, its peers, its
 * stores and the keys it currently signs with. The services never reach around it, so the same service
 * code runs in the node process and in in-process test clusters.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { KeyShare } from '../../shared/crypto/key-share.js';
import type { ParticipantId } from '../../shared/crypto/protocol.js';
import type { PresignatureScheme } from './assets.js';
import type { MpcSignerClient } from './chain/chain.js';
import type { NodeDomain } from './chain/contract-state.js';
import type { MetricsRegistry } from './observability/metrics.js';
import type { PeerNetwork } from './peer-network.js';
import type { AssetStore } from './storage/asset-store.js';
import type { DynamoKeyShareStore } from './storage/key-share-store.js';

/** A domain's key as this node holds it in the current epoch. */
export interface ServingKey {
  readonly domain: NodeDomain;
  readonly epochId: number;
  readonly share: KeyShare;
}

/** The running participant set and the keys this node signs with; replaced whole when the contract's state changes. */
export interface ServingState extends SetParameters {
  readonly epochId: number;
  /** By domain id: only domains whose share this node holds for `epochId`. */
  readonly keys: ReadonlyMap<number, ServingKey>;
  /** While a resharing is under way, the participants the contract accepts `respond` from; unset: all. */
  readonly responders?: readonly ParticipantId[];
}

/** A participant set and its threshold: what a triple's set must fit (triples do not depend on any key). */
export interface SetParameters {
  /** Participant ids, ascending. */
  readonly participants: readonly ParticipantId[];
  readonly threshold: number;
}

/** Whether an asset of `set` can serve `parameters`: `threshold` members, all of them its participants. */
export function setFits(set: readonly ParticipantId[], parameters: SetParameters): boolean {
  return set.length === parameters.threshold && set.every((id) => parameters.participants.includes(id));
}

export interface NodeStores {
  readonly keyShares: DynamoKeyShareStore;
  readonly triples: AssetStore;
  readonly presignatures: AssetStore;
}

/** The table of assets of `kind`: triples in one, presignatures of every scheme in the other. */
export function assetStoreOf(stores: NodeStores, kind: 'triples' | 'presignatures' | PresignatureScheme): AssetStore {
  return kind === 'triples' ? stores.triples : stores.presignatures;
}

export interface NodeContext {
  readonly me: ParticipantId;
  readonly accountId: string;
  readonly network: PeerNetwork;
  readonly stores: NodeStores;
  readonly contract: MpcSignerClient;
  readonly metrics: MetricsRegistry;
  readonly logger: Logger;
  /** Upper bound of one protocol run (PROTOCOL_TIMEOUT_MS). */
  readonly protocolTimeoutMs: number;
  /** The current serving state, or null while the node has no key to sign with. */
  serving(): ServingState | null;
  /**
   * The parameters a resharing in progress moves to (this node among the participants), or null when
   * none is: triples for their sets can be made before the new epoch starts.
   */
  upcoming(): SetParameters | null;
}
