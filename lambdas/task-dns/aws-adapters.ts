/** The updater's ports over the AWS SDK: EC2 for the task interface's public address, Route 53 for the record. */
import { DescribeNetworkInterfacesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53';
import type { ARecord, DnsRecords, NetworkInterfaces, PublicAddressLookup } from './task-dns.js';

/** EC2's error code for an interface id that does not exist (any more). */
const INTERFACE_NOT_FOUND = 'InvalidNetworkInterfaceID.NotFound';

export class Ec2NetworkInterfaces implements NetworkInterfaces {
  constructor(private readonly ec2: Pick<EC2Client, 'send'>) {}

  async publicIpv4Of(networkInterfaceId: string): Promise<PublicAddressLookup> {
    try {
      const { NetworkInterfaces: found = [] } = await this.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [networkInterfaceId] }));
      const networkInterface = found[0];
      if (networkInterface === undefined) return { found: false };
      return { found: true, publicIpv4: networkInterface.Association?.PublicIp };
    } catch (error) {
      if ((error as { name?: string }).name === INTERFACE_NOT_FOUND) return { found: false };
      throw error;
    }
  }
}

export class Route53Records implements DnsRecords {
  constructor(private readonly route53: Pick<Route53Client, 'send'>) {}

  async upsertA(record: ARecord): Promise<void> {
    await this.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: record.hostedZoneId,
        ChangeBatch: {
          Comment: 'mpc-node task started (chainsig task-dns)',
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: { Name: record.name, Type: 'A', TTL: record.ttlSeconds, ResourceRecords: [{ Value: record.ipv4 }] },
            },
          ],
        },
      }),
    );
  }
}
