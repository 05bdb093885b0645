import { evaluateHealth, LoopWatch } from './health.js';

describe('LoopWatch (liveness)', () => {
  it('fails only for a loop that has not turned within its limit, naming it', () => {
    let now = 0;
    const loops = new LoopWatch(() => now);
    loops.watch('contract-poll', 10_000);
    loops.watch('sign-request-receive', 60_000);
    const check = loops.asCheck();
    now = 9_000;
    loops.beat('contract-poll');
    now = 19_000;
    expect(check.check()).toEqual({ ok: true });
    now = 19_001;
    expect(check.check()).toEqual({ ok: false, detail: 'contract-poll has not turned for 10 s (limit 10 s)' });
    now = 61_000;
    expect(check.check().detail).toBe('contract-poll has not turned for 52 s (limit 10 s); sign-request-receive has not turned for 61 s (limit 60 s)');
    loops.beat('contract-poll');
    loops.beat('sign-request-receive');
    expect(check.check()).toEqual({ ok: true });
  });

  it('ignores a loop once it is unwatched (a stop ends loops on purpose) and beats of loops it never watched', () => {
    let now = 0;
    const loops = new LoopWatch(() => now);
    loops.watch('contract-poll', 1_000);
    loops.beat('not-watched');
    now = 5_000;
    expect(loops.asCheck().check().ok).toBe(false);
    loops.unwatch('contract-poll');
    expect(loops.asCheck().check()).toEqual({ ok: true });
  });
});

describe('evaluateHealth', () => {
  it('is healthy only when every check passes; a throwing check fails with its message', () => {
    expect(evaluateHealth([{ name: 'a', check: () => ({ ok: true }) }])).toEqual({ healthy: true, checks: [{ name: 'a', ok: true }] });
    const report = evaluateHealth([
      { name: 'a', check: () => ({ ok: true }) },
      {
        name: 'b',
        check: () => {
          throw new Error('boom');
        },
      },
    ]);
    expect(report).toEqual({ healthy: false, checks: [{ name: 'a', ok: true }, { name: 'b', ok: false, detail: 'check threw: boom' }] });
  });
});
