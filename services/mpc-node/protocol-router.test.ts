import { randomBytes } from '@noble/hashes/utils.js';
import type { KeyShare } from '../../shared/crypto/key-share.js';
import { createDkg } from '../../shared/crypto/keygen/index.js';
import type { Action, ParticipantId, Protocol } from '../../shared/crypto/protocol.js';
import { MetricsRegistry } from './observability/metrics.js';
import { framePayload, ProtocolRouter, ProtocolTimeout } from './protocol-router.js';

/** Routers wired through an in-memory mesh whose delivery the test controls. */
function network(ids: readonly ParticipantId[]) {
  const queue: Array<() => void> = [];
  const metrics = new MetricsRegistry();
  const dropped = metrics.counter('protocol_messages_dropped_total', 'dropped');
  const routers = new Map<ParticipantId, ProtocolRouter>();
  for (const me of ids) {
    routers.set(me, new ProtocolRouter({ me, dropped, send: async (to, payload) => void queue.push(() => routers.get(to)?.deliver(me, payload)) }));
  }
  const flush = async () => {
    for (let rounds = 0; rounds < 10_000 && queue.length > 0; rounds += 1) {
      queue.splice(0).forEach((deliver) => deliver());
      await Promise.resolve();
    }
  };
  return { routers, dropped, flush, queue };
}

class NeverFinishes implements Protocol<never> {
  poke(): Action<never> {
    return { kind: 'wait' };
  }
  message(): void {}
}

describe('ProtocolRouter', () => {
  it('runs a real DKG among three routers, holding messages for instances not started yet', async () => {
    const ids = [0, 1, 2];
    const { routers, flush } = network(ids);
    const instance = randomBytes(32);
    const sessionId = randomBytes(32);
    const start = (me: ParticipantId) => routers.get(me)!.run<KeyShare>(instance, createDkg({ curve: 'secp256k1', participants: ids, threshold: 2, me, sessionId }), ids, 60_000);
    // Node 2 starts only after the others' first messages reached it.
    const first = [start(0), start(1)];
    await flush();
    expect(routers.get(2)!.heldMessageCount).toBeGreaterThan(0);
    const third = start(2);
    await flush();
    const shares = await Promise.all([...first, third]);
    expect(routers.get(2)!.heldMessageCount).toBe(0);
    expect(new Set(shares.map((share) => Buffer.from(share.publicKey).toString('hex'))).size).toBe(1);
    expect(shares.map((share) => share.me)).toEqual(ids);
  });

  it('drops messages from non-participants, for finished instances and never-started ones', async () => {
    const { routers, dropped, flush } = network([0, 1]);
    const router = routers.get(0)!;
    const instance = randomBytes(32);
    const run = router.run(instance, new NeverFinishes(), [0, 1], 50);
    router.deliver(7, framePayload(instance, Uint8Array.of(1)));
    expect(dropped.get({ reason: 'not-a-participant' })).toBe(1);
    await expect(run).rejects.toBeInstanceOf(ProtocolTimeout);
    router.deliver(1, framePayload(instance, Uint8Array.of(1)));
    expect(dropped.get({ reason: 'instance-finished' })).toBe(1);
    router.deliver(1, Uint8Array.of(1, 2));
    expect(dropped.get({ reason: 'no-instance-id' })).toBe(1);
    router.deliver(1, framePayload(randomBytes(32), Uint8Array.of(1)));
    router.sweep(Date.now() + 31_000);
    expect(dropped.get({ reason: 'instance-never-started' })).toBe(1);
    await flush();
  });

  it('ends a run at once when one of its participants refuses it, and only then', async () => {
    const { routers } = network([0, 1, 2]);
    const router = routers.get(0)!;
    const instance = randomBytes(32);
    const run = router.run(instance, new NeverFinishes(), [0, 1], 60_000);
    const refusal = new Error('participant 1 refuses');
    // Not a participant of this run, this node itself, or an instance that is not running: nothing happens.
    expect(router.abortByParticipant(instance, 2, new Error('outsider'))).toBe(false);
    expect(router.abortByParticipant(instance, 0, new Error('self'))).toBe(false);
    expect(router.abortByParticipant(randomBytes(32), 1, new Error('unknown instance'))).toBe(false);
    expect(router.runningCount).toBe(1);
    expect(router.abortByParticipant(instance, 1, refusal)).toBe(true);
    await expect(run).rejects.toBe(refusal);
    expect(router.runningCount).toBe(0);
    expect(router.abortByParticipant(instance, 1, refusal)).toBe(false);
  });

  it('ends every run a participant takes part in when it stops answering, and no other', async () => {
    const { routers } = network([0, 1, 2]);
    const router = routers.get(0)!;
    const lost = new Error('participant 2 stopped answering');
    const withTwo = [router.run(randomBytes(32), new NeverFinishes(), [0, 2], 60_000), router.run(randomBytes(32), new NeverFinishes(), [0, 1, 2], 60_000)];
    const withoutTwo = router.run(randomBytes(32), new NeverFinishes(), [0, 1], 30);
    expect(router.abortRunsWith(0, new Error('self'))).toBe(0);
    expect(router.abortRunsWith(2, lost)).toBe(2);
    for (const run of withTwo) await expect(run).rejects.toBe(lost);
    expect(router.runningCount).toBe(1);
    await expect(withoutTwo).rejects.toBeInstanceOf(ProtocolTimeout);
  });

  it('ends one run on this node\'s own account, and reports whether it was running', async () => {
    const { routers } = network([0, 1]);
    const router = routers.get(0)!;
    const instance = randomBytes(32);
    const run = router.run(instance, new NeverFinishes(), [0, 1], 60_000);
    const unwanted = new Error('no longer wanted');
    expect(router.abort(randomBytes(32), unwanted)).toBe(false);
    expect(router.abort(instance, unwanted)).toBe(true);
    await expect(run).rejects.toBe(unwanted);
    expect(router.abort(instance, unwanted)).toBe(false);
    expect(router.runningCount).toBe(0);
  });

  it('keeps a participant\'s abort that overtook the start of the run, and only a participant\'s', async () => {
    const { routers } = network([0, 1, 2]);
    const router = routers.get(0)!;
    const refused = randomBytes(32);
    const refusal = new Error('participant 1 refuses');
    expect(router.abortByParticipant(refused, 1, refusal)).toBe(false);
    await expect(router.run(refused, new NeverFinishes(), [0, 1], 60_000)).rejects.toBe(refusal);
    expect(router.runningCount).toBe(0);
    // From someone outside the run's set, an early abort is ignored once the set is known.
    const other = randomBytes(32);
    router.abortByParticipant(other, 2, new Error('outsider'));
    const run = router.run(other, new NeverFinishes(), [0, 1], 30);
    expect(router.runningCount).toBe(1);
    await expect(run).rejects.toBeInstanceOf(ProtocolTimeout);
    // Early aborts expire like held messages.
    const late = randomBytes(32);
    router.abortByParticipant(late, 1, refusal);
    router.sweep(Date.now() + 31_000);
    const afterExpiry = router.run(late, new NeverFinishes(), [0, 1], 30);
    await expect(afterExpiry).rejects.toBeInstanceOf(ProtocolTimeout);
  });

  it('refuses to run the same instance twice', async () => {
    const { routers } = network([0, 1]);
    const instance = randomBytes(32);
    const run = routers.get(0)!.run(instance, new NeverFinishes(), [0, 1], 20);
    expect(() => routers.get(0)!.run(instance, new NeverFinishes(), [0, 1], 20)).toThrow(/already ran/);
    await expect(run).rejects.toBeInstanceOf(ProtocolTimeout);
    expect(() => routers.get(0)!.run(instance, new NeverFinishes(), [0, 1], 20)).toThrow(/already ran/);
  });

  it('turns a protocol abort into a rejected run', async () => {
    const { routers, flush } = network([0, 1, 2]);
    const instance = randomBytes(32);
    const dkg = createDkg({ curve: 'ed25519', participants: [0, 1, 2], threshold: 2, me: 0, sessionId: randomBytes(32) });
    const run = routers.get(0)!.run(instance, dkg, [0, 1, 2], 60_000);
    routers.get(0)!.deliver(1, framePayload(instance, randomBytes(40)));
    await flush();
    await expect(run).rejects.toMatchObject({ name: 'ProtocolAbort' });
  });
});
