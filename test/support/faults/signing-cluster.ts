/**
 * A signing network for fault scenarios: an in-process cluster (../node-cluster.ts) whose nodes talk to
 * the REAL signer contract (../in-process-contract-chain.ts) through {@link ChainFaults}, holding the
 * cluster's DKG keys as the contract's domain keys, with a SignatureService on the chosen nodes and
 * EdDSA presignatures in their stores. A chain clock adds a block every `blockMs` and times out each
 * yield `yieldBlocks` after its `sign`, as the chain does. Users' `sign` calls go straight to the
 * contract; a scenario delivers each request to the nodes' services as their queues would.
 */
import { randomUUID } from 'node:crypto';
import { baseEncode } from '@near-js/utils';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { domainConfig, participantInfo, thresholdParameters } from '../../../contract/testing/mpc-fixtures.js';
import { EddsaPresignProtocol, encodeEddsaPresignature } from '../../../shared/crypto/eddsa/index.js';
import { deriveTweak } from '../../../shared/crypto/kdf.js';
import { ascending, type ParticipantId } from '../../../shared/crypto/protocol.js';
import { runProtocols } from '../../../shared/crypto/runner.js';
import type { SignRequest } from '../../../shared/near/sign-request.js';
import { PARTICIPANT_CALL_GAS, SIGN_DEPOSIT, SIGNER_METHODS } from '../../../shared/near/signer-abi.js';
import { presignaturePartition } from '../../../services/mpc-node/assets.js';
import { MpcSignerClient } from '../../../services/mpc-node/chain/chain.js';
import { nearFormOfPublicKey } from '../../../services/mpc-node/key-lifecycle/index.js';
import { contractRequestOf, SignatureService, type RequestMessages } from '../../../services/mpc-node/signing/signature-service.js';
import { InProcessSignerContract } from '../in-process-contract-chain.js';
import { startTestCluster, TEST_DOMAINS, type TestCluster } from '../node-cluster.js';
import { ChainFaults, type ChainOperationRecord } from './chain-faults.js';
import { seededRandom, type FaultRandom } from './seed.js';

export const EDDSA_DOMAIN = 1;
/** The defaults of {@link SigningClusterOptions}: a takeover step and a block, in ms. */
export const DEFAULT_TAKEOVER_MS = 300;
export const DEFAULT_BLOCK_MS = 50;
const USER = 'alice.test';

export interface SigningClusterOptions {
  /** Mesh nodes; node `i` has account `node<i>.test`. */
  readonly nodes: number;
  readonly threshold: number;
  /** The contract's participants, and every node's serving set. */
  readonly participants: readonly ParticipantId[];
  /** The nodes that run a SignatureService. */
  readonly services: readonly ParticipantId[];
  /** SIGN_TAKEOVER_MS; default 300. */
  readonly takeoverMs?: number;
  /** Default 3 s. */
  readonly protocolTimeoutMs?: number;
  /** Default 50. */
  readonly blockMs?: number;
  readonly yieldBlocks: number;
  /** EdDSA presignatures each service node owns per pair of participants it belongs to (default 0: two-round signing). */
  readonly presignaturesPerPair?: number;
  /** A node's queue; default: one that records completed receipt handles. */
  readonly messagesFor?: (id: ParticipantId) => RequestMessages;
}

/** A queue double that only records what the service did with each message. */
export class RecordedMessages implements RequestMessages {
  readonly completed: string[] = [];
  readonly released: string[] = [];
  readonly visibilitySeconds = 60;
  async complete(receiptHandle: string): Promise<void> {
    this.completed.push(receiptHandle);
  }
  async extend(): Promise<void> {}
  async release(receiptHandle: string): Promise<void> {
    this.released.push(receiptHandle);
  }
}

export interface SigningCluster {
  readonly cluster: TestCluster;
  readonly contract: InProcessSignerContract;
  readonly faults: ChainFaults;
  readonly services: ReadonlyMap<ParticipantId, SignatureService>;
  readonly messages: ReadonlyMap<ParticipantId, RequestMessages>;
  /** Ids of the presignatures leaders took, in order. */
  readonly takenPresignatures: readonly string[];
  /** Takes every random choice (request ids, presignatures, chain faults) from `random` from now on: call it with each scenario's seeded one. */
  reseed(random: FaultRandom): void;
  /** A user's `sign` of a fresh EdDSA payload on the contract; the request as every node's indexer reports it. */
  submit(label: string): SignRequest;
  /** Hands the request to the services of `to` (default: every service node), as their queues would. */
  deliver(request: SignRequest, to?: readonly ParticipantId[], receiptHandle?: string): void;
  /** The `respond`s for the request that landed, in order. */
  landedResponds(request: SignRequest): ChainOperationRecord[];
  /** When the chain clock timed out the request's yield; undefined while it did not. */
  expiredAt(request: SignRequest): number | undefined;
  /** Waits until every request is answered or expired and no service holds any request any more. */
  settle(requests: readonly SignRequest[], timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startSigningCluster(options: SigningClusterOptions): Promise<SigningCluster> {
  const takeoverMs = options.takeoverMs ?? DEFAULT_TAKEOVER_MS;
  const blockMs = options.blockMs ?? DEFAULT_BLOCK_MS;
  let random = seededRandom(0);
  const contract = new InProcessSignerContract('signer.test');
  const accountOf = (id: ParticipantId) => `node${id}.test`;
  contract.init({ parameters: thresholdParameters(options.participants.map((id) => [accountOf(id), id] as const), options.threshold) });
  for (const id of options.participants) contract.register(accountOf(id), participantInfo(accountOf(id)).tls_public_key);
  const faults = new ChainFaults(random);
  const cluster = await startTestCluster({
    nodes: options.nodes,
    threshold: options.threshold,
    protocolTimeoutMs: options.protocolTimeoutMs ?? 3_000,
    pingIntervalMs: 200,
    contractFor: (account) => new MpcSignerClient(faults.wrap(contract.chainFor(account))),
  });
  for (const node of cluster.nodes) {
    const serving = node.context.serving()!;
    node.setServing({ ...serving, participants: ascending([...options.participants]) });
  }
  addClusterKeys(contract, cluster, options.participants.map(accountOf), options.threshold);

  const signs = new Map<string, { readonly dataId: string; readonly height: bigint; expiredAt?: number }>();
  const clock = setInterval(() => {
    contract.testbed.advanceBlocks(1);
    for (const sign of signs.values()) {
      if (sign.expiredAt !== undefined || contract.testbed.blockHeight <= sign.height + BigInt(options.yieldBlocks)) continue;
      if (!contract.testbed.parkedYieldIds().includes(sign.dataId)) continue;
      contract.testbed.timeOutYield(sign.dataId);
      sign.expiredAt = Date.now();
    }
  }, blockMs);

  const presignatureSets = new Map<ParticipantId, ParticipantId[][]>();
  for (const owner of options.services) {
    const sets = options.participants.filter((id) => id !== owner).map((other) => ascending([owner, other]));
    presignatureSets.set(owner, sets);
    for (const set of sets) await storePresignatures(cluster, owner, set, options.presignaturesPerPair ?? 0);
  }
  const takenPresignatures: string[] = [];
  const services = new Map<ParticipantId, SignatureService>();
  const messages = new Map<ParticipantId, RequestMessages>();
  for (const id of options.services) {
    const { context } = cluster.nodes[id]!;
    const queue = options.messagesFor?.(id) ?? new RecordedMessages();
    messages.set(id, queue);
    services.set(
      id,
      new SignatureService({
        context,
        messages: queue,
        presignatures: {
          takePresignature: async (scheme, domainId, usable) => {
            if (scheme !== 'eddsa' || domainId !== EDDSA_DOMAIN) return undefined;
            const sets = [...presignatureSets.get(id)!].sort(() => random() - 0.5);
            for (const set of sets.filter((candidate) => usable(candidate))) {
              const taken = await context.stores.presignatures.takeAny(presignaturePartition('eddsa', { domainId, epochId: 0 }, id, set));
              if (taken === undefined) continue;
              takenPresignatures.push(taken.id);
              return taken;
            }
            return undefined;
          },
        },
        takeoverMs,
        maxConcurrent: 8,
        yieldTimeoutBlocks: options.yieldBlocks,
        followerRequestWaitMs: 2_000,
      }),
    );
  }

  const sameRequest = (request: SignRequest) => {
    const expected = JSON.stringify(contractRequestOf(request));
    return (record: ChainOperationRecord) => JSON.stringify(record.args?.request) === expected;
  };
  const landedResponds = (request: SignRequest) =>
    faults.records.filter((record) => record.kind === 'call' && record.method === SIGNER_METHODS.respond && record.tookEffect && sameRequest(request)(record));

  return {
    cluster,
    contract,
    faults,
    services,
    messages,
    takenPresignatures,
    reseed: (next) => {
      random = next;
      faults.reseed(next);
    },
    submit: (label) => {
      const path = `${label}-${randomUUID().slice(0, 8)}`;
      const payload = bytesToHex(utf8ToBytes(`a transaction for ${path}`));
      const outcome = contract.testbed.call(SIGNER_METHODS.sign, { request: { path, payload_v2: { Eddsa: payload }, domain_id: EDDSA_DOMAIN } }, { predecessor: USER, deposit: SIGN_DEPOSIT, gas: PARTICIPANT_CALL_GAS });
      if (outcome.status !== 'success') throw new Error(`sign refused: ${outcome.error}`);
      const parked = outcome.promises.find((promise) => promise.kind === 'yield');
      if (parked?.kind !== 'yield') throw new Error('sign parked no yield');
      const idBytes = Uint8Array.from({ length: 32 }, () => Math.floor(random() * 256));
      const hash = baseEncode(Uint8Array.from({ length: 32 }, () => Math.floor(random() * 256)));
      const request: SignRequest = {
        version: 1,
        contractId: contract.contractId,
        requestId: baseEncode(idBytes),
        signReceiptId: hash,
        blockHash: hash,
        predecessorId: USER,
        signerId: USER,
        argsForm: 'v2',
        path,
        domainId: EDDSA_DOMAIN,
        payload: { scheme: 'Eddsa', hex: payload },
        tweak: bytesToHex(deriveTweak(USER, path)),
        entropy: bytesToHex(Uint8Array.from({ length: 32 }, () => Math.floor(random() * 256))),
        block: { height: Number(contract.testbed.blockHeight), hash, timestampNanosec: String(BigInt(Date.now()) * 1_000_000n) },
      };
      signs.set(request.requestId, { dataId: parked.dataId, height: contract.testbed.blockHeight });
      return request;
    },
    deliver: (request, to = options.services, receiptHandle = `${request.requestId}-first`) => {
      for (const id of to) services.get(id)!.accept({ request, receiptHandle });
    },
    landedResponds,
    expiredAt: (request) => signs.get(request.requestId)?.expiredAt,
    settle: async (requests, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      const over = () =>
        requests.every((request) => landedResponds(request).length > 0 || signs.get(request.requestId)?.expiredAt !== undefined) &&
        [...services.values()].every((service) => service.pendingCount === 0);
      while (!over()) {
        if (Date.now() > deadline) {
          const open = requests.filter((request) => landedResponds(request).length === 0 && signs.get(request.requestId)?.expiredAt === undefined).length;
          const held = [...services].map(([id, service]) => `node ${id}: ${service.pendingCount}`).join(', ');
          throw new Error(`not settled within ${timeoutMs} ms: ${open} of ${requests.length} requests neither answered nor expired; pending ${held}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    stop: async () => {
      clearInterval(clock);
      await Promise.all([...services.values()].map((service) => service.stop(0)));
      await cluster.stop();
    },
  };
}

/** Brings the contract to Running with the cluster's DKG keys as its domain keys, voted by `accounts`. */
function addClusterKeys(contract: InProcessSignerContract, cluster: TestCluster, accounts: readonly string[], threshold: number): void {
  const domains = TEST_DOMAINS.map((domain) => domainConfig(domain.id, domain.scheme, threshold));
  for (const account of accounts) contract.call(account, SIGNER_METHODS.voteAddDomains, { domains });
  const keys = cluster.nodes[0]!.context.serving()!.keys;
  for (const domain of TEST_DOMAINS) {
    const { share } = keys.get(domain.id)!;
    const keyEventId = { epoch_id: 0, domain_id: domain.id, attempt_id: 0 };
    contract.call(accounts[0]!, SIGNER_METHODS.startKeygenInstance, { key_event_id: keyEventId });
    for (const account of accounts) contract.call(account, SIGNER_METHODS.votePk, { key_event_id: keyEventId, public_key: nearFormOfPublicKey(share.curve, share.publicKey) });
  }
}

/** `count` EdDSA presignatures owned by `owner` for `set`, made in process and stored at every member. */
async function storePresignatures(cluster: TestCluster, owner: ParticipantId, set: readonly ParticipantId[], count: number): Promise<void> {
  const partition = presignaturePartition('eddsa', { domainId: EDDSA_DOMAIN, epochId: 0 }, owner, set);
  for (let i = 0; i < count; i += 1) {
    const shareOf = (id: ParticipantId) => cluster.nodes[id]!.context.serving()!.keys.get(EDDSA_DOMAIN)!.share;
    const { outputs } = runProtocols(new Map(set.map((id) => [id, new EddsaPresignProtocol({ keyShare: shareOf(id), participants: set })])));
    const id = `o${owner}-${set.join('.')}-${i}`;
    await Promise.all(set.map((member) => cluster.nodes[member]!.context.stores.presignatures.put({ partition, id, participants: set, payload: encodeEddsaPresignature(outputs.get(member)!) })));
  }
}
