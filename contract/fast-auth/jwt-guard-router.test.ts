import { ContractTestbed } from '../testing/test-host.js';
import { GUARD_VERIFY_GAS, jwtGuardRouterContract } from './jwt-guard-router.js';

const ROUTER = 'jwt.fast-auth.near';
const OWNER = 'owner.near';
const ISSUER = 'https://login.example/';

function router(): ContractTestbed {
  const testbed = new ContractTestbed(jwtGuardRouterContract, ROUTER);
  expect(testbed.call('init', { owner: OWNER }, { predecessor: ROUTER }).status).toBe('success');
  expect(testbed.call('add_guard', { name: ISSUER, account_id: 'auth0.jwt.fast-auth.near' }, { predecessor: OWNER }).status).toBe('success');
  return testbed;
}

describe('JWT guard router', () => {
  it('forwards verify to the guard of the issuer after the first "#", naming the issuer', () => {
    const outcome = router().call('verify', { guard_id: `jwt#${ISSUER}`, verify_payload: 'a.b.c', sign_payload: [9], predecessor: 'relayer.near' }, { predecessor: 'fast-auth.near' });
    expect(outcome.promises).toEqual([
      { kind: 'call', index: 0, account: 'auth0.jwt.fast-auth.near', method: 'verify', args: { issuer: ISSUER, jwt: 'a.b.c', sign_payload: [9], predecessor: 'relayer.near' }, deposit: 0n, gas: GUARD_VERIFY_GAS },
    ]);
    expect(outcome.returnedPromise).toBe(0);
  });

  it.each([
    ['an unknown issuer', `jwt#https://unknown/`, /NotFound: no JWT guard is registered for issuer "https:\/\/unknown\/"/],
    ['no "#"', 'jwt', /has no '#'/],
    ['a second "#"', `jwt#${ISSUER}#sub`, /must be non-empty and contain no '#'/],
  ])('fails verify for %s, which FastAuth turns into a refund', (_name, guardId, pattern) => {
    expect(router().call('verify', { guard_id: guardId, verify_payload: 'a.b.c', sign_payload: [], predecessor: 'relayer.near' })).toMatchObject({ status: 'panic', error: expect.stringMatching(pattern) });
  });

  it('lets only the owner manage guards, and refuses duplicates', () => {
    const testbed = router();
    expect(testbed.view('get_guard', { name: ISSUER })).toBe('auth0.jwt.fast-auth.near');
    expect(testbed.call('add_guard', { name: 'https://x/', account_id: 'x.near' }, { predecessor: 'mallory.near' })).toMatchObject({ error: expect.stringMatching(/Unauthorized: add_guard may only be called by the owner/) });
    expect(testbed.call('add_guard', { name: ISSUER, account_id: 'x.near' }, { predecessor: OWNER })).toMatchObject({ error: expect.stringMatching(/already registered/) });
    expect(testbed.call('remove_guard', { name: ISSUER }, { predecessor: 'mallory.near' })).toMatchObject({ error: expect.stringMatching(/Unauthorized/) });
    expect(testbed.call('remove_guard', { name: ISSUER }, { predecessor: OWNER }).status).toBe('success');
    expect(testbed.view('get_guard', { name: ISSUER })).toBeNull();
    expect(testbed.call('remove_guard', { name: ISSUER }, { predecessor: OWNER })).toMatchObject({ error: expect.stringMatching(/NotFound/) });
    expect(testbed.call('change_owner', { new_owner: 'next.near' }, { predecessor: OWNER }).status).toBe('success');
    expect(testbed.view('owner')).toBe('next.near');
  });
});
