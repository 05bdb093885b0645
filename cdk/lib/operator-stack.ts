import { CfnOutput, CfnParameter, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AccessLogs } from './access-logs.js';
import { KeyShareBackup } from './key-share-backup.js';
import type { OperatorConfig } from './config.js';
import { LakeFollower, PUBLIC_NEAR_LAKE } from './lake-follower.js';
import { LakeIngest } from './lake-ingest.js';
import { NodeNetwork } from './node-network.js';
import { NodeService } from './node-service.js';
import { Observability } from './observability.js';
import { RequestStorage } from './request-storage.js';
import { StockpileScaling } from './stockpile-scaling.js';
import { TaskPublicDns } from './task-public-dns.js';

/** CloudWatch namespace of the indexer's and the node's metrics; the indexer's code fixes it (create-handler.ts). */
export const METRICS_NAMESPACE = 'ChainSignatures';

/**
 * CloudFormation parameter holding the node's task count. It defaults to 0, so the deployment that
 * creates the stack never starts a task before the key secrets hold real values, and `cdk deploy` keeps
 * its previous value on every later deployment (docs/decisions/0011-first-deploy.md).
 */
export const NODE_DESIRED_COUNT_PARAMETER = 'NodeDesiredCount';

export interface OperatorStackProps extends StackProps {
  readonly config: OperatorConfig;
  /** TypeScript entry of the lake indexer Lambda (exports `handler`). */
  readonly indexerEntry: string;
  /** TypeScript entry of the task DNS updater Lambda of the public mode (exports `handler`). */
  readonly taskDnsEntry: string;
  /** TypeScript entry of the public-lake follower Lambda (exports `handler`; `lake.source` "public-lake-follower" only). */
  readonly lakeFollowerEntry: string;
}

/** Everything one MPC operator runs in its own AWS account. */
export class OperatorStack extends Stack {
  readonly accessLogs: AccessLogs;
  readonly storage: RequestStorage;
  readonly keyShareBackup: KeyShareBackup;
  readonly lakeIngest: LakeIngest;
  readonly network: NodeNetwork;
  readonly mpcNode: NodeService;
  readonly scaling: StockpileScaling;
  readonly observability: Observability;
  /** Public network mode only: keeps the participant URL's host name on the running node task. */
  readonly taskDns: TaskPublicDns | undefined;
  /** `lake.source` "public-lake-follower" only. */
  readonly lakeFollower: LakeFollower | undefined;

  constructor(scope: Construct, id: string, props: OperatorStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { meshEndpoint } = config;
    Tags.of(this).add('chainsig:contract', config.near.contractId);
    Tags.of(this).add('chainsig:operator', config.near.operatorAccountId);

    this.accessLogs = new AccessLogs(this, 'AccessLogs');
    this.storage = new RequestStorage(this, 'Storage');
    this.keyShareBackup = new KeyShareBackup(this, 'Backup', { keySharesTable: this.storage.tables.keyShares });
    const desiredCount = new CfnParameter(this, NODE_DESIRED_COUNT_PARAMETER, {
      type: 'Number',
      default: 0,
      allowedValues: ['0', '1'],
      description: '1 runs the node. Set it to 1 once the key secrets hold real values (docs/deploy.md, step 6); later deployments keep it.',
    });
    this.lakeIngest = new LakeIngest(this, 'LakeIngest', {
      lake: config.lake,
      near: config.near,
      metricsNamespace: METRICS_NAMESPACE,
      indexerEntry: props.indexerEntry,
      accessLogs: this.accessLogs.bucket,
      requestsTable: this.storage.tables.requests,
      signRequestsQueue: this.storage.signRequestsQueue,
    });
    this.network = new NodeNetwork(this, 'Network', {
      mode: meshEndpoint.mode,
      natGateways: config.network.natGateways,
      flowLogsBucket: this.accessLogs.bucket,
    });
    this.mpcNode = new NodeService(this, 'Node', {
      near: config.near,
      node: config.node,
      endpoint: meshEndpoint,
      metricsNamespace: METRICS_NAMESPACE,
      vpc: this.network.vpc,
      accessLogs: this.accessLogs.bucket,
      dataKey: this.storage.dataKey,
      tables: this.storage.tables,
      signRequestsQueue: this.storage.signRequestsQueue,
      desiredCount: desiredCount.valueAsNumber,
    });
    this.scaling = new StockpileScaling(this, 'Scaling', { stockpile: config.stockpile, node: this.mpcNode });
    this.observability = new Observability(this, 'Observability', {
      dashboardName: this.stackName,
      dashboard: config.observability.dashboard,
      metricsNamespace: METRICS_NAMESPACE,
      minPresignatures: config.stockpile.minPresignatures,
      lakeSource: config.lake.source,
      ...(config.alarmEmail !== undefined && { alarmEmail: config.alarmEmail }),
      lakeEventsQueue: this.lakeIngest.queue,
      lakeEventsDeadLetterQueue: this.lakeIngest.deadLetterQueue,
      indexer: this.lakeIngest.indexer,
      indexerLogGroup: this.lakeIngest.logGroup,
      signRequestsQueue: this.storage.signRequestsQueue,
      signRequestsDeadLetterQueue: this.storage.signRequestsDeadLetterQueue,
      node: this.mpcNode,
    });
    const alarmTopic = this.observability.alarmTopic;
    this.taskDns =
      meshEndpoint.mode === 'public'
        ? new TaskPublicDns(this, 'TaskDns', { service: this.mpcNode.service, endpoint: meshEndpoint, entry: props.taskDnsEntry, alarmTopic })
        : undefined;
    this.lakeFollower =
      config.lake.source === 'public-lake-follower'
        ? new LakeFollower(this, 'LakeFollower', {
            handlerEntry: props.lakeFollowerEntry,
            lakeBucket: this.lakeIngest.bucket,
            publicLake: PUBLIC_NEAR_LAKE[config.near.network],
            near: { contractId: config.near.contractId, rpcUrl: config.near.rpcUrl },
            metricsNamespace: METRICS_NAMESPACE,
            ...(config.lake.followerStartHeight !== undefined && { startHeight: config.lake.followerStartHeight }),
            alarmTopic,
          })
        : undefined;

    // Stack-level outputs keep plain names: docs/deploy.md refers to them.
    const outputs: Record<string, { value: string; description: string }> = {
      LakeBucketName: {
        value: this.lakeIngest.bucket.bucketName,
        description:
          config.lake.source === 'own-writer'
            ? "Where the operator's NEAR Lake writer puts <height>/block.json and shard_<n>.json"
            : 'Where the public-lake follower puts the signer shard of active blocks',
      },
      ...(this.mpcNode.meshLoadBalancer !== undefined && {
        MeshLoadBalancerDns: {
          value: this.mpcNode.meshLoadBalancer.loadBalancer.loadBalancerDnsName,
          description: `Point ${config.node.domainName} (CNAME or alias) at this name`,
        },
      }),
      ...(this.taskDns !== undefined && {
        TaskDnsLogGroupName: { value: this.taskDns.logGroup.logGroupName, description: `Task DNS updater logs (each update of ${config.node.domainName})` },
      }),
      ...(this.lakeFollower !== undefined && {
        LakeFollowerLogGroupName: { value: this.lakeFollower.logGroup.logGroupName, description: 'Public-lake follower logs' },
      }),
      MeshUrl: { value: this.mpcNode.meshUrl, description: "The participant url to register in the contract" },
      NearAccountKeySecretArn: { value: this.mpcNode.accountKeySecret.secretArn, description: "Ed25519 seed of the node's NEAR access key" },
      MeshIdentityKeySecretArn: { value: this.mpcNode.meshIdentityKeySecret.secretArn, description: 'Ed25519 seed of the mesh identity' },
      NodeLogGroupName: { value: this.mpcNode.logGroup.logGroupName, description: 'mpc-node logs (public keys, health, errors)' },
      NodeClusterName: { value: this.mpcNode.service.cluster.clusterName, description: 'ECS cluster of the node service' },
      NodeServiceName: { value: this.mpcNode.service.serviceName, description: 'ECS service of the node (force a new deployment after a key change)' },
      StockpilePolicyParameterName: { value: this.scaling.policyParameter.parameterName, description: 'JSON stockpile policy the node follows' },
      KeySharesTableName: { value: this.storage.tables.keyShares.tableName, description: 'DynamoDB table of the key shares (PITR and AWS Backup)' },
      DataKeyArn: { value: this.storage.dataKey.keyArn, description: 'KMS key of the key shares, triples, presignatures and node secrets' },
      KeySharesBackupVaultName: { value: this.keyShareBackup.vault.backupVaultName, description: 'AWS Backup vault of the key-shares recovery points' },
      KeySharesBackupRoleArn: { value: this.keyShareBackup.role.roleArn, description: 'Role AWS Backup backs up and restores the key-shares table with' },
      AlarmTopicArn: { value: this.observability.alarmTopic.topicArn, description: 'Subscribe on-call here' },
    };
    for (const [id, output] of Object.entries(outputs)) new CfnOutput(this, id, output);
  }
}
