/**
 * Bad input anywhere must end in a clear, typed refusal: for arbitrary JSON arguments every method of
 * every contract either succeeds or panics with "<Kind>: <message>" — never a raw exception — and a
 * refused call leaves storage as it was.
 */
import fc from 'fast-check';
import type { ContractDefinition } from './host.js';
import { ContractTestbed } from './testing/test-host.js';
import { runningSigner, NODES, SIGNER_ACCOUNT } from './testing/mpc-fixtures.js';
import { fastAuthContract } from './fast-auth/fast-auth.js';
import { jwtGuardRouterContract } from './fast-auth/jwt-guard-router.js';
import { auth0GuardContract } from './fast-auth/jwt-guard.js';

const PANIC = /^[A-Z][A-Za-z]+: ./;

function initialised(contract: ContractDefinition, account: string, init: unknown): ContractTestbed {
  const testbed = new ContractTestbed(contract, account);
  const outcome = testbed.call('init', init, { predecessor: account });
  if (outcome.status !== 'success') throw new Error(`init failed: ${outcome.error}`);
  return testbed;
}

const PUBLIC_KEY = { kid: 'k', n: new Array(256).fill(0xff), e: [1, 0, 1] };

const targets: [string, () => ContractTestbed][] = [
  ['mpc-signer', () => runningSigner()],
  ['fast-auth', () => initialised(fastAuthContract, 'fast-auth.near', { init_guards: { jwt: 'jwt.near' }, owner: 'owner.near', pauser: 'owner.near', mpc_address: SIGNER_ACCOUNT })],
  ['jwt-guard-router', () => initialised(jwtGuardRouterContract, 'jwt.near', { owner: 'owner.near' })],
  ['auth0-guard', () => initialised(auth0GuardContract, 'guard.near', { owner: 'owner.near', public_keys: [PUBLIC_KEY], issuer: 'https://i/' })],
];

// Values shaped like real arguments often enough to get past the first checks.
const leaf = fc.oneof(fc.integer({ min: -2, max: 300 }), fc.string({ maxLength: 70 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 80 }), fc.boolean(), fc.constant(null), fc.constantFrom('Ecdsa', 'Eddsa', 'Secp256k1', 'ecdsa', 'jwt#https://i/', 'node0.near'));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.constantFrom('request', 'path', 'payload', 'payload_v2', 'domain_id', 'key_version', 'Ecdsa', 'Eddsa', 'tweak', 'response', 'scheme', 'guard_id', 'verify_payload', 'sign_payload', 'algorithm', 'issuer', 'jwt', 'predecessor', 'key_event_id', 'epoch_id', 'attempt_id', 'domains', 'proposal', 'id', 'name', 'account_id', 'guard_name', 'guard_account', 'guard_address', 'mpc_domain_id', 'mpc_key_version'), tie('value'), { maxKeys: 5 })),
})).value;

describe.each(targets)('%s with arbitrary arguments', (_name, make) => {
  const testbed = make();
  const methods = Object.keys(testbed.contract.methods);

  it('succeeds or refuses with a typed panic, changing nothing when it refuses', () => {
    fc.assert(
      fc.property(fc.constantFrom(...methods), json, fc.constantFrom(NODES[0], 'alice.near', testbed.accountId), (method, args, predecessor) => {
        const before = testbed.snapshot();
        const outcome = testbed.call(method, args, { predecessor, deposit: 1n, promiseResults: [{ status: 'failed' }] });
        if (outcome.status === 'panic') {
          expect(outcome.error).toMatch(PANIC);
          expect(testbed.snapshot()).toEqual(before);
        }
      }),
      { numRuns: 300 },
    );
  });
});
