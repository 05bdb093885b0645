import fc from 'fast-check';
import { bytesToHex } from '@noble/hashes/utils.js';
import { base58 } from '@scure/base';
import {
  FASTAUTH_CONTRACT,
  MPC_CONTRACT,
  MPC_NODE_ACCOUNT,
  acceptedSign,
  blockFile,
  ecdsaArgs,
  eddsaArgs,
  executedReceipt,
  functionCall,
  hashOf,
  legacyArgs,
  randomValueAt,
  requestIdOf,
  shardFile,
  signCallback,
} from '../../test/integration/lake-indexer/lake-fixtures.js';
import type { LakeShard } from './lake-types.js';
import { deriveTweak } from '../crypto/kdf.js';
import { parseLakeBlock, parseLakeShard } from './lake-parser.js';
import {
  LakeBlockMismatch,
  SignRequestDecodeError,
  attachBlock,
  decodeSignRequest,
  encodeSignRequest,
  extractSignActivity,
  type SignRequest,
} from './sign-request.js';

const HEIGHT = 300;
const limits = { source: 'fixture', maxBytes: 1 << 20 };

function activityOf(outcomes: LakeShard['receipt_execution_outcomes']) {
  return extractSignActivity(parseLakeShard(JSON.stringify(shardFile(HEIGHT, 0, outcomes)), limits), MPC_CONTRACT);
}

const ecdsaPayload = 'AB'.repeat(32);
const eddsaPayload = '0123456789abcdef'.repeat(10);
const legacyPayload = Array.from({ length: 32 }, (_, i) => i * 7);

describe('extractSignActivity', () => {
  it('finds ECDSA, EdDSA, legacy and FastAuth sign calls with request id, predecessor, tweak, domain and payload', () => {
    const { signCalls, unreadable } = activityOf([
      acceptedSign(HEIGHT, 'ecdsa', 'alice.test.near', ecdsaArgs('ethereum-1', ecdsaPayload)),
      acceptedSign(HEIGHT, 'eddsa', 'bob.test.near', eddsaArgs('solana-1', eddsaPayload)),
      acceptedSign(HEIGHT, 'legacy', 'carol.test.near', legacyArgs('bitcoin-1', legacyPayload)),
      acceptedSign(HEIGHT, 'fastauth', FASTAUTH_CONTRACT, eddsaArgs('jwt-guard#user-sub', eddsaPayload), 'user.test.near'),
    ]);
    expect(unreadable).toEqual([]);
    expect(signCalls).toEqual([
      {
        requestId: requestIdOf('ecdsa'),
        signReceiptId: hashOf('sign ecdsa'),
        blockHash: blockFile(HEIGHT).header.hash,
        predecessorId: 'alice.test.near',
        signerId: 'alice.test.near',
        argsForm: 'v2',
        path: 'ethereum-1',
        domainId: 0,
        payload: { scheme: 'Ecdsa', hex: ecdsaPayload.toLowerCase() },
        tweak: bytesToHex(deriveTweak('alice.test.near', 'ethereum-1')),
      },
      expect.objectContaining({ requestId: requestIdOf('eddsa'), argsForm: 'v2', domainId: 1, payload: { scheme: 'Eddsa', hex: eddsaPayload } }),
      expect.objectContaining({
        requestId: requestIdOf('legacy'),
        argsForm: 'legacy',
        domainId: 0,
        payload: { scheme: 'Ecdsa', hex: bytesToHex(Uint8Array.from(legacyPayload)) },
        tweak: bytesToHex(deriveTweak('carol.test.near', 'bitcoin-1')),
      }),
      // Behind FastAuth the MPC contract's caller is the FastAuth contract: the key is derived for it.
      expect.objectContaining({
        requestId: requestIdOf('fastauth'),
        predecessorId: FASTAUTH_CONTRACT,
        signerId: 'user.test.near',
        tweak: bytesToHex(deriveTweak(FASTAUTH_CONTRACT, 'jwt-guard#user-sub')),
      }),
    ]);
  });

  it('matches the near/mpc tweak vector for (hello, my-path)', () => {
    const { signCalls } = activityOf([acceptedSign(HEIGHT, 'v', 'hello', ecdsaArgs('my-path', ecdsaPayload))]);
    expect(signCalls[0]!.tweak).toBe('da30fae7557313c718e04d4691596618ce0f4d2d31d5c23cbc216ad0a86d2818');
  });

  it('reads the domain from domain_id or key_version with either payload form', () => {
    const { signCalls, unreadable } = activityOf([
      acceptedSign(HEIGHT, 'legacy-domain-id', 'a.near', { request: { payload: legacyPayload, path: 'p', domain_id: 3 } }),
      acceptedSign(HEIGHT, 'v2-key-version', 'a.near', { request: { payload_v2: { Ecdsa: ecdsaPayload }, path: 'p', key_version: 2 } }),
      acceptedSign(HEIGHT, 'legacy-key-version', 'a.near', { request: { payload: legacyPayload, path: 'p', key_version: 0 } }),
    ]);
    expect(unreadable).toEqual([]);
    expect(signCalls.map((call) => [call.argsForm, call.domainId])).toEqual([
      ['legacy', 3],
      ['v2', 2],
      ['legacy', 0],
    ]);
  });

  it('ignores failed sign calls, calls the contract did not execute and other methods', () => {
    const activity = activityOf([
      executedReceipt(HEIGHT, {
        receiptId: hashOf('failed'),
        predecessorId: 'alice.test.near',
        receiverId: MPC_CONTRACT,
        actions: [functionCall('sign', ecdsaArgs('p', ecdsaPayload))],
        status: { Failure: { ActionError: { index: 0, kind: { FunctionCallError: { ExecutionError: 'Smart contract panicked: Attached deposit is lower than required' } } } } },
      }),
      executedReceipt(HEIGHT, {
        receiptId: hashOf('other contract'),
        predecessorId: 'alice.test.near',
        receiverId: 'v2.signer.test.near',
        actions: [functionCall('sign', ecdsaArgs('p', ecdsaPayload))],
        status: { SuccessReceiptId: hashOf('other yield') },
      }),
      executedReceipt(HEIGHT, {
        receiptId: hashOf('view-like'),
        predecessorId: 'alice.test.near',
        receiverId: MPC_CONTRACT,
        actions: [functionCall('public_key', {})],
        status: { SuccessValue: '' },
      }),
    ]);
    expect(activity).toEqual({ signCalls: [], completions: [], responds: [], unreadable: [] });
  });

  it('reports accepted sign calls it cannot read instead of dropping them', () => {
    const { signCalls, unreadable } = activityOf([
      acceptedSign(HEIGHT, 'both-payloads', 'a.near', { request: { payload: legacyPayload, payload_v2: { Ecdsa: ecdsaPayload }, path: 'p', domain_id: 0 } }),
      acceptedSign(HEIGHT, 'short-ecdsa', 'a.near', ecdsaArgs('p', 'ab'.repeat(31))),
      acceptedSign(HEIGHT, 'both-domains', 'a.near', { request: { payload: legacyPayload, path: 'p', domain_id: 0, key_version: 0 } }),
      // near/mpc 3.14 refuses it; an accepted one (another contract version) is reported, not given domain 0.
      acceptedSign(HEIGHT, 'no-domain', 'a.near', { request: { payload: legacyPayload, path: 'p' } }),
      executedReceipt(HEIGHT, {
        receiptId: hashOf('not json'),
        predecessorId: 'a.near',
        receiverId: MPC_CONTRACT,
        actions: [{ FunctionCall: { method_name: 'sign', args: Buffer.from('{"request":').toString('base64'), gas: 1, deposit: '1' } }],
        status: { SuccessReceiptId: hashOf('yield not json') },
      }),
      executedReceipt(HEIGHT, {
        receiptId: hashOf('batch'),
        predecessorId: 'a.near',
        receiverId: MPC_CONTRACT,
        actions: [functionCall('sign', ecdsaArgs('p', ecdsaPayload)), functionCall('sign', ecdsaArgs('q', ecdsaPayload))],
        status: { SuccessReceiptId: hashOf('yield batch') },
      }),
    ]);
    expect(signCalls).toEqual([]);
    expect(unreadable.map((entry) => [entry.requestId, entry.reason])).toEqual([
      [requestIdOf('both-payloads'), expect.stringContaining('exactly one of payload_v2 and payload')],
      [requestIdOf('short-ecdsa'), expect.stringContaining('an Ecdsa payload is 32 bytes')],
      [requestIdOf('both-domains'), expect.stringContaining('domain_id and key_version cannot both be given')],
      [requestIdOf('no-domain'), expect.stringContaining('one of domain_id and key_version must be given')],
      [hashOf('yield not json'), expect.stringContaining('not base64 JSON')],
      [hashOf('yield batch'), expect.stringContaining('2 actions')],
      [hashOf('yield batch'), expect.stringContaining('2 actions')],
    ]);
  });

  it('turns any accepted sign call into exactly one request or one unreadable report, whatever its arguments', () => {
    const anyArgs = fc.oneof(
      fc.jsonValue(),
      fc.record({ request: fc.dictionary(fc.constantFrom('path', 'payload', 'payload_v2', 'domain_id', 'key_version', 'extra'), fc.jsonValue()) }),
    );
    fc.assert(
      fc.property(anyArgs, (args) => {
        const { signCalls, unreadable } = activityOf([acceptedSign(HEIGHT, 'arbitrary', 'a.near', args)]);
        expect(signCalls.length + unreadable.length).toBe(1);
        expect([...signCalls, ...unreadable][0]!.requestId).toBe(requestIdOf('arbitrary'));
      }),
    );
  });

  it('recognises answered and timed-out yield callbacks and successful respond calls', () => {
    const activity = activityOf([
      signCallback(HEIGHT, 'answered', 'answered'),
      signCallback(HEIGHT, 'timed-out', 'timed_out'),
      executedReceipt(HEIGHT, {
        receiptId: hashOf('respond'),
        predecessorId: MPC_NODE_ACCOUNT,
        receiverId: MPC_CONTRACT,
        actions: [functionCall('respond', { request: {}, response: {} })],
        status: { SuccessValue: '' },
      }),
      executedReceipt(HEIGHT, {
        receiptId: hashOf('rejected respond'),
        predecessorId: MPC_NODE_ACCOUNT,
        receiverId: MPC_CONTRACT,
        actions: [functionCall('respond', { request: {}, response: {} })],
        status: { Failure: { ActionError: { index: 0, kind: 'InvalidSignature' } } },
      }),
    ]);
    expect(activity.completions).toEqual([
      { requestId: requestIdOf('answered'), outcome: 'answered', blockHash: blockFile(HEIGHT).header.hash },
      { requestId: requestIdOf('timed-out'), outcome: 'timed_out', blockHash: blockFile(HEIGHT).header.hash },
    ]);
    expect(activity.responds).toEqual([{ receiptId: hashOf('respond'), responderId: MPC_NODE_ACCOUNT, blockHash: blockFile(HEIGHT).header.hash }]);
  });

  it('does not let anyone but the contract close a request through the private callback', () => {
    const forged = executedReceipt(HEIGHT, {
      receiptId: requestIdOf('victim'),
      predecessorId: 'mallory.test.near',
      receiverId: MPC_CONTRACT,
      actions: [functionCall('return_signature_and_clean_state_on_success', {})],
      status: { Failure: { ActionError: { index: 0, kind: { FunctionCallError: { ExecutionError: 'Method is private' } } } } },
    });
    expect(activityOf([forged]).completions).toEqual([]);
  });
});

describe('attachBlock', () => {
  const block = parseLakeBlock(JSON.stringify(blockFile(HEIGHT)), limits);

  it("adds the block's random_value as entropy and the block's coordinates", () => {
    const { signCalls } = activityOf([acceptedSign(HEIGHT, 'a', 'alice.test.near', ecdsaArgs('p', ecdsaPayload))]);
    const [request] = attachBlock(signCalls, block, MPC_CONTRACT);
    expect(request).toEqual({
      version: 1,
      contractId: MPC_CONTRACT,
      ...signCalls[0],
      entropy: bytesToHex(base58.decode(randomValueAt(HEIGHT))),
      block: { height: HEIGHT, hash: block.hash, timestampNanosec: blockFile(HEIGHT).header.timestamp_nanosec },
    });
  });

  it('refuses a block other than the one that executed the call', () => {
    const { signCalls } = activityOf([acceptedSign(HEIGHT, 'a', 'alice.test.near', ecdsaArgs('p', ecdsaPayload))]);
    const otherBlock = parseLakeBlock(JSON.stringify(blockFile(HEIGHT + 1)), limits);
    expect(() => attachBlock(signCalls, otherBlock, MPC_CONTRACT)).toThrow(LakeBlockMismatch);
  });
});

describe('sign request queue messages', () => {
  const block = parseLakeBlock(JSON.stringify(blockFile(HEIGHT)), limits);
  const requests = attachBlock(
    activityOf([
      acceptedSign(HEIGHT, 'ecdsa', 'alice.test.near', ecdsaArgs('p', ecdsaPayload)),
      acceptedSign(HEIGHT, 'eddsa', 'bob.test.near', eddsaArgs('q', eddsaPayload)),
    ]).signCalls,
    block,
    MPC_CONTRACT,
  );

  it('round-trip through JSON', () => {
    for (const request of requests) expect(decodeSignRequest(encodeSignRequest(request))).toEqual(request);
  });

  it('reject missing, extra and malformed fields with their paths', () => {
    const json = JSON.parse(encodeSignRequest(requests[0]!)) as Record<string, unknown>;
    const decodeWith = (change: Record<string, unknown>) => () => decodeSignRequest(JSON.stringify({ ...json, ...change }));
    expect(decodeWith({ requestId: undefined })).toThrow(/requestId/);
    expect(decodeWith({ surprise: 1 })).toThrow(/surprise/);
    expect(decodeWith({ tweak: (json.tweak as string).toUpperCase() })).toThrow(/tweak must be lowercase hex/);
    expect(decodeWith({ payload: { scheme: 'Ecdsa', hex: 'ab' } })).toThrow(/payload\.hex/);
    expect(decodeWith({ version: 2 })).toThrow(SignRequestDecodeError);
    expect(() => decodeSignRequest('{"version":1')).toThrow(/not JSON/);
  });

  it('keep every field of the request (type-level and value-level)', () => {
    const keys: (keyof SignRequest)[] = ['version', 'contractId', 'requestId', 'signReceiptId', 'blockHash', 'predecessorId', 'signerId', 'argsForm', 'path', 'domainId', 'payload', 'tweak', 'entropy', 'block'];
    expect(Object.keys(JSON.parse(encodeSignRequest(requests[0]!))).sort()).toEqual([...keys].sort());
  });
});
