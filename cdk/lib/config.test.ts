import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OperatorConfigError, parseOperatorConfig, rawConfigFromContext } from './config.js';
import { PROJECT_ROOT } from './paths.js';

const CDK_CONTEXT = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
const EXAMPLE = rawConfigFromContext(CDK_CONTEXT);

/** The example configuration with one section replaced or extended. */
function withChanges(changes: Record<string, unknown>): Record<string, unknown> {
  const raw = structuredClone(EXAMPLE);
  for (const [section, value] of Object.entries(changes)) {
    const current = raw[section];
    raw[section] = typeof current === 'object' && current !== null && typeof value === 'object' && value !== null ? { ...current, ...value } : value;
  }
  return raw;
}

function problemsOf(raw: unknown): string {
  try {
    parseOperatorConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(OperatorConfigError);
    return (error as Error).message;
  }
  throw new Error('configuration was accepted');
}

describe('operator configuration', () => {
  it('accepts the committed example and fills the defaults', () => {
    const config = parseOperatorConfig(EXAMPLE);
    expect(config).toMatchObject({
      account: '123456789012',
      region: 'us-east-1',
      near: { network: 'testnet', contractId: 'v1.signer-prod.testnet' },
      lake: { shards: 'all', retentionDays: 7 },
      node: { cpu: 1024, memoryMiB: 2048, meshPort: 443, containerPort: 8443, healthPort: 8080, logLevel: 'info' },
      network: { natGateways: 1 },
    });
  });

  it('applies dotted command-line overrides, coercing strings to numbers and lists', () => {
    const raw = rawConfigFromContext({
      ...CDK_CONTEXT,
      'chainsig.near.contractId': 'v1.signer',
      'chainsig.near.network': 'mainnet',
      'chainsig.node.cpu': '2048',
      'chainsig.node.memoryMiB': '4096',
      'chainsig.lake.shards': '3, 7',
      'chainsig.node.allowedPeerCidrs': '203.0.113.7/32,198.51.100.0/24',
      'chainsig.alarmEmail': 'oncall@example.com',
    });
    const config = parseOperatorConfig(raw);
    expect(config.near).toMatchObject({ contractId: 'v1.signer', network: 'mainnet' });
    expect(config.node).toMatchObject({ cpu: 2048, memoryMiB: 4096, allowedPeerCidrs: ['203.0.113.7/32', '198.51.100.0/24'] });
    expect(config.lake.shards).toEqual([3, 7]);
    expect(config.alarmEmail).toBe('oncall@example.com');
    // The cdk.json object itself is not modified by overrides.
    expect((CDK_CONTEXT.chainsig as { near: { contractId: string } }).near.contractId).toBe('v1.signer-prod.testnet');
  });

  it('lists every problem with its context path in one error', () => {
    const message = problemsOf(
      withChanges({
        account: '1234',
        near: { contractId: 'Not A NEAR Id', rpcUrl: 'http://rpc.testnet.near.org' },
        stockpile: { minPresignatures: 500, maxPresignatures: 100 },
      }),
    );
    expect(message).toMatch(/^Invalid operator configuration/);
    expect(message).toContain('chainsig.account: must be a 12-digit AWS account id');
    expect(message).toContain('chainsig.near.contractId: must be a NEAR account id');
    expect(message).toContain('chainsig.near.rpcUrl: must be an https:// URL');
    expect(message).toContain('chainsig.stockpile.maxPresignatures: must be at least minPresignatures');
  });

  it('rejects CPU/memory pairs Fargate does not offer', () => {
    expect(problemsOf(withChanges({ node: { cpu: 1000 } }))).toContain('chainsig.node.cpu: must be one of 256, 512, 1024');
    expect(problemsOf(withChanges({ node: { cpu: 512, memoryMiB: 512 } }))).toContain(
      'chainsig.node.memoryMiB: Fargate with 512 CPU units needs 1024–4096 MiB in steps of 1024, got 512',
    );
  });

  it('requires the NLB certificate to be in the stack region', () => {
    const certificateArn = 'arn:aws:acm:eu-central-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
    expect(problemsOf(withChanges({ node: { certificateArn } }))).toContain(
      'chainsig.node.certificateArn: the NLB needs a certificate in us-east-1, this one is in eu-central-1',
    );
  });

  it('keeps the mesh and health ports apart', () => {
    expect(problemsOf(withChanges({ node: { healthPort: 8443 } }))).toContain('chainsig.node.healthPort: must differ from containerPort');
  });

  it('refuses the removed options instead of ignoring them: a fixed lake bucket name, a desired count in the context', () => {
    // A retained bucket with a fixed name blocks the next deployment; the task count is the NodeDesiredCount parameter.
    expect(problemsOf(withChanges({ lake: { bucketName: 'my-lake-bucket' } }))).toContain('chainsig.lake: unknown key bucketName');
    expect(problemsOf(rawConfigFromContext({ ...CDK_CONTEXT, 'chainsig.node.desiredCount': '0' }))).toContain('chainsig.node: unknown key desiredCount');
  });

  it('rejects duplicate shard ids, open-ended peers lists and a zero stockpile floor', () => {
    expect(problemsOf(withChanges({ lake: { shards: [1, 1] } }))).toContain('chainsig.lake.shards');
    expect(problemsOf(withChanges({ node: { allowedPeerCidrs: ['10.0.0.1'] } }))).toContain('chainsig.node.allowedPeerCidrs.0: must be an IPv4 CIDR');
    expect(problemsOf(withChanges({ stockpile: { minPresignatures: 0 } }))).toContain('chainsig.stockpile.minPresignatures');
  });

  it('explains a missing configuration section and a non-object context', () => {
    const { lake: _lake, ...withoutLake } = EXAMPLE;
    expect(problemsOf(withoutLake)).toContain('chainsig.lake:');
    expect(() => rawConfigFromContext({ chainsig: 'yes' })).toThrow(new OperatorConfigError('Context "chainsig" must be an object, got "yes"'));
  });
});
