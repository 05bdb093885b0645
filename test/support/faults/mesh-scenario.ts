/**
 * Mesh fault scenarios: an in-process cluster (test/support/node-cluster.ts) whose every direction goes
 * through a {@link MeshFaultProxy}, and the run the scenarios drive over it — the real FROST (EdDSA)
 * signature, two rounds, each signer's part run by its own node's router — with the outcome checked:
 * a signature that verifies under the derived key, or a failure of a type a fault may cause.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { randomBytes } from 'node:crypto';
import { EddsaSignProtocol, type EddsaSignOutput } from '../../../shared/crypto/eddsa/index.js';
import { derivedPublicKeyOf } from '../../../shared/crypto/eddsa/test-fixtures.js';
import { deriveTweak } from '../../../shared/crypto/kdf.js';
import type { ParticipantId } from '../../../shared/crypto/protocol.js';
import { MeshSendError } from '../../../services/mpc-node/mesh/transport.js';
import { ParticipantRemoved, ParticipantUnreachable } from '../../../services/mpc-node/peer-network.js';
import { ProtocolTimeout } from '../../../services/mpc-node/protocol-router.js';
import { startTestCluster, type TestCluster } from '../node-cluster.js';
import { MeshFaultProxy } from './mesh-proxy.js';

const EDDSA_DOMAIN = 1;
const PAYLOAD = utf8ToBytes('a transaction signed under mesh faults');
const TWEAK = deriveTweak('alice.test', 'mesh-faults');
/** Retries in the scenarios: short, as the options allow, and still more than one. */
export const SCENARIO_RETRY_DELAYS_MS: readonly number[] = [20, 40, 80];

/** Failures a mesh fault may cause a run; anything else (or a signature that does not verify) is a bug. */
export const ALLOWED_RUN_ERRORS = [ProtocolTimeout, ParticipantUnreachable, ParticipantRemoved, MeshSendError] as const;

export function isAllowedRunError(error: unknown): boolean {
  return ALLOWED_RUN_ERRORS.some((type) => error instanceof type);
}

export interface ProxiedCluster {
  readonly cluster: TestCluster;
  readonly proxy: MeshFaultProxy;
  stop(): Promise<void>;
}

export async function startProxiedCluster(options: { nodes: number; threshold: number; pingIntervalMs?: number; requestTimeoutMs?: number }): Promise<ProxiedCluster> {
  const proxy = new MeshFaultProxy();
  const cluster = await startTestCluster({
    nodes: options.nodes,
    threshold: options.threshold,
    pingIntervalMs: options.pingIntervalMs ?? 200,
    requestTimeoutMs: options.requestTimeoutMs ?? 1_000,
    retryDelaysMs: SCENARIO_RETRY_DELAYS_MS,
    peerUrlFor: (from, to, url) => proxy.route(from, to, url),
  });
  return {
    cluster,
    proxy,
    stop: async () => {
      await cluster.stop();
      await proxy.stop();
    },
  };
}

/**
 * A proxied cluster for a test file's scenarios: started before them, healed (no rules) after each one,
 * stopped after all. Returns its accessor.
 */
export function proxiedClusterPerFile(options: { nodes: number; threshold: number }): () => ProxiedCluster {
  let network: ProxiedCluster | undefined;
  beforeAll(async () => {
    network = await startProxiedCluster(options);
  });
  afterEach(() => network?.proxy.setRules([]));
  afterAll(() => network?.stop());
  return () => {
    if (network === undefined) throw new Error('the proxied cluster has not started');
    return network;
  };
}

/** One signer's part of a run: its output, or why it failed. */
export type RunPart = { readonly ok: true; readonly output: EddsaSignOutput } | { readonly ok: false; readonly error: unknown };

/**
 * One EdDSA signature among `signers` (the first coordinates), each part started at its node at once;
 * resolves when every part has ended (each within `timeoutMs`). A coordinator's signature is checked
 * against the derived key here: a fault may make a run fail, never sign wrongly.
 */
export async function signAmong(cluster: TestCluster, signers: readonly ParticipantId[], timeoutMs: number): Promise<Map<ParticipantId, RunPart>> {
  const instance = new Uint8Array(randomBytes(32));
  const coordinator = signers[0]!;
  const parts = await Promise.all(
    signers.map(async (me): Promise<[ParticipantId, RunPart]> => {
      const { context } = cluster.nodes[me]!;
      const protocol = new EddsaSignProtocol({ keyShare: context.serving()!.keys.get(EDDSA_DOMAIN)!.share, signers: [...signers].sort((a, b) => a - b), coordinator, payload: PAYLOAD, tweak: TWEAK });
      try {
        return [me, { ok: true, output: await context.network.router.run(instance, protocol, signers, timeoutMs) }];
      } catch (error) {
        return [me, { ok: false, error }];
      }
    }),
  );
  const byParticipant = new Map(parts);
  const led = byParticipant.get(coordinator)!;
  if (led.ok) {
    if (led.output.role !== 'coordinator') throw new Error(`the coordinator's part returned a ${led.output.role}'s output`);
    const derived = derivedPublicKeyOf(cluster.nodes[coordinator]!.context.serving()!.keys.get(EDDSA_DOMAIN)!.share, TWEAK);
    if (!ed25519.verify(led.output.signature, PAYLOAD, derived)) throw new Error('the run returned a signature that does not verify under the derived key');
  }
  return byParticipant;
}

/** Whether the run made its signature (every part finished). */
export function succeeded(parts: ReadonlyMap<ParticipantId, RunPart>): boolean {
  return [...parts.values()].every((part) => part.ok);
}

/** The failures of a run's parts. */
export function failures(parts: ReadonlyMap<ParticipantId, RunPart>): unknown[] {
  return [...parts.values()].flatMap((part) => (part.ok ? [] : [part.error]));
}

/**
 * Runs signatures among `signers` until one succeeds (failures must be allowed ones); returns the ms from
 * `since` to the first success. Bounded by `withinMs`.
 */
export async function msUntilSigned(cluster: TestCluster, signers: readonly ParticipantId[], since: number, timeoutMs: number, withinMs: number): Promise<number> {
  for (;;) {
    const parts = await signAmong(cluster, signers, timeoutMs);
    if (succeeded(parts)) return Date.now() - since;
    const unexpected = failures(parts).filter((error) => !isAllowedRunError(error));
    if (unexpected.length > 0) throw unexpected[0];
    if (Date.now() - since > withinMs) throw new Error(`no signature among ${signers.join(', ')} within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The value of one rendered series (`name{labels}`), 0 if it was never set. */
export function metricValue(rendered: string, series: string): number {
  const line = rendered.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
