// The one-command network's launcher, end to end short of the MPC nodes: a user's `sign` through a
// real @near-js client reaches EVERY operator's sign-requests queue and requests table through the
// shared Lake writer → S3-event bridge (fanning out) → each operator's own indexer, directly and
// through FastAuth with a token from the network's own JWT issuer. The test plays the nodes: it
// brings the signer to Running and answers requests with a TEST root key.
import { Account } from '@near-js/accounts';
import { JsonRpcProvider } from '@near-js/providers';
import { KeyPairSigner } from '@near-js/signers';
import type { KeyPair } from '@near-js/crypto';
import { DynamoDBClient, GetItemCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DeleteMessageCommand, ListQueuesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { randomUUID } from 'node:crypto';
// TEST-ONLY root key: stands in for the DKG the MPC nodes will run; its secret is public in the fixtures.
import { domainConfig, ecdsaResponse, rootPublicKey } from '../../../contract/testing/mpc-fixtures.js';
import { deriveTweak } from '../../../shared/crypto/kdf.js';
import { contractRequestOf } from '../../../services/mpc-node/signing/signature-service.js';
import { MOCK_VALID_ATTESTATION, type GovernanceThresholdParameters, type KeyForDomain } from '../../../shared/near/signer-abi.js';
import { loadNodeConfig } from '../../../services/mpc-node/config.js';
import { startLocalNetwork, type LocalNetwork } from '../../../services/devnet/network/index.js';
import { createLocalJwtIssuer } from '../../../services/devnet/network/jwt-issuer.js';
import { decodeSignRequest, type SignRequest } from '../../../shared/near/sign-request.js';
import { localAwsFromEnvironment } from '../../support/local-aws.js';
import { connectionRefused, quietPowertools } from './support.js';

const TGAS = 10n ** 12n;
const ONE_NEAR = 10n ** 24n;
const NODES = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('local network launcher', () => {
  let network: LocalNetwork;
  const resourcePrefix = `devnet-network-${randomUUID().slice(0, 8)}`;
  let stopped = false;
  let restorePowertools: () => void;
  let provider: JsonRpcProvider;
  let sqs: SQSClient;
  let dynamodb: DynamoDBClient;
  let user: Account;

  const accountOf = (accountId: string, keyPair: KeyPair) => new Account(accountId, provider, new KeyPairSigner(keyPair));
  const participantCall = (index: number, methodName: string, args: object) => {
    const participant = network.participants[index]!;
    return accountOf(participant.accountId, participant.keyPair).callFunction({ contractId: network.contracts.mpcSigner, methodName, args, gas: 100n * TGAS });
  };

  /** Receives (and deletes) the next message body of one sign-requests queue; bounded by attempts of 1 s long-polls. */
  async function nextMessage(queueUrl: string): Promise<string> {
    for (let attempt = 0; attempt < 30; attempt += 1) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
      expect(Messages.length).toBeLessThanOrEqual(1);
      const message = Messages[0];
      if (message !== undefined) {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
        return message.Body!;
      }
    }
    throw new Error(`no sign request reached ${queueUrl}`);
  }

  /** The requests-table item of `requestId` in one operator's table, or undefined. */
  async function ledgerItem(tableName: string, requestId: string) {
    const { Item } = await dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { requestId: { S: requestId } }, ConsistentRead: true }));
    return Item;
  }

  /**
   * The next sign request, as every operator sees it: exactly one message in each operator's own queue,
   * the same request (same id, same body), recorded in each operator's own requests table.
   */
  async function nextSignRequest(): Promise<SignRequest> {
    const operators = network.resources.operators;
    const bodies = await Promise.all(operators.map((operator) => nextMessage(operator.signRequestsQueueUrl)));
    const requests = bodies.map((body) => decodeSignRequest(body));
    const request = requests[0]!;
    expect(requests.map((each) => each.requestId)).toEqual(operators.map(() => request.requestId));
    expect(bodies).toEqual(operators.map(() => bodies[0]));
    for (const operator of operators) {
      const item = await ledgerItem(operator.requestsTable, request.requestId);
      expect({ table: operator.requestsTable, request: item?.request?.S }).toEqual({ table: operator.requestsTable, request: bodies[0] });
    }
    return request;
  }

  /** Every operator's indexer closes the request in its own table once the callback is in the Lake. */
  async function expectAnsweredEverywhere(requestId: string): Promise<void> {
    const statuses = async () => Promise.all(network.resources.operators.map(async (operator) => (await ledgerItem(operator.requestsTable, requestId))?.status?.S));
    for (let attempt = 0; attempt < 100 && !(await statuses()).every((status) => status === 'answered'); attempt += 1) await sleep(100);
    expect(await statuses()).toEqual(network.resources.operators.map(() => 'answered'));
  }

  async function expectQueuesEmpty(): Promise<void> {
    const received = await Promise.all(
      network.resources.operators.map(async (operator) => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: operator.signRequestsQueueUrl, WaitTimeSeconds: 1 }))).Messages ?? []),
    );
    expect(received).toEqual(network.resources.operators.map(() => []));
  }

  /** Plays the leader node: answers `request` with the test root key's signature, with the arguments the node sends. */
  const respond = (request: SignRequest, response: ReturnType<typeof ecdsaResponse>) => participantCall(0, 'respond', { request: contractRequestOf(request), response });
  const tweakHex = (predecessor: string, path: string): string => bytesToHex(deriveTweak(predecessor, path));

  beforeAll(async () => {
    restorePowertools = quietPowertools();
    const steps: string[] = [];
    network = await startLocalNetwork({
      nodes: NODES,
      blockTimeMs: 50,
      awsEndpoints: localAwsFromEnvironment(),
      resourcePrefix,
      onProgress: ({ step }) => steps.push(step),
    });
    expect(steps).toEqual(['aws-resources', 'identities', 'chain', 'contracts', 'lake', 'indexer']);
    provider = new JsonRpcProvider({ url: network.rpcUrl });
    sqs = new SQSClient({ region: network.awsEndpoints.region, endpoint: network.awsEndpoints.sqs });
    dynamodb = new DynamoDBClient({ region: network.awsEndpoints.region, endpoint: network.awsEndpoints.dynamodb });
    user = accountOf(network.demoUser.accountId, network.demoUser.keyPair);

    // What the nodes' registration and DKG will do through the contract, with the TEST root key in place of a generated one.
    for (const [index, participant] of network.participants.entries()) {
      await participantCall(index, 'submit_participant_info', { proposed_participant_attestation: MOCK_VALID_ATTESTATION, tls_public_key: participant.info.tls_public_key });
    }
    for (const index of [0, 1, 2]) await participantCall(index, 'vote_add_domains', { domains: [domainConfig(0, 'Secp256k1')] });
    const keyEventId = { epoch_id: 0, domain_id: 0, attempt_id: 0 };
    await participantCall(0, 'start_keygen_instance', { key_event_id: keyEventId });
    for (const index of [0, 1, 2]) await participantCall(index, 'vote_pk', { key_event_id: keyEventId, public_key: rootPublicKey('Secp256k1') });
  });

  afterAll(async () => {
    restorePowertools();
    sqs?.destroy();
    dynamodb?.destroy();
    if (!stopped) await network?.stop();
  });

  it('brings the signer to Running with domain 0 and registered participants', async () => {
    const state = (await provider.callFunction(network.contracts.mpcSigner, 'state', {})) as { Running?: { keyset: { domains: KeyForDomain[] }; parameters: GovernanceThresholdParameters } };
    expect(state.Running?.keyset.domains).toEqual([{ domain_id: 0, key: { Secp256k1: { near_public_key: rootPublicKey('Secp256k1') } }, attempt: 0 }]);
    expect(state.Running?.parameters.threshold).toBe(2);
    expect(state.Running?.parameters.participants.participants).toEqual(network.participants.map((participant) => [participant.accountId, participant.index, participant.info]));
  });

  it('gives each node an environment its configuration accepts, with its own operator pipeline', () => {
    const ports = new Set<string>();
    expect(network.resources.operators).toHaveLength(NODES);
    for (const index of [0, 1, 2]) {
      const environment = network.nodeEnvironment(index);
      const config = loadNodeConfig(environment);
      expect(config).toMatchObject({ NODE_ACCOUNT_ID: network.participants[index]!.accountId, MPC_CONTRACT_ID: network.contracts.mpcSigner, NEAR_RPC_URL: network.rpcUrl, SEALING: 'local-file' });
      expect(network.participants[index]!.info.url).toBe(`http://${config.MESH_LISTEN}`);
      ports.add(config.MESH_LISTEN);
      ports.add(String(config.HTTP_PORT));
      const operator = network.resources.operators[index]!;
      expect(operator.signRequestsQueue).toBe(`${resourcePrefix}-op${index}-sign-requests.fifo`);
      expect(environment).toMatchObject({
        SIGN_REQUESTS_QUEUE_URL: operator.signRequestsQueueUrl,
        KEY_SHARES_TABLE: operator.nodeTables.keyShares,
        TRIPLES_TABLE: operator.nodeTables.triples,
        PRESIGNATURES_TABLE: operator.nodeTables.presignatures,
      });
    }
    expect(ports.size).toBe(6);
    const distinct = (key: string) => new Set([0, 1, 2].map((index) => network.nodeEnvironment(index)[key])).size;
    expect(['SIGN_REQUESTS_QUEUE_URL', 'KEY_SHARES_TABLE'].map(distinct)).toEqual([3, 3]);
    // The requests table is the indexer's; the node is not told its name.
    expect(network.nodeEnvironment(0)).not.toHaveProperty('REQUESTS_TABLE');
    expect(() => network.nodeEnvironment(3)).toThrow(RangeError);
  });

  it('queues exactly one request for a direct sign in every operator queue, and the respond returns the signature to the caller', async () => {
    const path = 'ethereum-1';
    const payload = sha256(utf8ToBytes('transfer 1 ETH'));
    const signing = user.callFunction({ contractId: network.contracts.mpcSigner, methodName: 'sign', args: { request: { path, payload_v2: { Ecdsa: bytesToHex(payload) }, domain_id: 0 } }, deposit: 1n, gas: 50n * TGAS });
    const request = await nextSignRequest();
    expect(request).toMatchObject({
      contractId: network.contracts.mpcSigner,
      predecessorId: network.demoUser.accountId,
      path,
      domainId: 0,
      payload: { scheme: 'Ecdsa', hex: bytesToHex(payload) },
      tweak: tweakHex(network.demoUser.accountId, path),
    });
    const response = ecdsaResponse(network.demoUser.accountId, path, payload);
    await respond(request, response);
    expect(await signing).toEqual(response);
    await expectAnsweredEverywhere(request.requestId);
    await expectQueuesEmpty();
  });

  it('queues a FastAuth sign authorised by a minted JWT under (FastAuth, guard_id#sub)', async () => {
    const sub = 'google-oauth2|42';
    const signPayload = utf8ToBytes('borsh(SignedDelegate)');
    const token = await network.mintJwt({ sub, signPayload });
    const signing = user.callFunction({
      contractId: network.contracts.fastAuth,
      methodName: 'sign',
      args: { guard_id: network.fastAuthGuardId, verify_payload: token, sign_payload: [...signPayload], algorithm: 'ecdsa' },
      deposit: 1n,
      gas: 300n * TGAS,
    });
    const request = await nextSignRequest();
    const path = `${network.fastAuthGuardId}#${sub}`;
    const hash = sha256(signPayload);
    expect(request).toMatchObject({ predecessorId: network.contracts.fastAuth, path, payload: { scheme: 'Ecdsa', hex: bytesToHex(hash) }, tweak: tweakHex(network.contracts.fastAuth, path) });
    const response = ecdsaResponse(network.contracts.fastAuth, path, hash);
    await respond(request, response);
    expect(await signing).toEqual(response);
    await expectQueuesEmpty();
  });

  it('refuses a token the guard does not trust and refunds the deposit', async () => {
    const signPayload = utf8ToBytes('borsh(SignedDelegate)');
    // Same issuer name and audience, another key: what a forger can produce.
    const forger = await createLocalJwtIssuer(network.jwtIssuer, network.contracts.auth0Guard);
    const token = await forger.mint({ sub: 'google-oauth2|42', signPayload });
    const balance = async () => BigInt((await provider.viewAccount(network.demoUser.accountId)).amount);
    const before = await balance();
    const deposit = ONE_NEAR;
    await expect(
      user.callFunction({
        contractId: network.contracts.fastAuth,
        methodName: 'sign',
        args: { guard_id: network.fastAuthGuardId, verify_payload: token, sign_payload: [...signPayload], algorithm: 'ecdsa' },
        deposit,
        gas: 300n * TGAS,
      }),
    ).rejects.toThrow(/SignFailed/);
    // The transaction's receipts, the refund included, have executed when the client returns: only gas is spent.
    const spent = before - (await balance());
    expect(spent).toBeGreaterThan(0n);
    expect(spent).toBeLessThan(deposit / 10n);
    await expectQueuesEmpty();
  });

  it('stops everything it started: nothing listens on its ports, its AWS resources are gone', async () => {
    expect(network.listeningPorts.length).toBeGreaterThan(0);
    // The emulators are the global setup's: the network must remove its tables and queues from them
    // (tables are listed in name order, so ours come first after the prefix).
    const ourTables = async () => ((await dynamodb.send(new ListTablesCommand({ ExclusiveStartTableName: resourcePrefix }))).TableNames ?? []).filter((name) => name.startsWith(resourcePrefix));
    const ourQueues = async () => (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: resourcePrefix }))).QueueUrls ?? [];
    // Per operator: a requests table and the node's 3; lake-events, sign-requests and their dead-letter queues.
    expect(await ourTables()).toHaveLength(4 * NODES);
    expect(await ourQueues()).toHaveLength(4 * NODES);
    stopped = true;
    await network.stop();
    for (const port of network.listeningPorts) {
      const refused = await connectionRefused(port);
      expect({ port, refused }).toEqual({ port, refused: true });
    }
    expect(await ourTables()).toEqual([]);
    expect(await ourQueues()).toEqual([]);
  });
});
