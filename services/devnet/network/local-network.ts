/**
 * `startLocalNetwork`: everything of the one-command network except the MPC node processes — local
 * AWS (or given emulator endpoints) with one shared Lake bucket and, per participant, what its
 * operator's stack has (queues and tables); the devnet chain with the MPC signer, FastAuth, the JWT
 * guard router and an Auth0-style guard trusting a local JWT issuer; N funded participant accounts
 * registered in the signer with their mesh keys; the Lake writer, the S3-event bridge fanning out to
 * every operator's lake-events queue, and per operator a lake indexer process (the Lambda's handler
 * behind the devnet poller) feeding that operator's sign-requests queue, so every node sees every request.
 * `nodeEnvironment(i)` is what node i's process needs; `stop()` undoes everything in reverse order.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { actionCreators } from '@near-js/transactions';
import { bytesToHex } from '@noble/hashes/utils.js';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auth0GuardContract, fastAuthContract, jwtGuardRouterContract, mpcSignerContract } from '../../../contract/index.js';
import { SIGNER_METHODS, type GovernanceThresholdParameters, type ParticipantInfo, type ProtocolContractState } from '../../../shared/near/signer-abi.js';
import { type FastAuthInitArgs, type JwtGuardInitArgs, type JwtPublicKey, ROUTER_ADD_GUARD_DEPOSIT, ROUTER_ERRORS, type RouterAddGuardArgs, type RouterGuardNameArgs } from '../../../shared/near/fast-auth-abi.js';
import { LocalSigner, ONE_NEAR, startDevnetChain, type RunningDevnetChain } from '../chain/index.js';
import { localAwsEnvironment, startLocalAws, type LocalAwsEndpoints } from '../emulators/index.js';
import { startLakeWriter, startS3EventBridge } from '../lake/index.js';
import { createNetworkResources, deleteBucket, deleteNetworkResources, networkResourceNames, type AwsClientSet, type NetworkResources } from './aws-resources.js';
import { LocalNetworkError } from './errors.js';
import { startLakeIndexerProcesses } from './node-processes.js';
import { generateIdentities, participantInfo, readIdentities, requirePortsFree, writeIdentities, type ParticipantIdentity } from './identities.js';
import { createLocalJwtIssuer, type MintJwtClaims } from './jwt-issuer.js';

export type LocalNetworkStep = 'local-aws' | 'aws-resources' | 'identities' | 'chain' | 'contracts' | 'lake' | 'indexer' | 'stop';

export interface LocalNetworkProgress {
  readonly step: LocalNetworkStep;
  readonly detail: string;
}

export interface StartLocalNetworkOptions {
  /** MPC participants; default 3. */
  readonly nodes?: number;
  /**
   * Operators provisioned besides them — account, identity, AWS resources and lake indexer — but not in
   * the signer's initial participant set: they join when the participants vote them in (a resharing).
   * Default 0.
   */
  readonly joiningNodes?: number;
  /** Signing threshold; default the smallest the contract accepts: max(2, ⌈60 % of nodes⌉). */
  readonly threshold?: number;
  /** Default 100 ms. */
  readonly blockTimeMs?: number;
  /**
   * Run this NEAR wasm as the MPC signer (e.g. near/mpc's published signer) instead of our TypeScript
   * model; it must speak near/mpc 3.14's ABI. Default: the model.
   */
  readonly signerWasm?: Uint8Array;
  /** Keeps the chain, the identities and the nodes' master key files here, and resumes from them. */
  readonly dataDir?: string;
  /** Use these emulators (e.g. jest's global setup); without a `dataDir` the network deletes its resources from them on stop. Default: start our own. */
  readonly awsEndpoints?: LocalAwsEndpoints;
  /** Prefix of every bucket, queue and table name; networks sharing emulators need different ones. Default `devnet`. */
  readonly resourcePrefix?: string;
  /** Blocks a `sign` waits for its response; default the chain's (200, as NEAR). */
  readonly yieldTimeoutBlocks?: number;
  /**
   * Write the chain's Lake into this bucket — a stand-in for NEAR's public Lake — instead of the operators'
   * lake bucket (`resources.bucket`), which the S3-event bridge still watches: something else, the
   * public-lake follower (services/lake-follower), must then copy what the indexers need into it.
   * Default: the writer fills `resources.bucket` itself, as an operator's own NEAR Lake writer does.
   */
  readonly publicLakeBucket?: string;
  /** Where the lake indexer processes log (`indexer<i>.log`). Default `<dataDir>/logs`. */
  readonly logDirectory?: string;
  /** Lifetime bound of a DynamoDB Local the network starts itself, in case this process dies without stopping it. */
  readonly maxEmulatorLifetimeSeconds?: number;
  readonly onProgress?: (progress: LocalNetworkProgress) => void;
}

export interface NetworkContracts {
  readonly mpcSigner: string;
  readonly fastAuth: string;
  readonly jwtGuardRouter: string;
  readonly auth0Guard: string;
}

export interface LocalParticipant extends ParticipantIdentity {
  readonly info: ParticipantInfo;
}

export interface LocalNetwork {
  readonly awsEndpoints: LocalAwsEndpoints;
  readonly rpcUrl: string;
  readonly devnet: RunningDevnetChain;
  readonly contracts: NetworkContracts;
  /** The signer's `version()`: ours ends in `-chainsig-model`, near/mpc's wasm answers its release. */
  readonly signerVersion: string;
  readonly resources: NetworkResources;
  readonly threshold: number;
  /** The signer's initial participants (ids 0 … nodes − 1). */
  readonly participants: readonly LocalParticipant[];
  /** The operators provisioned to join later (ids from `nodes` on, the contract's next ids). */
  readonly joining: readonly LocalParticipant[];
  readonly demoUser: { readonly accountId: string; readonly keyPair: LocalParticipant['keyPair'] };
  /** The issuer the Auth0 guard trusts (`iss` of minted tokens). */
  readonly jwtIssuer: string;
  /** The issuer's public key as the guard stores it (kept across restarts with a `dataDir`). */
  readonly jwtIssuerPublicKey: JwtPublicKey;
  /** FastAuth's `guard_id` for tokens of {@link jwtIssuer}: `jwt#<issuer>`. */
  readonly fastAuthGuardId: string;
  /** Ports of the servers this network listens on (RPC, and the emulators when it started them). */
  readonly listeningPorts: readonly number[];
  /** A token the Auth0 guard accepts for FastAuth `sign` of `signPayload`. */
  mintJwt(claims: MintJwtClaims): Promise<string>;
  /** Environment of node `index`'s process (services/mpc-node/config.ts), including the emulator endpoints. */
  nodeEnvironment(index: number): Record<string, string>;
  stop(): Promise<void>;
}

const ROOT_ACCOUNT = 'devnet';
export const NETWORK_ACCOUNTS = {
  mpcSigner: `v1.signer.${ROOT_ACCOUNT}`,
  fastAuth: `fast-auth.${ROOT_ACCOUNT}`,
  jwtGuardRouter: `jwt.fast-auth.${ROOT_ACCOUNT}`,
  auth0Guard: `auth0.jwt.fast-auth.${ROOT_ACCOUNT}`,
  demoUser: `alice.${ROOT_ACCOUNT}`,
  participant: (index: number) => `node${index}.${ROOT_ACCOUNT}`,
} as const;
/** FastAuth's guard prefix routed to the JWT guard router, as on mainnet. */
const FAST_AUTH_JWT_PREFIX = 'jwt';
const JWT_ISSUER = 'https://issuer.devnet.local/';
const ACCOUNT_BALANCE = 1000n * ONE_NEAR;
const SETUP_TRANSACTION_TIMEOUT_MS = 30_000;
const DEFAULT_BLOCK_TIME_MS = 100;
/** The S3-event bridge looks at the listing by itself this rarely; the Lake writer nudges it after every block. */
const BRIDGE_FALLBACK_POLL_MS = 1_000;
/** With the writer on a stand-in public lake nothing nudges the bridge: it looks this often. */
const BRIDGE_POLL_WITHOUT_NUDGES_MS = 100;
const TERA_GAS = 10n ** 12n;
/** Genesis init calls execute within the first blocks; more than this means one failed. */
const GENESIS_INIT_BLOCKS = 5;

export function defaultThreshold(nodes: number): number {
  return Math.max(2, Math.ceil(0.6 * nodes));
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Stoppers of what started so far, run last-first; every one runs even if an earlier one fails. */
class TeardownStack {
  private readonly entries: { name: string; stop: () => Promise<void> | void }[] = [];

  push(name: string, stop: () => Promise<void> | void): void {
    this.entries.push({ name, stop });
  }

  async unwind(): Promise<void> {
    const failures: Error[] = [];
    for (let entry = this.entries.pop(); entry !== undefined; entry = this.entries.pop()) {
      try {
        await entry.stop();
      } catch (error) {
        failures.push(new LocalNetworkError('stop', `stopping ${entry.name} failed`, { cause: error }));
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `local network: ${failures.length} component(s) did not stop cleanly`);
  }
}

function awsClients(endpoints: LocalAwsEndpoints): AwsClientSet {
  // The emulators accept any credentials; explicit ones keep the SDK from searching the host for real ones.
  const common = { region: endpoints.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  return {
    // The Lake writer and the S3-event bridge call these every block: their middleware stacks are built
    // once per command class. (DynamoDB is left alone: tests wrap it in the document client, whose
    // commands carry per-instance middleware a cached stack would get wrong.)
    s3: new S3Client({ ...common, endpoint: endpoints.s3, forcePathStyle: true, cacheMiddleware: true }),
    sqs: new SQSClient({ ...common, endpoint: endpoints.sqs, cacheMiddleware: true }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
  };
}

function viewJson(devnet: RunningDevnetChain, accountId: string, methodName: string, args: object): unknown {
  const { result } = devnet.chain.callView(accountId, methodName, new TextEncoder().encode(JSON.stringify(args)));
  return JSON.parse(new TextDecoder().decode(result));
}

/** Whether the JWT guard router has a guard for `name` (its `get_guard` panics for an unknown name). */
function routerHasGuard(devnet: RunningDevnetChain, name: string): boolean {
  try {
    viewJson(devnet, NETWORK_ACCOUNTS.jwtGuardRouter, 'get_guard', { guard_name: name } satisfies RouterGuardNameArgs);
    return true;
  } catch (error) {
    if (error instanceof Error && error.message.includes(ROUTER_ERRORS.unknownGuard(name))) return false;
    throw error;
  }
}

/** Genesis `init` calls run as receipts of the first blocks; every contract answers `owner`/`state` once they did. */
async function waitForInitializedContracts(devnet: RunningDevnetChain): Promise<void> {
  const probes: [string, string][] = [
    [NETWORK_ACCOUNTS.mpcSigner, 'state'],
    [NETWORK_ACCOUNTS.fastAuth, 'owner'],
    [NETWORK_ACCOUNTS.jwtGuardRouter, 'owner'],
    [NETWORK_ACCOUNTS.auth0Guard, 'owner'],
  ];
  /** The contracts whose probe still fails, with why (before init: `InvalidState`). */
  const uninitialized = (): string[] =>
    probes.flatMap(([accountId, method]) => {
      try {
        viewJson(devnet, accountId, method, {});
        return [];
      } catch (error) {
        return [`${accountId}: ${error instanceof Error ? error.message : String(error)}`];
      }
    });
  const start = devnet.chain.head().header.height;
  for (let height = start + 1, pending = uninitialized(); pending.length > 0; height += 1, pending = uninitialized()) {
    if (height > start + GENESIS_INIT_BLOCKS) throw new Error(`contracts not initialised after ${GENESIS_INIT_BLOCKS} blocks (did an init call fail?): ${pending.join('; ')}`);
    if (!(await devnet.waitForHeight(height, SETUP_TRANSACTION_TIMEOUT_MS))) throw new Error(`the chain did not reach height ${height}`);
  }
}

/** The participant set the signer currently runs with, in any protocol state (none before init). */
function currentParameters(state: ProtocolContractState): GovernanceThresholdParameters | null {
  if (state === 'NotInitialized') return null;
  if ('Running' in state) return state.Running.parameters;
  if ('Initializing' in state) return state.Initializing.generating_key.parameters;
  return state.Resharing.previous_running_state.parameters;
}

/**
 * A resumed chain must register only our operators, with their keys, or the nodes could never authenticate
 * to each other (identities.json lost or from another chain): better to refuse than to start a mute network.
 * (Which of them take part may have changed by resharing since the chain started.)
 */
function checkRegisteredParticipants(devnet: RunningDevnetChain, operators: readonly LocalParticipant[]): void {
  const registered = currentParameters(viewJson(devnet, NETWORK_ACCOUNTS.mpcSigner, 'state', {}) as ProtocolContractState)?.participants.participants ?? [];
  const matches =
    registered.length > 0 &&
    registered.every(([accountId, id, info]) =>
      operators.some((operator) => accountId === operator.accountId && id === operator.index && info.url === operator.info.url && info.tls_public_key === operator.info.tls_public_key),
    );
  if (!matches) {
    throw new Error(`the chain's signer registers other participants or keys than identities.json (${registered.map(([account]) => account).join(', ')}): use an empty data directory`);
  }
}

/**
 * How long a key-event attempt (one DKG or resharing run) may take before the contract starts the next:
 * near/mpc's default of 30 blocks is about 30 s on NEAR; at the devnet's 100 ms blocks it would be 3 s,
 * less than a DKG takes on a busy 2-core machine, so every attempt would expire. The devnet keeps the
 * wall-clock time instead.
 */
const KEY_EVENT_ATTEMPT_MS = 30_000;
function keyEventTimeoutBlocks(blockTimeMs: number): number {
  return Math.max(30, Math.ceil(KEY_EVENT_ATTEMPT_MS / blockTimeMs));
}

export async function startLocalNetwork(options: StartLocalNetworkOptions = {}): Promise<LocalNetwork> {
  const nodeCount = options.nodes ?? 3;
  const joiningCount = options.joiningNodes ?? 0;
  const operatorCount = nodeCount + joiningCount;
  const threshold = options.threshold ?? defaultThreshold(nodeCount);
  if (!Number.isInteger(nodeCount) || nodeCount < 2) throw new LocalNetworkError('options', `nodes must be an integer ≥ 2, got ${nodeCount}`);
  if (!Number.isInteger(joiningCount) || joiningCount < 0) throw new LocalNetworkError('options', `joiningNodes must be an integer ≥ 0, got ${joiningCount}`);
  if (!Number.isInteger(threshold) || threshold < defaultThreshold(nodeCount) || threshold > nodeCount) {
    throw new LocalNetworkError('options', `threshold must be an integer from ${defaultThreshold(nodeCount)} (60 % of ${nodeCount}, at least 2) to ${nodeCount}, got ${threshold}`);
  }
  const progress = (step: LocalNetworkStep, detail: string): void => options.onProgress?.({ step, detail });
  const teardown = new TeardownStack();
  /** Runs one start step; if it fails, stops what started before it and reports the step. */
  const run = async <T>(step: LocalNetworkStep, detail: string, action: () => Promise<T>): Promise<T> => {
    progress(step, detail);
    try {
      return await action();
    } catch (error) {
      // The step's failure is what the caller needs; a stop failing on top of it would only hide it.
      await teardown.unwind().catch(() => undefined);
      throw new LocalNetworkError(step, error instanceof Error ? error.message : String(error), { cause: error });
    }
  };

  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'chainsig-devnet-'));
  if (options.dataDir === undefined) teardown.push('temporary data directory', () => rmSync(dataDir, { recursive: true, force: true }));
  const logDirectory = options.logDirectory ?? join(dataDir, 'logs');

  const listeningPorts: number[] = [];
  let awsEndpoints = options.awsEndpoints;
  if (awsEndpoints === undefined) {
    const localAws = await run('local-aws', 'starting DynamoDB Local and fauxqs (SQS, S3)', () => {
      // A kept network's DynamoDB Local keeps the tables (key shares, stockpile) with the chain, in a folder that
      // must exist; a temporary one runs in memory, which costs DynamoDB Local far less CPU per request.
      const dynamoDbDataDirectory = options.dataDir === undefined ? undefined : join(dataDir, 'dynamodb');
      if (dynamoDbDataDirectory !== undefined) mkdirSync(dynamoDbDataDirectory, { recursive: true });
      return startLocalAws({
        ...(options.maxEmulatorLifetimeSeconds !== undefined ? { maxLifetimeSeconds: options.maxEmulatorLifetimeSeconds } : {}),
        ...(dynamoDbDataDirectory !== undefined ? { dynamoDbDataDirectory } : {}),
      });
    });
    teardown.push('local AWS emulators', () => localAws.stop());
    awsEndpoints = localAws.endpoints;
    listeningPorts.push(...new Set([portOf(awsEndpoints.dynamodb), portOf(awsEndpoints.sqs), portOf(awsEndpoints.s3)]));
  }
  const endpoints = awsEndpoints;
  const clients = awsClients(endpoints);
  teardown.push('AWS clients', () => Object.values(clients).forEach((client) => client.destroy()));

  const names = networkResourceNames(options.resourcePrefix ?? 'devnet', operatorCount);
  const resources = await run(
    'aws-resources',
    `creating bucket ${names.bucket} and for each of ${operatorCount} operators: lake-events and sign-requests (FIFO) queues with dead-letter queues, a requests table and the node's 3 tables`,
    () => createNetworkResources(clients, names),
  );
  // In emulators someone else runs, an ephemeral network removes what it made (our own emulators take
  // it along); a persistent one keeps its tables, which hold the nodes' key shares and stockpile.
  if (options.awsEndpoints !== undefined && options.dataDir === undefined) teardown.push('AWS resources', () => deleteNetworkResources(clients, resources));

  const identitiesFile = join(dataDir, 'identities.json');
  const { identities, issuer } = await run('identities', `participant keys, mesh identities and the JWT issuer for ${operatorCount} nodes`, async () => {
    const stored = readIdentities(identitiesFile, operatorCount);
    if (stored !== null) await requirePortsFree(stored, identitiesFile);
    const identities = stored ?? (await generateIdentities(Array.from({ length: operatorCount }, (_, index) => NETWORK_ACCOUNTS.participant(index)), NETWORK_ACCOUNTS.demoUser));
    const issuer = await createLocalJwtIssuer(JWT_ISSUER, NETWORK_ACCOUNTS.auth0Guard, identities.issuerPrivateJwk);
    if (stored === null) writeIdentities(identitiesFile, identities, issuer.privateJwk);
    return { identities, issuer };
  });
  const operators: LocalParticipant[] = identities.participants.map((participant) => ({ ...participant, info: participantInfo(participant) }));
  const participants = operators.slice(0, nodeCount);

  const devnet = await run('chain', `starting the devnet chain (${options.blockTimeMs ?? DEFAULT_BLOCK_TIME_MS} ms blocks)`, () =>
    startDevnetChain({
      rootAccountId: ROOT_ACCOUNT,
      blockTimeMs: options.blockTimeMs ?? DEFAULT_BLOCK_TIME_MS,
      // A temporary network never resumes, so its chain skips the per-block state snapshot (the launcher's largest single cost at 100 ms blocks).
      ...(options.dataDir !== undefined ? { dataDir: join(dataDir, 'chain') } : {}),
      ...(options.yieldTimeoutBlocks !== undefined ? { yieldTimeoutBlocks: options.yieldTimeoutBlocks } : {}),
      contracts: [
        {
          accountId: NETWORK_ACCOUNTS.mpcSigner,
          ...(options.signerWasm === undefined ? { definition: mpcSignerContract } : { wasm: options.signerWasm }),
          init: {
            methodName: 'init',
            args: {
              parameters: {
                participants: { next_id: nodeCount, participants: participants.map((participant) => [participant.accountId, participant.index, participant.info]) },
                threshold,
              },
              init_config: { key_event_timeout_blocks: keyEventTimeoutBlocks(options.blockTimeMs ?? DEFAULT_BLOCK_TIME_MS) },
            },
          },
        },
        {
          accountId: NETWORK_ACCOUNTS.fastAuth,
          definition: fastAuthContract,
          init: { methodName: 'init', args: { init_guards: { [FAST_AUTH_JWT_PREFIX]: NETWORK_ACCOUNTS.jwtGuardRouter }, owner: ROOT_ACCOUNT, pauser: ROOT_ACCOUNT, mpc_address: NETWORK_ACCOUNTS.mpcSigner } satisfies FastAuthInitArgs },
        },
        { accountId: NETWORK_ACCOUNTS.jwtGuardRouter, definition: jwtGuardRouterContract, init: { methodName: 'init', args: { owner: ROOT_ACCOUNT } } },
        {
          accountId: NETWORK_ACCOUNTS.auth0Guard,
          definition: auth0GuardContract,
          init: { methodName: 'init', args: { owner: ROOT_ACCOUNT, public_keys: [issuer.publicKey], issuer: issuer.issuer } satisfies JwtGuardInitArgs },
        },
      ],
      accounts: [...operators, identities.demoUser].map((account) => ({ accountId: account.accountId, balance: ACCOUNT_BALANCE, publicKeys: [account.keyPair.getPublicKey().toString()] })),
    }),
  );
  teardown.push('devnet chain and RPC', () => devnet.stop());
  listeningPorts.push(portOf(devnet.rpcUrl));

  await run('contracts', `initialising the contracts and registering the JWT guard for ${issuer.issuer}`, async () => {
    await waitForInitializedContracts(devnet);
    checkRegisteredParticipants(devnet, operators);
    if (routerHasGuard(devnet, issuer.issuer)) return; // a resumed chain has it
    const root = new LocalSigner(devnet.chain, devnet.rootAccount.accountId, devnet.rootAccount.secretKey);
    const addGuardArgs: RouterAddGuardArgs = { guard_name: issuer.issuer, guard_account: NETWORK_ACCOUNTS.auth0Guard };
    const addGuard = actionCreators.functionCall('add_guard', addGuardArgs, 30n * TERA_GAS, ROUTER_ADD_GUARD_DEPOSIT);
    const result = await root.execute(NETWORK_ACCOUNTS.jwtGuardRouter, [addGuard], SETUP_TRANSACTION_TIMEOUT_MS);
    if (result.status.kind === 'Failure') throw new Error(`add_guard failed: ${JSON.stringify(result.status.error)}`);
  });

  const writerBucket = options.publicLakeBucket ?? resources.bucket;
  await run('lake', `Lake writer on ${writerBucket} and S3-event bridge from ${resources.bucket} to the ${operatorCount} operators' lake-events queues`, async () => {
    // One bridge fanning out (as SNS would between the bucket and the queues): one listing poll for all operators.
    // The writer nudges it after every block, as S3 notifies on every put; its own timer is only a fallback —
    // unless the writer fills a stand-in public lake, and the bridge must find the follower's copies itself.
    const queueUrls = resources.operators.map((operator) => operator.lakeEventsQueueUrl);
    const pollIntervalMs = options.publicLakeBucket === undefined ? BRIDGE_FALLBACK_POLL_MS : BRIDGE_POLL_WITHOUT_NUDGES_MS;
    const bridge = await startS3EventBridge({ s3: clients.s3, sqs: clients.sqs, bucket: resources.bucket, queueUrl: queueUrls, region: endpoints.region, pollIntervalMs });
    teardown.push('S3-event bridge', () => bridge.stop());
    if (options.publicLakeBucket !== undefined && options.awsEndpoints !== undefined && options.dataDir === undefined) {
      teardown.push('stand-in public lake bucket', () => deleteBucket(clients.s3, writerBucket));
    }
    const writer = await startLakeWriter({
      chain: devnet.chain,
      s3: clients.s3,
      bucket: writerBucket,
      createBucket: options.publicLakeBucket !== undefined,
      ...(options.publicLakeBucket === undefined && { onBlockWritten: () => bridge.nudge() }),
    });
    teardown.push('Lake writer', () => writer.stop());
  });

  await run('indexer', `${operatorCount} lake indexers, each a process reading its operator's lake-events into that operator's requests table and sign-requests queue`, async () => {
    const indexers = startLakeIndexerProcesses({
      count: operatorCount,
      logDirectory,
      environment: (index) => {
        const operator = resources.operators[index]!;
        return {
          ...localAwsEnvironment(endpoints),
          LAKE_EVENTS_QUEUE_URL: operator.lakeEventsQueueUrl,
          MPC_CONTRACT_ID: NETWORK_ACCOUNTS.mpcSigner,
          REQUESTS_TABLE_NAME: operator.requestsTable,
          SIGN_REQUESTS_QUEUE_URL: operator.signRequestsQueueUrl,
          // Short long-polls keep a stop quick; new blocks' events arrive many times a second anyway.
          LAKE_EVENTS_WAIT_SECONDS: '1',
        };
      },
      onUnexpectedExit: (index, code, logFile) => progress('indexer', `lake indexer ${index} exited unexpectedly (code ${code}); see ${logFile}`),
    });
    teardown.push('lake indexer processes', () => indexers.stopAll());
  });

  const nodeEnvironment = (index: number): Record<string, string> => {
    const participant = operators[index];
    if (participant === undefined) throw new RangeError(`no node ${index}: the network has ${operatorCount}`);
    const operator = resources.operators[index]!;
    return {
      ...localAwsEnvironment(endpoints),
      NODE_ACCOUNT_ID: participant.accountId,
      NODE_ACCOUNT_SECRET_KEY: participant.keyPair.toString(),
      MPC_CONTRACT_ID: NETWORK_ACCOUNTS.mpcSigner,
      NEAR_RPC_URL: devnet.rpcUrl,
      SIGN_REQUESTS_QUEUE_URL: operator.signRequestsQueueUrl,
      KEY_SHARES_TABLE: operator.nodeTables.keyShares,
      TRIPLES_TABLE: operator.nodeTables.triples,
      PRESIGNATURES_TABLE: operator.nodeTables.presignatures,
      MESH_LISTEN: `127.0.0.1:${participant.meshPort}`,
      MESH_SIGN_SECRET_KEY: bytesToHex(participant.mesh.identitySecretKey),
      SEALING: 'local-file',
      LOCAL_MASTER_KEY_FILE: join(dataDir, 'nodes', `node${index}`, 'master.key'),
      HTTP_PORT: String(participant.httpPort),
    };
  };

  return {
    awsEndpoints: endpoints,
    rpcUrl: devnet.rpcUrl,
    devnet,
    contracts: { mpcSigner: NETWORK_ACCOUNTS.mpcSigner, fastAuth: NETWORK_ACCOUNTS.fastAuth, jwtGuardRouter: NETWORK_ACCOUNTS.jwtGuardRouter, auth0Guard: NETWORK_ACCOUNTS.auth0Guard },
    signerVersion: String(viewJson(devnet, NETWORK_ACCOUNTS.mpcSigner, SIGNER_METHODS.version, {})),
    resources,
    threshold,
    participants,
    joining: operators.slice(nodeCount),
    demoUser: identities.demoUser,
    jwtIssuer: issuer.issuer,
    jwtIssuerPublicKey: issuer.publicKey,
    fastAuthGuardId: `${FAST_AUTH_JWT_PREFIX}#${issuer.issuer}`,
    listeningPorts,
    mintJwt: (claims) => issuer.mint(claims),
    nodeEnvironment,
    stop: async () => {
      progress('stop', `stopping the ${operatorCount} lake indexers, Lake writer and bridge, chain and local AWS`);
      await teardown.unwind();
    },
  };
}
