// Template tests of the public-lake follower construct in a bare stack (a lake bucket and an alarm topic
// standing in for the operator stack's), with cdk-nag's AwsSolutions pack registered as `cdk synth` does.
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadLakeFollowerConfig } from '../../services/lake-follower/config.js';
import { FOLLOWER_LEASE_TABLE_KEY } from '../../services/lake-follower/dynamodb-lease.js';
import { FollowerMetric } from '../../services/lake-follower/metrics.js';
import { CHECKPOINT_KEY, LAKE_FOLLOWER_ENVIRONMENT, LAKE_FOLLOWER_METRICS, LakeFollower, PUBLIC_NEAR_LAKE } from './lake-follower.js';
import { registerNagChecks } from './operator-app.js';
import { LAKE_FOLLOWER_ENTRY, PROJECT_ROOT } from './paths.js';
import { projectLambdaProps } from './project-lambda.js';

const NAMESPACE = 'ChainSignatures';
let outdir: string;
let stack: Stack;
let follower: LakeFollower;
let lakeBucket: s3.Bucket;
let topic: sns.Topic;
let template: Template;

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'lake-follower-cdk-'));
  const app = new App({ outdir });
  stack = new Stack(app, 'FollowerTest', { env: { account: '123456789012', region: 'eu-central-1' } });
  lakeBucket = new s3.Bucket(stack, 'LakeBucket', { enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
  topic = new sns.Topic(stack, 'Alarms', { enforceSSL: true });
  // Findings of the stand-ins, not of the construct under test (the operator stack has its own answers to them).
  Validations.of(lakeBucket).acknowledge({ id: 'AwsSolutions::AwsSolutions-S1', reason: 'test stand-in for the operator lake bucket, which logs to its access-log bucket' });
  Validations.of(topic).acknowledge({ id: 'AwsSolutions::AwsSolutions-SNS2', reason: 'test stand-in for the operator alarm topic, whose encryption is decided there' });
  follower = new LakeFollower(stack, 'LakeFollower', {
    handlerEntry: LAKE_FOLLOWER_ENTRY,
    lakeBucket,
    publicLake: PUBLIC_NEAR_LAKE.mainnet,
    near: { contractId: 'v1.signer', rpcUrl: 'https://rpc.mainnet.near.org' },
    metricsNamespace: NAMESPACE,
    alarmTopic: topic,
  });
  registerNagChecks(app);
  try {
    template = Template.fromJSON(app.synth().getStackByName(stack.stackName).template);
  } catch (error) {
    const reportPath = path.join(outdir, 'validation-report.json');
    throw new Error(`synth failed: ${(error as Error).message}\n${existsSync(reportPath) ? readFileSync(reportPath, 'utf8') : ''}`);
  }
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const logicalId = (construct: { node: { defaultChild?: unknown } }): string => stack.getLogicalId(construct.node.defaultChild as s3.CfnBucket);
const arnOf = (construct: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
const functionResource = () => template.toJSON().Resources[logicalId(follower.function)];

describe('LakeFollower construct', () => {
  it('passes cdk-nag, each of its acknowledgements with a reason', () => {
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const nag = report.pluginReports.find((plugin: { pluginName: string }) => plugin.pluginName === 'AwsSolutions');
    expect(nag).toMatchObject({ conclusion: 'success', violations: [] });
    const acknowledged = follower.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    expect(acknowledged.map(([id]) => id.replace(`<${logicalId(lakeBucket)}.Arn>`, '<LakeBucket>')).sort()).toEqual([
      // The lease table without point-in-time recovery.
      'AwsSolutions::AwsSolutions-DDB3',
      // Object keys of the operator lake (PutObject) and of the public lake (GetObject).
      'AwsSolutions::AwsSolutions-IAM5[Resource::<LakeBucket>/*]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::near-lake-data-mainnet/*]',
    ]);
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });

  it('runs as a 256 MB Lambda function of the project kind, for up to 15 minutes, at most three at once', () => {
    const expected = projectLambdaProps(LAKE_FOLLOWER_ENTRY);
    expect(functionResource().Properties).toMatchObject({
      Handler: 'index.handler',
      Runtime: expected.runtime!.name,
      Architectures: [expected.architecture!.name],
      MemorySize: 256,
      Timeout: 900,
      ReservedConcurrentExecutions: 3,
      Role: arnOf(follower.role),
      LoggingConfig: { LogFormat: 'JSON', SystemLogLevel: 'WARN', ApplicationLogLevel: 'INFO', LogGroup: { Ref: logicalId(follower.logGroup) } },
    });
    expect(functionResource().Properties.VpcConfig).toBeUndefined();
    expect(LAKE_FOLLOWER_ENTRY).toBe(path.join(PROJECT_ROOT, 'lambdas/lake-follower/handler.ts'));
    expect(existsSync(LAKE_FOLLOWER_ENTRY)).toBe(true);
  });

  it('bundled the handler with local esbuild into an ESM file (no Docker)', () => {
    const assetHash = (functionResource().Properties.Code.S3Key as string).replace(/\.zip$/, '');
    const manifest = JSON.parse(readFileSync(path.join(outdir, `${stack.artifactId}.assets.json`), 'utf8'));
    const bundleDirectory = path.join(outdir, manifest.files[assetHash].source.path);
    expect(readdirSync(bundleDirectory).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    expect(readFileSync(path.join(bundleDirectory, 'index.mjs'), 'utf8')).toMatch(/export\s*\{[^}]*handler/);
    expect(manifest.dockerImages ?? {}).toEqual({});
  });

  it('invokes it every minute, and drops a tick rather than retrying or delivering it late', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties).toMatchObject({
      State: 'ENABLED',
      ScheduleExpression: 'rate(1 minute)',
      Targets: [{ Arn: arnOf(follower.function), Id: expect.any(String), RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } }],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: arnOf(follower.function),
      Principal: 'events.amazonaws.com',
      SourceArn: arnOf(follower.schedule),
    });
    // Lambda's own queue of asynchronous invocations (a throttled or failed tick) keeps it no longer either.
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(follower.function) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('keeps the lease in an on-demand table keyed as the lease adapter writes it, without PITR, deleted with the stack', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    const table = template.toJSON().Resources[logicalId(follower.leaseTable)];
    expect(FOLLOWER_LEASE_TABLE_KEY).toBe('lease');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: FOLLOWER_LEASE_TABLE_KEY, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: FOLLOWER_LEASE_TABLE_KEY, AttributeType: 'S' }],
    });
    expect(table.Properties.TableName).toBeUndefined();
    expect(table.Properties.Replicas).toEqual([{ Region: 'eu-central-1', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false } }]);
    expect(table.DeletionPolicy).toBe('Delete');
  });

  it('gives the function an environment the follower accepts, with the lease table and no secrets', () => {
    const variables = functionResource().Properties.Environment.Variables as Record<string, unknown>;
    expect(variables[LAKE_FOLLOWER_ENVIRONMENT.lakeBucket]).toEqual({ Ref: logicalId(lakeBucket) });
    expect(variables[LAKE_FOLLOWER_ENVIRONMENT.leaseTable]).toEqual({ Ref: logicalId(follower.leaseTable) });
    const resolved: Record<string, string> = { [logicalId(lakeBucket)]: 'resolved-bucket-name', [logicalId(follower.leaseTable)]: 'resolved-lease-table' };
    const environment = Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : resolved[(value as { Ref: string }).Ref]!]),
    );
    expect(loadLakeFollowerConfig(environment)).toMatchObject({
      publicLakeBucket: 'near-lake-data-mainnet',
      publicLakeRegion: 'eu-central-1',
      lakeBucket: 'resolved-bucket-name',
      contractId: 'v1.signer',
      rpcUrl: 'https://rpc.mainnet.near.org',
      checkpointKey: CHECKPOINT_KEY,
      startHeight: undefined,
      lease: { table: 'resolved-lease-table' },
    });
    expect(environment).toMatchObject({ METRICS_NAMESPACE: NAMESPACE, POWERTOOLS_LOG_LEVEL: 'INFO', NODE_OPTIONS: '--enable-source-maps' });
    expect(Object.keys(environment).sort()).toEqual(
      [...Object.values(LAKE_FOLLOWER_ENVIRONMENT).filter((name) => name !== LAKE_FOLLOWER_ENVIRONMENT.startHeight), 'POWERTOOLS_LOG_LEVEL', 'NODE_OPTIONS'].sort(),
    );
  });

  it('lets its own role read the public lake, write only objects of the operator lake, hold the lease and write its own logs', () => {
    const role = template.toJSON().Resources[logicalId(follower.role)];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(follower.role) }] } }));
    const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Sid?: string; Action: string | string[]; Resource: unknown }[]);
    const bucketArn = { 'Fn::GetAtt': [logicalId(lakeBucket), 'Arn'] };
    const objectArn = (suffix: string) => ({ 'Fn::Join': ['', [bucketArn, suffix]] });
    const publicArn = (suffix: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::near-lake-data-mainnet${suffix}`]] });
    expect(statements.map(({ Sid, Action, Resource }) => ({ Sid, Action, Resource }))).toEqual([
      { Sid: 'ListPublicLake', Action: 's3:ListBucket', Resource: publicArn('') },
      { Sid: 'ReadPublicLake', Action: 's3:GetObject', Resource: publicArn('/*') },
      { Sid: 'WriteOperatorLake', Action: 's3:PutObject', Resource: objectArn('/*') },
      { Sid: 'ListOperatorLake', Action: 's3:ListBucket', Resource: bucketArn },
      { Sid: 'ReadCheckpoint', Action: 's3:GetObject', Resource: objectArn(`/${CHECKPOINT_KEY}`) },
      { Sid: 'FollowerLease', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], Resource: arnOf(follower.leaseTable) },
      { Sid: undefined, Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: arnOf(follower.logGroup) },
    ]);
  });

  it('runs no task: no ECS resource, no security group, no VPC', () => {
    const types = new Set(Object.values(template.toJSON().Resources as Record<string, { Type: string }>).map((resource) => resource.Type));
    expect([...types].filter((type) => type.startsWith('AWS::ECS::') || type.startsWith('AWS::EC2::'))).toEqual([]);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    expect(existsSync(path.join(PROJECT_ROOT, 'services/lake-follower/Dockerfile'))).toBe(false);
  });

  it('alarms on a stalled or missing follower, a layout change and a moved signer, with the names the follower publishes', () => {
    expect(Object.values(LAKE_FOLLOWER_METRICS).every((name) => (Object.values(FollowerMetric) as string[]).includes(name))).toBe(true);
    const alarm = (metricName: string) => Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metricName } }));
    const common = { Namespace: NAMESPACE, Dimensions: [{ Name: 'service', Value: 'lake-follower' }], Period: 60, AlarmActions: [{ Ref: stack.getLogicalId(topic.node.defaultChild as never) }] };
    expect(alarm(LAKE_FOLLOWER_METRICS.lagSeconds)).toEqual([
      expect.objectContaining({ Properties: expect.objectContaining({ ...common, Statistic: 'Maximum', Threshold: 60, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: 'breaching' }) }),
    ]);
    for (const name of [LAKE_FOLLOWER_METRICS.shardLayoutChanges, LAKE_FOLLOWER_METRICS.signerShardMoves]) {
      expect(alarm(name)).toEqual([
        expect.objectContaining({ Properties: expect.objectContaining({ ...common, Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' }) }),
      ]);
    }
  });
});
