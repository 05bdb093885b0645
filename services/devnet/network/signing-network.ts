/**
 * The whole local signing network: {@link startLocalNetwork} plus N MPC node processes, brought to the
 * point where it answers requests — the participants vote to add domain 0 (secp256k1 ECDSA) and
 * domain 1 (Ed25519), the nodes generate both keys by DKG through the contract, and their stockpiles
 * fill. Used by `npm start`, the end-to-end tests and the end-to-end benchmark.
 */
import { Account } from '@near-js/accounts';
import { KeyPair } from '@near-js/crypto';
import { JsonRpcProvider } from '@near-js/providers';
import { KeyPairSigner } from '@near-js/signers';
import { actionCreators } from '@near-js/transactions';
import { join } from 'node:path';
import { SIGNER_METHODS, type DomainConfig, type GovernanceThresholdParameters, type ProtocolContractState } from '../../../shared/near/signer-abi.js';
import { SignClient } from '../demo/sign-client.js';
import { startLocalNetwork, type LocalNetwork, type LocalParticipant, type StartLocalNetworkOptions } from './local-network.js';
import { startNodeProcesses, type NodeProcesses } from './node-processes.js';

/**
 * The domains the network signs for: 0, secp256k1 ECDSA (CaitSith), and 1, Ed25519 EdDSA (FROST), each
 * with the network's threshold as its reconstruction threshold (the nodes sign with one threshold per
 * epoch: docs/decisions/0009-unserved-domains.md).
 */
export function demoDomains(threshold: number): DomainConfig[] {
  return [
    { id: 0, protocol: 'CaitSith', reconstruction_threshold: threshold, purpose: 'Sign' },
    { id: 1, protocol: 'Frost', reconstruction_threshold: threshold, purpose: 'Sign' },
  ];
}
const DEMO_DOMAIN_IDS = [0, 1];
/** How often `admit` looks whether the newcomers' nodes have registered, and for how long. */
const REGISTRATION_POLL_MS = 250;

const TERA_GAS = 10n ** 12n;
/** NEAR's `max_actions_per_receipt`. */
const MAX_ACTIONS_PER_TRANSACTION = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface SigningNetworkOptions extends StartLocalNetworkOptions {
  /** Keeps the node and lake indexer logs here (`node<i>.log`, `indexer<i>.log`). */
  readonly logDirectory: string;
  /** Extra environment for every node, e.g. `PRESIGNATURE_TARGET`. */
  readonly nodeOverrides?: Record<string, string>;
  /** Bound on key generation for both domains. Default 5 minutes. */
  readonly keygenTimeoutMs?: number;
  /** Access keys added to the demo user so that many requests can be in flight at once (one nonce sequence each). Default 1. */
  readonly clientLanes?: number;
  readonly onProgress?: (progress: { step: string; detail: string }) => void;
}

/** What the nodes' stockpiles hold, summed over the nodes that answer. */
export interface StockpileLevels {
  readonly ecdsaPresignatures: number;
  readonly eddsaPresignatures: number;
  readonly triples: number;
  /** Generation runs started and not finished, as owner. */
  readonly runsUnderWay: number;
}

/** The nodes' stockpile settings (`PRESIGNATURE_TARGET`, `TRIPLE_TARGET`, `TRIPLE_BATCH_SIZE`) and how many nodes there are. */
export interface StockpileTargets {
  readonly nodes: number;
  readonly presignaturesPerNode: number;
  readonly triplesPerNode: number;
  readonly tripleBatchSize: number;
}

/**
 * Warm and quiet: every presignature target met, triples within one batch of theirs (they are kept in
 * whole batches), and no generation run under way that would compete with requests for the cores.
 */
export function stockpileWarm(levels: StockpileLevels, targets: StockpileTargets): boolean {
  const presignatures = targets.presignaturesPerNode * targets.nodes;
  return (
    levels.ecdsaPresignatures >= presignatures &&
    levels.eddsaPresignatures >= presignatures &&
    levels.triples >= targets.nodes * (targets.triplesPerNode - targets.tripleBatchSize) &&
    levels.runsUnderWay === 0
  );
}

/** One progress line for the levels. */
export function describeStockpile(levels: StockpileLevels, targets: StockpileTargets): string {
  const presignatures = targets.presignaturesPerNode * targets.nodes;
  return (
    `ECDSA presignatures ${levels.ecdsaPresignatures}/${presignatures}, EdDSA nonce commitments ${levels.eddsaPresignatures}/${presignatures}, ` +
    `triples ${levels.triples}/${targets.triplesPerNode * targets.nodes}, runs under way ${levels.runsUnderWay}`
  );
}

export interface SigningNetwork {
  readonly network: LocalNetwork;
  /** One process per operator: the participants', then the joining operators' (waiting to be voted in). */
  readonly nodes: NodeProcesses;
  /** One client per lane, all signing as the demo user with their own access key. */
  readonly clients: readonly SignClient[];
  /** Scrapes node `index`'s /metrics; null when it does not answer. */
  nodeMetrics(index: number): Promise<string | null>;
  /** The summed value of a gauge/counter over every node that answers (labels must all match `labels`). */
  sumMetric(name: string, labels?: Record<string, string>): Promise<number>;
  /** The stockpiles' levels now, from every node's /metrics. */
  stockpileLevels(): Promise<StockpileLevels>;
  /**
   * Votes `newcomers` (joining operators; any already in are left out) into the participant set with
   * `threshold`, as every current participant and every newcomer would, and waits until the nodes have reshared every key to the new
   * set and the contract runs the new epoch. Resolves with the parameters and the epoch now running.
   */
  admit(newcomers: readonly LocalParticipant[], threshold: number, timeoutMs?: number): Promise<{ readonly parameters: GovernanceThresholdParameters; readonly epochId: number }>;
  stop(): Promise<void>;
}

function signerState(provider: JsonRpcProvider, contractId: string): Promise<ProtocolContractState> {
  return provider.callFunction(contractId, SIGNER_METHODS.state, {}) as Promise<ProtocolContractState>;
}

function runningEpoch(state: ProtocolContractState): number | null {
  return state !== 'NotInitialized' && 'Running' in state ? state.Running.keyset.epoch_id : null;
}

function keyedDomains(state: ProtocolContractState): number[] {
  if (state === 'NotInitialized') return [];
  if ('Running' in state) return state.Running.keyset.domains.map((key) => key.domain_id);
  if ('Initializing' in state) return state.Initializing.generated_keys.map((key) => key.domain_id);
  return state.Resharing.previous_running_state.keyset.domains.map((key) => key.domain_id);
}

/** The protocol state's name, or what the key generation in progress is doing. */
function phaseLine(state: ProtocolContractState): string {
  if (state === 'NotInitialized') return state;
  if ('Initializing' in state) return `generating the key of domain ${state.Initializing.generating_key.domain.id} by DKG`;
  return Object.keys(state)[0]!;
}

/** Sums the samples of `name` in Prometheus text whose labels include `labels`. */
export function sumSamples(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) total += Number(match[3]);
  }
  return total;
}

export async function startSigningNetwork(options: SigningNetworkOptions): Promise<SigningNetwork> {
  const progress = (step: string, detail: string) => options.onProgress?.({ step, detail });
  const network = await startLocalNetwork({ ...options, onProgress: ({ step, detail }) => progress(step, detail) });
  let nodes: NodeProcesses | undefined;
  const stop = async () => {
    progress('stop', 'stopping the MPC nodes');
    await nodes?.stopAll();
    await network.stop();
  };
  try {
    const provider = new JsonRpcProvider({ url: network.rpcUrl });
    const accountOf = (accountId: string, keyPair: KeyPair) => new Account(accountId, provider, new KeyPairSigner(keyPair));
    /** Each voter calls `methodName` of the signer with `args`, one after the other. */
    const vote = async (voters: readonly LocalParticipant[], methodName: string, args: Record<string, unknown>): Promise<void> => {
      for (const voter of voters) {
        await accountOf(voter.accountId, voter.keyPair).callFunction({ contractId: network.contracts.mpcSigner, methodName, args, gas: 100n * TERA_GAS });
      }
    };
    const operators = [...network.participants, ...network.joining];
    const joiningNote = network.joining.length === 0 ? '' : `, ${network.joining.length} of them waiting to be voted in`;
    progress('nodes', `starting ${operators.length} MPC node processes${joiningNote} (logs in ${options.logDirectory})`);
    nodes = startNodeProcesses({
      count: operators.length,
      environment: (index) => network.nodeEnvironment(index),
      logDirectory: options.logDirectory,
      ...(options.nodeOverrides !== undefined ? { overrides: options.nodeOverrides } : {}),
      onUnexpectedExit: (index, code, logFile) => progress('nodes', `node ${index} exited unexpectedly (code ${code}); see ${logFile}`),
    });

    const state = await signerState(provider, network.contracts.mpcSigner);
    const missing = DEMO_DOMAIN_IDS.filter((id) => !keyedDomains(state).includes(id));
    if (missing.length > 0 && state !== 'NotInitialized' && 'Running' in state && state.Running.domains.domains.length === 0) {
      progress('domains', `participants vote to add domain 0 (secp256k1, CaitSith) and domain 1 (ed25519, FROST), reconstruction threshold ${network.threshold}`);
      await vote(network.participants, SIGNER_METHODS.voteAddDomains, { domains: demoDomains(network.threshold) });
    }
    /**
     * Polls the signer until `done`, reporting each new state line as `step` progress; throws after
     * `timeoutMs` naming `what` did not finish. Resolves with the seconds it took.
     */
    const waitForSigner = async (step: string, what: string, timeoutMs: number, done: (state: ProtocolContractState) => boolean, describe: (state: ProtocolContractState) => string): Promise<number> => {
      const started = Date.now();
      for (let reported = ''; ; ) {
        const state = await signerState(provider, network.contracts.mpcSigner);
        if (done(state)) return (Date.now() - started) / 1000;
        const line = describe(state);
        if (line !== reported) progress(step, line);
        reported = line;
        if (Date.now() - started > timeoutMs) throw new Error(`${what} did not finish within ${Math.round(timeoutMs / 1000)} s (${line}); node logs: ${options.logDirectory}`);
        await sleep(250);
      }
    };

    const keygenSeconds = await waitForSigner(
      'keygen',
      'key generation',
      options.keygenTimeoutMs ?? 5 * 60_000,
      (state) => runningEpoch(state) !== null && DEMO_DOMAIN_IDS.every((id) => keyedDomains(state).includes(id)),
      (state) => `${phaseLine(state)}; keys so far: [${keyedDomains(state).join(', ')}]`,
    );
    progress('keygen', `both keys generated in ${keygenSeconds.toFixed(1)} s`);

    const lanes = Math.max(1, options.clientLanes ?? 1);
    const laneKeys = Array.from({ length: lanes - 1 }, () => KeyPair.fromRandom('ed25519'));
    // Lane keys go to the demo user (full access: they call sign with a deposit), a transaction's worth at a time.
    for (let first = 0; first < laneKeys.length; first += MAX_ACTIONS_PER_TRANSACTION) {
      await accountOf(network.demoUser.accountId, network.demoUser.keyPair).signAndSendTransaction({
        receiverId: network.demoUser.accountId,
        actions: laneKeys.slice(first, first + MAX_ACTIONS_PER_TRANSACTION).map((key) => actionCreators.addKey(key.getPublicKey(), actionCreators.fullAccessKey())),
      });
    }
    const clients = [network.demoUser.keyPair, ...laneKeys].map(
      (keyPair) => new SignClient({ rpcUrl: network.rpcUrl, signerContractId: network.contracts.mpcSigner, accountId: network.demoUser.accountId, keyPair }),
    );

    const nodeMetrics = async (index: number): Promise<string | null> => {
      const port = operators[index]?.httpPort;
      try {
        // Generous: a node of a loaded 2-core machine may take seconds to answer, and a stopped one refuses at once.
        const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
        return response.ok ? await response.text() : null;
      } catch {
        return null;
      }
    };
    /** The /metrics of every node that answers. */
    const answeringMetrics = async () => (await Promise.all(operators.map((_, index) => nodeMetrics(index)))).filter((text) => text !== null);
    const sumOver = (texts: readonly string[], name: string, labels: Record<string, string> = {}) => texts.reduce((total, text) => total + sumSamples(text, name, labels), 0);
    const sumMetric = async (name: string, labels: Record<string, string> = {}) => sumOver(await answeringMetrics(), name, labels);
    const stockpileLevels = async (): Promise<StockpileLevels> => {
      const texts = await answeringMetrics();
      const sum = (name: string, labels: Record<string, string>) => sumOver(texts, name, labels);
      const owner = { role: 'owner' };
      return {
        ecdsaPresignatures: sum('stockpile_owned_assets', { kind: 'ecdsa' }),
        eddsaPresignatures: sum('stockpile_owned_assets', { kind: 'eddsa' }),
        triples: sum('stockpile_owned_assets', { kind: 'triples' }),
        runsUnderWay: sum('stockpile_runs_started_total', owner) - sum('stockpile_runs_succeeded_total', owner) - sum('stockpile_runs_failed_total', owner),
      };
    };
    /** Waits until every newcomer's node has registered (the contract refuses to propose a participant without a registration). */
    const waitForRegistrations = async (newcomers: readonly LocalParticipant[], timeoutMs: number): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const unregistered: string[] = [];
        for (const newcomer of newcomers) {
          const attestation = await provider.callFunction(network.contracts.mpcSigner, SIGNER_METHODS.getAttestation, { tls_public_key: newcomer.info.tls_public_key });
          if (attestation === null) unregistered.push(newcomer.accountId);
        }
        if (unregistered.length === 0) return;
        if (Date.now() > deadline) throw new Error(`the nodes of ${unregistered.join(', ')} did not register with the signer within ${Math.round(timeoutMs / 1000)} s; node logs: ${options.logDirectory}`);
        await sleep(REGISTRATION_POLL_MS);
      }
    };
    const admit = async (candidates: readonly LocalParticipant[], threshold: number, timeoutMs = 5 * 60_000): Promise<{ parameters: GovernanceThresholdParameters; epochId: number }> => {
      const before = await signerState(provider, network.contracts.mpcSigner);
      if (before === 'NotInitialized' || !('Running' in before)) throw new Error(`the signer must be Running to admit participants, it is ${phaseLine(before)}`);
      const current = before.Running.parameters;
      // A resumed network may have voted some of them in already.
      const newcomers = candidates.filter((newcomer) => !current.participants.participants.some(([accountId]) => accountId === newcomer.accountId));
      if (newcomers.length === 0) return { parameters: current, epochId: before.Running.keyset.epoch_id };
      const parameters: GovernanceThresholdParameters = {
        participants: {
          next_id: Math.max(current.participants.next_id, ...newcomers.map((newcomer) => newcomer.index + 1)),
          participants: [...current.participants.participants, ...newcomers.map((newcomer) => [newcomer.accountId, newcomer.index, newcomer.info] as const)],
        },
        threshold,
      };
      // Every domain moves to the new threshold with the set, so the nodes keep signing every domain with one threshold.
      const perDomainThresholds = Object.fromEntries(before.Running.domains.domains.map((domain) => [domain.id, threshold]));
      const proposal = { parameters, per_domain_thresholds: perDomainThresholds };
      const epoch = (before.Running.previously_cancelled_resharing_epoch_id ?? before.Running.keyset.epoch_id) + 1;
      progress('reshare', `waiting for the registrations of ${newcomers.map((newcomer) => newcomer.accountId).join(', ')}`);
      await waitForRegistrations(newcomers, timeoutMs);
      // Current participants first: a newcomer may only vote once `threshold` of them did.
      const voters = [...current.participants.participants.map(([accountId]) => operators.find((operator) => operator.accountId === accountId)!), ...newcomers];
      progress('reshare', `${voters.length} operators vote ${newcomers.map((newcomer) => newcomer.accountId).join(', ')} in (threshold ${threshold}, epoch ${epoch})`);
      await vote(voters, SIGNER_METHODS.voteNewParameters, { prospective_epoch_id: epoch, proposal });
      const reshareSeconds = await waitForSigner(
        'reshare',
        `resharing to epoch ${epoch}`,
        timeoutMs,
        (state) => runningEpoch(state) === epoch,
        (state) =>
          state !== 'NotInitialized' && 'Resharing' in state
            ? `resharing the key of domain ${state.Resharing.resharing_key.domain.id}; reshared so far: [${state.Resharing.reshared_keys.map((key) => key.domain_id).join(', ')}]`
            : phaseLine(state),
      );
      progress('reshare', `epoch ${epoch} running with ${parameters.participants.participants.length} participants, threshold ${threshold}, after ${reshareSeconds.toFixed(1)} s`);
      return { parameters, epochId: epoch };
    };
    return { network, nodes, clients, nodeMetrics, sumMetric, stockpileLevels, admit, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

export function defaultLogDirectory(dataDir: string): string {
  return join(dataDir, 'logs');
}
