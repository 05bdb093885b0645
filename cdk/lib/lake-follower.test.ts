// Template tests of the public-lake follower construct in a bare stack (a VPC, a lake bucket and an alarm
// topic standing in for the operator stack's), with cdk-nag's AwsSolutions pack registered as `cdk synth` does.
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadLakeFollowerConfig } from '../../services/lake-follower/config.js';
import { FollowerMetric } from '../../services/lake-follower/metrics.js';
import { CHECKPOINT_KEY, LAKE_FOLLOWER_DOCKERFILE, LAKE_FOLLOWER_METRICS, LakeFollower, PUBLIC_NEAR_LAKE } from './lake-follower.js';
import { registerNagChecks } from './operator-app.js';
import { PROJECT_ROOT } from './paths.js';

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
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  lakeBucket = new s3.Bucket(stack, 'LakeBucket', { enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
  topic = new sns.Topic(stack, 'Alarms', { enforceSSL: true });
  // Findings of the stand-ins, not of the construct under test (the operator stack has its own answers to them).
  Validations.of(vpc).acknowledge({ id: 'AwsSolutions::AwsSolutions-VPC7', reason: 'test stand-in for the operator VPC, which has its own flow log' });
  Validations.of(lakeBucket).acknowledge({ id: 'AwsSolutions::AwsSolutions-S1', reason: 'test stand-in for the operator lake bucket, which logs to its access-log bucket' });
  Validations.of(topic).acknowledge({ id: 'AwsSolutions::AwsSolutions-SNS2', reason: 'test stand-in for the operator alarm topic, whose encryption is decided there' });
  follower = new LakeFollower(stack, 'LakeFollower', {
    vpc,
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
      'AwsSolutions::AwsSolutions-ECS2',
      'AwsSolutions::AwsSolutions-ECS4',
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::<LakeBucket>/*]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::near-lake-data-mainnet/*]',
    ]);
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });

  it('runs one 0.25 vCPU / 0.5 GB ARM64 task, never two at once', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '256',
      Memory: '512',
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 1,
      LaunchType: 'FARGATE',
      DeploymentConfiguration: Match.objectLike({ MinimumHealthyPercent: 0, MaximumPercent: 100 }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
    expect(existsSync(path.join(PROJECT_ROOT, LAKE_FOLLOWER_DOCKERFILE))).toBe(true);
  });

  it('gives the container an environment the follower accepts, with no secrets', () => {
    const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    const [container] = taskDefinition!.Properties.ContainerDefinitions as { Environment: { Name: string; Value: unknown }[]; Secrets?: unknown; ReadonlyRootFilesystem: boolean }[];
    expect(container!.Secrets).toBeUndefined();
    expect(container!.ReadonlyRootFilesystem).toBe(true);
    const environment = Object.fromEntries(container!.Environment.map(({ Name, Value }) => [Name, typeof Value === 'string' ? Value : 'resolved-bucket-name']));
    expect(loadLakeFollowerConfig(environment)).toMatchObject({
      publicLakeBucket: 'near-lake-data-mainnet',
      publicLakeRegion: 'eu-central-1',
      lakeBucket: 'resolved-bucket-name',
      contractId: 'v1.signer',
      rpcUrl: 'https://rpc.mainnet.near.org',
      checkpointKey: CHECKPOINT_KEY,
      startHeight: undefined,
    });
    expect(environment.METRICS_NAMESPACE).toBe(NAMESPACE);
  });

  it('lets the task read the public lake and write only objects of the operator lake', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: stack.getLogicalId(follower.taskRole.node.defaultChild as never) }] } }));
    const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Sid: string; Action: string; Resource: unknown }[]);
    const bucketArn = { 'Fn::GetAtt': [logicalId(lakeBucket), 'Arn'] };
    const objectArn = (suffix: string) => ({ 'Fn::Join': ['', [bucketArn, suffix]] });
    const publicArn = (suffix: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::near-lake-data-mainnet${suffix}`]] });
    expect(statements.map(({ Sid, Action, Resource }) => ({ Sid, Action, Resource }))).toEqual([
      { Sid: 'ListPublicLake', Action: 's3:ListBucket', Resource: publicArn('') },
      { Sid: 'ReadPublicLake', Action: 's3:GetObject', Resource: publicArn('/*') },
      { Sid: 'WriteOperatorLake', Action: 's3:PutObject', Resource: objectArn('/*') },
      { Sid: 'ListOperatorLake', Action: 's3:ListBucket', Resource: bucketArn },
      { Sid: 'ReadCheckpoint', Action: 's3:GetObject', Resource: objectArn(`/${CHECKPOINT_KEY}`) },
    ]);
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
