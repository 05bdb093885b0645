import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { MeshEndpoint, OperatorConfig } from './config.js';

/** The private mode's way in: the NLB and the target group of the node task. */
export interface MeshLoadBalancer {
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly targetGroup: elbv2.NetworkTargetGroup;
}

export interface MeshLoadBalancerProps {
  readonly vpc: ec2.IVpc;
  readonly endpoint: Extract<MeshEndpoint, { mode: 'private' }>;
  readonly node: OperatorConfig['node'];
  readonly accessLogs: s3.IBucket;
  readonly service: ecs.FargateService;
  readonly serviceSecurityGroup: ec2.ISecurityGroup;
  readonly container: ecs.ContainerDefinition;
}

/**
 * Opens the mesh port to the configured peers. Every frame is authenticated to a registered participant and
 * the node bounds the work it does before that (decision 0008), which is why the internet may be allowed.
 */
export function admitMeshPeers(securityGroup: ec2.SecurityGroup, allowedPeerCidrs: readonly string[], port: number): void {
  for (const peerCidr of allowedPeerCidrs) securityGroup.addIngressRule(ec2.Peer.ipv4(peerCidr), ec2.Port.tcp(port), 'MPC mesh peers');
  if (allowedPeerCidrs.includes('0.0.0.0/0')) {
    Validations.of(securityGroup).acknowledge({
      id: 'AwsSolutions::AwsSolutions-EC23',
      reason: "The mesh port is open to the internet by configuration (node.allowedPeerCidrs): peers run in other operators' networks, and every message is authenticated to a registered participant.",
    });
  }
}

/**
 * The private mode's TLS NLB in front of the node task, created in `scope` (the node service, so its
 * resources keep the logical ids they had before the public mode existed).
 */
export function addMeshLoadBalancer(scope: Construct, props: MeshLoadBalancerProps): MeshLoadBalancer {
  const { node, endpoint } = props;
  const loadBalancerSecurityGroup = new ec2.SecurityGroup(scope, 'MeshLoadBalancerSecurityGroup', {
    vpc: props.vpc,
    description: 'Mesh NLB: TLS from the other participants',
    allowAllOutbound: false,
  });
  admitMeshPeers(loadBalancerSecurityGroup, node.allowedPeerCidrs, endpoint.port);
  const loadBalancer = new elbv2.NetworkLoadBalancer(scope, 'MeshLoadBalancer', {
    vpc: props.vpc,
    internetFacing: true,
    vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    securityGroups: [loadBalancerSecurityGroup],
    // The single task lives in one AZ; without cross-zone a peer resolving the other AZ's address fails.
    crossZoneEnabled: true,
  });
  loadBalancer.logAccessLogs(props.accessLogs, 'mesh-nlb');
  loadBalancer.connections.allowTo(props.serviceSecurityGroup, ec2.Port.tcp(node.containerPort), 'mesh traffic to the node');
  loadBalancer.connections.allowTo(props.serviceSecurityGroup, ec2.Port.tcp(node.healthPort), 'NLB health checks');

  // TLS terminates at the NLB with the operator's ACM certificate; peers are authenticated by the node
  // itself, message by message, against the identity keys registered in the contract.
  const listener = loadBalancer.addListener('MeshTls', {
    port: endpoint.port,
    protocol: elbv2.Protocol.TLS,
    certificates: [elbv2.ListenerCertificate.fromArn(endpoint.certificateArn)],
    sslPolicy: elbv2.SslPolicy.TLS13_13,
  });
  const targetGroup = listener.addTargets('Node', {
    port: node.containerPort,
    protocol: elbv2.Protocol.TCP,
    targets: [props.service.loadBalancerTarget({ containerName: props.container.containerName, containerPort: node.containerPort })],
    deregistrationDelay: Duration.seconds(30),
    healthCheck: {
      protocol: elbv2.Protocol.HTTP,
      port: String(node.healthPort),
      path: node.healthCheckPath,
      interval: Duration.seconds(10),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 2,
    },
  });
  return { loadBalancer, targetGroup };
}
