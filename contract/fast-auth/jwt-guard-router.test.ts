import { ROUTER_ADD_GUARD_DEPOSIT } from '../../shared/near/fast-auth-abi.js';
import type { PromiseResult } from '../host.js';
import { ContractTestbed, failure, success } from '../testing/test-host.js';
import { GUARD_VERIFY_GAS, jwtGuardRouterContract, ROUTER_CALLBACK_GAS } from './jwt-guard-router.js';

const ROUTER = 'jwt.fast-auth.near';
const GUARD = 'auth0.jwt.fast-auth.near';
const OWNER = 'owner.near';
const ISSUER = 'https://login.example/';

function router(): ContractTestbed {
  const testbed = new ContractTestbed(jwtGuardRouterContract, ROUTER);
  expect(testbed.call('init', { owner: OWNER }, { predecessor: ROUTER }).status).toBe('success');
  expect(testbed.call('add_guard', { guard_name: ISSUER, guard_account: GUARD }, { predecessor: OWNER, deposit: ROUTER_ADD_GUARD_DEPOSIT }).status).toBe('success');
  return testbed;
}

describe('JWT guard router', () => {
  it('forwards verify to the guard named after "jwt#", naming it as the issuer, and answers in its callback', () => {
    const outcome = router().call('verify', { guard_id: `jwt#${ISSUER}`, verify_payload: 'a.b.c', sign_payload: [9], predecessor: 'relayer.near' }, { predecessor: 'fast-auth.near' });
    expect(outcome.promises).toEqual([
      { kind: 'call', index: 0, account: GUARD, method: 'verify', args: { issuer: ISSUER, jwt: 'a.b.c', sign_payload: [9], predecessor: 'relayer.near' }, deposit: 0n, gas: GUARD_VERIFY_GAS },
      { kind: 'call', index: 1, account: ROUTER, method: 'on_verify_callback', args: { guard_name: ISSUER }, deposit: 0n, gas: ROUTER_CALLBACK_GAS, after: 0 },
    ]);
    expect(outcome.returnedPromise).toBe(1);
  });

  it('answers Peersyst\'s (valid, sub, guard_name), with the guard\'s reason in place of sub when invalid', () => {
    const testbed = router();
    const callback = (result: PromiseResult) => testbed.call('on_verify_callback', { guard_name: ISSUER }, { predecessor: ROUTER, promiseResults: [result] });
    expect(callback(success([true, 'google-oauth2|7'])).value).toEqual([true, 'google-oauth2|7', ISSUER]);
    expect(callback(success([false, 'Token expired'])).value).toEqual([false, 'Token expired', '']);
    // A failed or malformed guard answer fails the call, so FastAuth sees a failed promise and refunds.
    expect(callback(failure)).toMatchObject({ status: 'panic', error: 'CallbackFailed: Error verifying JWT: the guard call failed' });
    expect(callback(success([true, 'sub', 'extra']))).toMatchObject({ status: 'panic', error: 'CallbackFailed: Error verifying JWT: the guard did not answer (bool, string)' });
    expect(testbed.call('on_verify_callback', { guard_name: ISSUER }, { predecessor: 'mallory.near', promiseResults: [success([true, 'x'])] })).toMatchObject({ status: 'panic', error: expect.stringMatching(/^Unauthorized/) });
  });

  it.each([
    ['an unknown guard name', 'jwt#https://unknown/', "NotFound: Guard with name 'https://unknown/' does not exist"],
    ['no "#"', 'jwt', "InvalidArguments: Invalid guard name format. Expected 'jwt#GUARD_NAME'"],
    ['another prefix', `custom#${ISSUER}`, "InvalidArguments: Invalid guard name format. Expected 'jwt#GUARD_NAME'"],
    ['a second "#"', `jwt#${ISSUER}#sub`, "InvalidArguments: Invalid guard name format. Expected 'jwt#GUARD_NAME'"],
  ])('fails verify for %s, which FastAuth turns into a refund', (_name, guardId, error) => {
    expect(router().call('verify', { guard_id: guardId, verify_payload: 'a.b.c', sign_payload: [], predecessor: 'relayer.near' })).toMatchObject({ status: 'panic', error });
  });

  it('lets only the owner add guards, for Peersyst\'s deposit, which it keeps; refuses duplicates', () => {
    const testbed = router();
    expect(ROUTER_ADD_GUARD_DEPOSIT).toBe(1_021_120_000_000_000_000_000_000n);
    expect(testbed.view('get_guard', { guard_name: ISSUER })).toBe(GUARD);
    const add = (args: object, predecessor: string, deposit = ROUTER_ADD_GUARD_DEPOSIT) => testbed.call('add_guard', args, { predecessor, deposit });
    expect(add({ guard_name: 'https://x/', guard_account: 'x.near' }, 'mallory.near')).toMatchObject({ error: 'Unauthorized: Only the owner can call this function' });
    expect(add({ guard_name: 'https://x/', guard_account: 'x.near' }, OWNER, ROUTER_ADD_GUARD_DEPOSIT - 1n)).toMatchObject({ error: `InvalidDeposit: Insufficient deposit. Required: ${ROUTER_ADD_GUARD_DEPOSIT} yoctoNEAR` });
    expect(add({ guard_name: ISSUER, guard_account: 'x.near' }, OWNER)).toMatchObject({ error: `InvalidArguments: Guard with name ${ISSUER} already exists` });
    expect(add({ guard_name: 'a#b', guard_account: 'x.near' }, OWNER)).toMatchObject({ error: "InvalidArguments: Guard name cannot contain '#' character" });
    expect(add({ guard_name: 'é'.repeat(1025), guard_account: 'x.near' }, OWNER)).toMatchObject({ error: 'InvalidArguments: Guard name is too long' });
    expect(add({ guard_name: 'x'.repeat(2049), guard_account: 'x.near' }, OWNER)).toMatchObject({ error: 'InvalidArguments: Guard name is too long' });
    expect(add({ guard_name: 'x'.repeat(2048), guard_account: 'x.near' }, OWNER).status).toBe('success');
    const added = add({ guard_name: 'https://x/', guard_account: 'x.near' }, OWNER);
    expect(added.status).toBe('success');
    // Nothing is refunded: the deposit pays for the entry's storage.
    expect(added.promises).toEqual([]);
    expect(testbed.view('get_guard', { guard_name: 'https://x/' })).toBe('x.near');
  });

  it('lets only the owner remove guards and hand over ownership', () => {
    const testbed = router();
    expect(testbed.call('remove_guard', { guard_name: ISSUER }, { predecessor: 'mallory.near' })).toMatchObject({ error: 'Unauthorized: Only the owner can call this function' });
    expect(testbed.call('remove_guard', { guard_name: ISSUER }, { predecessor: OWNER }).status).toBe('success');
    expect(testbed.call('get_guard', { guard_name: ISSUER })).toMatchObject({ status: 'panic', error: `NotFound: Guard with name '${ISSUER}' does not exist` });
    expect(testbed.call('remove_guard', { guard_name: ISSUER }, { predecessor: OWNER })).toMatchObject({ error: `NotFound: Guard with name '${ISSUER}' does not exist` });
    expect(testbed.call('change_owner', { new_owner: 'next.near' }, { predecessor: OWNER }).status).toBe('success');
    expect(testbed.view('owner')).toBe('next.near');
  });
});
