import { equalBytes } from '@noble/curves/utils.js';
import type { CurveId } from '../group.js';
import type { KeyShare } from '../key-share.js';
import type { ParticipantId, Protocol } from '../protocol.js';
import { runProtocols } from '../runner.js';
import { createRefresh, createReshare, type ReshareConfig } from './reshare.js';
import { interpolateSecret, isSecretOf, newSessionId, runDkg, subsets } from './test-helpers.js';

const CURVES: CurveId[] = ['secp256k1', 'ed25519'];

function reshareParties(
  old: ReadonlyMap<ParticipantId, KeyShare>,
  dealers: readonly ParticipantId[],
  newParticipants: readonly ParticipantId[],
  newThreshold: number,
  sessionId = newSessionId(),
): Map<ParticipantId, Protocol<KeyShare | undefined>> {
  const any = [...old.values()][0]!;
  const base = {
    curve: any.curve,
    sessionId,
    publicKey: any.publicKey,
    dealers,
    oldThreshold: any.threshold,
    newParticipants,
    newThreshold,
  };
  const everyone = [...new Set([...dealers, ...newParticipants])];
  return new Map(
    everyone.map((me) => {
      const oldShare = old.get(me);
      const config: ReshareConfig = { ...base, me, ...(oldShare === undefined ? {} : { oldShare }) };
      return [me, createReshare(config)];
    }),
  );
}

describe.each(CURVES)('reshare and refresh on %s', (curve) => {
  it('3-of-5 → 4-of-6 with two parties replaced keeps the key; new shares interpolate it, old and new do not mix', () => {
    const oldSet = [0, 1, 2, 3, 4];
    const old = runDkg(curve, oldSet, 3);
    const publicKey = old.get(0)!.publicKey;
    // 3 and 4 leave; 5, 6, 7 join (one of them takes the sixth seat).
    const newSet = [0, 1, 2, 5, 6, 7];
    const { outputs } = runProtocols(reshareParties(old, oldSet, newSet, 4));

    expect(outputs.get(3)).toBeUndefined();
    expect(outputs.get(4)).toBeUndefined();
    const fresh = newSet.map((id) => outputs.get(id)!);
    for (const share of fresh) {
      expect(share).toBeDefined();
      expect(share.threshold).toBe(4);
      expect(share.participants).toEqual(newSet);
      expect(equalBytes(share.publicKey, publicKey)).toBe(true);
    }
    for (const subset of subsets(fresh, 4)) expect(isSecretOf(interpolateSecret(subset), fresh[0]!)).toBe(true);
    for (const subset of subsets(fresh, 3)) expect(isSecretOf(interpolateSecret(subset), fresh[0]!)).toBe(false);
    // Old shares of the staying parties mixed with new shares of others give nothing.
    const mixed = [old.get(0)!, old.get(1)!, fresh[2]!, fresh[3]!];
    expect(isSecretOf(interpolateSecret(mixed), fresh[0]!)).toBe(false);
  });

  it('works with only the old threshold of old holders dealing', () => {
    const old = runDkg(curve, [0, 1, 2, 3, 4], 3);
    const { outputs } = runProtocols(reshareParties(old, [1, 3, 4], [1, 3, 4, 9], 2));
    const fresh = [1, 3, 4, 9].map((id) => outputs.get(id)!);
    expect(equalBytes(fresh[0]!.publicKey, old.get(0)!.publicKey)).toBe(true);
    for (const subset of subsets(fresh, 2)) expect(isSecretOf(interpolateSecret(subset), fresh[0]!)).toBe(true);
  });

  it('refresh keeps the key and participants; old and new shares do not combine', () => {
    const participants = [2, 4, 6, 8, 10];
    const old = runDkg(curve, participants, 3);
    const sessionId = newSessionId();
    const { outputs } = runProtocols(new Map(participants.map((me) => [me, createRefresh({ share: old.get(me)!, sessionId })])));
    const fresh = participants.map((id) => outputs.get(id)!);
    for (const share of fresh) {
      expect(share.participants).toEqual(participants);
      expect(share.threshold).toBe(3);
      expect(equalBytes(share.publicKey, old.get(2)!.publicKey)).toBe(true);
      expect(share.privateShare).not.toBe(old.get(share.me)!.privateShare);
    }
    for (const subset of subsets(fresh, 3)) expect(isSecretOf(interpolateSecret(subset), fresh[0]!)).toBe(true);
    for (const subset of subsets(fresh, 2)) expect(isSecretOf(interpolateSecret(subset), fresh[0]!)).toBe(false);
    expect(isSecretOf(interpolateSecret([old.get(2)!, fresh[1]!, fresh[2]!]), fresh[0]!)).toBe(false);
    expect(isSecretOf(interpolateSecret([old.get(2)!, old.get(4)!, fresh[2]!]), fresh[0]!)).toBe(false);
  });

  it('a joiner first poked after every message reached it still proceeds (no lost wake-up)', () => {
    const old = runDkg(curve, [0, 1, 2], 2);
    const parties = reshareParties(old, [0, 1, 2], [0, 1, 2, 9], 2);
    const joiner = parties.get(9)!;
    let inFlight: { from: ParticipantId; to: ParticipantId; data: Uint8Array }[] = [];
    do {
      for (const [id, party] of parties) {
        if (id === 9) continue;
        for (let action = party.poke(); action.kind !== 'wait'; action = party.poke()) {
          if (action.kind === 'send-many') for (const to of parties.keys()) to !== id && inFlight.push({ from: id, to, data: action.data });
          if (action.kind === 'send-private') inFlight.push({ from: id, to: action.to, data: action.data });
          if (action.kind === 'return') break;
        }
      }
      const batch = inFlight;
      inFlight = [];
      for (const { from, to, data } of batch) parties.get(to)!.message(from, data);
    } while (inFlight.length > 0);
    // Everything addressed to the joiner has arrived; its very first poke must act on it.
    expect(joiner.poke().kind).toBe('send-many');
  });

  it('rejects bad configurations with a RangeError', () => {
    const old = runDkg(curve, [0, 1, 2], 2);
    const share = old.get(0)!;
    const base: ReshareConfig = {
      curve,
      sessionId: newSessionId(),
      me: 0,
      publicKey: share.publicKey,
      dealers: [0, 1, 2],
      oldThreshold: 2,
      newParticipants: [0, 1, 2],
      newThreshold: 2,
      oldShare: share,
    };
    expect(() => createReshare({ ...base, dealers: [0] })).toThrow(/cannot reshare/);
    const { oldShare: _, ...withoutShare } = base;
    expect(() => createReshare(withoutShare)).toThrow(/needs its old share/);
    expect(() => createReshare({ ...base, oldShare: old.get(1)! })).toThrow(/belongs to participant 1/);
    expect(() => createReshare({ ...base, oldThreshold: 3 })).toThrow(/threshold/);
    expect(() => createReshare({ ...base, dealers: [0, 1, 7] })).toThrow(/holds no share/);
    expect(() => createReshare({ ...base, publicKey: new Uint8Array(share.publicKey.length) })).toThrow(RangeError);
    expect(() => createReshare({ ...base, newThreshold: 4 })).toThrow(RangeError);
  });
});
