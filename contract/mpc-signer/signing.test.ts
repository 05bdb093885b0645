import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { numberToBytesBE } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { base58 } from '@scure/base';
import { formatNearPublicKey, parsePublicKey } from '../../shared/near/keys.js';
import { DEFAULT_SIGNER_CONFIG, MAX_PENDING_REQUEST_FAN_OUT, SIGN_MIN_GAS, SIGNER_ERRORS, TGAS, type Ed25519SignatureResponse } from '../../shared/near/signer-abi.js';
import {
  domainConfig,
  ecdsaResponse,
  ed25519Response,
  expectSuccess,
  generateKey,
  NODES,
  rootPublicKey,
  runningSigner,
  SIGNER_ACCOUNT,
  tweakBytes,
} from '../testing/mpc-fixtures.js';
import { type CallOptions, type CallOutcome, type ContractTestbed, jsonBytes } from '../testing/test-host.js';
import { MPC_SIGNER_VERSION } from './contract.js';
import { edwardsPointDebug } from './edwards-point-debug.js';

const USER = 'alice.near';
const PATH = 'ethereum-1';
const PAYLOAD = sha256(utf8ToBytes('transfer 1 ETH'));
const N = secp256k1.Point.Fn.ORDER;
/** An Ed25519 account key no node registered with (they register with the testbed's default). */
const UNREGISTERED_ACCOUNT_KEY = formatNearPublicKey({ curve: 'ed25519', point: ed25519.Point.fromBytes(ed25519.getPublicKey(sha256(utf8ToBytes('unregistered account key')))) });

const ecdsaSign = (payload: Uint8Array = PAYLOAD, domainId = 0) => ({ request: { path: PATH, payload_v2: { Ecdsa: bytesToHex(payload) }, domain_id: domainId } });
const legacySign = (payload: Uint8Array = PAYLOAD, keyVersion = 0) => ({ request: { path: PATH, payload: [...payload], key_version: keyVersion } });
const ecdsaRequest = (payload: Uint8Array = PAYLOAD, predecessor = USER, path = PATH) => ({ tweak: tweakBytes(predecessor, path), payload: { Ecdsa: bytesToHex(payload) }, domain_id: 0 });
/** What `get_pending_request` answers for a parked yield: its data id as 32 numbers. */
const pendingYield = (dataId: string) => ({ data_id: [...hexToBytes(dataId)] });

function expectPanic(testbed: ContractTestbed, outcome: CallOutcome, expected: string | RegExp, before: Map<string, string>): void {
  expect(outcome.status).toBe('panic');
  if (typeof expected === 'string') expect(outcome.error).toBe(expected);
  else expect(outcome.error).toMatch(expected);
  expect(outcome.promises).toEqual([]);
  expect(testbed.snapshot()).toEqual(before);
}

function yieldOf(outcome: CallOutcome) {
  const parked = outcome.promises.find((promise) => promise.kind === 'yield');
  if (parked?.kind !== 'yield') throw new Error('no yield');
  return parked;
}

const signAs = (signer: ContractTestbed, args: unknown, options: CallOptions = {}) => signer.call('sign', args, { predecessor: USER, deposit: 1n, gas: SIGN_MIN_GAS, ...options });

describe('sign', () => {
  let signer: ContractTestbed;
  beforeEach(() => {
    signer = runningSigner();
  });

  it('parks an ECDSA request in a yield, refunds the excess deposit and returns the yield', () => {
    const outcome = expectSuccess(signAs(signer, ecdsaSign(), { deposit: 5n }));
    const parked = yieldOf(outcome);
    expect(parked.method).toBe('return_signature_and_clean_state_on_success');
    expect(parked.args).toEqual({ request: ecdsaRequest() });
    expect(parked.gas).toBe(BigInt(DEFAULT_SIGNER_CONFIG.return_signature_and_clean_state_on_success_call_tera_gas) * TGAS);
    expect(outcome.returnedPromise).toBe(parked.index);
    expect(outcome.promises).toContainEqual({ kind: 'transfer', index: expect.any(Number), account: USER, amount: 4n });
    expect(signer.view('get_pending_request', { request: ecdsaRequest() })).toEqual(pendingYield(parked.dataId));
  });

  it('keeps exactly one yoctoNEAR without a refund transfer', () => {
    const outcome = expectSuccess(signAs(signer, ecdsaSign(), { deposit: 1n }));
    expect(outcome.promises.map((promise) => promise.kind)).toEqual(['yield']);
  });

  it.each([
    ['no deposit', { deposit: 0n }, SIGNER_ERRORS.insufficientDeposit(0n, 1n)],
    ['less than 15 Tgas', { gas: SIGN_MIN_GAS - 1n }, SIGNER_ERRORS.insufficientGas(SIGN_MIN_GAS - 1n, SIGN_MIN_GAS)],
  ])('refuses %s and changes nothing', (_name, options, expected) => {
    const before = signer.snapshot();
    expectPanic(signer, signAs(signer, ecdsaSign(), options), expected, before);
  });

  it('accepts the largest ECDSA payload below the group order and refuses n and above', () => {
    expectSuccess(signAs(signer, ecdsaSign(numberToBytesBE(N - 1n, 32))));
    const before = signer.snapshot();
    for (const payload of [N, 2n ** 256n - 1n]) {
      expectPanic(signer, signAs(signer, ecdsaSign(numberToBytesBE(payload, 32))), 'Ecdsa payload cannot be converted to Scalar', before);
    }
  });

  it.each([
    ['malformed JSON', new TextEncoder().encode('{"request": {'), /^InvalidArguments: arguments are not valid JSON/],
    ['a non-object', jsonBytes([1, 2]), /^InvalidArguments: arguments: expected an object/],
    ['invalid UTF-8', Uint8Array.from([0x7b, 0xff, 0x7d]), 'InvalidArguments: arguments are not valid UTF-8'],
    ['domain_id as a string', jsonBytes({ request: { path: PATH, payload_v2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: '0' } }), /^InvalidArguments: request\.domain_id: expected an integer/],
    ['a negative domain_id', jsonBytes({ request: { path: PATH, payload_v2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: -1 } }), /^InvalidArguments: request\.domain_id: expected an integer/],
    ['a numeric path', jsonBytes({ request: { path: 7, payload_v2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: 0 } }), /^InvalidArguments: request\.path: expected a string/],
    ['a 31-byte ECDSA payload', jsonBytes(ecdsaSign(PAYLOAD.subarray(1))), 'InvalidArguments: request.payload_v2.Ecdsa: expected 32 bytes of hex, got 31'],
    ['non-hex payload', jsonBytes({ request: { path: PATH, payload_v2: { Ecdsa: 'zz'.repeat(32) }, domain_id: 0 } }), /^InvalidArguments: request\.payload_v2\.Ecdsa: expected hex of whole bytes/],
    ['an unknown payload tag', jsonBytes({ request: { path: PATH, payload_v2: { Schnorr: bytesToHex(PAYLOAD) }, domain_id: 0 } }), 'InvalidArguments: request.payload_v2: expected {"Ecdsa": hex} or {"Eddsa": hex}'],
    ['payload and payload_v2 together', jsonBytes({ request: { path: PATH, payload: [...PAYLOAD], payload_v2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: 0 } }), 'InvalidArguments: request: payload_v2 and payload are mutually exclusive'],
    ['domain_id and key_version together', jsonBytes({ request: { path: PATH, payload_v2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: 0, key_version: 0 } }), 'InvalidArguments: request: domain_id and key_version are mutually exclusive'],
    ['no payload', jsonBytes({ request: { path: PATH, domain_id: 0 } }), 'InvalidArguments: request: missing field `payload_v2`'],
    ['no domain', jsonBytes({ request: { path: PATH, payload_v2: { Ecdsa: bytesToHex(PAYLOAD) } } }), 'InvalidArguments: request: missing field `domain_id`'],
    ['a legacy request without key_version', jsonBytes({ request: { path: PATH, payload: [...PAYLOAD] } }), 'InvalidArguments: request: missing field `domain_id`'],
    ['a misspelt field', jsonBytes({ request: { path: PATH, payload_V2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: 0 } }), /^InvalidArguments: request: unknown field "payload_V2"/],
    ['a legacy byte above 255', jsonBytes({ request: { path: PATH, payload: [...PAYLOAD.subarray(1), 256], key_version: 0 } }), /^InvalidArguments: request\.payload\[31\]: expected a byte/],
    ['a 33-byte legacy payload', jsonBytes(legacySign(Uint8Array.from([...PAYLOAD, 1]))), 'InvalidArguments: request.payload: expected 32 bytes, got 33'],
    ['an oversize EdDSA payload', jsonBytes({ request: { path: PATH, payload_v2: { Eddsa: 'ab'.repeat(1233) }, domain_id: 1 } }), 'InvalidArguments: request.payload_v2.Eddsa: 1233 bytes, more than the limit of 1232'],
    ['an oversize path', jsonBytes({ request: { path: 'p'.repeat(4097), payload_v2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: 0 } }), 'InvalidArguments: request.path: longer than 4096 characters'],
    ['an unknown domain', jsonBytes(ecdsaSign(PAYLOAD, 7)), SIGNER_ERRORS.domainNotFound(7)],
    ['an ECDSA payload for the Ed25519 domain', jsonBytes(ecdsaSign(PAYLOAD, 1)), 'Payload is not EdDSA'],
    ['a legacy request for the Ed25519 domain (a legacy payload is ECDSA)', jsonBytes(legacySign(PAYLOAD, 1)), 'Payload is not EdDSA'],
    ['an EdDSA payload for the ECDSA domain', jsonBytes({ request: { path: PATH, payload_v2: { Eddsa: 'ab' }, domain_id: 0 } }), 'Payload is not Ecdsa'],
    ['oversize arguments', jsonBytes({ request: { path: 'p'.repeat(300_000) } }), /^InvalidArguments: arguments are \d+ bytes, more than the limit of 262144/],
  ])('refuses %s with a clear error and unchanged state', (_name, input, expected) => {
    const before = signer.snapshot();
    expectPanic(signer, signAs(signer, input), expected, before);
  });

  it('refuses a domain whose purpose is not Sign', () => {
    for (const node of NODES) expectSuccess(signer.call('vote_add_domains', { domains: [{ ...domainConfig(2, 'Secp256k1'), purpose: 'ForeignTx' }] }, { predecessor: node }));
    generateKey(signer, NODES, 2, rootPublicKey('Secp256k1'));
    const before = signer.snapshot();
    expectPanic(signer, signAs(signer, ecdsaSign(PAYLOAD, 2)), SIGNER_ERRORS.wrongDomainPurpose(2, 'Sign', 'ForeignTx'), before);
  });

  it('parks a legacy request as the same SignatureRequest as the current form', () => {
    const outcome = expectSuccess(signAs(signer, legacySign()));
    expect(yieldOf(outcome).args).toEqual({ request: ecdsaRequest() });
  });

  it('accepts an EdDSA payload of exactly 1232 bytes and an empty one', () => {
    for (const hex of ['ab'.repeat(1232), '']) expectSuccess(signAs(signer, { request: { path: PATH, payload_v2: { Eddsa: hex }, domain_id: 1 } }));
  });

  it('queues identical requests up to the bound, refuses the next, and answers all with one respond', () => {
    const dataIds: string[] = [];
    for (let i = 0; i < MAX_PENDING_REQUEST_FAN_OUT; i += 1) dataIds.push(yieldOf(expectSuccess(signAs(signer, ecdsaSign()))).dataId);
    const before = signer.snapshot();
    expectPanic(signer, signAs(signer, ecdsaSign()), SIGNER_ERRORS.pendingRequestQueueFull, before);
    // Another caller's identical payload is a different request (different tweak) and is not affected.
    expectSuccess(signAs(signer, ecdsaSign(), { predecessor: 'bob.near' }));

    const response = ecdsaResponse(USER, PATH, PAYLOAD);
    const outcome = expectSuccess(signer.call('respond', { request: ecdsaRequest(), response }, { predecessor: NODES[1] }));
    expect(outcome.resumes).toEqual(dataIds.map((dataId) => ({ dataId, payload: response, accepted: true })));
    for (const id of dataIds) expect(expectSuccess(signer.deliverResumedYield(id)).value).toEqual(response);
    expect(signer.view('get_pending_request', { request: ecdsaRequest() })).toBeNull();
    expect(signer.view('get_pending_request', { request: ecdsaRequest(PAYLOAD, 'bob.near') })).not.toBeNull();
  });
});

describe('respond', () => {
  let signer: ContractTestbed;
  let dataId: string;
  beforeEach(() => {
    signer = runningSigner();
    dataId = yieldOf(expectSuccess(signAs(signer, ecdsaSign()))).dataId;
  });

  it('verifies an ECDSA signature against the derived key and resumes the caller with it', () => {
    const response = ecdsaResponse(USER, PATH, PAYLOAD);
    const outcome = expectSuccess(signer.call('respond', { request: ecdsaRequest(), response }, { predecessor: NODES[2] }));
    expect(outcome.resumes).toEqual([{ dataId, payload: response, accepted: true }]);
    const delivered = expectSuccess(signer.deliverResumedYield(dataId));
    expect(delivered.value).toEqual(response);
    expect(delivered.promises).toEqual([]);
    expect(signer.view('get_pending_request', { request: ecdsaRequest() })).toBeNull();
  });

  it('accepts the request with upper-case hex and keys in another order', () => {
    const request = ecdsaRequest();
    const shuffled = { domain_id: 0, payload: { Ecdsa: request.payload.Ecdsa.toUpperCase() }, tweak: request.tweak };
    expectSuccess(signer.call('respond', { request: shuffled, response: ecdsaResponse(USER, PATH, PAYLOAD) }, { predecessor: NODES[0] }));
  });

  it('answers a legacy request with the same scheme-tagged response, together with the current form of the same request', () => {
    const legacy = yieldOf(expectSuccess(signAs(signer, legacySign())));
    const response = ecdsaResponse(USER, PATH, PAYLOAD);
    const outcome = expectSuccess(signer.call('respond', { request: ecdsaRequest(), response }, { predecessor: NODES[0] }));
    expect(outcome.resumes.map((resume) => resume.dataId)).toEqual([dataId, legacy.dataId]);
    expect(expectSuccess(signer.deliverResumedYield(legacy.dataId)).value).toEqual(response);
  });

  it('verifies an Ed25519 signature over the raw message', () => {
    const message = utf8ToBytes('a solana transaction, unhashed');
    const request = { tweak: tweakBytes(USER, PATH), payload: { Eddsa: bytesToHex(message) }, domain_id: 1 };
    const parked = yieldOf(expectSuccess(signAs(signer, { request: { path: PATH, payload_v2: { Eddsa: bytesToHex(message) }, domain_id: 1 } })));
    const before = signer.snapshot();
    const forged = ed25519Response(USER, 'another-path', message);
    expectPanic(signer, signer.call('respond', { request, response: forged }, { predecessor: NODES[0] }), SIGNER_ERRORS.invalidSignature, before);
    const response = ed25519Response(USER, PATH, message);
    expectSuccess(signer.call('respond', { request, response }, { predecessor: NODES[0] }));
    expect(expectSuccess(signer.deliverResumedYield(parked.dataId)).value).toEqual(response);
  });

  function refused(args: unknown, expected: string | RegExp, options: CallOptions = { predecessor: NODES[0] }) {
    const before = signer.snapshot();
    const outcome = signer.call('respond', args, options);
    expectPanic(signer, outcome, expected, before);
    expect(outcome.resumes).toEqual([]);
  }
  const valid = () => ({ request: ecdsaRequest(), response: ecdsaResponse(USER, PATH, PAYLOAD) });

  it('refuses a non-participant', () => {
    refused(valid(), `${SIGNER_ERRORS.notAttestedParticipant} (CallerNotParticipant)`, { predecessor: 'mallory.near' });
  });

  it('refuses a participant calling with an account key its node is not registered with', () => {
    refused(valid(), `${SIGNER_ERRORS.notAttestedParticipant} (AttestationKeyMismatch)`, { predecessor: NODES[0], signerPublicKey: UNREGISTERED_ACCOUNT_KEY });
  });

  it('refuses a participant acting through another contract', () => {
    refused(valid(), SIGNER_ERRORS.callerNotSigner('relay.near', NODES[0]), { predecessor: NODES[0], signer: 'relay.near' });
  });

  it('refuses a signature made for a different key', () => {
    refused({ request: ecdsaRequest(), response: ecdsaResponse(USER, 'other-path', PAYLOAD) }, SIGNER_ERRORS.invalidSignature);
    refused({ request: ecdsaRequest(), response: ecdsaResponse(USER, PATH, PAYLOAD, 12345n) }, SIGNER_ERRORS.invalidSignature);
  });

  it('refuses a signature over another payload', () => {
    refused({ request: ecdsaRequest(), response: ecdsaResponse(USER, PATH, sha256(PAYLOAD)) }, SIGNER_ERRORS.invalidSignature);
  });

  it('refuses high s, a wrong recovery id, zero s and a point that is not on the curve', () => {
    const good = ecdsaResponse(USER, PATH, PAYLOAD);
    const s = BigInt(`0x${good.s.scalar}`);
    refused({ request: ecdsaRequest(), response: { ...good, s: { scalar: bytesToHex(numberToBytesBE(N - s, 32)) } } }, SIGNER_ERRORS.invalidSignature);
    refused({ request: ecdsaRequest(), response: { ...good, recovery_id: good.recovery_id ^ 1 } }, SIGNER_ERRORS.invalidSignature);
    refused({ request: ecdsaRequest(), response: { ...good, s: { scalar: '00'.repeat(32) } } }, SIGNER_ERRORS.invalidSignature);
    refused({ request: ecdsaRequest(), response: { ...good, big_r: { affine_point: `05${good.big_r.affine_point.slice(2)}` } } }, SIGNER_ERRORS.invalidSignature);
    refused({ request: ecdsaRequest(), response: { ...good, recovery_id: 4 } }, 'InvalidArguments: response.recovery_id: expected an integer from 0 to 3, got 4');
  });

  it('refuses a response of the wrong scheme for the domain', () => {
    // The exact text (near/mpc's debug form of both) is pinned by the test below.
    refused({ request: ecdsaRequest(), response: ed25519Response(USER, PATH, PAYLOAD) }, /^The provided signature scheme does not match\. MPC response: Ed25519/);
  });

  // near/mpc's SignatureSchemeMismatch prints the response and the domain key in Rust's debug form.
  it('refuses a response of the wrong scheme for the domain with near/mpc text', () => {
    const response: Ed25519SignatureResponse = ed25519Response(USER, PATH, PAYLOAD);
    const root = parsePublicKey(rootPublicKey('Secp256k1'));
    const uncompressed = root.curve === 'secp256k1' ? [...root.point.toBytes(false).subarray(1)] : [];
    refused(
      { request: ecdsaRequest(), response },
      `The provided signature scheme does not match. MPC response: Ed25519 { signature: Ed25519Signature([${response.signature.join(', ')}]) }, user request: Secp256k1 { near_public_key: PublicKey { data: [1, ${uncompressed.join(', ')}] } }`,
    );
  });

  it('refuses a Secp256k1 response for the Ed25519 domain, printing its key with the decompressed point', () => {
    const response = ecdsaResponse(USER, PATH, PAYLOAD);
    const compressed = base58.decode(rootPublicKey('Ed25519').slice('ed25519:'.length));
    const point = edwardsPointDebug(compressed); // its limbs are pinned against near/mpc by edwards-point-debug.test.ts
    refused(
      { request: { ...ecdsaRequest(), payload: { Eddsa: 'abcd' }, domain_id: 1 }, response },
      `The provided signature scheme does not match. MPC response: Secp256k1(K256Signature { big_r: K256AffinePoint { affine_point: [${[...hexToBytes(response.big_r.affine_point)].join(', ')}] }, s: K256Scalar { scalar: [${[...hexToBytes(response.s.scalar)].join(', ')}] }, recovery_id: ${response.recovery_id} }), user request: Ed25519 { near_public_key_compressed: PublicKey { data: [0, ${[...compressed].join(', ')}] }, edwards_point: SerializableEdwardsPoint(${point}) }`,
    );
  });

  // near/mpc takes the payload of a request on a secp256k1 domain as ECDSA (`expect("Payload is not ECDSA")`).
  it('refuses an EdDSA payload named for the ECDSA domain as near/mpc does', () => {
    refused({ request: { ...ecdsaRequest(), payload: { Eddsa: 'abcd' } }, response: ecdsaResponse(USER, PATH, PAYLOAD) }, 'Payload is not ECDSA');
  });

  it('refuses an ECDSA payload named for the Ed25519 domain as near/mpc does', () => {
    refused({ request: { ...ecdsaRequest(), domain_id: 1 }, response: ed25519Response(USER, PATH, PAYLOAD) }, 'Payload is not EdDSA');
  });

  it('refuses a request nobody made, one for a domain without a key, and a second response', () => {
    refused({ request: ecdsaRequest(sha256(PAYLOAD)), response: ecdsaResponse(USER, PATH, sha256(PAYLOAD)) }, SIGNER_ERRORS.requestNotFound);
    refused({ request: { ...ecdsaRequest(), domain_id: 5 }, response: ecdsaResponse(USER, PATH, PAYLOAD) }, SIGNER_ERRORS.noSuchDomain);
    expectSuccess(signer.call('respond', valid(), { predecessor: NODES[0] }));
    refused(valid(), SIGNER_ERRORS.requestNotFound);
  });

  it('refuses malformed responses and requests', () => {
    refused({ request: ecdsaRequest(), response: { scheme: 'Secp256k1', big_r: 'x' } }, /^InvalidArguments: response\.big_r: expected an object/);
    refused({ request: ecdsaRequest(), response: { scheme: 'Bls' } }, 'InvalidArguments: response.scheme: expected "Secp256k1" or "Ed25519"');
    refused({ request: ecdsaRequest(), response: { scheme: 'Ed25519', signature: [1, 2, 3] } }, 'InvalidArguments: response.signature: expected 64 bytes, got 3');
    refused({ request: { ...ecdsaRequest(), tweak: bytesToHex(Uint8Array.from(ecdsaRequest().tweak)) }, response: ecdsaResponse(USER, PATH, PAYLOAD) }, /^InvalidArguments: request\.tweak: expected an array of bytes/);
    refused({ request: { ...ecdsaRequest(), tweak: ecdsaRequest().tweak.slice(1) }, response: ecdsaResponse(USER, PATH, PAYLOAD) }, 'InvalidArguments: request.tweak: expected 32 bytes, got 31');
  });

  // near/mpc answers a respond while Initializing with InvalidState::ProtocolStateNotRunning.
  it('refuses responses while keys are generated, with near/mpc text', () => {
    for (const node of NODES) expectSuccess(signer.call('vote_add_domains', { domains: [domainConfig(2, 'Secp256k1')] }, { predecessor: node }));
    refused(valid(), SIGNER_ERRORS.notRunning);
  });
});

describe('timeouts', () => {
  it('drops the oldest queued call, keeps its yoctoNEAR and fails the caller', () => {
    const signer = runningSigner();
    const first = yieldOf(expectSuccess(signAs(signer, ecdsaSign(), { deposit: 3n }))).dataId;
    const second = yieldOf(expectSuccess(signAs(signer, ecdsaSign()))).dataId;
    signer.advanceBlocks(200);
    const outcome = expectSuccess(signer.timeOutYield(first));
    // No refund: the deposit above 1 yoctoNEAR went back when sign ran, and the 1 yoctoNEAR stays.
    expect(outcome.promises).toEqual([expect.objectContaining({ kind: 'call', account: SIGNER_ACCOUNT, method: 'fail_on_timeout', deposit: 0n, gas: BigInt(DEFAULT_SIGNER_CONFIG.fail_on_timeout_tera_gas) * TGAS })]);
    expect(outcome.returnedPromise).toBe(outcome.promises[0]!.index);
    expect(signer.call('fail_on_timeout', {}, { predecessor: SIGNER_ACCOUNT })).toMatchObject({ status: 'panic', error: SIGNER_ERRORS.requestTimedOut });
    // The second call is still pending and a response reaches it alone.
    expect(signer.view('get_pending_request', { request: ecdsaRequest() })).toEqual(pendingYield(second));
    const responded = expectSuccess(signer.call('respond', { request: ecdsaRequest(), response: ecdsaResponse(USER, PATH, PAYLOAD) }, { predecessor: NODES[0] }));
    expect(responded.resumes.map((resume) => resume.dataId)).toEqual([second]);
  });

  it('removes the request when its last call times out', () => {
    const signer = runningSigner();
    const dataId = yieldOf(expectSuccess(signAs(signer, ecdsaSign()))).dataId;
    expectSuccess(signer.timeOutYield(dataId));
    expect(signer.view('get_pending_request', { request: ecdsaRequest() })).toBeNull();
    expect(signer.call('respond', { request: ecdsaRequest(), response: ecdsaResponse(USER, PATH, PAYLOAD) }, { predecessor: NODES[0] })).toMatchObject({ status: 'panic', error: SIGNER_ERRORS.requestNotFound });
  });

  it('keeps the callbacks private', () => {
    const signer = runningSigner();
    expect(signer.call('fail_on_timeout', {}, { predecessor: USER })).toMatchObject({ status: 'panic', error: 'Unauthorized: fail_on_timeout may only be called by the contract itself' });
    expect(signer.call('return_signature_and_clean_state_on_success', { request: ecdsaRequest() }, { predecessor: USER, promiseResults: [{ status: 'failed' }] })).toMatchObject({
      status: 'panic',
      error: 'Unauthorized: return_signature_and_clean_state_on_success may only be called by the contract itself',
    });
  });
});

describe('views', () => {
  const signer = runningSigner();

  it('return root keys, by default domain 0', () => {
    expect(signer.view('public_key')).toBe(rootPublicKey('Secp256k1'));
    expect(signer.view('public_key', { domain_id: 1 })).toBe(rootPublicKey('Ed25519'));
    expect(() => signer.view('public_key', { domain_id: 2 })).toThrow(SIGNER_ERRORS.noSuchDomain);
  });

  it('derive child keys exactly as near/mpc (its KDF test vectors)', () => {
    expect(signer.view('derived_public_key', { path: 'my-path', predecessor: 'hello' })).toBe('secp256k1:4zvzanBjPrvRWAr3mjdPX9sSkS8GZTZ11L6V2pcAbmHRd3HHbTyboHdWauExDmHrEoWnbhDkUwnzVEa8hg52C55p');
    expect(rootPublicKey('Ed25519')).toBe(`ed25519:${base58.encode(hexToBytes('4fe4ab5c0e3791236e0af15836c45b1497f824df76b4b58e61121ad01ed76576'))}`);
    expect(signer.view('derived_public_key', { path: 'my-path', predecessor: 'hello', domain_id: 1 })).toBe(
      `ed25519:${base58.encode(hexToBytes('14a5f4002b886dffd3962c252a475ff17149ee4aa4f6049406c2817cb9a16aaa'))}`,
    );
  });

  it('needs the predecessor in a view query', () => {
    expect(() => signer.view('derived_public_key', { path: 'p' })).toThrow(/ProhibitedInView/);
    expect(() => signer.view('derived_public_key', { path: 'p', predecessor: 'Not Valid' })).toThrow(/^InvalidArguments: predecessor: expected a valid NEAR account id/);
  });

  it('report the latest domain per curve, the config and the version', () => {
    expect(signer.view('latest_key_version')).toBe(0);
    expect(signer.view('latest_key_version', { signature_scheme: 'Edwards25519' })).toBe(1);
    expect(() => signer.view('latest_key_version', { signature_scheme: 'Bls12381' })).toThrow(SIGNER_ERRORS.unwrapped('DomainError(NoSuchDomain)'));
    expect(() => signer.view('latest_key_version', { signature_scheme: 'Ed25519' })).toThrow(/^InvalidArguments: signature_scheme: unknown variant `Ed25519`/);
    expect(signer.view('config')).toEqual(DEFAULT_SIGNER_CONFIG);
    expect(signer.view('version')).toBe(MPC_SIGNER_VERSION);
  });

  it('answer get_pending_request with null for a request nobody made', () => {
    expect(signer.view('get_pending_request', { request: ecdsaRequest() })).toBeNull();
  });
});
