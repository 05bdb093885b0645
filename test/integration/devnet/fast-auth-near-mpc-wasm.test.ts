// FastAuth (ours, TypeScript) in front of near/mpc's published signer (3.14.0 and 3.14.1, wasm) on the
// devnet chain: the request FastAuth sends is one the real signer accepts, and its answer reaches the
// user. The participants vote root keys the test owns (contract/testing/mpc-fixtures.ts), so the test
// plays the MPC nodes: it signs with the derived key and calls `respond` as a participant with
// near/mpc's arguments. A valid JWT signs (ECDSA, EdDSA and the legacy secp256k1 request); a forged
// token, one naming a claim twice and one issued in the future are refused before the signer is
// called. Balances are checked to the yoctoNEAR: the user pays only gas, FastAuth absorbs the
// signer's 1 yoctoNEAR on success and nothing on a refusal.
import { KeyPair } from '@near-js/crypto';
import { actionCreators } from '@near-js/transactions';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { base58 } from '@scure/base';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fastAuthContract } from '../../../contract/fast-auth/fast-auth.js';
import { jwtGuardRouterContract } from '../../../contract/fast-auth/jwt-guard-router.js';
import { auth0GuardContract } from '../../../contract/fast-auth/jwt-guard.js';
import { claimsAt, GUARD_ACCOUNT, ISSUER, issuerKey, mintToken, signRawToken, type TestIssuerKey, withDuplicateMember } from '../../../contract/testing/jwt-fixtures.js';
// TEST-ONLY root keys: the participants vote them instead of running a DKG; their secrets are in the fixtures.
import { ecdsaResponse, ed25519Response, rootPublicKey } from '../../../contract/testing/mpc-fixtures.js';
import { LocalSigner, startDevnetChain, type RunningDevnetChain } from '../../../services/devnet/chain/index.js';
import { waitForExecution, type IncludedResult } from '../../../services/devnet/chain/local-signer.js';
import { deriveTweak } from '../../../shared/crypto/kdf.js';
import { parsePublicKey } from '../../../shared/near/keys.js';
import {
  type FastAuthInitArgs,
  type FastAuthSignArgs,
  type JwtGuardInitArgs,
  ROUTER_ADD_GUARD_DEPOSIT,
  type RouterAddGuardArgs,
  type SignResponseAny,
} from '../../../shared/near/fast-auth-abi.js';

const TGAS = 10n ** 12n;
const NEAR = 10n ** 24n;
const WAIT_MS = 30_000;
const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/near-mpc/', import.meta.url));
const SIGNER = 'v1.signer';
const FAST_AUTH = 'fast-auth.near';
const ROUTER = 'jwt.fast-auth.near';
const USER = 'relayer.near';
const PARTICIPANTS = ['node0.near', 'node1.near', 'node2.near'] as const;
const GUARD_ID = `jwt#${ISSUER}`;
const SUB = 'google-oauth2|1234567890';
const PATH = `${GUARD_ID}#${SUB}`;
const DEPOSIT = 10n ** 22n;

type EcdsaSignResponse = Extract<SignResponseAny, { big_r: unknown }>;

describe.each([
  ['3.14.0', 'signer-3_14_0.wasm'],
  ['3.14.1', 'signer-3_14_1.wasm'],
])('FastAuth on near/mpc signer %s (wasm)', (version, file) => {
  let devnet: RunningDevnetChain;
  let user: LocalSigner;
  let nodes: LocalSigner[];
  let issuer: TestIssuerKey;
  const nodeKeys = PARTICIPANTS.map(() => KeyPair.fromRandom('ed25519'));
  const userKey = KeyPair.fromRandom('ed25519');
  const tlsKeys = PARTICIPANTS.map(() => `ed25519:${base58.encode(ed25519.getPublicKey(ed25519.utils.randomSecretKey()))}`);

  const balance = (accountId: string): bigint => devnet.chain.account(accountId).account.amount;
  /** Everything the transaction's receipts burnt; the signer prepaid it and got the rest refunded. */
  const tokensBurnt = (result: IncludedResult): bigint => [result.outcome, ...result.receiptOutcomes].reduce((sum, outcome) => sum + outcome.tokensBurnt, 0n);
  const view = (accountId: string, method: string, args: object): unknown => JSON.parse(new TextDecoder().decode(devnet.chain.callView(accountId, method, utf8ToBytes(JSON.stringify(args))).result));
  const now = (): number => Math.floor(Date.now() / 1000);

  async function call(signer: LocalSigner, receiverId: string, method: string, args: object, deposit = 0n): Promise<void> {
    const result = await signer.execute(receiverId, [actionCreators.functionCall(method, args, 300n * TGAS, deposit)], WAIT_MS);
    if (result.status.kind !== 'SuccessValue') throw new Error(`${method} on ${receiverId} failed: ${JSON.stringify(result.status)}`);
  }

  /** FastAuth `sign` with `token`, sent without waiting: a signing request ends only when a participant responds. */
  async function sendSign(token: string, signPayload: Uint8Array, algorithm: string): Promise<string> {
    const args: FastAuthSignArgs = { guard_id: GUARD_ID, verify_payload: token, sign_payload: [...signPayload], algorithm };
    return (await user.send(FAST_AUTH, [actionCreators.functionCall('sign', args, 300n * TGAS, DEPOSIT)])).hash;
  }

  beforeAll(async () => {
    issuer = await issuerKey('k1');
    devnet = await startDevnetChain({
      blockTimeMs: 50,
      contracts: [
        { accountId: SIGNER, wasm: new Uint8Array(readFileSync(`${FIXTURES}${file}`)), balance: 40n * NEAR },
        {
          accountId: FAST_AUTH,
          definition: fastAuthContract,
          init: { methodName: 'init', args: { init_guards: { jwt: ROUTER }, owner: 'devnet', pauser: 'devnet', mpc_address: SIGNER } satisfies FastAuthInitArgs },
        },
        { accountId: ROUTER, definition: jwtGuardRouterContract, init: { methodName: 'init', args: { owner: 'devnet' } } },
        { accountId: GUARD_ACCOUNT, definition: auth0GuardContract, init: { methodName: 'init', args: { owner: 'devnet', public_keys: [issuer.publicKey], issuer: ISSUER } satisfies JwtGuardInitArgs } },
      ],
      accounts: [
        ...PARTICIPANTS.map((accountId, index) => ({ accountId, balance: 100n * NEAR, publicKeys: [nodeKeys[index]!.getPublicKey().toString()] })),
        { accountId: USER, balance: 100n * NEAR, publicKeys: [userKey.getPublicKey().toString()] },
      ],
    });
    nodes = PARTICIPANTS.map((accountId, index) => new LocalSigner(devnet.chain, accountId, nodeKeys[index]!));
    user = new LocalSigner(devnet.chain, USER, userKey);
    const root = new LocalSigner(devnet.chain, devnet.rootAccount.accountId, KeyPair.fromString(devnet.rootAccount.secretKey));
    await call(root, ROUTER, 'add_guard', { guard_name: ISSUER, guard_account: GUARD_ACCOUNT } satisfies RouterAddGuardArgs, ROUTER_ADD_GUARD_DEPOSIT);

    // near/mpc's own bring-up: init, mock attestations, both domains voted in by everyone, then one key event per domain.
    const participants = PARTICIPANTS.map((accountId, id) => [accountId, id, { url: `http://127.0.0.1:${9100 + id}`, tls_public_key: tlsKeys[id] }]);
    await call(nodes[0]!, SIGNER, 'init', { parameters: { threshold: 2, participants: { next_id: PARTICIPANTS.length, participants } } });
    for (const [index, node] of nodes.entries()) await call(node, SIGNER, 'submit_participant_info', { proposed_participant_attestation: { Mock: 'Valid' }, tls_public_key: tlsKeys[index] });
    const domains = [
      { id: 0, protocol: 'CaitSith', purpose: 'Sign', reconstruction_threshold: 2 },
      { id: 1, protocol: 'Frost', purpose: 'Sign', reconstruction_threshold: 2 },
    ];
    for (const node of nodes) await call(node, SIGNER, 'vote_add_domains', { domains });
    for (const [domainId, key] of [rootPublicKey('Secp256k1'), rootPublicKey('Ed25519')].entries()) {
      const keyEventId = { epoch_id: 0, domain_id: domainId, attempt_id: 0 };
      await call(nodes[0]!, SIGNER, 'start_keygen_instance', { key_event_id: keyEventId });
      for (const node of nodes) await call(node, SIGNER, 'vote_pk', { key_event_id: keyEventId, public_key: key });
    }
  }, 120_000);

  afterAll(async () => {
    await devnet?.stop();
  });

  it('runs the published signer with the test\'s root keys', () => {
    expect(view(SIGNER, 'version', {})).toBe(version);
    expect([view(SIGNER, 'public_key', { domain_id: 0 }), view(SIGNER, 'public_key', { domain_id: 1 })]).toEqual([rootPublicKey('Secp256k1'), rootPublicKey('Ed25519')]);
  });

  // secp256k1 is FastAuth's legacy request ({payload, path, key_version}), which near/mpc reads as domain key_version.
  describe.each([
    ['ecdsa', 'Ecdsa', 0],
    ['secp256k1', 'Ecdsa', 0],
    ['eddsa', 'Eddsa', 1],
  ] as const)('a valid JWT and algorithm %s', (algorithm, scheme, domainId) => {
    it('signs: the user gets the verified signature as the result and the whole deposit back', async () => {
      const signPayload = utf8ToBytes(`borsh(SignedDelegate) for ${algorithm} on ${version}`);
      const hash = sha256(signPayload);
      const before = { user: balance(USER), fastAuth: balance(FAST_AUTH), signer: balance(SIGNER) };
      const transaction = await sendSign(await mintToken(issuer, now(), { fatxn: [...signPayload] }), signPayload, algorithm);

      // What the signer keeps for the request: near/mpc's (tweak, payload, domain) for (FastAuth, path).
      const request = { tweak: [...deriveTweak(FAST_AUTH, PATH)], payload: { [scheme]: bytesToHex(hash) }, domain_id: domainId };
      expect(await devnet.chain.waitFor(() => view(SIGNER, 'get_pending_request', { request }) !== null, WAIT_MS)).toBe(true);
      const response = scheme === 'Ecdsa' ? ecdsaResponse(FAST_AUTH, PATH, hash) : ed25519Response(FAST_AUTH, PATH, hash);
      await call(nodes[1]!, SIGNER, 'respond', { request, response });

      const result = await waitForExecution(devnet.chain, transaction, WAIT_MS);
      expect(result.status.kind).toBe('SuccessValue');
      const signature = JSON.parse(new TextDecoder().decode((result.status as { value: Uint8Array }).value)) as SignResponseAny;
      expect(signature).toEqual(response);
      const derived = parsePublicKey(view(SIGNER, 'derived_public_key', { path: PATH, predecessor: FAST_AUTH, domain_id: domainId }) as string);
      if (scheme === 'Ecdsa') {
        const { big_r, s, recovery_id } = signature as EcdsaSignResponse;
        const compact = Uint8Array.from([...hexToBytes(big_r.affine_point).subarray(1), ...hexToBytes(s.scalar)]);
        const recovered = secp256k1.Signature.fromBytes(compact, 'compact').addRecoveryBit(recovery_id).recoverPublicKey(hash);
        expect(recovered.equals(derived.point as typeof recovered)).toBe(true);
      } else {
        const bytes = Uint8Array.from((signature as Extract<SignResponseAny, { signature: unknown }>).signature);
        expect(ed25519.verify(bytes, hash, derived.point.toBytes())).toBe(true);
      }
      // The deposit went to the signer, which kept 1 yoctoNEAR; FastAuth gave the user the whole deposit back.
      expect(balance(USER)).toBe(before.user - tokensBurnt(result));
      expect(balance(FAST_AUTH)).toBe(before.fastAuth - 1n);
      expect(balance(SIGNER)).toBe(before.signer + 1n);
      expect(view(SIGNER, 'get_pending_request', { request })).toBeNull();
    });
  });

  const signPayload = utf8ToBytes('borsh(SignedDelegate) nobody may sign');
  it.each<[string, () => Promise<string>, string]>([
    ['a forged JWT (another key under the same kid)', async () => mintToken(await issuerKey('k1'), now(), { fatxn: [...signPayload] }), 'Invalid signature'],
    [
      'a JWT naming sub twice',
      async () => signRawToken(issuer, JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'k1' }), withDuplicateMember(claimsAt(now(), { fatxn: [...signPayload] }), 'sub', 'google-oauth2|admin')),
      'Duplicate member "sub" in the JWT payload',
    ],
    ['a JWT issued an hour ahead', async () => mintToken(issuer, now(), { fatxn: [...signPayload], iat: now() + 3600 }), 'Token issued in the future'],
  ])('refuses %s before calling the signer, and the deposit comes back', async (_name, makeToken, reason) => {
    const before = { user: balance(USER), fastAuth: balance(FAST_AUTH), signer: balance(SIGNER) };
    const result = await waitForExecution(devnet.chain, await sendSign(await makeToken(), signPayload, 'ecdsa'), WAIT_MS);

    expect(result.status).toEqual({
      kind: 'Failure',
      error: { ActionError: { index: 0, kind: { FunctionCallError: { ExecutionError: `Smart contract panicked: SignFailed: the guard rejected the token: ${reason}; the attached deposit was refunded` } } } },
    });
    expect(result.receiptOutcomes.filter((outcome) => outcome.executorId === SIGNER)).toEqual([]);
    expect(balance(USER)).toBe(before.user - tokensBurnt(result));
    expect(balance(FAST_AUTH)).toBe(before.fastAuth);
    expect(balance(SIGNER)).toBe(before.signer);
  });
});
