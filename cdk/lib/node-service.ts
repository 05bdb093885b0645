import { Duration, IgnoreMode, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { MeshEndpoint, OperatorConfig } from './config.js';
import { addMeshLoadBalancer, admitMeshPeers, type MeshLoadBalancer } from './mesh-load-balancer.js';
import { taskPlacement } from './node-network.js';
import { PROJECT_ROOT } from './paths.js';
import { sealerEncryptionContextCondition, type StorageTableName } from './request-storage.js';

/** The tables the node reads and writes. The requests table is the indexer's: the node is not told its name. */
const NODE_TABLES = ['keyShares', 'triples', 'presignatures'] as const satisfies readonly StorageTableName[];
type NodeTableName = (typeof NODE_TABLES)[number];

/**
 * Environment variables of the mpc-node container, named as services/mpc-node/config.ts reads them (the
 * stockpile's own are in ./stockpile-scaling.ts).
 */
export const NODE_ENVIRONMENT = {
  accountId: 'NODE_ACCOUNT_ID',
  contractId: 'MPC_CONTRACT_ID',
  nearRpcUrl: 'NEAR_RPC_URL',
  signRequestsQueueUrl: 'SIGN_REQUESTS_QUEUE_URL',
  meshListen: 'MESH_LISTEN',
  httpPort: 'HTTP_PORT',
  sealing: 'SEALING',
  kmsKeyId: 'KMS_KEY_ID',
  logLevel: 'LOG_LEVEL',
  metricsNamespace: 'METRICS_NAMESPACE',
  tables: {
    keyShares: 'KEY_SHARES_TABLE',
    triples: 'TRIPLES_TABLE',
    presignatures: 'PRESIGNATURES_TABLE',
  } satisfies Record<NodeTableName, string>,
} as const;

/** Secret environment variables, injected by ECS from Secrets Manager when the task starts. */
export const NODE_SECRET_ENVIRONMENT = {
  /** `ed25519:<base58>`: the NEAR access key the node signs respond/vote transactions with. */
  accountSecretKey: 'NODE_ACCOUNT_SECRET_KEY',
  /** 64 hex characters: the mesh identity, the Ed25519 secret whose public key is the participant's `tls_public_key`. */
  meshSignSecretKey: 'MESH_SIGN_SECRET_KEY',
} as const;

/** JSON fields of the mesh identity secret (a secret stored with the former `cipher` field still works: it is not read). */
export const MESH_IDENTITY_FIELDS = { sign: 'sign' } as const;

/** The container image's build: the project is the context, only the files the bundle needs are sent. */
export const NODE_IMAGE_DOCKERFILE = 'cdk/docker/mpc-node/Dockerfile';
const NODE_IMAGE_CONTEXT_ALLOWLIST = [
  '*',
  '!package.json',
  '!package-lock.json',
  '!tsconfig.json',
  '!shared',
  '!contract',
  '!services',
  `!${NODE_IMAGE_DOCKERFILE}`,
];

export interface NodeServiceProps {
  readonly near: OperatorConfig['near'];
  readonly node: OperatorConfig['node'];
  /** How peers reach the node: its own public address (public mode) or a TLS NLB (private mode). */
  readonly endpoint: MeshEndpoint;
  readonly metricsNamespace: string;
  readonly vpc: ec2.IVpc;
  readonly accessLogs: s3.IBucket;
  readonly dataKey: kms.IKey;
  readonly tables: Record<StorageTableName, dynamodb.ITableV2>;
  readonly signRequestsQueue: sqs.IQueue;
  /** 0 or 1; a token of the stack's `NodeDesiredCount` parameter (docs/decisions/0011-first-deploy.md). */
  readonly desiredCount: number;
}


/**
 * The operator's MPC participant: one Fargate task reached at the participant URL registered in the contract
 * (its own public address, or a TLS NLB in private mode), its two key secrets, and a task role that reaches
 * only this stack's key, tables and queue.
 */
export class NodeService extends Construct {
  readonly service: ecs.FargateService;
  readonly container: ecs.ContainerDefinition;
  readonly taskRole: iam.Role;
  /** Private mode only: the NLB in front of the task. */
  readonly meshLoadBalancer: MeshLoadBalancer | undefined;
  readonly accountKeySecret: secretsmanager.Secret;
  readonly meshIdentityKeySecret: secretsmanager.Secret;
  readonly meshUrl: string;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: NodeServiceProps) {
    super(scope, id);
    const { node, near, endpoint } = props;
    this.meshUrl = endpoint.url;

    // The operator stores the real values after the first deployment (docs/deploy.md): the NEAR access key
    // in NEAR's own string form, the mesh identity as {"sign": hex32}. Until then the secrets hold a random
    // placeholder the node rejects, which is why the stack is created with no task (NodeDesiredCount 0).
    // Kept when the stack is deleted (the mesh identity is the registered participant), but removed by the
    // rollback of a failed creation, which never held a real key.
    const keySecret = (secretId: string, description: string) =>
      new secretsmanager.Secret(this, secretId, {
        description,
        encryptionKey: props.dataKey,
        removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      });
    this.accountKeySecret = keySecret('NearAccountKey', `NEAR access key (ed25519:<base58>) of ${near.operatorAccountId} for respond/vote transactions`);
    this.meshIdentityKeySecret = keySecret('MeshIdentityKey', 'Mesh identity: {"sign": Ed25519 secret hex}');

    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'mpc-node task: its data key, tables and sign-requests queue, nothing else',
    });
    // Explicit actions rather than grant*() helpers: those add wildcard actions (kms:GenerateDataKey*,
    // dynamodb:Batch*), and the node needs an exact, reviewable set.
    const nodeTables = NODE_TABLES.map((name) => props.tables[name]);
    // Direct use of the data key, only with the sealer's encryption context (the key policy says the same
    // for this role and no one else).
    const sealing = {
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      conditions: sealerEncryptionContextCondition(),
    };
    this.taskRole.addToPolicy(new iam.PolicyStatement({ sid: 'SealWithDataKey', resources: [props.dataKey.keyArn], ...sealing }));
    props.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({ sid: 'NodeSealsWithDataKey', principals: [this.taskRole], resources: ['*'], ...sealing }),
    );
    // The tables' own encryption: DynamoDB uses the key on the node's behalf, for these tables only.
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TableEncryptionThroughDynamoDb',
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [props.dataKey.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com`,
            'kms:EncryptionContext:aws:dynamodb:tableName': nodeTables.map((table) => table.tableName),
          },
        },
      }),
    );
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'KeySharesAndStockpileTables',
        actions: [
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        resources: nodeTables.map((table) => table.tableArn),
      }),
    );
    // The stockpile lists its asset partitions at epoch changes and starts, to delete what no epoch can use.
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'SweepAssetTables',
        actions: ['dynamodb:Scan'],
        resources: [props.tables.triples.tableArn, props.tables.presignatures.tableArn],
      }),
    );
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ConsumeSignRequests',
        actions: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
        resources: [props.signRequestsQueue.queueArn],
      }),
    );
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: node.cpu,
      memoryLimitMiB: node.memoryMiB,
      // Graviton: about 20 % cheaper per vCPU-hour; the bundle is plain JavaScript.
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      taskRole: this.taskRole,
    });
    this.logGroup = new logs.LogGroup(this, 'NodeLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const healthUrl = `http://127.0.0.1:${node.healthPort}${node.healthCheckPath}`;
    this.container = taskDefinition.addContainer('mpc-node', {
      image: ecs.ContainerImage.fromAsset(PROJECT_ROOT, {
        file: NODE_IMAGE_DOCKERFILE,
        platform: Platform.LINUX_ARM64,
        ignoreMode: IgnoreMode.DOCKER,
        exclude: NODE_IMAGE_CONTEXT_ALLOWLIST,
      }),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'mpc-node', logGroup: this.logGroup }),
      readonlyRootFilesystem: true,
      portMappings: [{ name: 'mesh', containerPort: node.containerPort, protocol: ecs.Protocol.TCP }],
      // The slim image has no curl; Node 22's fetch does the probe.
      healthCheck: {
        command: ['CMD', 'node', '-e', `fetch(${JSON.stringify(healthUrl)}).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
      stopTimeout: Duration.seconds(30),
      environment: {
        [NODE_ENVIRONMENT.accountId]: near.operatorAccountId,
        [NODE_ENVIRONMENT.contractId]: near.contractId,
        [NODE_ENVIRONMENT.nearRpcUrl]: near.rpcUrl,
        [NODE_ENVIRONMENT.signRequestsQueueUrl]: props.signRequestsQueue.queueUrl,
        [NODE_ENVIRONMENT.meshListen]: `0.0.0.0:${node.containerPort}`,
        [NODE_ENVIRONMENT.httpPort]: String(node.healthPort),
        [NODE_ENVIRONMENT.sealing]: 'kms',
        [NODE_ENVIRONMENT.kmsKeyId]: props.dataKey.keyArn,
        [NODE_ENVIRONMENT.logLevel]: node.logLevel,
        [NODE_ENVIRONMENT.metricsNamespace]: props.metricsNamespace,
        ...Object.fromEntries(NODE_TABLES.map((name) => [NODE_ENVIRONMENT.tables[name], props.tables[name].tableName])),
      },
      // ECS reads these with the execution role when the task starts; the task role cannot read them.
      secrets: {
        [NODE_SECRET_ENVIRONMENT.accountSecretKey]: ecs.Secret.fromSecretsManager(this.accountKeySecret),
        [NODE_SECRET_ENVIRONMENT.meshSignSecretKey]: ecs.Secret.fromSecretsManager(this.meshIdentityKeySecret, MESH_IDENTITY_FIELDS.sign),
      },
    });

    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.DISABLED,
    });
    const serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc: props.vpc,
      description: endpoint.mode === 'public' ? 'mpc-node tasks: the mesh port from the peers, nothing else' : 'mpc-node tasks: inbound only from the mesh NLB',
      allowAllOutbound: true,
    });
    const placement = taskPlacement(endpoint.mode);
    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition,
      desiredCount: props.desiredCount,
      // One participant = one mesh identity = one task. Stopping the old task before starting the new one
      // costs a minute of absence (the threshold covers it) but never runs two nodes with one identity.
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      circuitBreaker: { enable: true, rollback: true },
      // Without a load balancer there is no load-balancer health check to wait for; the container check decides.
      ...(endpoint.mode === 'private' && { healthCheckGracePeriod: Duration.seconds(120) }),
      vpcSubnets: placement.vpcSubnets,
      securityGroups: [serviceSecurityGroup],
      assignPublicIp: placement.assignPublicIp,
      platformVersion: ecs.FargatePlatformVersion.LATEST,
    });

    if (endpoint.mode === 'public') {
      // The health port stays closed: the container check probes it on 127.0.0.1 inside the task.
      admitMeshPeers(serviceSecurityGroup, node.allowedPeerCidrs, endpoint.port);
      this.meshLoadBalancer = undefined;
    } else {
      this.meshLoadBalancer = addMeshLoadBalancer(this, {
        vpc: props.vpc,
        endpoint,
        node,
        accessLogs: props.accessLogs,
        service: this.service,
        serviceSecurityGroup,
        container: this.container,
      });
    }

    this.acknowledgeReviewedFindings(taskDefinition, cluster);
  }

  private acknowledgeReviewedFindings(taskDefinition: ecs.FargateTaskDefinition, cluster: ecs.Cluster): void {
    Validations.of(taskDefinition).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-ECS2',
        reason: 'The environment holds only non-secret configuration (names, ARNs, URLs, ports); the keys come from Secrets Manager through the container secrets.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'ecr:GetAuthorizationToken supports no resource-level permissions; CDK adds it to the execution role for pulling the image asset.',
      },
    );
    for (const secret of [this.accountKeySecret, this.meshIdentityKeySecret]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SMG4',
        reason: 'Rotating these keys needs an on-chain step (a new NEAR access key, or a participant record with a new tls_public_key registered and voted in) that a rotation Lambda cannot do; docs/deploy.md has the procedure.',
      });
    }
    Validations.of(cluster).acknowledge({
      id: 'AwsSolutions::AwsSolutions-ECS4',
      reason: "One service with one task: the free AWS/ECS CPU and memory metrics and the node's own metrics cover it; Container Insights would add custom-metric cost for nothing new.",
    });
  }
}
