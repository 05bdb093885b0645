/** ECS task state change events as EventBridge delivers them (AWS's documented example, Fargate, awsvpc). */
export const TASK_ARN = 'arn:aws:ecs:us-east-1:123456789012:task/ChainsigOperator-NodeCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad';
export const NETWORK_INTERFACE_ID = 'eni-0a1b2c3d4e5f67890';

/** `networkInterfaceId` null: an event without the interface detail. */
export function taskStateChange(lastStatus: string, desiredStatus: string, networkInterfaceId: string | null = NETWORK_INTERFACE_ID) {
  return {
    version: '0',
    id: '3317b2af-7005-947d-b652-f55e762e571a',
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '123456789012',
    time: '2026-12-09T17:57:58Z',
    region: 'us-east-1',
    resources: [TASK_ARN],
    detail: {
      attachments: [
        {
          id: '1789bcae-ddfb-4d10-8ebe-8ac87ddba5b8',
          type: 'eni',
          status: 'ATTACHED',
          details: [
            { name: 'subnetId', value: 'subnet-abcd1234' },
            ...(networkInterfaceId === null ? [] : [{ name: 'networkInterfaceId', value: networkInterfaceId }]),
            { name: 'macAddress', value: '0a:98:eb:a7:29:ba' },
            { name: 'privateIPv4Address', value: '10.0.0.139' },
          ],
        },
      ],
      availabilityZone: 'us-east-1a',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/ChainsigOperator-NodeCluster',
      containers: [{ containerArn: 'arn:aws:ecs:us-east-1:123456789012:container/abc', lastStatus, name: 'mpc-node', taskArn: TASK_ARN }],
      launchType: 'FARGATE',
      cpu: '1024',
      memory: '2048',
      desiredStatus,
      group: 'service:ChainsigOperator-NodeService',
      lastStatus,
      taskArn: TASK_ARN,
      version: 4,
      platformVersion: '1.4.0',
    },
  };
}
