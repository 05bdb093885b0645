import { secp256k1 } from '@noble/curves/secp256k1.js';
import { numberToBytesBE } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { base58 } from '@scure/base';
import { TGAS } from '../host.js';
import {
  ecdsaResponse,
  ed25519Response,
  expectSuccess,
  NODES,
  rootPublicKey,
  runningSigner,
  SIGNER_ACCOUNT,
  tweakHex,
} from '../testing/mpc-fixtures.js';
import { type CallOutcome, type ContractTestbed, jsonBytes } from '../testing/test-host.js';
import { MAX_PENDING_REQUESTS_PER_PAYLOAD } from './contract.js';

const USER = 'alice.near';
const PATH = 'ethereum-1';
const PAYLOAD = sha256(utf8ToBytes('transfer 1 ETH'));
const N = secp256k1.Point.Fn.ORDER;

const ecdsaSign = (payload: Uint8Array = PAYLOAD, domainId = 0) => ({ request: { path: PATH, payload_v2: { Ecdsa: bytesToHex(payload) }, domain_id: domainId } });
const ecdsaRequest = (payload: Uint8Array = PAYLOAD, predecessor = USER, path = PATH) => ({ tweak: tweakHex(predecessor, path), payload: { Ecdsa: bytesToHex(payload) }, domain_id: 0 });

function expectPanic(testbed: ContractTestbed, outcome: CallOutcome, pattern: RegExp, before: Map<string, string>): void {
  expect(outcome.status).toBe('panic');
  expect(outcome.error).toMatch(pattern);
  expect(outcome.promises).toEqual([]);
  expect(testbed.snapshot()).toEqual(before);
}

function yieldOf(outcome: CallOutcome) {
  const parked = outcome.promises.find((promise) => promise.kind === 'yield');
  if (parked?.kind !== 'yield') throw new Error('no yield');
  return parked;
}

describe('sign', () => {
  let signer: ContractTestbed;
  beforeEach(() => {
    signer = runningSigner();
  });

  it('parks an ECDSA request in a yield, refunds the excess deposit and returns the yield', () => {
    const outcome = expectSuccess(signer.call('sign', ecdsaSign(), { predecessor: USER, deposit: 5n, gas: 20n * TGAS }));
    const parked = yieldOf(outcome);
    expect(parked.method).toBe('return_signature_and_clean_state_on_success');
    expect(parked.args).toEqual({ request: ecdsaRequest(), caller: USER, legacy: false });
    expect(parked.gas).toBe(10n * TGAS);
    expect(outcome.returnedPromise).toBe(parked.index);
    expect(outcome.promises).toContainEqual({ kind: 'transfer', index: 1, account: USER, amount: 4n });
    expect(signer.view('get_pending_request', { request: ecdsaRequest() })).toEqual({ data_id: parked.dataId });
  });

  it('keeps exactly one yoctoNEAR without a refund transfer', () => {
    const outcome = expectSuccess(signer.call('sign', ecdsaSign(), { predecessor: USER, deposit: 1n }));
    expect(outcome.promises.map((promise) => promise.kind)).toEqual(['yield']);
  });

  it.each([
    ['no deposit', { deposit: 0n }, /InvalidDeposit/],
    ['too little gas', { deposit: 1n, gas: 20n * TGAS - 1n }, /InsufficientGas: sign needs at least 20000000000000 gas/],
  ])('refuses %s and changes nothing', (_name, options, pattern) => {
    const before = signer.snapshot();
    expectPanic(signer, signer.call('sign', ecdsaSign(), { predecessor: USER, ...options }), pattern, before);
  });

  it('accepts the largest ECDSA payload below the group order and refuses n and above', () => {
    expectSuccess(signer.call('sign', ecdsaSign(numberToBytesBE(N - 1n, 32)), { predecessor: USER, deposit: 1n }));
    const before = signer.snapshot();
    for (const payload of [N, 2n ** 256n - 1n]) {
      expectPanic(signer, signer.call('sign', ecdsaSign(numberToBytesBE(payload, 32)), { predecessor: USER, deposit: 1n }), /InvalidRequest: the ECDSA payload is not below the secp256k1 group order/, before);
    }
  });

  it.each([
    ['malformed JSON', new TextEncoder().encode('{"request": {'), /InvalidArguments: arguments are not valid JSON/],
    ['a non-object', jsonBytes([1, 2]), /InvalidArguments: arguments: expected an object/],
    ['invalid UTF-8', Uint8Array.from([0x7b, 0xff, 0x7d]), /InvalidArguments: arguments are not valid UTF-8/],
    ['domain_id as a string', jsonBytes({ request: { path: PATH, payload_v2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: '0' } }), /request.domain_id: expected an integer/],
    ['a negative domain_id', jsonBytes({ request: { path: PATH, payload_v2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: -1 } }), /request.domain_id: expected an integer/],
    ['a numeric path', jsonBytes({ request: { path: 7, payload_v2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: 0 } }), /request.path: expected a string/],
    ['a 31-byte ECDSA payload', jsonBytes(ecdsaSign(PAYLOAD.subarray(1))), /request.payload_v2.Ecdsa: expected 32 bytes of hex, got 31/],
    ['non-hex payload', jsonBytes({ request: { path: PATH, payload_v2: { Ecdsa: 'zz'.repeat(32) }, domain_id: 0 } }), /expected hex of whole bytes/],
    ['an unknown payload tag', jsonBytes({ request: { path: PATH, payload_v2: { Schnorr: bytesToHex(PAYLOAD) }, domain_id: 0 } }), /expected \{"Ecdsa": hex\} or \{"Eddsa": hex\}/],
    ['payload and payload_v2 together', jsonBytes({ request: { path: PATH, payload: [...PAYLOAD], payload_v2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: 0 } }), /either payload or payload_v2, not both/],
    ['domain_id and key_version together', jsonBytes({ request: { path: PATH, payload_v2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: 0, key_version: 0 } }), /either domain_id or key_version, not both/],
    ['no payload', jsonBytes({ request: { path: PATH, domain_id: 0 } }), /payload_v2 \(or the legacy payload\) is missing/],
    ['a misspelt field', jsonBytes({ request: { path: PATH, payload_V2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: 0 } }), /unknown field "payload_V2"/],
    ['a legacy byte above 255', jsonBytes({ request: { path: PATH, payload: [...PAYLOAD.subarray(1), 256], key_version: 0 } }), /request.payload\[31\]: expected a byte/],
    ['a 33-byte legacy payload', jsonBytes({ request: { path: PATH, payload: [...PAYLOAD, 1], key_version: 0 } }), /request.payload: expected 32 bytes, got 33/],
    ['an oversize EdDSA payload', jsonBytes({ request: { path: PATH, payload_v2: { Eddsa: 'ab'.repeat(1233) }, domain_id: 1 } }), /1233 bytes, more than the limit of 1232/],
    ['an oversize path', jsonBytes({ request: { path: 'p'.repeat(4097), payload_v2: { Ecdsa: bytesToHex(PAYLOAD) }, domain_id: 0 } }), /request.path: longer than 4096/],
    ['an unknown domain', jsonBytes(ecdsaSign(PAYLOAD, 7)), /InvalidRequest: domain 7 does not exist/],
    ['an ECDSA payload for the Ed25519 domain', jsonBytes(ecdsaSign(PAYLOAD, 1)), /domain 1 signs with Ed25519; the payload is for Secp256k1/],
    ['an EdDSA payload for the ECDSA domain', jsonBytes({ request: { path: PATH, payload_v2: { Eddsa: 'ab' }, domain_id: 0 } }), /domain 0 signs with Secp256k1; the payload is for Ed25519/],
    ['oversize arguments', jsonBytes({ request: { path: 'p'.repeat(300_000) } }), /arguments are \d+ bytes, more than the limit of 262144/],
  ])('refuses %s with a clear error and unchanged state', (_name, input, pattern) => {
    const before = signer.snapshot();
    expectPanic(signer, signer.call('sign', input, { predecessor: USER, deposit: 1n }), pattern, before);
  });

  it('sends a request that names no domain to the legacy ECDSA domain 0', () => {
    const outcome = expectSuccess(signer.call('sign', { request: { path: PATH, payload: [...PAYLOAD] } }, { predecessor: USER, deposit: 1n }));
    expect(yieldOf(outcome).args).toEqual({ request: ecdsaRequest(), caller: USER, legacy: true });
    const before = signer.snapshot();
    expectPanic(signer, signer.call('sign', { request: { path: PATH, payload_v2: { Eddsa: 'aa' } } }, { predecessor: USER, deposit: 1n }), /domain 0 signs with Secp256k1; the payload is for Ed25519/, before);
  });

  it('accepts an EdDSA payload of exactly 1232 bytes and an empty one', () => {
    for (const hex of ['ab'.repeat(1232), '']) {
      expectSuccess(signer.call('sign', { request: { path: PATH, payload_v2: { Eddsa: hex }, domain_id: 1 } }, { predecessor: USER, deposit: 1n }));
    }
  });

  it('queues identical requests up to the bound, refuses the next, and answers all with one respond', () => {
    const dataIds: string[] = [];
    for (let i = 0; i < MAX_PENDING_REQUESTS_PER_PAYLOAD; i += 1) dataIds.push(yieldOf(expectSuccess(signer.call('sign', ecdsaSign(), { predecessor: USER, deposit: 1n }))).dataId);
    const before = signer.snapshot();
    expectPanic(signer, signer.call('sign', ecdsaSign(), { predecessor: USER, deposit: 1n }), /PendingRequestQueueFull: 128 identical requests/, before);
    // Another caller's identical payload is a different request (different tweak) and is not affected.
    expectSuccess(signer.call('sign', ecdsaSign(), { predecessor: 'bob.near', deposit: 1n }));

    const response = ecdsaResponse(USER, PATH, PAYLOAD);
    const outcome = expectSuccess(signer.call('respond', { request: ecdsaRequest(), response }, { predecessor: NODES[1] }));
    expect(outcome.resumes.map((resume) => resume.dataId)).toEqual(dataIds);
    expect(outcome.resumes.every((resume) => resume.accepted && JSON.stringify(resume.payload) === JSON.stringify(response))).toBe(true);
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
    dataId = yieldOf(expectSuccess(signer.call('sign', ecdsaSign(), { predecessor: USER, deposit: 1n }))).dataId;
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
    const shuffled = { domain_id: 0, payload: { Ecdsa: request.payload.Ecdsa.toUpperCase() }, tweak: request.tweak.toUpperCase() };
    expectSuccess(signer.call('respond', { request: shuffled, response: ecdsaResponse(USER, PATH, PAYLOAD) }, { predecessor: NODES[0] }));
  });

  it('returns the legacy response shape to a legacy request', () => {
    signer = runningSigner();
    const legacy = { request: { path: PATH, payload: [...PAYLOAD], key_version: 0 } };
    const parked = yieldOf(expectSuccess(signer.call('sign', legacy, { predecessor: USER, deposit: 1n })));
    expect(parked.args).toMatchObject({ legacy: true });
    const response = ecdsaResponse(USER, PATH, PAYLOAD);
    expectSuccess(signer.call('respond', { request: ecdsaRequest(), response }, { predecessor: NODES[0] }));
    expect(expectSuccess(signer.deliverResumedYield(parked.dataId)).value).toEqual({ big_r: response.big_r, s: response.s, recovery_id: response.recovery_id });
  });

  it('verifies an Ed25519 signature over the raw message', () => {
    const message = utf8ToBytes('a solana transaction, unhashed');
    const request = { tweak: tweakHex(USER, PATH), payload: { Eddsa: bytesToHex(message) }, domain_id: 1 };
    const parked = yieldOf(expectSuccess(signer.call('sign', { request: { path: PATH, payload_v2: { Eddsa: bytesToHex(message) }, domain_id: 1 } }, { predecessor: USER, deposit: 1n })));
    const before = signer.snapshot();
    const forged = ed25519Response(USER, 'another-path', message);
    expectPanic(signer, signer.call('respond', { request, response: forged }, { predecessor: NODES[0] }), /InvalidSignature: the Ed25519 signature does not verify/, before);
    const response = ed25519Response(USER, PATH, message);
    expectSuccess(signer.call('respond', { request, response }, { predecessor: NODES[0] }));
    expect(expectSuccess(signer.deliverResumedYield(parked.dataId)).value).toEqual(response);
  });

  function refused(args: unknown, pattern: RegExp, options: { predecessor?: string; signer?: string } = { predecessor: NODES[0] }) {
    const before = signer.snapshot();
    const outcome = signer.call('respond', args, options);
    expectPanic(signer, outcome, pattern, before);
    expect(outcome.resumes).toEqual([]);
  }

  it('refuses a non-participant', () => {
    refused({ request: ecdsaRequest(), response: ecdsaResponse(USER, PATH, PAYLOAD) }, /Unauthorized: mallory.near is not a participant/, { predecessor: 'mallory.near' });
  });

  it('refuses a participant acting through another contract', () => {
    refused({ request: ecdsaRequest(), response: ecdsaResponse(USER, PATH, PAYLOAD) }, /Unauthorized: participant methods must be signed by the calling account itself/, { predecessor: NODES[0], signer: 'relay.near' });
  });

  it('refuses a signature made for a different key', () => {
    refused({ request: ecdsaRequest(), response: ecdsaResponse(USER, 'other-path', PAYLOAD) }, /InvalidSignature: the signature does not verify against the derived public key/);
    refused({ request: ecdsaRequest(), response: ecdsaResponse(USER, PATH, PAYLOAD, 12345n) }, /InvalidSignature: the signature does not verify/);
  });

  it('refuses a signature over another payload', () => {
    refused({ request: ecdsaRequest(), response: ecdsaResponse(USER, PATH, sha256(PAYLOAD)) }, /InvalidSignature/);
  });

  it('refuses high s, a wrong recovery id, zero s and a point that is not on the curve', () => {
    const good = ecdsaResponse(USER, PATH, PAYLOAD);
    const s = BigInt(`0x${good.s.scalar}`);
    refused({ request: ecdsaRequest(), response: { ...good, s: { scalar: bytesToHex(numberToBytesBE(N - s, 32)) } } }, /InvalidSignature: s is not low/);
    refused({ request: ecdsaRequest(), response: { ...good, recovery_id: good.recovery_id ^ 1 } }, /InvalidSignature/);
    refused({ request: ecdsaRequest(), response: { ...good, s: { scalar: '00'.repeat(32) } } }, /InvalidSignature: r or s is out of range/);
    refused({ request: ecdsaRequest(), response: { ...good, big_r: { affine_point: `05${good.big_r.affine_point.slice(2)}` } } }, /InvalidSignature: big_r.affine_point is not a compressed secp256k1 point/);
    refused({ request: ecdsaRequest(), response: { ...good, recovery_id: 4 } }, /response.recovery_id: expected an integer from 0 to 3/);
  });

  it('refuses a response of the wrong scheme for the domain', () => {
    refused({ request: ecdsaRequest(), response: ed25519Response(USER, PATH, PAYLOAD) }, /InvalidSignature: domain 0 expects a Secp256k1 signature, got Ed25519/);
  });

  it('refuses a request nobody made, and a second response', () => {
    refused({ request: ecdsaRequest(sha256(PAYLOAD)), response: ecdsaResponse(USER, PATH, sha256(PAYLOAD)) }, /RequestNotFound/);
    expectSuccess(signer.call('respond', { request: ecdsaRequest(), response: ecdsaResponse(USER, PATH, PAYLOAD) }, { predecessor: NODES[0] }));
    refused({ request: ecdsaRequest(), response: ecdsaResponse(USER, PATH, PAYLOAD) }, /RequestNotFound/);
  });

  it('refuses malformed responses', () => {
    refused({ request: ecdsaRequest(), response: { scheme: 'Secp256k1', big_r: 'x' } }, /response.big_r: expected an object/);
    refused({ request: ecdsaRequest(), response: { scheme: 'Bls' } }, /response.scheme: expected "Secp256k1" or "Ed25519"/);
    refused({ request: ecdsaRequest(), response: { scheme: 'Ed25519', signature: [1, 2, 3] } }, /response.signature: expected 64 bytes, got 3/);
    refused({ request: { ...ecdsaRequest(), tweak: 'ab' }, response: ecdsaResponse(USER, PATH, PAYLOAD) }, /request.tweak: expected 32 bytes of hex/);
  });
});

describe('timeouts', () => {
  it('drops the oldest queued call, refunds its deposit and fails the caller', () => {
    const signer = runningSigner();
    const first = yieldOf(expectSuccess(signer.call('sign', ecdsaSign(), { predecessor: USER, deposit: 3n }))).dataId;
    const second = yieldOf(expectSuccess(signer.call('sign', ecdsaSign(), { predecessor: USER, deposit: 1n }))).dataId;
    signer.advanceBlocks(200);
    const outcome = expectSuccess(signer.timeOutYield(first));
    expect(outcome.promises[0]).toEqual({ kind: 'transfer', index: 0, account: USER, amount: 1n });
    expect(outcome.promises[1]).toMatchObject({ kind: 'call', account: SIGNER_ACCOUNT, method: 'fail_on_timeout', deposit: 0n, gas: 2n * TGAS });
    expect(outcome.returnedPromise).toBe(1);
    const failed = signer.call('fail_on_timeout', {}, { predecessor: SIGNER_ACCOUNT });
    expect(failed).toMatchObject({ status: 'panic', error: expect.stringMatching(/^Timeout: the signature request was not answered before its yield timed out \(on NEAR after 200 blocks\)/) });
    // The second call is still pending and a response reaches it alone.
    expect(signer.view('get_pending_request', { request: ecdsaRequest() })).toEqual({ data_id: second });
    const responded = expectSuccess(signer.call('respond', { request: ecdsaRequest(), response: ecdsaResponse(USER, PATH, PAYLOAD) }, { predecessor: NODES[0] }));
    expect(responded.resumes.map((resume) => resume.dataId)).toEqual([second]);
  });

  it('removes the request when its last call times out', () => {
    const signer = runningSigner();
    const dataId = yieldOf(expectSuccess(signer.call('sign', ecdsaSign(), { predecessor: USER, deposit: 1n }))).dataId;
    expectSuccess(signer.timeOutYield(dataId));
    expect(signer.view('get_pending_request', { request: ecdsaRequest() })).toBeNull();
    expect(signer.call('respond', { request: ecdsaRequest(), response: ecdsaResponse(USER, PATH, PAYLOAD) }, { predecessor: NODES[0] })).toMatchObject({ status: 'panic', error: expect.stringMatching(/RequestNotFound/) });
  });

  it('keeps the callbacks private', () => {
    const signer = runningSigner();
    expect(signer.call('fail_on_timeout', {}, { predecessor: USER })).toMatchObject({ error: expect.stringMatching(/Unauthorized: fail_on_timeout may only be called by the contract itself/) });
    const callbackArgs = { request: ecdsaRequest(), caller: USER, legacy: false };
    expect(signer.call('return_signature_and_clean_state_on_success', callbackArgs, { predecessor: USER, promiseResults: [{ status: 'failed' }] })).toMatchObject({ status: 'panic', error: expect.stringMatching(/Unauthorized/) });
  });
});

describe('views', () => {
  const signer = runningSigner();

  it('return root keys, by default the first secp256k1 domain', () => {
    expect(signer.view('public_key')).toBe(rootPublicKey('Secp256k1'));
    expect(signer.view('public_key', { domain_id: 1 })).toBe(rootPublicKey('Ed25519'));
    expect(() => signer.view('public_key', { domain_id: 2 })).toThrow(/InvalidRequest: domain 2 does not exist/);
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
    expect(() => signer.view('derived_public_key', { path: 'p', predecessor: 'Not Valid' })).toThrow(/predecessor: expected a valid NEAR account id/);
  });

  it('report the latest domain per scheme, the config and the version', () => {
    expect(signer.view('latest_key_version')).toBe(0);
    expect(signer.view('latest_key_version', { signature_scheme: 'Ed25519' })).toBe(1);
    expect(signer.view('config')).toEqual({ key_event_timeout_blocks: 30 });
    expect(signer.view('version')).toBe('0.1.0');
  });
});
