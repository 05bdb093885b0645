/**
 * Bad input anywhere must end in a clear, typed refusal: for arbitrary JSON arguments every method of
 * every contract either succeeds or panics with "<Kind>: <message>" (the MPC signer: or with one of
 * near/mpc's own error texts, which it repeats word for word) — never a raw exception — and a refused
 * call leaves storage as it was.
 */
import fc from 'fast-check';
import type { ContractDefinition } from './host.js';
import { SIGNER_ERRORS } from '../shared/near/signer-abi.js';
import { ContractTestbed } from './testing/test-host.js';
import { runningSigner, NODES, SIGNER_ACCOUNT } from './testing/mpc-fixtures.js';
import { fastAuthContract } from './fast-auth/fast-auth.js';
import { jwtGuardRouterContract } from './fast-auth/jwt-guard-router.js';
import { auth0GuardContract } from './fast-auth/jwt-guard.js';

const PANIC = /^[A-Z][A-Za-z]+: ./;

/**
 * The beginnings of near/mpc 3.14's error texts the signer repeats (crates/contract/src/errors.rs, and
 * the `expect`s of its `sign` and `respond`): the fixed ones of SIGNER_ERRORS, then those with values.
 */
const NEAR_MPC_ERROR_TEXTS: readonly string[] = [
  ...Object.values(SIGNER_ERRORS).flatMap((text) => (typeof text === 'string' ? [text] : [])),
  'Caller must be the signer account',
  'called `Result::unwrap()` on an `Err` value: ',
  'Not a participant: ',
  'The provided domain ID, ',
  'Domain ',
  'Provided gas is lower than required.',
  'Attached deposit is lower than required.',
  'Provided Epoch Id, ',
  'Malformed payload: ',
  'Invalid TEE Remote Attestation: ',
  'No TEE verifier is configured yet.',
  'the submitted attestation failed verification',
  'TLS public key is already registered to a different account',
  'Payload is not Ecdsa',
  'Payload is not ECDSA',
  'Payload is not EdDSA',
  'Ecdsa payload cannot be converted to Scalar',
  'ConfidentialKeyDerivation is not supported for signature responses',
  'The provided signature scheme does not match.',
  'The provided tweak is not on the curve of the public key.',
  'Participant ID ',
  'Duplicate participant IDs found.',
  'Duplicate account IDs found.',
  'GovernanceThreshold ',
  'Existing participant ',
  'New participant ',
  'New Participant ids need to ',
  'Set of proposed participants must contain at least `threshold` old participants.',
  'Invalid protocol-purpose combination',
  'Reconstruction threshold ',
  'Protocol DamgardEtAl requires at least ',
  'vote_add_domains must add at least one domain',
  'Newly proposed domain IDs are not contiguous.',
  'Resharing proposal references domain ID ',
];

/** How `target` may refuse: a typed panic, or for the MPC signer also one of near/mpc's texts. */
const isRefusal = (target: string, message: string): boolean => PANIC.test(message) || (target === 'mpc-signer' && NEAR_MPC_ERROR_TEXTS.some((text) => message.startsWith(text)));

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
const leaf = fc.oneof(fc.integer({ min: -2, max: 300 }), fc.string({ maxLength: 70 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 80 }), fc.boolean(), fc.constant(null), fc.constantFrom('Ecdsa', 'Eddsa', 'Secp256k1', 'ecdsa', 'jwt#https://i/', 'node0.near', 'Valid', 'CaitSith', 'Edwards25519'));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.constantFrom('request', 'path', 'payload', 'payload_v2', 'domain_id', 'key_version', 'Ecdsa', 'Eddsa', 'tweak', 'response', 'scheme', 'guard_id', 'verify_payload', 'sign_payload', 'algorithm', 'issuer', 'jwt', 'predecessor', 'key_event_id', 'epoch_id', 'attempt_id', 'domains', 'proposal', 'id', 'name', 'account_id', 'guard_name', 'guard_account', 'guard_address', 'mpc_domain_id', 'mpc_key_version', 'proposed_participant_attestation', 'tls_public_key', 'Mock', 'parameters', 'per_domain_thresholds', 'prospective_epoch_id', 'next_domain_id', 'public_key', 'signature_scheme'), tie('value'), { maxKeys: 5 })),
})).value;

describe.each(targets)('%s with arbitrary arguments', (name, make) => {
  const testbed = make();
  const methods = Object.keys(testbed.contract.methods);

  it('succeeds or refuses with a typed panic, changing nothing when it refuses', () => {
    fc.assert(
      fc.property(fc.constantFrom(...methods), json, fc.constantFrom(NODES[0], 'alice.near', testbed.accountId), (method, args, predecessor) => {
        const before = testbed.snapshot();
        const outcome = testbed.call(method, args, { predecessor, deposit: 1n, promiseResults: [{ status: 'failed' }] });
        if (outcome.status === 'panic') {
          expect({ error: outcome.error, refusal: isRefusal(name, outcome.error!) }).toEqual({ error: outcome.error, refusal: true });
          expect(testbed.snapshot()).toEqual(before);
        }
      }),
      { numRuns: 300 },
    );
  });
});
