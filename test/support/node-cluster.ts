/**
 * An in-process cluster of node contexts for service tests: real mesh transports on 127.0.0.1, real
 * protocol routers and control channels, real DynamoDB stores in DynamoDB Local (global setup), and key
 * shares from a real DKG run in-process. The contract client is the one piece that is not real here
 * (services that need the chain are tested end to end on the devnet); `contract` throws if used, unless
 * the test passes `contractFor` (e.g. a client over test/support/in-process-contract-chain.ts).
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
  /** The contract client of the node with this account (`node<id>.test`) and participant id; default: none. */
  contractFor?: (accountId: string, id: ParticipantId) => MpcSignerClient;
}): Promise<TestCluster> {
  const local = localAwsFromEnvironment();
  const dynamodb = new DynamoDBClient({ region: local.region, endpoint: local.dynamodb, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const ids: ParticipantId[] = Array.from({ length: options.nodes }, (_, i) => i);
  const identities = ids.map((id) => generateMeshIdentity(id));
  const ports = await findFreePorts(ids.length);
  const peers = identities.map(({ keys }, i) => ({ ...keys, url: `http://127.0.0.1:${ports[i]}` }));
  const shares = new Map(TEST_DOMAINS.map((domain) => [domain.id, runDkg(domain.scheme === 'Secp256k1' ? 'secp256k1' : 'ed25519', ids, options.threshold)]));
  const keyDir = mkdtempSync(join(tmpdir(), 'cluster-keys-'));
  const prefix = `cluster-${randomUUID().slice(0, 8)}`;

  const nodes: TestClusterNode[] = [];
  const networks: PeerNetwork[] = [];
  for (const id of ids) {
    const tables = { keyShares: `${prefix}-n${id}-key-shares`, triples: `${prefix}-n${id}-triples`, presignatures: `${prefix}-n${id}-presignatures` };
    await Promise.all(Object.values(tables).map((table) => ensurePartitionSortTable(dynamodb, table)));
    const sealer = new Sealer(new LocalKeyFileProvider(join(keyDir, `node${id}.key`)));
    const metrics = new MetricsRegistry();
    const logger = new Logger({ serviceName: 'mpc-node', logLevel: 'ERROR', persistentKeys: { participant: id } });
    const network = new PeerNetwork({
      identity: identities[id]!.identity,
      peers,
      listenHost: '127.0.0.1',
      listenPort: ports[id]!,
      metrics,
      pingIntervalMs: options.pingIntervalMs ?? 500,
      onControlRefused: (error, from, type) => logger.warn('control message refused', { from, type, error: String(error) }),
    });
    networks.push(network);
    const keys = new Map<number, ServingKey>(TEST_DOMAINS.map((domain) => [domain.id, { domain: { ...domain, threshold: options.threshold }, epochId: 0, share: shares.get(domain.id)!.get(id)! }]));
    let serving: ServingState | null = { epochId: 0, participants: ids, threshold: options.threshold, keys };
    let upcoming: SetParameters | null = null;
    nodes.push({
      context: {
        me: id,
        accountId: `node${id}.test`,
        network,
        stores: {
          keyShares: new DynamoKeyShareStore(dynamodb, tables.keyShares, sealer),
          triples: new DynamoAssetStore(dynamodb, tables.triples, sealer),
          presignatures: new DynamoAssetStore(dynamodb, tables.presignatures, sealer),
        },
        contract: options.contractFor?.(`node${id}.test`, id) ?? unavailableContract,
        metrics,
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
  return {
    nodes,
    threshold: options.threshold,
    dynamodb,
    stopNode,
    stop: async () => {
      await Promise.all(ids.map((id) => stopNode(id)));
      dynamodb.destroy();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}
