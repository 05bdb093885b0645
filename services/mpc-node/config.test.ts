import { ConfigError, loadNodeConfig } from './config.js';

const valid = {
  NODE_ACCOUNT_ID: 'node-1.test.near',
  NODE_ACCOUNT_SECRET_KEY: 'ed25519:3D4YudUahN1nawWogh8pAKSj92sUNMdbZGjn7kERKzYoTy8tnFQuwoGUC51DowKqorvkr2pytJSnwuSbsNVfqygr',
  MPC_CONTRACT_ID: 'v1.signer.test.near',
  NEAR_RPC_URL: 'http://127.0.0.1:3030',
  SIGN_REQUESTS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/sign-requests.fifo',
  KEY_SHARES_TABLE: 'node1-key-shares',
  TRIPLES_TABLE: 'node1-triples',
  PRESIGNATURES_TABLE: 'node1-presignatures',
  MESH_LISTEN: '127.0.0.1:7001',
  MESH_SIGN_SECRET_KEY: 'aa'.repeat(32),
  SEALING: 'local-file',
  LOCAL_MASTER_KEY_FILE: '/tmp/master.key',
};

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadNodeConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('node configuration', () => {
  it('accepts a complete environment and fills defaults', () => {
    const config = loadNodeConfig(valid);
    expect(config).toMatchObject({ SEALING: 'local-file', HTTP_PORT: 8080, TRIPLE_TARGET: 128, LOG_LEVEL: 'info' });
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({ ...valid, NEAR_RPC_URL: 'ftp://x', MESH_LISTEN: 'nope', TRIPLE_TARGET: '-3', KEY_SHARES_TABLE: undefined });
    expect(problems.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['NEAR_RPC_URL', 'MESH_LISTEN', 'TRIPLE_TARGET', 'KEY_SHARES_TABLE']));
    expect(problems.find((p) => p.startsWith('KEY_SHARES_TABLE'))).toMatch(/missing/);
  });

  it('never echoes a secret back in the error', () => {
    const secret = 'zz'.repeat(32);
    const problems = problemsOf({ ...valid, MESH_SIGN_SECRET_KEY: secret });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^MESH_SIGN_SECRET_KEY: .*hidden/);
    expect(problems.join('\n')).not.toContain(secret);
  });

  it('requires the key material its sealing mode needs', () => {
    expect(problemsOf({ ...valid, SEALING: 'kms', LOCAL_MASTER_KEY_FILE: undefined })).toEqual([expect.stringMatching(/^KMS_KEY_ID: required when SEALING=kms/)]);
    expect(problemsOf({ ...valid, LOCAL_MASTER_KEY_FILE: undefined })).toEqual([expect.stringMatching(/^LOCAL_MASTER_KEY_FILE: required/)]);
  });

  it('refuses account ids NEAR would refuse', () => {
    for (const bad of ['A.near', 'a', 'a..b', 'x'.repeat(65), 'trailing-.near']) {
      expect(problemsOf({ ...valid, NODE_ACCOUNT_ID: bad })).toEqual([expect.stringMatching(/^NODE_ACCOUNT_ID: a NEAR account id/)]);
    }
  });
});
