import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { NetworkMode } from './config.js';

export interface NodeNetworkProps {
  readonly mode: NetworkMode;
  /** NAT gateways of the private mode; the public mode has none. */
  readonly natGateways: number;
  readonly flowLogsBucket: s3.IBucket;
}

/** Where a Fargate task of the stack runs in each mode, and whether it gets a public IPv4 of its own. */
export interface TaskPlacement {
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly assignPublicIp: boolean;
}

/**
 * Public mode: the task's own public IPv4 is its way out (RPC, S3 in other regions, the peers) and, for the
 * node, its way in. Private mode: the NAT gateway is the way out, the NLB the way in.
 */
export function taskPlacement(mode: NetworkMode): TaskPlacement {
  return mode === 'public'
    ? { vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC }, assignPublicIp: true }
    : { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }, assignPublicIp: false };
}

/**
 * Two AZs. Private mode: public subnets for the mesh NLB and the NAT gateway, private subnets for the tasks.
 * Public mode: public subnets only, the tasks in them with public addresses; no NAT gateway (decision 0014).
 *
 * Cost choice of the private mode: the node must reach the internet anyway (NEAR RPC, the other operators'
 * mesh endpoints), so a NAT gateway is unavoidable and interface endpoints would be extra (≈ $14.60/month
 * per service across two AZs, six services). In both modes the heavy AWS traffic (DynamoDB stockpile, ECR
 * image layers in S3) goes through the free gateway endpoints.
 */
export class NodeNetwork extends Construct {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: NodeNetworkProps) {
    super(scope, id);
    const publicSubnets = { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 };
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: props.mode === 'public' ? 0 : props.natGateways,
      subnetConfiguration:
        props.mode === 'public' ? [publicSubnets] : [publicSubnets, { name: 'node', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 }],
      gatewayEndpoints: {
        DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      },
      // Rejected flows only: the mesh carries heavy triple-generation traffic whose accepted flows would
      // dominate the log volume; rejected ones are what an investigation of probing needs.
      flowLogs: {
        Rejected: {
          destination: ec2.FlowLogDestination.toS3(props.flowLogsBucket, 'vpc-flow-logs/'),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
  }
}
