import type { SignatureResponse } from '../../../shared/near/signer-abi.js';
import { SigningCommitments, type ClaimEnd } from './signing-commitments.js';

const REQUEST = 'request-1';
const HOLD_MS = 3_000;
const SIGNATURE: SignatureResponse = { scheme: 'Ed25519', signature: Array.from({ length: 64 }, (_, i) => i) };
const noClaims: ClaimEnd = () => undefined;

function commitmentsAt(start = 1_000_000) {
  const clock = { now: start };
  const commitments = new SigningCommitments({ holdMs: HOLD_MS, capacity: 100, now: () => clock.now });
  return { clock, commitments };
}

describe('SigningCommitments', () => {
  it('joins one leader\'s run and refuses another leader\'s while it holds', () => {
    const { clock, commitments } = commitmentsAt();
    expect(typeof commitments.follow(REQUEST, 1, noClaims)).toBe('object');
    clock.now += HOLD_MS - 1;
    expect(commitments.follow(REQUEST, 2, noClaims)).toBe('this node takes part in participant 1\'s run of the request');
    expect(commitments.beginLead(REQUEST, noClaims)).toBe(clock.now + 1);
    // Other requests are not affected.
    expect(typeof commitments.follow('request-2', 2, noClaims)).toBe('object');
  });

  it('lets the commitment lapse after the hold when the leader has no live claim (it died mid-run)', () => {
    const { clock, commitments } = commitmentsAt();
    commitments.follow(REQUEST, 1, noClaims);
    clock.now += HOLD_MS;
    expect(commitments.heldUntil(REQUEST, noClaims)).toBeUndefined();
    expect(typeof commitments.follow(REQUEST, 2, noClaims)).toBe('object');
  });

  it('holds for as long as the leader\'s claim is live after the hold', () => {
    const { clock, commitments } = commitmentsAt();
    commitments.follow(REQUEST, 1, noClaims);
    const claimEnd = clock.now + 10_000;
    const claims: ClaimEnd = (leader) => (leader === 1 ? claimEnd : undefined);
    clock.now += 9_999;
    expect(commitments.follow(REQUEST, 2, claims)).toMatch(/participant 1/);
    expect(commitments.heldUntil(REQUEST, claims)).toBe(claimEnd);
    clock.now += 1;
    expect(typeof commitments.follow(REQUEST, 2, claims)).toBe('object');
  });

  it('takes a leader\'s newer run in place of its older one', () => {
    const { clock, commitments } = commitmentsAt();
    commitments.follow(REQUEST, 1, noClaims);
    clock.now += 1_000;
    expect(typeof commitments.follow(REQUEST, 1, noClaims)).toBe('object');
    // The hold counts from the newer run.
    clock.now += HOLD_MS - 1;
    expect(commitments.follow(REQUEST, 2, noClaims)).toMatch(/participant 1/);
  });

  it('refuses every follow while it leads the request itself, and frees the request when the lead ends', () => {
    const { commitments } = commitmentsAt();
    expect(commitments.beginLead(REQUEST, noClaims)).toBeUndefined();
    expect(commitments.follow(REQUEST, 2, noClaims)).toBe('this node leads the request itself');
    commitments.endLead(REQUEST);
    expect(typeof commitments.follow(REQUEST, 2, noClaims)).toBe('object');
  });

  it('keeps a signature made as leader: no other run gets this node\'s part, and the signature stays after the lead', () => {
    const { clock, commitments } = commitmentsAt();
    commitments.beginLead(REQUEST, noClaims);
    commitments.keepSignature(REQUEST, SIGNATURE);
    commitments.endLead(REQUEST);
    clock.now += 24 * 3_600_000;
    expect(commitments.signatureOf(REQUEST)).toEqual(SIGNATURE);
    expect(commitments.follow(REQUEST, 2, noClaims)).toBe('this node signed the request already, as its leader');
    commitments.forget(REQUEST);
    expect(commitments.signatureOf(REQUEST)).toBeUndefined();
    expect(typeof commitments.follow(REQUEST, 2, noClaims)).toBe('object');
  });

  it('withdraws a share that never left the node, but not a newer run of the same leader', () => {
    const { commitments } = commitmentsAt();
    const first = commitments.follow(REQUEST, 1, noClaims);
    if (typeof first === 'string') throw new Error(first);
    first.withdraw();
    const second = commitments.follow(REQUEST, 2, noClaims);
    if (typeof second === 'string') throw new Error(second);
    const third = commitments.follow(REQUEST, 2, noClaims);
    second.withdraw();
    expect(typeof third).toBe('object');
    expect(commitments.follow(REQUEST, 1, noClaims)).toMatch(/participant 2/);
  });

  it('frees this node for the next leader once the leader it follows announces its lead ended, and only that leader', () => {
    const { commitments } = commitmentsAt();
    commitments.follow(REQUEST, 1, noClaims);
    commitments.leaderEnded(REQUEST, 2);
    expect(commitments.follow(REQUEST, 2, noClaims)).toMatch(/participant 1/);
    commitments.leaderEnded(REQUEST, 1);
    expect(commitments.heldUntil(REQUEST, noClaims)).toBeUndefined();
    expect(typeof commitments.follow(REQUEST, 2, noClaims)).toBe('object');
    // A leader's end does not touch this node's own lead.
    const own = commitmentsAt().commitments;
    own.beginLead(REQUEST, noClaims);
    own.leaderEnded(REQUEST, 1);
    expect(own.follow(REQUEST, 1, noClaims)).toBe('this node leads the request itself');
  });

  it('drops a signature the contract refused: this node may then take part in another run', () => {
    const { commitments } = commitmentsAt();
    commitments.beginLead(REQUEST, noClaims);
    commitments.keepSignature(REQUEST, SIGNATURE);
    commitments.endLead(REQUEST);
    commitments.dropSignature(REQUEST);
    expect(commitments.signatureOf(REQUEST)).toBeUndefined();
    expect(typeof commitments.follow(REQUEST, 2, noClaims)).toBe('object');
  });

  it('forgets the oldest requests beyond its capacity', () => {
    const clock = { now: 0 };
    const commitments = new SigningCommitments({ holdMs: HOLD_MS, capacity: 2, now: () => clock.now });
    for (const request of ['a', 'b', 'c']) commitments.follow(request, 1, noClaims);
    expect(typeof commitments.follow('a', 2, noClaims)).toBe('object');
    expect(commitments.follow('c', 2, noClaims)).toMatch(/participant 1/);
  });

  /**
   * The property the service relies on: with the contract's threshold (≥ 60 % of the participants),
   * two leaders that start runs of one request at once, each with any signing set of `threshold` nodes
   * that includes itself, never both get every member's part — whichever order their messages arrive in.
   */
  it.each([
    [3, 2],
    [4, 3],
    [5, 3],
    [7, 5],
  ])('lets at most one of two concurrent runs finish, n = %i, t = %i', (n, t) => {
    const ids = Array.from({ length: n }, (_, i) => i);
    const sets = subsets(ids, t);
    let cases = 0;
    for (const a of ids) {
      for (const b of ids.filter((id) => id !== a)) {
        for (const setA of sets.filter((set) => set.includes(a))) {
          for (const setB of sets.filter((set) => set.includes(b))) {
            for (const bothLeadFirst of [true, false]) {
              const nodes = ids.map(() => commitmentsAt().commitments);
              const begin = (leader: number) => nodes[leader]!.beginLead(REQUEST, noClaims) === undefined;
              const membersJoin = (leader: number, set: readonly number[]) => set.filter((id) => id !== leader).every((id) => typeof nodes[id]!.follow(REQUEST, leader, noClaims) !== 'string');
              // Either both leaders begin their leads before any `sign` message arrives, or the first run is
              // over (every member joined) before the second leader begins.
              const startedA = begin(a);
              const startedB = bothLeadFirst ? begin(b) : false;
              const finishedA = startedA && membersJoin(a, setA);
              const finishedB = (bothLeadFirst ? startedB : begin(b)) && membersJoin(b, setB);
              expect([finishedA, finishedB].filter(Boolean).length).toBeLessThanOrEqual(1);
              cases += 1;
            }
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(0);
  });
});

function subsets(items: readonly number[], size: number): number[][] {
  if (size === 0) return [[]];
  return items.flatMap((item, i) => subsets(items.slice(i + 1), size - 1).map((rest) => [item, ...rest]));
}
