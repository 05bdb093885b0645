/**
 * The whole FastAuth path, with the test playing the chain between testbeds: FastAuth → router →
 * Auth0 guard (a real RS256 token) → FastAuth callback → MPC signer → a node's respond → back to the user.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { parsePublicKey } from '../../shared/near/keys.js';
import { ecdsaResponse, expectSuccess, NODES, runningSigner, SIGNER_ACCOUNT, tweakBytes } from '../testing/mpc-fixtures.js';
import { GUARD_ACCOUNT, ISSUER, issuerKey, mintToken } from '../testing/jwt-fixtures.js';
import type { PromiseResult } from '../host.js';
import { ROUTER_ADD_GUARD_DEPOSIT } from '../../shared/near/fast-auth-abi.js';
import { type CallOutcome, ContractTestbed, type RecordedPromise, success } from '../testing/test-host.js';
import { fastAuthContract } from './fast-auth.js';
import { jwtGuardRouterContract } from './jwt-guard-router.js';
import { auth0GuardContract } from './jwt-guard.js';
import type { SignResponseAny } from '../../shared/near/fast-auth-abi.js';

const FAST_AUTH = 'fast-auth.near';
const ROUTER = 'jwt.fast-auth.near';
const USER = 'relayer.near';
const DEPOSIT = 10n ** 22n;

/** Runs a recorded function call on the testbed of its receiver, as the chain would. */
function execute(testbed: ContractTestbed, promise: RecordedPromise | undefined, predecessor: string, promiseResults?: PromiseResult[]): CallOutcome {
  if (promise?.kind !== 'call' || promise.account !== testbed.accountId) throw new Error(`expected a call to ${testbed.accountId}, got ${JSON.stringify(promise, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  const outcome = testbed.call(promise.method, promise.args, { predecessor, signer: USER, deposit: promise.deposit, gas: promise.gas, ...(promiseResults ? { promiseResults } : {}) });
  if (outcome.status !== 'success') throw new Error(`${promise.method} failed: ${outcome.error}`);
  return outcome;
}

const TRANSACTION = [...new TextEncoder().encode('borsh(SignedDelegate)')];
const GUARD_ID = `jwt#${ISSUER}`;
const SUB = 'google-oauth2|7';
const PATH = `${GUARD_ID}#${SUB}`;

/** FastAuth, router, Auth0 guard and a running signer, wired as on mainnet; `sign` called with a token. */
async function startSign(claims: Record<string, unknown> = {}) {
  const key = await issuerKey('k1');
  const fastAuth = new ContractTestbed(fastAuthContract, FAST_AUTH);
  expectSuccess(fastAuth.call('init', { init_guards: { jwt: ROUTER }, owner: 'owner.near', pauser: 'owner.near', mpc_address: SIGNER_ACCOUNT }, { predecessor: FAST_AUTH }));
  const router = new ContractTestbed(jwtGuardRouterContract, ROUTER);
  expectSuccess(router.call('init', { owner: 'owner.near' }, { predecessor: ROUTER }));
  expectSuccess(router.call('add_guard', { guard_name: ISSUER, guard_account: GUARD_ACCOUNT }, { predecessor: 'owner.near', deposit: ROUTER_ADD_GUARD_DEPOSIT }));
  const guard = new ContractTestbed(auth0GuardContract, GUARD_ACCOUNT);
  expectSuccess(guard.call('init', { owner: 'owner.near', public_keys: [key.publicKey], issuer: ISSUER }, { predecessor: GUARD_ACCOUNT }));
  const signer = runningSigner();
  const token = await mintToken(key, Number(guard.blockTimestampNs / 1_000_000_000n), { fatxn: TRANSACTION, sub: SUB, ...claims });

  const signCall = fastAuth.call('sign', { guard_id: GUARD_ID, verify_payload: token, sign_payload: TRANSACTION, algorithm: 'ecdsa' }, { predecessor: USER, deposit: DEPOSIT });
  const routed = execute(router, signCall.promises[0], FAST_AUTH);
  const verdict = execute(guard, routed.promises[0], ROUTER);
  const answer = execute(router, routed.promises[1], ROUTER, [success(verdict.value)]);
  const verified = execute(fastAuth, signCall.promises[1], FAST_AUTH, [success(answer.value)]);
  return { fastAuth, signer, verdict, answer, verified };
}

it('signs a transaction for a JWT-authenticated user and refunds the deposit', async () => {
  const { fastAuth, signer, verdict, answer, verified } = await startSign();
  expect(verdict.value).toEqual([true, SUB]);
  expect(answer.value).toEqual([true, SUB, ISSUER]);
  const mpcSign = execute(signer, verified.promises[0], FAST_AUTH);
  // As near/mpc: the signer keeps 1 yoctoNEAR and sends the rest back at once, before it yields.
  expect(mpcSign.promises[0]).toEqual({ kind: 'transfer', index: 0, account: FAST_AUTH, amount: DEPOSIT - 1n });

  const hash = sha256(Uint8Array.from(TRANSACTION));
  const request = { tweak: tweakBytes(FAST_AUTH, PATH), payload: { Ecdsa: Buffer.from(hash).toString('hex') }, domain_id: 0 };
  const response = ecdsaResponse(FAST_AUTH, PATH, hash);
  signer.call('respond', { request, response }, { predecessor: NODES[0] });
  const parked = mpcSign.promises.find((promise) => promise.kind === 'yield');
  const returned = signer.deliverResumedYield((parked as { dataId: string }).dataId);

  const finished = execute(fastAuth, verified.promises[1], FAST_AUTH, [success(returned.value)]);
  expect(finished.promises).toEqual([{ kind: 'transfer', index: 0, account: USER, amount: DEPOSIT }]);
  const signature = finished.value as Extract<SignResponseAny, { big_r: unknown }>;
  expect(signature).toEqual(response);

  // The user's key is the one the signer derives for (FastAuth, path).
  const derived = parsePublicKey(signer.view('derived_public_key', { path: PATH, predecessor: FAST_AUTH }) as string);
  const r = hexToBytes(signature.big_r.affine_point).subarray(1);
  const recovered = secp256k1.Signature.fromBytes(Uint8Array.from([...r, ...hexToBytes(signature.s.scalar)]), 'compact').addRecoveryBit(signature.recovery_id).recoverPublicKey(hash);
  expect(recovered.equals(derived.point as typeof recovered)).toBe(true);
});

it('refunds the user when the signer times out', async () => {
  const { fastAuth, signer, verified } = await startSign();
  const mpcSign = execute(signer, verified.promises[0], FAST_AUTH);
  const parked = mpcSign.promises.find((promise) => promise.kind === 'yield') as { dataId: string };
  signer.advanceBlocks(200);
  const timedOut = signer.timeOutYield(parked.dataId);
  // As near/mpc: the signer keeps its 1 yocto and fails the sign call through fail_on_timeout.
  expect(timedOut.promises).toEqual([{ kind: 'call', index: 0, account: SIGNER_ACCOUNT, method: 'fail_on_timeout', args: {}, deposit: 0n, gas: 2n * 10n ** 12n }]);
  const failed = signer.call('fail_on_timeout', {}, { predecessor: SIGNER_ACCOUNT });
  expect(failed.status).toBe('panic');

  // FastAuth pays that yoctoNEAR: its user gets the whole deposit back.
  const finished = execute(fastAuth, verified.promises[1], FAST_AUTH, [{ status: 'failed' }]);
  expect(finished.promises[0]).toEqual({ kind: 'transfer', index: 0, account: USER, amount: DEPOSIT });
  expect(finished.promises[1]).toMatchObject({ method: 'report_failure', args: { error: 'the MPC signer failed or timed out' } });
});

it('refunds the user when the guard rejects the token, without calling the signer', async () => {
  const { answer, verified } = await startSign({ fatxn: [...TRANSACTION, 1] });
  expect(answer.value).toEqual([false, 'Transaction payload mismatch', '']);
  expect(verified.promises[0]).toEqual({ kind: 'transfer', index: 0, account: USER, amount: DEPOSIT });
  expect(verified.promises[1]).toMatchObject({ method: 'report_failure', args: { error: 'the guard rejected the token: Transaction payload mismatch' } });
  expect(verified.promises.some((promise) => promise.kind === 'call' && promise.method === 'sign')).toBe(false);
});
