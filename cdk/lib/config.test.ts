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
      lake: { source: 'public-lake-follower', shards: 'all', retentionDays: 7 },
      node: { cpu: 256, memoryMiB: 1024, meshPort: 443, containerPort: 8443, healthPort: 8080, logLevel: 'info', allowedPeerCidrs: ['0.0.0.0/0'] },
      network: { mode: 'public', natGateways: 1 },
      meshEndpoint: { mode: 'public', url: 'http://mpc.example.com:8443', domainName: 'mpc.example.com', port: 8443, hostedZoneId: 'Z0123456789EXAMPLE0AB' },
    });
  });

  it('defaults to the public network mode, the public-lake follower and peers from anywhere', () => {
    const { lake, node, network } = EXAMPLE as { lake: Record<string, unknown>; node: Record<string, unknown>; network: Record<string, unknown> };
    const { source: _source, ...lakeWithoutSource } = lake;
    const { allowedPeerCidrs: _cidrs, ...nodeWithoutPeers } = node;
    const { mode: _mode, ...networkWithoutMode } = network;
    const config = parseOperatorConfig({ ...EXAMPLE, lake: lakeWithoutSource, node: nodeWithoutPeers, network: networkWithoutMode });
    expect(config.network.mode).toBe('public');
    expect(config.lake.source).toBe('public-lake-follower');
    expect(config.node.allowedPeerCidrs).toEqual(['0.0.0.0/0']);
  });

  it('switches to the private mode with one override, keeping the keys of the other mode in place', () => {
    const config = parseOperatorConfig(rawConfigFromContext({ ...CDK_CONTEXT, 'chainsig.network.mode': 'private', 'chainsig.node.meshPort': '8444' }));
    expect(config.meshEndpoint).toEqual({
      mode: 'private',
      url: 'https://mpc.example.com:8444',
      domainName: 'mpc.example.com',
      port: 8444,
      certificateArn: (CDK_CONTEXT.chainsig as { node: { certificateArn: string } }).node.certificateArn,
    });
    expect(parseOperatorConfig(rawConfigFromContext({ ...CDK_CONTEXT, 'chainsig.network.mode': 'private' })).meshEndpoint.url).toBe('https://mpc.example.com');
  });

  it('requires the hosted zone in public mode and the certificate in private mode', () => {
    // withChanges merges into a section; these drop keys from it.
    const { hostedZoneId: _zone, certificateArn: _certificate, ...node } = EXAMPLE.node as Record<string, unknown>;
    expect(problemsOf({ ...EXAMPLE, node })).toContain(
      'chainsig.node.hostedZoneId: required in network mode "public": the stack keeps mpc.example.com in this zone pointing at the running task',
    );
    expect(problemsOf({ ...EXAMPLE, node, network: { mode: 'private' } })).toContain(
      'chainsig.node.certificateArn: required in network mode "private": the NLB terminates TLS for mpc.example.com with it',
    );
    expect(problemsOf(withChanges({ node: { hostedZoneId: '/hostedzone/Z1' } }))).toContain('chainsig.node.hostedZoneId: must be a Route 53 hosted zone id');
    expect(problemsOf(withChanges({ network: { mode: 'hybrid' } }))).toContain('chainsig.network.mode');
    expect(problemsOf(withChanges({ network: { natGateway: 2 } }))).toContain('chainsig.network: unknown key natGateway');
  });

  it('reads the lake source and the follower start height', () => {
    const config = parseOperatorConfig(rawConfigFromContext({ ...CDK_CONTEXT, 'chainsig.lake.source': 'own-writer', 'chainsig.lake.followerStartHeight': '180000000' }));
    expect(config.lake).toMatchObject({ source: 'own-writer', followerStartHeight: 180_000_000 });
    expect(problemsOf(withChanges({ lake: { source: 'public-lake' } }))).toContain('chainsig.lake.source');
    expect(problemsOf(withChanges({ lake: { followerStartHeight: -1 } }))).toContain('chainsig.lake.followerStartHeight');
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

  it('requires the NLB certificate to be in the stack region (private mode)', () => {
    const certificateArn = 'arn:aws:acm:eu-central-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
    expect(problemsOf(withChanges({ node: { certificateArn }, network: { mode: 'private' } }))).toContain(
      'chainsig.node.certificateArn: the NLB needs a certificate in us-east-1, this one is in eu-central-1',
    );
  });

  it('reads the dashboard switch from cdk.json or the command line, off unless asked for', () => {
    expect(parseOperatorConfig(EXAMPLE).observability.dashboard).toBe(false);
    for (const [value, expected] of [[true, true], [false, false], ['true', true], ['false', false]] as const) {
      expect(parseOperatorConfig(withChanges({ observability: { dashboard: value } })).observability.dashboard).toBe(expected);
    }
    expect(problemsOf(withChanges({ observability: { dashboard: 'yes' } }))).toContain('chainsig.observability.dashboard');
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
