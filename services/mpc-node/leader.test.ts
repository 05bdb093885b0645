import { sha256 } from '@noble/hashes/sha2.js';
import { leadOrder, leaderOrder } from './leader.js';

describe('leaderOrder', () => {
  const requestId = sha256(new TextEncoder().encode('receipt'));

  it('is a permutation that every node computes identically regardless of input order', () => {
    const order = leaderOrder([0, 1, 2, 3, 4], requestId);
    expect([...order].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(leaderOrder([4, 2, 0, 3, 1], requestId)).toEqual(order);
  });

  it('ranks by the little-endian u64 prefix of SHA-256(u32 LE id ‖ request id)', () => {
    const rank = (id: number) => {
      const input = new Uint8Array([id, 0, 0, 0, ...requestId]);
      return new DataView(sha256(input).buffer).getBigUint64(0, true);
    };
    const order = leaderOrder([0, 1, 2, 3, 4], requestId);
    for (let i = 1; i < order.length; i += 1) expect(rank(order[i - 1]!) < rank(order[i]!)).toBe(true);
  });

  it('spreads leadership over requests', () => {
    const leaders = new Set<number>();
    for (let i = 0; i < 64; i += 1) leaders.add(leaderOrder([0, 1, 2], sha256(Uint8Array.of(i)))[0]!);
    expect(leaders).toEqual(new Set([0, 1, 2]));
  });
});

describe('leadOrder', () => {
  const requestId = sha256(new TextEncoder().encode('receipt'));

  it('keeps the leader order of the reachable participants', () => {
    const order = leaderOrder([0, 1, 2, 3], requestId);
    expect(leadOrder([0, 1, 2, 3], requestId, new Set([0, 1, 2, 3]))).toEqual(order);
    expect(leadOrder([0, 1, 2, 3], requestId, new Set([order[0]!, order[2]!]))).toEqual([order[0], order[2]]);
  });

  it('leaves out participants whose respond the contract refuses during a resharing, keeping the others in order', () => {
    const order = leaderOrder([0, 1, 2], requestId);
    const leaving = order[0]!;
    const responders = [0, 1, 2, 3].filter((id) => id !== leaving);
    expect(leadOrder([0, 1, 2], requestId, new Set([0, 1, 2]), responders)).toEqual(order.slice(1));
  });
});
