import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface NodeNetworkProps {
  readonly natGateways: number;
  readonly flowLogsBucket: s3.IBucket;
}

/**
 * Two AZs: public subnets for the mesh NLB and the NAT gateway, private subnets for the node.
 *
 * Cost choice: the node must reach the internet anyway (NEAR RPC, the other operators' mesh endpoints),
 * so a NAT gateway is unavoidable and interface endpoints would be extra (≈ $14.60/month per service
 * across two AZs, six services). The heavy AWS traffic (DynamoDB stockpile, ECR image layers in S3) goes
 * through the free gateway endpoints instead of NAT data processing.
 */
export class NodeNetwork extends Construct {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: NodeNetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'node', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
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
