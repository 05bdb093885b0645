// Signing with hostile peers on the mesh: four nodes (threshold 2) on the REAL signer contract (in
// process). Nodes 0 and 1 run a SignatureService; node 2 is a malicious participant that never signs
// (it refuses every run) and, when told to, claims to lead every request, renewing its claim for ever;
// node 3 was removed from the participants but still holds a mesh connection and sends lead notices.
// Every request is still answered, once, within its yield window.
import { baseDecode } from '@near-js/utils';
import type { ParticipantId } from '../../../shared/crypto/protocol.js';
import type { SignRequest } from '../../../shared/near/sign-request.js';
import { leaderOrder } from '../../../services/mpc-node/leader.js';
import { withFaultSeed } from '../../support/faults/seed.js';
import { DEFAULT_BLOCK_MS, startSigningCluster, type SigningCluster } from '../../support/faults/signing-cluster.js';

const HONEST = [0, 1];
const MALICIOUS = 2;
const REMOVED = 3;
/** Steps long enough for a loaded machine, where a notice can take longer than a short lease to arrive. */
const TAKEOVER_MS = 600;
/** 600 blocks of 50 ms: a 30 s yield window, well beyond what one peer's claims may hold (the 5 s protocol timeout plus 3 leases of 9 steps: 10.4 s). */
const YIELD_BLOCKS = 600;
const PROTOCOL_TIMEOUT_MS = 5_000;
const YIELD_WINDOW_MS = YIELD_BLOCKS * DEFAULT_BLOCK_MS;

describe('signing with hostile peers', () => {
  let network: SigningCluster;
  const log: string[] = [];

  beforeAll(async () => {
    network = await startSigningCluster({
      nodes: 4,
      threshold: 2,
      participants: [...HONEST, MALICIOUS],
      services: HONEST,
      yieldBlocks: YIELD_BLOCKS,
      takeoverMs: TAKEOVER_MS,
      protocolTimeoutMs: PROTOCOL_TIMEOUT_MS,
    });
    // The malicious participant never signs: it refuses every run it is asked into.
    network.cluster.nodes[MALICIOUS]!.context.network.control.on('sign', async () => {
      throw new Error('this participant does not sign');
    });
  });
  afterAll(async () => {
    await network?.stop();
    if (log.length > 0) process.stdout.write(`${log.join('\n')}\n`);
  });

  const metric = (id: ParticipantId, pattern: RegExp) => Number(pattern.exec(network.cluster.nodes[id]!.context.metrics.render())?.[1] ?? 0);

  /** `from` announces `leading started` for every request, every `everyMs`, until the returned function is called. */
  function claimForever(from: ParticipantId, requests: readonly SignRequest[], everyMs: number): () => void {
    const { control } = network.cluster.nodes[from]!.context.network;
    const announce = () => {
      for (const request of requests) control.sendTo(HONEST, { type: 'leading', requestId: request.requestId, phase: 'started' }).catch(() => undefined);
    };
    announce();
    const timer = setInterval(announce, everyMs);
    return () => clearInterval(timer);
  }

  async function answerAll(label: string, hostile: ParticipantId, random: () => number): Promise<number[]> {
    // Requests the malicious participant comes first for: it would lead them, and every honest leader
    // asks it first to co-sign in two rounds.
    const requests: SignRequest[] = [];
    while (requests.length < 4) {
      const request = network.submit(label);
      if (leaderOrder([...HONEST, MALICIOUS], baseDecode(request.requestId))[0] === MALICIOUS) requests.push(request);
    }
    // The hostile peer sees the requests on chain before the honest nodes' queues deliver them.
    const stop = claimForever(hostile, requests, Math.round(TAKEOVER_MS * (0.2 + random() * 0.3)));
    const submittedAt = Date.now();
    try {
      for (const request of requests) network.deliver(request);
      await network.settle(requests, YIELD_WINDOW_MS + 2_000);
    } finally {
      stop();
    }
    for (const request of requests) expect(network.landedResponds(request)).toHaveLength(1);
    expect(new Set(network.takenPresignatures).size).toBe(network.takenPresignatures.length);
    return requests.map((request) => network.landedResponds(request)[0]!.at - submittedAt);
  }

  it('answers every request although a participant claims them all, renews for ever and never signs', () =>
    withFaultSeed('malicious lead notices', async (random) => {
      network.reseed(random);
      const latencies = await answerAll('malicious', MALICIOUS, random);
      for (const id of HONEST) expect(metric(id, /sign_lead_notices_ignored_total\{reason="held-too-long"\} (\d+)/)).toBeGreaterThan(0);
      log.push(`malicious participant claiming every request: answered ${latencies.join(', ')} ms after the request (its claims hold the protocol timeout plus 3 leases = ${PROTOCOL_TIMEOUT_MS + 9 * TAKEOVER_MS} ms)`);
    }));

  it('ignores and counts the lead notices of a removed participant', () =>
    withFaultSeed('removed participant lead notices', async (random) => {
      network.reseed(random);
      const latencies = await answerAll('removed', REMOVED, random);
      for (const id of HONEST) expect(metric(id, /sign_lead_notices_ignored_total\{reason="not-participant"\} (\d+)/)).toBeGreaterThan(0);
      log.push(`removed participant claiming every request: answered ${latencies.join(', ')} ms after the request`);
    }));
});
