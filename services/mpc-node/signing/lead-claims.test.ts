import { LeadClaims } from './lead-claims.js';

const LEASE_MS = 1_000;
const MAX_HOLD_MS = 3_000;

function claimsAt(capacityPerPeer = 100) {
  const clock = { now: 1_000_000 };
  const claims = new LeadClaims({ leaseMs: LEASE_MS, maxHoldMs: MAX_HOLD_MS, capacityPerPeer, now: () => clock.now });
  return { clock, claims };
}

describe('LeadClaims', () => {
  it('holds for a lease from each renewal, and ends with the peer\'s end notice', () => {
    const { clock, claims } = claimsAt();
    expect(claims.started(1, 'r')).toBe('claimed');
    expect(claims.endOf('r', 1)).toBe(clock.now + LEASE_MS);
    clock.now += LEASE_MS - 1;
    claims.started(1, 'r');
    expect(claims.endOf('r', 1)).toBe(clock.now + LEASE_MS);
    expect(claims.claimants('r')).toEqual([1]);
    claims.ended(1, 'r');
    expect(claims.endOf('r', 1)).toBeUndefined();
    expect(claims.claimants('r')).toEqual([]);
  });

  it('lapses with its lease when not renewed', () => {
    const { clock, claims } = claimsAt();
    claims.started(1, 'r');
    clock.now += LEASE_MS;
    expect(claims.endOf('r', 1)).toBeUndefined();
  });

  it('bounds what renewals can hold: a peer\'s claims to a request end at its hold, and later ones are ignored', () => {
    const { clock, claims } = claimsAt();
    const first = clock.now;
    claims.started(1, 'r');
    for (let renewals = 0; clock.now + LEASE_MS / 2 < first + MAX_HOLD_MS; renewals += 1) {
      clock.now += LEASE_MS / 2;
      expect(claims.started(1, 'r')).toBe('claimed');
    }
    expect(claims.endOf('r', 1)).toBe(first + MAX_HOLD_MS);
    clock.now = first + MAX_HOLD_MS;
    expect(claims.started(1, 'r')).toBe('held-too-long');
    expect(claims.endOf('r', 1)).toBeUndefined();
    // Another peer, or the same peer for another request, is not affected.
    expect(claims.started(2, 'r')).toBe('claimed');
    expect(claims.started(1, 'other')).toBe('claimed');
  });

  it('keeps counting the hold across a release and a new claim', () => {
    const { clock, claims } = claimsAt();
    claims.started(1, 'r');
    clock.now += MAX_HOLD_MS - 1;
    claims.ended(1, 'r');
    expect(claims.started(1, 'r')).toBe('claimed');
    expect(claims.endOf('r', 1)).toBe(clock.now + 1);
    clock.now += 1;
    expect(claims.started(1, 'r')).toBe('held-too-long');
  });

  it('remembers a bounded number of claims per peer: one peer\'s flood forgets only its own', () => {
    const { claims } = claimsAt(3);
    claims.started(2, 'honest');
    for (let i = 0; i < 10; i += 1) claims.started(1, `flood-${i}`);
    expect(claims.claimants('honest')).toEqual([2]);
    expect(claims.endOf('flood-0', 1)).toBeUndefined();
    expect(claims.endOf('flood-9', 1)).toBeDefined();
  });

  it('forgets a finished request\'s claims', () => {
    const { claims } = claimsAt();
    claims.started(1, 'r');
    claims.started(2, 'r');
    claims.forget('r');
    expect(claims.claimants('r')).toEqual([]);
  });
});
