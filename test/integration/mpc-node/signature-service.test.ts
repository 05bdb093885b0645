// One signature per request, at the service: a follower that put its part into one leader's run of a
// request refuses every other leader's run of it (signing-commitments.ts). Three in-process nodes with
// real mesh transports and a real DKG key; only node 1 runs a SignatureService (its contract is the
// test cluster's unavailable one: node 1 never gets a turn to lead within the test). Nodes 0 and 2 act
// as two leaders of the same request, each running the real EdDSA coordinator over the mesh.
import { ed25519 } from '@noble/curves/ed25519.js';
import { baseEncode } from '@near-js/utils';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { randomBytes } from 'node:crypto';
import { EddsaSignProtocol, type EddsaSignOutput } from '../../../shared/crypto/eddsa/index.js';
import { derivedPublicKeyOf } from '../../../shared/crypto/eddsa/test-fixtures.js';
import { deriveTweak } from '../../../shared/crypto/kdf.js';
import { ascending, type ParticipantId } from '../../../shared/crypto/protocol.js';
import type { SignRequest } from '../../../shared/near/sign-request.js';
import { RunRefused } from '../../../services/mpc-node/control.js';
import { leaderOrder } from '../../../services/mpc-node/leader.js';
import { SignatureService } from '../../../services/mpc-node/signing/signature-service.js';
import { startTestCluster, type TestCluster } from '../../support/node-cluster.js';

const EDDSA_DOMAIN = 1;
/** Also how long node 1 holds to the run it joined when its leader makes no claim (as here). */
const TAKEOVER_MS = 4_000;
const FOLLOWER = 1;

/** An EdDSA request for which node 1 comes last in the leader order: its own turn is 2 × TAKEOVER_MS away. */
function requestWithFollowerLast(): SignRequest {
  for (;;) {
    const id = new Uint8Array(randomBytes(32));
    if (leaderOrder([0, 1, 2], id).at(-1) !== FOLLOWER) continue;
    const hash = baseEncode(new Uint8Array(randomBytes(32)));
    return {
      version: 1,
      contractId: 'signer.test',
      requestId: baseEncode(id),
      signReceiptId: hash,
      blockHash: hash,
      predecessorId: 'alice.test',
      signerId: 'alice.test',
      argsForm: 'v2',
      path: 'solana-1',
      domainId: EDDSA_DOMAIN,
      payload: { scheme: 'Eddsa', hex: bytesToHex(utf8ToBytes('a solana transaction')) },
      tweak: bytesToHex(deriveTweak('alice.test', 'solana-1')),
      entropy: bytesToHex(new Uint8Array(randomBytes(32))),
      block: { height: 100, hash, timestampNanosec: String(BigInt(Date.now()) * 1_000_000n) },
    };
  }
}

describe('signature service: one run per request', () => {
  let cluster: TestCluster;
  let service: SignatureService;
  const request = requestWithFollowerLast();

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 3, threshold: 2, protocolTimeoutMs: 10_000, pingIntervalMs: 200 });
    const noop = async () => undefined;
    service = new SignatureService({
      context: cluster.nodes[FOLLOWER]!.context,
      messages: { complete: noop, extend: noop, release: noop, visibilitySeconds: 60 },
      presignatures: { takePresignature: async () => undefined },
      takeoverMs: TAKEOVER_MS,
      maxConcurrent: 4,
    });
    service.accept({ request, receiptHandle: 'receipt-1' });
  });
  afterAll(async () => {
    await service.stop(0);
    await cluster.stop();
  });

  const refusedAtFollower = () => Number(/sign_second_runs_refused_total (\d+)/.exec(cluster.nodes[FOLLOWER]!.context.metrics.render())?.[1] ?? 0);

  /** `leader` leads the request with node 1 in two rounds, as a SignatureService leader does. */
  function lead(leader: ParticipantId): Promise<EddsaSignOutput> {
    const { context } = cluster.nodes[leader]!;
    const signers = ascending([leader, FOLLOWER]);
    const instance = new Uint8Array(randomBytes(32));
    const protocol = new EddsaSignProtocol({
      keyShare: context.serving()!.keys.get(EDDSA_DOMAIN)!.share,
      signers,
      coordinator: leader,
      payload: utf8ToBytes('a solana transaction'),
      tweak: deriveTweak('alice.test', 'solana-1'),
    });
    return context.network.startRun(instance, protocol, signers, 10_000, {
      type: 'sign',
      instance: Buffer.from(instance).toString('hex'),
      participants: signers,
      requestId: request.requestId,
      domainId: EDDSA_DOMAIN,
      epochId: 0,
      presignature: null,
    });
  }

  it('lets exactly one of two leaders that start at once finish, then refuses the other again until the hold ends', async () => {
    const outcomes = await Promise.allSettled([lead(0), lead(2)]);
    const finished = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [{ leader: i === 0 ? 0 : 2, output: outcome.value }] : []));
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    expect(finished).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(RunRefused);
    expect(String(refused[0])).toMatch(new RegExp(`takes part in participant ${finished[0]!.leader}'s run of the request`));
    expect(refusedAtFollower()).toBe(1);

    // The run that finished made a real signature under the request's derived key.
    const output = finished[0]!.output;
    if (output.role !== 'coordinator') throw new Error('the leader got no signature');
    const derived = derivedPublicKeyOf(cluster.nodes[0]!.context.serving()!.keys.get(EDDSA_DOMAIN)!.share, deriveTweak('alice.test', 'solana-1'));
    expect(ed25519.verify(output.signature, utf8ToBytes('a solana transaction'), derived)).toBe(true);

    // The other leader, trying again within the hold, is refused again; the winner's newer run is not.
    const loser = finished[0]!.leader === 0 ? 2 : 0;
    await expect(lead(loser)).rejects.toBeInstanceOf(RunRefused);
    expect(refusedAtFollower()).toBe(2);
    expect((await lead(finished[0]!.leader)).role).toBe('coordinator');

    // With no claim from that leader, the commitment lapses after the hold (a leader that died mid-run
    // does not hold the request up for ever): then the other leader's run gets node 1's part.
    await new Promise((resolve) => setTimeout(resolve, TAKEOVER_MS + 200));
    expect((await lead(loser)).role).toBe('coordinator');
    expect(refusedAtFollower()).toBe(2);
  });
});
