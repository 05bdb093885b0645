// Signing under chain faults: three nodes (threshold 2), each with a SignatureService, answer EdDSA
// requests on the REAL signer contract (in process) while their chain client refuses, delays or gets no
// answer (test/support/faults/chain-faults.ts). Every request is answered by exactly one landed `respond`
// within its yield window, or expires with every node letting its message go; no presignature is used twice.
import { baseDecode } from '@near-js/utils';
import { SIGNER_METHODS } from '../../../shared/near/signer-abi.js';
import type { SignRequest } from '../../../shared/near/sign-request.js';
import { leaderOrder } from '../../../services/mpc-node/leader.js';
import { RESPOND_REFUSALS } from '../../support/faults/chain-faults.js';
import { withFaultSeed } from '../../support/faults/seed.js';
import { DEFAULT_BLOCK_MS, DEFAULT_TAKEOVER_MS, RecordedMessages, startSigningCluster, type SigningCluster } from '../../support/faults/signing-cluster.js';

const PARTICIPANTS = [0, 1, 2];
/** 100 blocks of 50 ms: a 5 s yield window. */
const YIELD_BLOCKS = 100;
const YIELD_WINDOW_MS = YIELD_BLOCKS * DEFAULT_BLOCK_MS;

describe('signing under chain faults', () => {
  let network: SigningCluster;
  const log: string[] = [];

  beforeAll(async () => {
    network = await startSigningCluster({
      nodes: 3,
      threshold: 2,
      participants: PARTICIPANTS,
      services: PARTICIPANTS,
      yieldBlocks: YIELD_BLOCKS,
      presignaturesPerPair: 4,
    });
  });
  afterEach(() => network.faults.clear());
  afterAll(async () => {
    await network?.stop();
    // Times to recover, for docs/faults.md.
    if (log.length > 0) process.stdout.write(`${log.join('\n')}\n`);
  });

  const firstLeader = (request: SignRequest) => leaderOrder(PARTICIPANTS, baseDecode(request.requestId))[0]!;
  const accountOf = (id: number) => `node${id}.test`;
  const metric = (id: number, pattern: RegExp) => Number(pattern.exec(network.cluster.nodes[id]!.context.metrics.render())?.[1] ?? 0);

  /** Requests of which `leader` comes first in the order, submitted and delivered to every node. */
  function requestsLedBy(leader: number, count: number, label: string): SignRequest[] {
    const requests: SignRequest[] = [];
    while (requests.length < count) {
      const request = network.submit(label);
      // The others expire unanswered-for; they are not delivered.
      if (firstLeader(request) === leader) requests.push(request);
    }
    for (const request of requests) network.deliver(request);
    return requests;
  }

  function expectAnsweredOnce(requests: readonly SignRequest[]): void {
    for (const request of requests) expect(network.landedResponds(request)).toHaveLength(1);
    expect(new Set(network.takenPresignatures).size).toBe(network.takenPresignatures.length);
  }

  it('answers once, through the next leader, when one leader\'s respond is refused', () =>
    withFaultSeed('respond refused', async (random) => {
      network.reseed(random);
      const refusals = Object.values(RESPOND_REFUSALS);
      const refusal = refusals[Math.floor(random() * refusals.length)]!;
      network.faults.add({ accounts: [accountOf(0)], operations: ['call'], methods: [SIGNER_METHODS.respond], fault: { kind: 'refuse', error: refusal } });
      const secondRunsRefused = () => PARTICIPANTS.reduce((sum, id) => sum + metric(id, /sign_second_runs_refused_total (\d+)/), 0);
      const refusedBefore = secondRunsRefused();
      const requests = requestsLedBy(0, 3, 'refused');
      await network.settle(requests, YIELD_WINDOW_MS);
      expectAnsweredOnce(requests);
      // The refused leader's followers (and the refused leader itself) joined the next leader's run at once.
      expect(secondRunsRefused()).toBe(refusedBefore);
      expect(network.takenPresignatures.length).toBeGreaterThan(0);
      for (const request of requests) expect(network.landedResponds(request)[0]!.accountId).not.toBe(accountOf(0));
      expect(metric(0, /sign_respond_failures_total\{reason="(?:contract-refused|rpc-rejected)"\} (\d+)/)).toBeGreaterThanOrEqual(requests.length);
      const refusedAt = network.faults.records.filter((record) => record.accountId === accountOf(0) && record.fault === 'refuse').map((record) => record.at);
      const recovered = requests.map((request, i) => network.landedResponds(request)[0]!.at - refusedAt[i]!);
      log.push(`respond refused (${refusal(SIGNER_METHODS.respond).message}): refusal to answer by the next leader ${recovered.join(', ')} ms`);
    }));

  it('answers once, by the slow leader, when its respond takes longer than a takeover step', () =>
    withFaultSeed('respond slow', async (random) => {
      network.reseed(random);
      const delayMs = Math.round((4 + random()) * DEFAULT_TAKEOVER_MS);
      network.faults.add({ accounts: [accountOf(1)], operations: ['call'], methods: [SIGNER_METHODS.respond], fault: { kind: 'delay', ms: delayMs } });
      const started = Date.now();
      const requests = requestsLedBy(1, 3, 'slow');
      await network.settle(requests, YIELD_WINDOW_MS);
      expectAnsweredOnce(requests);
      // The leader's renewed claim kept the others from taking over: nobody else even sent a respond.
      const responders = network.faults.records.filter((record) => record.method === SIGNER_METHODS.respond && requests.some((request) => network.landedResponds(request).includes(record)));
      expect(new Set(responders.map((record) => record.accountId))).toEqual(new Set([accountOf(1)]));
      const sentBy = (request: SignRequest) => network.faults.records.filter((record) => record.method === SIGNER_METHODS.respond && JSON.stringify(record.args?.request) === JSON.stringify(network.landedResponds(request)[0]!.args?.request));
      for (const request of requests) expect(new Set(sentBy(request).map((record) => record.accountId))).toEqual(new Set([accountOf(1)]));
      log.push(`respond slow (${delayMs} ms > takeover step ${DEFAULT_TAKEOVER_MS} ms): answered by the slow leader after ${Math.max(...requests.map((request) => network.landedResponds(request)[0]!.at)) - started} ms`);
    }));

  it('answers after the RPC comes back within the yield window', () =>
    withFaultSeed('rpc unavailable', async (random) => {
      network.reseed(random);
      const outageMs = Math.round((1_500 + random() * 1_000));
      // Half of the responds that do go out land without an answer; everything else fails before it reaches the chain.
      const ends = [
        network.faults.add({ operations: ['call'], methods: [SIGNER_METHODS.respond], probability: 0.5, fault: { kind: 'unavailable', lands: true } }),
        network.faults.add({ operations: ['call', 'view', 'blockHeight'], fault: { kind: 'unavailable', lands: false } }),
      ];
      const requests = [network.submit('outage'), network.submit('outage'), network.submit('outage')];
      for (const request of requests) network.deliver(request);
      await new Promise((resolve) => setTimeout(resolve, outageMs));
      for (const end of ends) end();
      const recoveredAt = Date.now();
      await network.settle(requests, YIELD_WINDOW_MS);
      expectAnsweredOnce(requests);
      log.push(`RPC unavailable for ${outageMs} ms: answered ${requests.map((request) => network.landedResponds(request)[0]!.at - recoveredAt).join(', ')} ms after it came back`);
    }));

  it('lets requests expire cleanly when the RPC is down for their whole yield window', () =>
    withFaultSeed('rpc unavailable past the yield window', async (random) => {
      network.reseed(random);
      const end = network.faults.add({ operations: ['call', 'view', 'blockHeight'], fault: { kind: 'unavailable', lands: false } });
      const requests = [network.submit('expiry'), network.submit('expiry')];
      for (const request of requests) network.deliver(request);
      const deadline = Date.now() + 2 * YIELD_WINDOW_MS;
      while (requests.some((request) => network.expiredAt(request) === undefined) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      end();
      const recoveredAt = Date.now();
      await network.settle(requests, YIELD_WINDOW_MS);
      for (const request of requests) {
        expect(network.landedResponds(request)).toHaveLength(0);
        expect(network.expiredAt(request)).toBeDefined();
        // Every node let the message go once it saw the request over.
        for (const messages of network.messages.values()) expect((messages as RecordedMessages).completed).toContain(`${request.requestId}-first`);
      }
      log.push(`RPC down past the yield window: every node let the expired requests go ${Date.now() - recoveredAt} ms after it came back`);
    }));

  it('responds once to a request its queue delivers again, during the lead and after it finished', () =>
    withFaultSeed('queue redelivery', async (random) => {
      network.reseed(random);
      // A slow respond keeps the lead going while the message comes back (its visibility ran out).
      network.faults.add({ operations: ['call'], methods: [SIGNER_METHODS.respond], fault: { kind: 'delay', ms: 2 * DEFAULT_TAKEOVER_MS } });
      const requests = [network.submit('redelivered'), network.submit('redelivered')];
      for (const request of requests) network.deliver(request);
      await new Promise((resolve) => setTimeout(resolve, Math.round(DEFAULT_TAKEOVER_MS * (0.5 + random()))));
      for (const request of requests) network.deliver(request, undefined, `${request.requestId}-again`);
      await network.settle(requests, YIELD_WINDOW_MS);
      const answeredAt = Date.now();
      // And once more after the request is over (the delete was lost; the message came back).
      for (const request of requests) network.deliver(request, undefined, `${request.requestId}-late`);
      await network.settle(requests, YIELD_WINDOW_MS);
      expectAnsweredOnce(requests);
      for (const request of requests) {
        for (const messages of network.messages.values()) {
          // The newest handle deletes the message; the late copy is deleted as a duplicate.
          expect((messages as RecordedMessages).completed).toEqual(expect.arrayContaining([`${request.requestId}-again`, `${request.requestId}-late`]));
        }
      }
      log.push(`queue redelivery: the late copies were let go ${Date.now() - answeredAt} ms after the answer, with no second respond`);
    }));
});
