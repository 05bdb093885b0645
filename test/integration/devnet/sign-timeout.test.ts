// A sign request nobody answers, on the devnet chain with its gas model: after the yield timeout the
// caller's call fails with near/mpc's "Request has timed out." and, as near/mpc, the signer keeps the
// 1-yocto sign deposit (anything above it came back at once) — directly, and through FastAuth, which
// pays that yoctoNEAR itself so that its user gets the whole deposit back. Balances are checked to the
// yoctoNEAR: the signer pays exactly the gas its transaction burnt.
import { KeyPair } from '@near-js/crypto';
import { actionCreators } from '@near-js/transactions';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { MIN_SIGN_GAS as FAST_AUTH_MIN_SIGN_GAS, fastAuthContract } from '../../../contract/fast-auth/fast-auth.js';
import { jwtGuardRouterContract } from '../../../contract/fast-auth/jwt-guard-router.js';
import { auth0GuardContract } from '../../../contract/fast-auth/jwt-guard.js';
import { mpcSignerContract } from '../../../contract/mpc-signer/contract.js';
import { GUARD_ACCOUNT, ISSUER, issuerKey, mintToken, type TestIssuerKey } from '../../../contract/testing/jwt-fixtures.js';
import { NODES, SIGNER_ACCOUNT, THREE_NODES, tweakBytes } from '../../../contract/testing/mpc-fixtures.js';
import { ROUTER_ADD_GUARD_DEPOSIT } from '../../../shared/near/fast-auth-abi.js';
import { SIGN_DEPOSIT, SIGN_MIN_GAS, SIGNER_ERRORS } from '../../../shared/near/signer-abi.js';
import { bringUpSigner } from '../../support/devnet-signer.js';
import { LocalSigner, startDevnetChain, type RunningDevnetChain } from '../../../services/devnet/chain/index.js';
import type { IncludedResult } from '../../../services/devnet/chain/local-signer.js';

const TGAS = 10n ** 12n;
const NEAR = 10n ** 24n;
const WAIT_MS = 30_000;
/** Short enough for a test, long enough that the sign call has parked before the timeout. */
const YIELD_TIMEOUT_BLOCKS = 10;
const FAST_AUTH = 'fast-auth.near';
const ROUTER = 'jwt.fast-auth.near';
const USER = 'alice.near';
const FAST_AUTH_DEPOSIT = 10n ** 22n;

describe('an unanswered sign request on the devnet chain', () => {
  let devnet: RunningDevnetChain;
  let user: LocalSigner;
  let issuer: TestIssuerKey;
  const nodeKeys = NODES.map(() => KeyPair.fromRandom('ed25519'));
  const userKey = KeyPair.fromRandom('ed25519');

  const balance = (accountId: string): bigint => devnet.chain.account(accountId).account.amount;
  /** Everything the transaction's receipts burnt; the signer prepaid it and got the rest refunded. */
  const tokensBurnt = (result: IncludedResult): bigint => [result.outcome, ...result.receiptOutcomes].reduce((sum, outcome) => sum + outcome.tokensBurnt, 0n);

  /** Sends `sign` and waits until every receipt it spawned (callbacks, refunds) has executed. */
  async function signAndWait(receiverId: string, args: object, deposit: bigint, gas: bigint): Promise<IncludedResult> {
    const result = await user.execute(receiverId, [actionCreators.functionCall('sign', args, gas, deposit)], WAIT_MS);
    if (result.phase !== 'included') throw new Error(`sign was not included: ${JSON.stringify(result)}`);
    return result;
  }

  beforeAll(async () => {
    issuer = await issuerKey('k1');
    devnet = await startDevnetChain({
      blockTimeMs: 20,
      yieldTimeoutBlocks: YIELD_TIMEOUT_BLOCKS,
      contracts: [
        { accountId: SIGNER_ACCOUNT, definition: mpcSignerContract, init: { methodName: 'init', args: { parameters: THREE_NODES } } },
        { accountId: FAST_AUTH, definition: fastAuthContract, init: { methodName: 'init', args: { init_guards: { jwt: ROUTER }, owner: 'devnet', pauser: 'devnet', mpc_address: SIGNER_ACCOUNT } } },
        { accountId: ROUTER, definition: jwtGuardRouterContract, init: { methodName: 'init', args: { owner: 'devnet' } } },
        { accountId: GUARD_ACCOUNT, definition: auth0GuardContract, init: { methodName: 'init', args: { owner: 'devnet', public_keys: [issuer.publicKey], issuer: ISSUER } } },
      ],
      accounts: [
        ...NODES.map((accountId, index) => ({ accountId, balance: 100n * NEAR, publicKeys: [nodeKeys[index]!.getPublicKey().toString()] })),
        { accountId: USER, balance: 100n * NEAR, publicKeys: [userKey.getPublicKey().toString()] },
      ],
    });
    await bringUpSigner(
      NODES.map((accountId, index) => new LocalSigner(devnet.chain, accountId, nodeKeys[index]!)),
      SIGNER_ACCOUNT,
      ['Secp256k1'],
    );
    const root = new LocalSigner(devnet.chain, devnet.rootAccount.accountId, KeyPair.fromString(devnet.rootAccount.secretKey));
    const addGuard = await root.execute(ROUTER, [actionCreators.functionCall('add_guard', { guard_name: ISSUER, guard_account: GUARD_ACCOUNT }, 30n * TGAS, ROUTER_ADD_GUARD_DEPOSIT)], WAIT_MS);
    if (addGuard.phase !== 'included' || addGuard.status.kind === 'Failure') throw new Error(`add_guard failed: ${JSON.stringify(addGuard)}`);
    user = new LocalSigner(devnet.chain, USER, userKey);
  });

  afterAll(async () => {
    await devnet?.stop();
  });

  it.each([
    ['the minimum gas', SIGN_MIN_GAS],
    ['300 Tgas', 300n * TGAS],
  ])('fails with near/mpc\'s timeout error for a direct caller with %s; the signer keeps its 1 yoctoNEAR, the rest came back', async (_label, gas) => {
    const [userBefore, signerBefore] = [balance(USER), balance(SIGNER_ACCOUNT)];
    const payload = bytesToHex(sha256(utf8ToBytes(`nobody answers ${gas}`)));
    const result = await signAndWait(SIGNER_ACCOUNT, { request: { path: 'timeout', payload_v2: { Ecdsa: payload }, domain_id: 0 } }, 5n, gas);

    expect(result.status).toEqual({ kind: 'Failure', error: expect.anything() });
    expect(JSON.stringify(result.status)).toContain(SIGNER_ERRORS.requestTimedOut);
    expect(balance(USER)).toBe(userBefore - tokensBurnt(result) - SIGN_DEPOSIT);
    expect(balance(SIGNER_ACCOUNT)).toBe(signerBefore + SIGN_DEPOSIT);
    const request = { tweak: tweakBytes(USER, 'timeout'), payload: { Ecdsa: payload }, domain_id: 0 };
    expect(new TextDecoder().decode(devnet.chain.callView(SIGNER_ACCOUNT, 'get_pending_request', utf8ToBytes(JSON.stringify({ request }))).result)).toBe('null');
  });

  it('refunds the whole deposit to a FastAuth user when the MPC signer times out', async () => {
    const signPayload = [...utf8ToBytes('borsh(SignedDelegate) nobody answers')];
    const token = await mintToken(issuer, Math.floor(Date.now() / 1000), { fatxn: signPayload, sub: 'google-oauth2|42' });
    const [userBefore, fastAuthBefore, signerBefore] = [balance(USER), balance(FAST_AUTH), balance(SIGNER_ACCOUNT)];
    const result = await signAndWait(FAST_AUTH, { guard_id: `jwt#${ISSUER}`, verify_payload: token, sign_payload: signPayload, algorithm: 'ecdsa' }, FAST_AUTH_DEPOSIT, FAST_AUTH_MIN_SIGN_GAS);

    expect(JSON.stringify(result.status)).toContain('SignFailed: the MPC signer failed or timed out; the attached deposit was refunded');
    // The signer's own timeout path ran (not a callback out of gas) and gave its 1 yocto back to FastAuth.
    expect(result.receiptOutcomes.map((outcome) => JSON.stringify(outcome.status))).toContainEqual(expect.stringContaining(SIGNER_ERRORS.requestTimedOut));
    // The user gets the whole deposit back; FastAuth pays the signer's 1 yoctoNEAR.
    expect(balance(USER)).toBe(userBefore - tokensBurnt(result));
    expect(balance(FAST_AUTH)).toBe(fastAuthBefore - SIGN_DEPOSIT);
    expect(balance(SIGNER_ACCOUNT)).toBe(signerBefore + SIGN_DEPOSIT);
  });
});
