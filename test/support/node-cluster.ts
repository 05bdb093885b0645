/**
 * An in-process cluster of node contexts for service tests: real mesh transports on 127.0.0.1, real
 * protocol routers and control channels, real DynamoDB stores in DynamoDB Local (global setup), and key
 * shares from a real DKG run in-process. The contract client is the one piece that is not real here
 * (services that need the chain are tested end to end on the devnet); `contract` throws if used, unless
 * the test passes `contractFor` (e.g. a client over test/support/in-process-contract-chain.ts).
 * `peerUrlFor` routes each direction between two nodes through its own address (a fault proxy,
 * test/support/faults/mesh-proxy.ts); a node can be stopped and started again with the same identity.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ParticipantId } from '../../shared/crypto/protocol.js';
import { runDkg } from '../../shared/crypto/keygen/test-helpers.js';
import type { MpcSignerClient } from '../../services/mpc-node/chain/chain.js';
import type { NodeDomain } from '../../services/mpc-node/chain/contract-state.js';
import { findFreePorts } from '../../services/devnet/emulators/free-port.js';
import { generateMeshIdentity } from '../../services/mpc-node/mesh/channel.js';
import type { MeshPeer } from '../../services/mpc-node/mesh/transport.js';
import type { NodeContext, ServingKey, ServingState, SetParameters } from '../../services/mpc-node/node-context.js';
import { MetricsRegistry } from '../../services/mpc-node/observability/metrics.js';
import { PeerNetwork } from '../../services/mpc-node/peer-network.js';
import { DynamoAssetStore } from '../../services/mpc-node/storage/asset-store.js';
import { LocalKeyFileProvider } from '../../services/mpc-node/storage/data-keys.js';
import { DynamoKeyShareStore } from '../../services/mpc-node/storage/key-share-store.js';
import { Sealer } from '../../services/mpc-node/storage/sealer.js';
import { ensurePartitionSortTable } from '../../services/mpc-node/storage/tables.js';
import { localAwsFromEnvironment } from './local-aws.js';

/** The cluster's domains; each takes the cluster's threshold as its reconstruction threshold. */
export const TEST_DOMAINS: readonly Omit<NodeDomain, 'threshold'>[] = [
  { id: 0, scheme: 'Secp256k1' },
  { id: 1, scheme: 'Ed25519' },
];

export interface TestClusterNode {
  readonly context: NodeContext;
  /** Replace what `context.serving()` returns (e.g. null before keys exist). */
  setServing(state: ServingState | null): void;
  /** Replace what `context.upcoming()` returns (a resharing in progress). */
  setUpcoming(parameters: SetParameters | null): void;
}

export interface TestCluster {
  readonly nodes: readonly TestClusterNode[];
  readonly threshold: number;
  readonly dynamodb: DynamoDBClient;
  /** Stops one node's mesh (as if its process died); the others see it unreachable at their next ping. */
  stopNode(index: number): Promise<void>;
  /** Starts a stopped node's mesh again on its address, with its identity (a new process: a new prekey, no runs). */
  restartNode(index: number): Promise<void>;
  /** The peers node `index` was given: every node, each at the address `index` reaches it by. */
  peersOf(index: number): MeshPeer[];
  stop(): Promise<void>;
}

const unavailableContract = new Proxy({} as MpcSignerClient, {
  get: (_target, property) => {
    throw new Error(`the test cluster has no chain: contract.${String(property)} is not available here`);
  },
});

/** `nodes` contexts with keys for {@link TEST_DOMAINS} in epoch 0, all peers connected. */
export async function startTestCluster(options: {
  nodes: number;
  threshold: number;
  protocolTimeoutMs?: number;
  pingIntervalMs?: number;
  /** The mesh's retry delays (short in tests); default the transport's. */
  retryDelaysMs?: readonly number[];
  requestTimeoutMs?: number;
  /** The URL node `from` reaches node `to` at, which listens at `url`; default `url` itself. */
  peerUrlFor?: (from: ParticipantId, to: ParticipantId, url: string) => string | Promise<string>;
  /** The contract client of the node with this account (`node<id>.test`) and participant id; default: none. */
  contractFor?: (accountId: string, id: ParticipantId) => MpcSignerClient;
}): Promise<TestCluster> {
  const local = localAwsFromEnvironment();
  const dynamodb = new DynamoDBClient({ region: local.region, endpoint: local.dynamodb, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const ids: ParticipantId[] = Array.from({ length: options.nodes }, (_, i) => i);
  const identities = ids.map((id) => generateMeshIdentity(id));
  const ports = await findFreePorts(ids.length);
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  const peerUrlFor = options.peerUrlFor ?? ((_from: ParticipantId, _to: ParticipantId, url: string) => url);
  const peersOf: MeshPeer[][] = [];
  for (const from of ids) peersOf.push(await Promise.all(identities.map(async ({ keys }, to) => ({ ...keys, url: from === to ? urls[to]! : await peerUrlFor(from, to, urls[to]!) }))));
  const shares = new Map(TEST_DOMAINS.map((domain) => [domain.id, runDkg(domain.scheme === 'Secp256k1' ? 'secp256k1' : 'ed25519', ids, options.threshold)]));
  const keyDir = mkdtempSync(join(tmpdir(), 'cluster-keys-'));
  const prefix = `cluster-${randomUUID().slice(0, 8)}`;

  const nodes: TestClusterNode[] = [];
  const networks: PeerNetwork[] = [];
  const loggers: Logger[] = [];
  const metricsOf: MetricsRegistry[] = [];
  /** Node `id`'s mesh, as its process would build it at each start. */
  const networkOf = (id: ParticipantId): PeerNetwork =>
    new PeerNetwork({
      identity: identities[id]!.identity,
      peers: peersOf[id]!,
      listenHost: '127.0.0.1',
      listenPort: ports[id]!,
      metrics: metricsOf[id]!,
      pingIntervalMs: options.pingIntervalMs ?? 500,
      ...(options.retryDelaysMs !== undefined ? { retryDelaysMs: options.retryDelaysMs } : {}),
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      onControlRefused: (error, from, type) => loggers[id]!.warn('control message refused', { from, type, error: String(error) }),
    });
  for (const id of ids) {
    const tables = { keyShares: `${prefix}-n${id}-key-shares`, triples: `${prefix}-n${id}-triples`, presignatures: `${prefix}-n${id}-presignatures` };
    await Promise.all(Object.values(tables).map((table) => ensurePartitionSortTable(dynamodb, table)));
    const sealer = new Sealer(new LocalKeyFileProvider(join(keyDir, `node${id}.key`)));
    metricsOf.push(new MetricsRegistry());
    const logger = new Logger({ serviceName: 'mpc-node', logLevel: 'ERROR', persistentKeys: { participant: id } });
    loggers.push(logger);
    networks.push(networkOf(id));
    const keys = new Map<number, ServingKey>(TEST_DOMAINS.map((domain) => [domain.id, { domain: { ...domain, threshold: options.threshold }, epochId: 0, share: shares.get(domain.id)!.get(id)! }]));
    let serving: ServingState | null = { epochId: 0, participants: ids, threshold: options.threshold, keys };
    let upcoming: SetParameters | null = null;
    nodes.push({
      context: {
        me: id,
        accountId: `node${id}.test`,
        // A restart replaces the node's network and metrics, as a new process has its own.
        get network() {
          return networks[id]!;
        },
        stores: {
          keyShares: new DynamoKeyShareStore(dynamodb, tables.keyShares, sealer),
          triples: new DynamoAssetStore(dynamodb, tables.triples, sealer),
          presignatures: new DynamoAssetStore(dynamodb, tables.presignatures, sealer),
        },
        contract: options.contractFor?.(`node${id}.test`, id) ?? unavailableContract,
        get metrics() {
          return metricsOf[id]!;
        },
        logger,
        protocolTimeoutMs: options.protocolTimeoutMs ?? 30_000,
        serving: () => serving,
        upcoming: () => upcoming,
      },
      setServing: (state) => {
        serving = state;
      },
      setUpcoming: (parameters) => {
        upcoming = parameters;
      },
    });
  }
  await Promise.all(networks.map((network) => network.start()));
  await Promise.all(networks.map((network) => network.transport.pingPeers()));
  const stopped = new Set<number>();
  const stopNode = async (index: number): Promise<void> => {
    if (stopped.has(index)) return;
    stopped.add(index);
    await networks[index]!.stop();
  };
  const restartNode = async (index: number): Promise<void> => {
    if (!stopped.delete(index)) throw new Error(`node ${index} is running`);
    metricsOf[index] = new MetricsRegistry();
    const network = networkOf(index);
    networks[index] = network;
    await network.start();
  };
  return {
    nodes,
    threshold: options.threshold,
    dynamodb,
    stopNode,
    restartNode,
    peersOf: (index) => peersOf[index]!.map((peer) => ({ ...peer })),
    stop: async () => {
      await Promise.all(ids.map((id) => stopNode(id)));
      dynamodb.destroy();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}
