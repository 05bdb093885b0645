import { DescribeNetworkInterfacesCommand } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { Ec2NetworkInterfaces, Route53Records } from './aws-adapters.js';

/** A client whose `send` records each command and answers with `answer` (or throws it when it is an Error). */
function fakeClient(answer: unknown) {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      sent.push(command);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { client: client as never, sent };
}

const awsError = (name: string): Error => Object.assign(new Error(name), { name });

describe('Ec2NetworkInterfaces', () => {
  it('asks for the one interface and returns its public IPv4', async () => {
    const { client, sent } = fakeClient({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Association: { PublicIp: '203.0.113.25' } }] });
    await expect(new Ec2NetworkInterfaces(client).publicIpv4Of('eni-1')).resolves.toEqual({ found: true, publicIpv4: '203.0.113.25' });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(DescribeNetworkInterfacesCommand);
    expect((sent[0] as DescribeNetworkInterfacesCommand).input).toEqual({ NetworkInterfaceIds: ['eni-1'] });
  });

  it('reports an interface without an association as found with no address', async () => {
    const { client } = fakeClient({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1' }] });
    await expect(new Ec2NetworkInterfaces(client).publicIpv4Of('eni-1')).resolves.toEqual({ found: true, publicIpv4: undefined });
  });

  it('reports a deleted interface as not found', async () => {
    await expect(new Ec2NetworkInterfaces(fakeClient(awsError('InvalidNetworkInterfaceID.NotFound')).client).publicIpv4Of('eni-1')).resolves.toEqual({ found: false });
    await expect(new Ec2NetworkInterfaces(fakeClient({ NetworkInterfaces: [] }).client).publicIpv4Of('eni-1')).resolves.toEqual({ found: false });
  });

  it('passes any other failure on', async () => {
    const throttled = awsError('RequestLimitExceeded');
    await expect(new Ec2NetworkInterfaces(fakeClient(throttled).client).publicIpv4Of('eni-1')).rejects.toBe(throttled);
  });
});

describe('Route53Records', () => {
  it('upserts exactly one A record with the TTL', async () => {
    const { client, sent } = fakeClient({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING' } });
    await new Route53Records(client).upsertA({ hostedZoneId: 'Z0123456789ABCDEFGHIJ', name: 'mpc.example.com', ipv4: '203.0.113.25', ttlSeconds: 60 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(ChangeResourceRecordSetsCommand);
    expect((sent[0] as ChangeResourceRecordSetsCommand).input).toEqual({
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      ChangeBatch: {
        Comment: expect.any(String),
        Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'mpc.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '203.0.113.25' }] } }],
      },
    });
  });
});
