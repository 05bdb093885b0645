// Template tests of the operator stack in the private network mode with an own Lake writer
// (`-c chainsig.network.mode=private -c chainsig.lake.source=own-writer`): today's NAT + TLS NLB layout,
// and no public-lake follower. operator-stack.test.ts covers the default configuration.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { OperatorConfig } from './config.js';
import { NODE_IMAGE_DOCKERFILE } from './node-service.js';
import { LAKE_FOLLOWER_METRICS } from './lake-follower.js';
import { LAKE_SOURCE_SILENCE_MINUTES } from './observability.js';
import { acknowledgementsOfEveryConfiguration, synthesizeOperator, type SynthesizedOperator } from './operator-stack.fixture.js';
import type { OperatorStack } from './operator-stack.js';

let operator: SynthesizedOperator;
let CONFIG: OperatorConfig;
let stack: OperatorStack;
let template: Template;

beforeAll(() => {
  // The dashboard is switched on here the way an operator would on the command line (`-c chainsig.observability.dashboard=true`).
  operator = synthesizeOperator({ 'network.mode': 'private', 'lake.source': 'own-writer', 'observability.dashboard': 'true' });
  ({ config: CONFIG, stack, template } = operator);
});

afterAll(() => operator.dispose());

describe('cdk-nag AwsSolutions (private mode, own writer)', () => {
  it('ran on the synth with no unacknowledged finding, each acknowledgement with a reason', () => {
    expect(operator.nagReport()).toMatchObject({ conclusion: 'success', violations: [] });
    const acknowledgements = operator.acknowledgements();
    // Nothing beyond what every configuration has: no follower, no DNS updater.
    expect(acknowledgements.map(([id]) => id).sort()).toEqual(acknowledgementsOfEveryConfiguration(operator).sort());
    for (const [, reason] of acknowledgements) expect(reason.length).toBeGreaterThan(40);
  });
});

describe('the dashboard, when switched on', () => {
  it('is one dashboard, and the alarms are the same as without it', () => {
    expect(CONFIG.observability.dashboard).toBe(true);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const withoutDashboard = synthesizeOperator({ 'network.mode': 'private', 'lake.source': 'own-writer' });
    try {
      withoutDashboard.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
      const alarmNames = (synthesized: SynthesizedOperator) =>
        Object.values(synthesized.template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => JSON.stringify(alarm.Properties.AlarmDescription ?? alarm.Properties.MetricName ?? '')).sort();
      expect(alarmNames(operator)).toEqual(alarmNames(withoutDashboard));
    } finally {
      withoutDashboard.dispose();
    }
  });
});

describe('private network mode', () => {
  it('spans two AZs with private node subnets, one NAT and free gateway endpoints', () => {
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.resourceCountIs('AWS::EC2::NatGateway', CONFIG.network.natGateways);
    expect(CONFIG.network.natGateways).toBe(1);
    for (const service of ['dynamodb', 's3']) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, `.${service}`]] },
      });
    }
    template.hasResourceProperties('AWS::EC2::FlowLog', { LogDestinationType: 's3', TrafficType: 'REJECT' });
  });

  it('runs the node in the private subnets without a public address', () => {
    template.resourceCountIs('AWS::ECS::Service', 1);
    const privateSubnets = stack.network.vpc.privateSubnets.map((subnet) => operator.ref(subnet));
    expect(privateSubnets).toHaveLength(2);
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED', Subnets: privateSubnets } },
      HealthCheckGracePeriodSeconds: 120,
    });
  });

  it('terminates mesh TLS 1.3 at an internet-facing NLB with the configured certificate and port', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'load_balancing.cross_zone.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: CONFIG.node.meshPort,
      Protocol: 'TLS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06',
      Certificates: [{ CertificateArn: CONFIG.node.certificateArn }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: CONFIG.node.containerPort,
      Protocol: 'TCP',
      TargetType: 'ip',
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: String(CONFIG.node.healthPort),
      HealthCheckPath: '/livez',
    });
  });

  it('admits mesh peers to the NLB only, and the NLB only to the mesh and health ports', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: CONFIG.node.allowedPeerCidrs.map((cidr) =>
        Match.objectLike({ CidrIp: cidr, FromPort: CONFIG.node.meshPort, ToPort: CONFIG.node.meshPort, IpProtocol: 'tcp' }),
      ),
    });
    const ingressPorts = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((rule) => {
      expect(rule.Properties.SourceSecurityGroupId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/MeshLoadBalancerSecurityGroup/), 'GroupId'] });
      expect(rule.Properties.FromPort).toBe(rule.Properties.ToPort);
      return rule.Properties.FromPort;
    });
    expect(ingressPorts.sort()).toEqual([CONFIG.node.healthPort, CONFIG.node.containerPort].sort());
  });

  it('registers the NLB name over TLS as the participant URL, and has no DNS updater', () => {
    template.hasOutput('MeshUrl', { Value: `https://${CONFIG.node.domainName}` });
    template.hasOutput('MeshLoadBalancerDns', { Value: { 'Fn::GetAtt': [operator.logicalId(stack.mpcNode.meshLoadBalancer!.loadBalancer), 'DNSName'] } });
    expect(stack.taskDns).toBeUndefined();
    template.resourceCountIs('AWS::Events::Rule', 0);
    expect(Object.keys(template.toJSON().Outputs)).not.toContain('TaskDnsLogGroupName');
  });

  it('alarms on the mesh endpoint losing its healthy node', () => {
    expect(operator.alarmsOn('HealthyHostCount').map((alarm) => alarm.Properties)).toEqual([
      expect.objectContaining({ ComparisonOperator: 'LessThanThreshold', Threshold: 1 }),
    ]);
  });
});

describe('own Lake writer', () => {
  it('runs no follower: one image, one service, no follower alarms', () => {
    expect(stack.lakeFollower).toBeUndefined();
    const manifest = JSON.parse(readFileSync(path.join(operator.outdir, `${stack.artifactId}.assets.json`), 'utf8'));
    expect((Object.values(manifest.dockerImages) as { source: { dockerFile: string } }[]).map((image) => image.source.dockerFile)).toEqual([NODE_IMAGE_DOCKERFILE]);
    for (const metricName of Object.values(LAKE_FOLLOWER_METRICS)) expect(operator.alarmsOn(metricName)).toEqual([]);
  });

  it('alarms when the lake source stops delivering objects (missing data counts as stopped)', () => {
    const alarms = operator.alarmsOn('NumberOfMessagesSent');
    expect(alarms).toHaveLength(1);
    const [alarm] = alarms;
    expect(JSON.stringify(alarm!.Properties)).toContain(operator.logicalId(stack.lakeIngest.queue));
    expect(alarm!.Properties).toMatchObject({ ComparisonOperator: 'LessThanThreshold', Threshold: 1, TreatMissingData: 'breaching' });
    const periods = alarm!.Properties.EvaluationPeriods * (alarm!.Properties.Metrics?.[0]?.MetricStat?.Period ?? alarm!.Properties.Period);
    expect(periods).toBe(LAKE_SOURCE_SILENCE_MINUTES * 60);
  });
});
