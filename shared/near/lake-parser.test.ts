import fc from 'fast-check';
import { base58 } from '@scure/base';
import {
  FASTAUTH_CONTRACT,
  MPC_CONTRACT,
  blockFile,
  ecdsaArgs,
  executedReceipt,
  functionCall,
  hashOf,
  randomValueAt,
  shardFile,
  signCallback,
  acceptedSign,
} from '../../test/integration/lake-indexer/lake-fixtures.js';
import { BLOCK_HEADER_METADATA, LakeParseError, blockHeaderMetadata, parseBlockHeaderMetadata, parseLakeBlock, parseLakeShard } from './lake-parser.js';

const options = { source: '000000000100/shard_0.json', maxBytes: 1 << 20 };

function sampleShard() {
  return shardFile(100, 0, [
    acceptedSign(100, 'a', 'alice.test.near', ecdsaArgs('eth-1', '11'.repeat(32))),
    signCallback(100, 'b', 'answered'),
    executedReceipt(100, {
      receiptId: hashOf('transfer'),
      predecessorId: 'alice.test.near',
      receiverId: 'bob.test.near',
      actions: ['CreateAccount', { Transfer: { deposit: '1' } }],
      status: { Failure: { ActionError: { index: 0, kind: 'AccountAlreadyExists' } } },
    }),
  ]);
}

/** Parses `value` as JSON text and returns the LakeParseError it must raise. */
function parseError(value: unknown): LakeParseError {
  try {
    parseLakeShard(JSON.stringify(value), options);
  } catch (error) {
    if (error instanceof LakeParseError) return error;
    throw error;
  }
  throw new Error('expected a LakeParseError');
}

describe('parseLakeShard', () => {
  it('reads outcomes, receipts, actions and every status kind into the typed view', () => {
    const parsed = parseLakeShard(Buffer.from(JSON.stringify(sampleShard())), options);
    expect(parsed.shardId).toBe(0);
    const [sign, callback, transfer] = parsed.receiptOutcomes;
    expect(sign).toMatchObject({
      id: hashOf('sign a'),
      executorId: MPC_CONTRACT,
      status: { kind: 'SuccessReceiptId', receiptId: expect.any(String) },
      receipt: { predecessorId: 'alice.test.near', receiverId: MPC_CONTRACT, body: { kind: 'Action', signerId: 'alice.test.near', isPromiseYield: false } },
    });
    expect(sign!.receipt.body.kind === 'Action' && sign!.receipt.body.actions[0]).toMatchObject({ kind: 'FunctionCall', methodName: 'sign' });
    expect(callback!.status.kind).toBe('SuccessValue');
    expect(callback!.receipt.body).toMatchObject({ kind: 'Action', isPromiseYield: true });
    expect(transfer!.status).toEqual({ kind: 'Failure', failure: { ActionError: { index: 0, kind: 'AccountAlreadyExists' } } });
    expect(transfer!.receipt.body.kind === 'Action' && transfer!.receipt.body.actions).toEqual([
      { kind: 'Other', variant: 'CreateAccount' },
      { kind: 'Other', variant: 'Transfer' },
    ]);
  });

  it('tolerates unknown fields, unknown action variants and unknown receipt kinds', () => {
    const shard = sampleShard();
    const withExtras = {
      ...shard,
      new_top_level_field: { anything: [1, 2] },
      receipt_execution_outcomes: [
        { ...shard.receipt_execution_outcomes[0], extra: true },
        executedReceipt(100, {
          receiptId: hashOf('delegate'),
          predecessorId: 'relayer.test.near',
          receiverId: 'alice.test.near',
          actions: [{ Delegate: { delegate_action: {}, signature: 'ed25519:x' } } as never],
          status: { SuccessValue: '' },
        }),
        {
          execution_outcome: { ...shard.receipt_execution_outcomes[1]!.execution_outcome, id: hashOf('global') },
          receipt: { predecessor_id: 'system', receiver_id: 'alice.test.near', receipt_id: hashOf('global'), receipt: { GlobalContractDistribution: { id: 'x' } } },
        },
      ],
    };
    const parsed = parseLakeShard(JSON.stringify(withExtras), options);
    expect(parsed.receiptOutcomes).toHaveLength(3);
    expect(parsed.receiptOutcomes[1]!.receipt.body).toMatchObject({ kind: 'Action', actions: [{ kind: 'Other', variant: 'Delegate' }] });
    expect(parsed.receiptOutcomes[2]!.receipt.body).toEqual({ kind: 'Other', variant: 'GlobalContractDistribution' });
  });

  it('reads Data receipts, including the null data of a failed promise', () => {
    const shard = sampleShard();
    const entry = shard.receipt_execution_outcomes[1]!;
    const dataReceipt = { ...entry.receipt, receipt: { Data: { data_id: hashOf('data'), data: null, is_promise_resume: true } } };
    const parsed = parseLakeShard(JSON.stringify({ ...shard, receipt_execution_outcomes: [{ ...entry, receipt: dataReceipt }] }), options);
    expect(parsed.receiptOutcomes[0]!.receipt.body).toEqual({ kind: 'Data', dataId: hashOf('data'), data: null });
  });

  it('names the file and the JSON path of a missing or mistyped field', () => {
    const shard = sampleShard();
    const { shard_id: _omitted, ...withoutShardId } = shard;
    expect(parseError(withoutShardId)).toMatchObject({ source: options.source, path: '$.shard_id', reason: 'expected a non-negative integer, got nothing (the field is missing)' });

    const badMethod = structuredClone(shard) as unknown as { receipt_execution_outcomes: { receipt: { receipt: { Action: { actions: { FunctionCall: { method_name: unknown } }[] } } } }[] };
    badMethod.receipt_execution_outcomes[0]!.receipt.receipt.Action.actions[0]!.FunctionCall.method_name = 7;
    const error = parseError(badMethod);
    expect(error.path).toBe('$.receipt_execution_outcomes[0].receipt.receipt.Action.actions[0].FunctionCall.method_name');
    expect(error.message).toContain('expected a string, got number 7');

    expect(parseError({ ...shard, receipt_execution_outcomes: {} }).path).toBe('$.receipt_execution_outcomes');
    expect(parseError([shard]).path).toBe('$');
  });

  it('rejects a status nearcore does not have and an outcome whose receipt is another receipt', () => {
    const shard = structuredClone(sampleShard()) as unknown as { receipt_execution_outcomes: { execution_outcome: { id: string; outcome: { status: unknown } } }[] };
    shard.receipt_execution_outcomes[0]!.execution_outcome.outcome.status = { Pending: {} };
    expect(parseError(shard)).toMatchObject({ path: '$.receipt_execution_outcomes[0].execution_outcome.outcome.status', reason: 'unknown execution status "Pending"' });

    const mismatched = structuredClone(sampleShard()) as unknown as typeof shard;
    mismatched.receipt_execution_outcomes[1]!.execution_outcome.id = hashOf('someone else');
    expect(parseError(mismatched).path).toBe('$.receipt_execution_outcomes[1].receipt.receipt_id');
  });

  it('rejects truncated JSON, invalid UTF-8 and files over the size limit before parsing', () => {
    const text = JSON.stringify(sampleShard());
    expect(() => parseLakeShard(text.slice(0, text.length / 2), options)).toThrow(/at \$: invalid JSON/);
    expect(() => parseLakeShard(Uint8Array.from([0x7b, 0xff, 0x7d]), options)).toThrow(/not valid UTF-8/);
    const limited = { ...options, maxBytes: text.length - 1 };
    expect(() => parseLakeShard(text, limited)).toThrow(new LakeParseError(options.source, '$', `file is ${text.length} bytes, over the ${text.length - 1}-byte limit`));
  });

  it('never throws anything but LakeParseError, whatever the JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseLakeShard(JSON.stringify(value) ?? 'null', options);
        } catch (error) {
          expect(error).toBeInstanceOf(LakeParseError);
        }
      }),
    );
  });

  it('turns the removal of any field the indexer reads into a LakeParseError naming that field', () => {
    // Without the chunk, each field name's first occurrence is the one the indexer reads.
    const shard = { ...shardFile(100, 0, [acceptedSign(100, 'a', FASTAUTH_CONTRACT, ecdsaArgs('p', '22'.repeat(32)), 'user.test.near')]), chunk: null };
    const text = JSON.stringify(shard);
    const readFields = ['shard_id', 'receipt_execution_outcomes', 'execution_outcome', 'block_hash', 'executor_id', 'status', 'predecessor_id', 'receiver_id', 'receipt_id', 'signer_id', 'actions', 'method_name', 'args'];
    for (const field of readFields) {
      const removed = text.replace(`"${field}":`, `"removed_${field}":`);
      expect(parseError(JSON.parse(removed)).path).toMatch(new RegExp(`\\.${field}$`));
    }
  });

  it('does not depend on the fields it does not read (gas as a string, a missing deposit)', () => {
    const call = { FunctionCall: { method_name: 'sign', args: '', gas: '300000000000000' } } as never;
    const shard = shardFile(5, 0, [executedReceipt(5, { receiptId: hashOf('y'), predecessorId: 'a.near', receiverId: 'b.near', actions: [call], status: { SuccessValue: '' } })]);
    const body = parseLakeShard(JSON.stringify(shard), options).receiptOutcomes[0]!.receipt.body;
    expect(body.kind === 'Action' && body.actions).toEqual([{ kind: 'FunctionCall', methodName: 'sign', args: '' }]);
  });

  it('keeps FunctionCall arguments as the base64 text of the file', () => {
    const shard = shardFile(5, 1, [executedReceipt(5, { receiptId: hashOf('x'), predecessorId: 'a.near', receiverId: 'b.near', actions: [functionCall('m', { k: 1 })], status: { SuccessValue: '' } })]);
    const parsed = parseLakeShard(JSON.stringify(shard), options);
    const body = parsed.receiptOutcomes[0]!.receipt.body;
    expect(body.kind === 'Action' && body.actions[0]).toMatchObject({ args: Buffer.from('{"k":1}').toString('base64') });
  });
});

describe('parseLakeBlock', () => {
  const blockOptions = { source: '000000000100/block.json', maxBytes: 1 << 20 };

  it('reads height, hash, exact nanosecond time and the 32 random bytes', () => {
    const file = blockFile(100);
    const parsed = parseLakeBlock(JSON.stringify(file), blockOptions);
    expect(parsed).toEqual({ height: 100, hash: file.header.hash, timestampNanosec: BigInt(file.header.timestamp_nanosec), randomValue: base58.decode(randomValueAt(100)) });
  });

  it('rejects random values that are not 32 base58 bytes and timestamps that are not u64 decimals', () => {
    const file = blockFile(100);
    const withHeader = (header: object) => JSON.stringify({ ...file, header: { ...file.header, ...header } });
    expect(() => parseLakeBlock(withHeader({ random_value: base58.encode(new Uint8Array(31)) }), blockOptions)).toThrow(/\$\.header\.random_value: expected 32 bytes, got 31/);
    expect(() => parseLakeBlock(withHeader({ random_value: '0OIl' }), blockOptions)).toThrow(/\$\.header\.random_value: not base58/);
    expect(() => parseLakeBlock(withHeader({ timestamp_nanosec: '-5' }), blockOptions)).toThrow(/\$\.header\.timestamp_nanosec/);
    expect(() => parseLakeBlock(JSON.stringify({ ...file, header: undefined }), blockOptions)).toThrow(/\$\.header: expected an object/);
  });
});

describe('block header metadata (what the public-lake follower attaches to a shard)', () => {
  const source = 's3://lake/000000000100/shard_0.json';
  const block = parseLakeBlock(JSON.stringify(blockFile(100)), { source: 'block.json', maxBytes: 1 << 20 });

  it('round-trips the four header fields the indexer reads, as S3 metadata strings', () => {
    const metadata = blockHeaderMetadata(block);
    expect(metadata).toEqual({
      'near-block-height': '100',
      'near-block-hash': block.hash,
      'near-block-timestamp-nanosec': block.timestampNanosec.toString(),
      'near-block-random-value': randomValueAt(100),
    });
    expect(Object.values(metadata).every((value) => /^[\x20-\x7e]+$/.test(value))).toBe(true);
    expect(parseBlockHeaderMetadata(metadata, source)).toEqual(block);
    // Other metadata (any writer may add some) is ignored.
    expect(parseBlockHeaderMetadata({ ...metadata, 'content-owner': 'x' }, source)).toEqual(block);
  });

  it('is null when a shard carries none of the fields (an own Lake writer: read block.json)', () => {
    expect(parseBlockHeaderMetadata(undefined, source)).toBeNull();
    expect(parseBlockHeaderMetadata({}, source)).toBeNull();
    expect(parseBlockHeaderMetadata({ 'content-owner': 'x' }, source)).toBeNull();
  });

  it('names the missing or bad field of a partial or malformed header', () => {
    const metadata = blockHeaderMetadata(block);
    const failure = (changed: Record<string, string | undefined>) => {
      const value = Object.fromEntries(Object.entries({ ...metadata, ...changed }).filter(([, field]) => field !== undefined)) as Record<string, string>;
      try {
        parseBlockHeaderMetadata(value, source);
      } catch (error) {
        if (error instanceof LakeParseError) return { source: error.source, path: error.path, reason: error.reason };
        throw error;
      }
      throw new Error('expected a LakeParseError');
    };
    expect(failure({ [BLOCK_HEADER_METADATA.random_value]: undefined })).toEqual({ source, path: 'metadata near-block-random-value', reason: 'expected a string, got nothing (the field is missing)' });
    expect(failure({ [BLOCK_HEADER_METADATA.height]: '-1' })).toMatchObject({ path: 'metadata near-block-height', reason: expect.stringMatching(/non-negative integer/) });
    expect(failure({ [BLOCK_HEADER_METADATA.height]: '9'.repeat(20) })).toMatchObject({ path: 'metadata near-block-height' });
    expect(failure({ [BLOCK_HEADER_METADATA.timestamp_nanosec]: '1.5' })).toMatchObject({ path: 'metadata near-block-timestamp-nanosec' });
    expect(failure({ [BLOCK_HEADER_METADATA.random_value]: base58.encode(new Uint8Array(31)) })).toMatchObject({ path: 'metadata near-block-random-value', reason: 'expected 32 bytes, got 31' });
    expect(failure({ [BLOCK_HEADER_METADATA.hash]: undefined })).toMatchObject({ path: 'metadata near-block-hash' });
  });
});
