import { DEFAULT_MAX_OBJECT_BYTES, LakeIndexerConfigError, loadLakeIndexerConfig } from './config.js';

const valid = {
  MPC_CONTRACT_ID: 'v1.signer-prod.testnet',
  REQUESTS_TABLE_NAME: 'chainsig-requests',
  SIGN_REQUESTS_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/sign-requests.fifo',
};

function problemsOf(environment: Record<string, string | undefined>): readonly string[] {
  try {
    loadLakeIndexerConfig(environment);
  } catch (error) {
    if (error instanceof LakeIndexerConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a LakeIndexerConfigError');
}

describe('loadLakeIndexerConfig', () => {
  it('reads a valid environment and defaults the object size limit', () => {
    expect(loadLakeIndexerConfig({ ...valid, UNRELATED: 'x' })).toEqual({
      mpcContractId: 'v1.signer-prod.testnet',
      requestsTableName: 'chainsig-requests',
      signRequestsQueueUrl: valid.SIGN_REQUESTS_QUEUE_URL,
      maxObjectBytes: DEFAULT_MAX_OBJECT_BYTES,
    });
    expect(loadLakeIndexerConfig({ ...valid, LAKE_MAX_OBJECT_BYTES: '4096' }).maxObjectBytes).toBe(4096);
  });

  it('names every missing or bad variable in one error', () => {
    expect(problemsOf({})).toEqual([
      'MPC_CONTRACT_ID is required',
      'REQUESTS_TABLE_NAME is required',
      'SIGN_REQUESTS_QUEUE_URL must be an SQS queue URL',
    ]);
    expect(
      problemsOf({ MPC_CONTRACT_ID: 'Signer..near', REQUESTS_TABLE_NAME: 't', SIGN_REQUESTS_QUEUE_URL: 'https://sqs.local/000/sign-requests', LAKE_MAX_OBJECT_BYTES: '1.5' }),
    ).toEqual([
      'MPC_CONTRACT_ID must be a NEAR account id (e.g. v1.signer)',
      'REQUESTS_TABLE_NAME must be a DynamoDB table name',
      'SIGN_REQUESTS_QUEUE_URL must be a FIFO queue (name ending in .fifo): deduplication by request id needs it',
      'LAKE_MAX_OBJECT_BYTES must be a whole number of bytes',
    ]);
    expect(problemsOf({ ...valid, LAKE_MAX_OBJECT_BYTES: 'lots' })).toEqual(['LAKE_MAX_OBJECT_BYTES must be a number of bytes']);
  });

  it('accepts the account ids NEAR accepts and only those', () => {
    for (const id of ['v1.signer', 'fast-auth.near', 'a_b.c-d.testnet', '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef']) {
      expect(loadLakeIndexerConfig({ ...valid, MPC_CONTRACT_ID: id }).mpcContractId).toBe(id);
    }
    for (const id of ['a', 'UPPER.near', '-lead.near', 'trail-.near', 'dot..near', '.near', 'a'.repeat(65), 'comma,near']) {
      expect(problemsOf({ ...valid, MPC_CONTRACT_ID: id })).toHaveLength(1);
    }
  });
});
