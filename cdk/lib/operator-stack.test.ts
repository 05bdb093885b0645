// Template tests of the whole operator stack in the committed cdk.json configuration (public network mode,
// public-lake follower), synthesized with cdk-nag's AwsSolutions pack registered exactly as `cdk synth`
// registers it. operator-stack-modes.test.ts covers what the network mode and the lake source change.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { OperatorConfig } from './config.js';
import { INDEXER_ENVIRONMENT } from './lake-ingest.js';
import { CHECKPOINT_KEY, LAKE_FOLLOWER_DASHBOARD_METRICS, LAKE_FOLLOWER_ENVIRONMENT, LAKE_FOLLOWER_METRICS, PUBLIC_NEAR_LAKE } from './lake-follower.js';
import { FollowerMetric } from '../../services/lake-follower/metrics.js';
import { MESH_IDENTITY_FIELDS, NODE_ENVIRONMENT, NODE_IMAGE_DOCKERFILE, NODE_SECRET_ENVIRONMENT } from './node-service.js';
import { INDEXER_ERROR_LOG_METRIC, INDEXER_METRICS, NODE_METRICS } from './observability.js';
import {
  CDK_CONTEXT,
  acknowledgementsOfEveryConfiguration,
  actionsOf,
  resourcesOf,
  sortedJson,
  statementWithSid,
  synthesizeOperator,
  type PolicyStatement,
  type SynthesizedOperator,
} from './operator-stack.fixture.js';
import { METRICS_NAMESPACE, NODE_DESIRED_COUNT_PARAMETER, type OperatorStack } from './operator-stack.js';
import { METRICS_NAMESPACE as INDEXER_METRICS_NAMESPACE } from '../../lambdas/lake-indexer/create-handler.js';
import { IndexerMetric } from '../../lambdas/lake-indexer/indexer.js';
import { loadTaskDnsConfig } from '../../lambdas/task-dns/config.js';
import { TASK_STATE_CHANGE } from '../../lambdas/task-dns/task-event.js';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { KmsDataKeyProvider, type KmsDataKeyClient } from '../../services/mpc-node/storage/kms-data-keys.js';
import { Sealer } from '../../services/mpc-node/storage/sealer.js';
import { PROJECT_ROOT } from './paths.js';
import { STOCKPILE_ENVIRONMENT, stockpilePolicy } from './stockpile-scaling.js';

let operator: SynthesizedOperator;
let CONFIG: OperatorConfig;
let outdir: string;
let stack: OperatorStack;
let template: Template;

beforeAll(() => {
  operator = synthesizeOperator();
  ({ config: CONFIG, outdir, stack, template } = operator);
});

afterAll(() => operator.dispose());

const logicalId = (construct: IConstruct): string => operator.logicalId(construct);
const ref = (construct: IConstruct) => operator.ref(construct);
const arnOf = (construct: IConstruct) => operator.arnOf(construct);
const statementsOfRole = (role: IConstruct): PolicyStatement[] => operator.statementsOfRole(role);
const alarmsOn = (metricName: string) => operator.alarmsOn(metricName);
/** The node's task definition (the stack's only one: the follower is a Lambda function). */
const nodeContainer = () => template.toJSON().Resources[logicalId(stack.mpcNode.service.taskDefinition)].Properties.ContainerDefinitions[0];

describe('cdk-nag AwsSolutions', () => {
  it('ran on the synth with no unacknowledged finding', () => {
    expect(operator.nagReport()).toMatchObject({ conclusion: 'success', violations: [] });
    expect(operator.nagReport().suppressedViolations.length).toBeGreaterThan(0);
  });

  it('gives every acknowledgement a written reason', () => {
    const acknowledgements = operator.acknowledgements();
    expect(acknowledgements.map(([id]) => id).sort()).toEqual(
      [
        ...acknowledgementsOfEveryConfiguration(operator),
        // The follower: its lease table without PITR, its reads of the public lake and writes of the operator lake.
        'AwsSolutions-DDB3',
        'AwsSolutions-IAM5[Resource::arn:aws:s3:::near-lake-data-testnet/*]',
        `AwsSolutions-IAM5[Resource::<${logicalId(stack.lakeIngest.bucket)}.Arn>/*]`,
        // The task DNS updater's ec2:DescribeNetworkInterfaces.
        'AwsSolutions-IAM5[Resource::*]',
      ].sort(),
    );
    for (const [, reason] of acknowledgements) expect(reason.length).toBeGreaterThan(40);
  });
});

describe('lake ingest', () => {
  it('keeps the lake bucket private, TLS-only, logged and short-lived', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LoggingConfiguration: { DestinationBucketName: ref(stack.accessLogs.bucket), LogFilePrefix: 'lake-bucket/' },
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: CONFIG.lake.retentionDays, Status: 'Enabled' })] },
      },
      DeletionPolicy: 'RetainExceptOnCreate',
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(stack.lakeIngest.bucket),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('notifies the lake-events queue of created .json objects only', () => {
    template.resourceCountIs('Custom::S3BucketNotifications', 1);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: ref(stack.lakeIngest.bucket),
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.json' }] } },
            QueueArn: arnOf(stack.lakeIngest.queue),
          },
        ],
      },
    });
  });

  it('redrives poison lake events to a dead-letter queue after five receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: arnOf(stack.lakeIngest.deadLetterQueue), maxReceiveCount: 5 },
      VisibilityTimeout: 180,
      SqsManagedSseEnabled: true,
    });
  });

  it('runs the indexer on Node 24 / ARM64 with reserved concurrency and Powertools settings', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      ReservedConcurrentExecutions: CONFIG.lake.indexerConcurrency,
      Role: arnOf(stack.lakeIngest.indexer.role!),
      // Lambda's START/END/REPORT lines are not ingested (docs/cost.md: log bytes per request).
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', SystemLogLevel: 'WARN', ApplicationLogLevel: 'INFO' }),
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'lake-indexer',
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          LOG_LEVEL: 'INFO',
          [INDEXER_ENVIRONMENT.requestsTable]: ref(stack.storage.tables.requests),
          [INDEXER_ENVIRONMENT.signRequestsQueueUrl]: ref(stack.storage.signRequestsQueue),
          [INDEXER_ENVIRONMENT.contractId]: CONFIG.near.contractId,
        }),
      },
    });
  });

  it('bundled the handler with local esbuild into an ESM file (no Docker)', () => {
    const indexer = template.toJSON().Resources[logicalId(stack.lakeIngest.indexer)];
    const assetHash = (indexer.Properties.Code.S3Key as string).replace(/\.zip$/, '');
    const manifest = JSON.parse(readFileSync(path.join(outdir, `${stack.artifactId}.assets.json`), 'utf8'));
    const bundleDirectory = path.join(outdir, manifest.files[assetHash].source.path);
    expect(readdirSync(bundleDirectory).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    expect(readFileSync(path.join(bundleDirectory, 'index.mjs'), 'utf8')).toMatch(/export\s*\{[^}]*handler/);
  });

  it('consumes the lake-events queue with partial batch failures', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(stack.lakeIngest.queue),
      FunctionName: ref(stack.lakeIngest.indexer),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: CONFIG.lake.indexerConcurrency },
    });
  });

  it('lets the indexer read lake objects and record and enqueue requests, nothing else', () => {
    const statements = statementsOfRole(stack.lakeIngest.indexer.role!);
    const grants = Object.fromEntries(statements.map((statement) => [statement.Sid ?? actionsOf(statement).join(','), statement]));
    expect(Object.keys(grants).sort()).toEqual([
      'EnqueueSignRequests',
      'ReadLakeObjects',
      'RecordSignRequests',
      'logs:CreateLogStream,logs:PutLogEvents',
      'sqs:ChangeMessageVisibility,sqs:DeleteMessage,sqs:GetQueueAttributes,sqs:GetQueueUrl,sqs:ReceiveMessage',
    ]);
    expect(resourcesOf(grants.ReadLakeObjects!)).toEqual([{ 'Fn::Join': ['', [arnOf(stack.lakeIngest.bucket), '/*']] }]);
    expect(resourcesOf(grants.RecordSignRequests!)).toEqual([arnOf(stack.storage.tables.requests)]);
    expect(actionsOf(grants.RecordSignRequests!)).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(actionsOf(grants.EnqueueSignRequests!)).toEqual(['sqs:SendMessage']);
    expect(resourcesOf(grants.EnqueueSignRequests!)).toEqual([arnOf(stack.storage.signRequestsQueue)]);
  });
});

describe('requests and storage', () => {
  it('makes sign-requests a FIFO queue without content-based dedup, redriving to a FIFO dead-letter queue', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      ContentBasedDeduplication: false,
      RedrivePolicy: { deadLetterTargetArn: arnOf(stack.storage.signRequestsDeadLetterQueue), maxReceiveCount: 5 },
    });
    const deadLetter = template.toJSON().Resources[logicalId(stack.storage.signRequestsDeadLetterQueue)];
    expect(deadLetter.Properties).toMatchObject({ FifoQueue: true, ContentBasedDeduplication: false });
  });

  it('denies non-TLS access to every queue', () => {
    const queuePolicies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    const deniedQueues = queuePolicies
      .filter((policy) =>
        policy.Properties.PolicyDocument.Statement.some(
          (statement: { Effect: string; Condition?: unknown }) =>
            statement.Effect === 'Deny' && JSON.stringify(statement.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
        ),
      )
      .flatMap((policy) => policy.Properties.Queues);
    const allQueues = [stack.lakeIngest.queue, stack.lakeIngest.deadLetterQueue, stack.storage.signRequestsQueue, stack.storage.signRequestsDeadLetterQueue];
    expect(deniedQueues).toEqual(expect.arrayContaining(allQueues.map(ref)));
  });

  it('rotates the customer-managed data key and keeps it on stack deletion', () => {
    template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'RetainExceptOnCreate' });
  });

  it.each(['keyShares', 'triples', 'presignatures'] as const)('encrypts the %s table with the data key, on demand', (tableName) => {
    const table = template.toJSON().Resources[logicalId(stack.storage.tables[tableName])];
    expect(table.Type).toBe('AWS::DynamoDB::GlobalTable');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [{ Region: CONFIG.region, SSESpecification: { KMSMasterKeyId: arnOf(stack.storage.dataKey) } }],
    });
  });

  it('expires request records by TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'requestId', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });
});

describe('node service', () => {
  it('runs one ARM64 task of the configured size, replaced without overlap and rolled back on failure', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: String(CONFIG.node.cpu),
      Memory: String(CONFIG.node.memoryMiB),
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      TaskRoleArn: arnOf(stack.mpcNode.taskRole),
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      DesiredCount: { Ref: NODE_DESIRED_COUNT_PARAMETER },
      DeploymentConfiguration: {
        MinimumHealthyPercent: 0,
        MaximumPercent: 100,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      },
    });
  });

  it('configures the container as services/mpc-node/config.ts reads it: read-only root, health check, ports, resources by name', () => {
    const container = nodeContainer();
    expect(container).toMatchObject({
      ReadonlyRootFilesystem: true,
      PortMappings: [{ ContainerPort: CONFIG.node.containerPort, Protocol: 'tcp' }],
      // Liveness, not readiness: a node waiting to be voted in or cut off from the RPC stays up (decision 0010).
      HealthCheck: { Command: ['CMD', 'node', '-e', expect.stringContaining(`http://127.0.0.1:${CONFIG.node.healthPort}/livez`)] },
    });
    const environment = Object.fromEntries(
      (container.Environment as { Name: string; Value: unknown }[]).map(({ Name, Value }) => [Name, Value]),
    );
    expect(environment).toEqual({
      [NODE_ENVIRONMENT.accountId]: CONFIG.near.operatorAccountId,
      [NODE_ENVIRONMENT.contractId]: CONFIG.near.contractId,
      [NODE_ENVIRONMENT.nearRpcUrl]: CONFIG.near.rpcUrl,
      [NODE_ENVIRONMENT.signRequestsQueueUrl]: ref(stack.storage.signRequestsQueue),
      [NODE_ENVIRONMENT.meshListen]: `0.0.0.0:${CONFIG.node.containerPort}`,
      [NODE_ENVIRONMENT.httpPort]: String(CONFIG.node.healthPort),
      [NODE_ENVIRONMENT.sealing]: 'kms',
      [NODE_ENVIRONMENT.kmsKeyId]: arnOf(stack.storage.dataKey),
      [NODE_ENVIRONMENT.logLevel]: CONFIG.node.logLevel,
      [NODE_ENVIRONMENT.metricsNamespace]: METRICS_NAMESPACE,
      [NODE_ENVIRONMENT.tables.keyShares]: ref(stack.storage.tables.keyShares),
      [NODE_ENVIRONMENT.tables.triples]: ref(stack.storage.tables.triples),
      [NODE_ENVIRONMENT.tables.presignatures]: ref(stack.storage.tables.presignatures),
      [STOCKPILE_ENVIRONMENT.presignatureTarget]: String(CONFIG.stockpile.minPresignatures),
      [STOCKPILE_ENVIRONMENT.tripleTarget]: String(2 * CONFIG.stockpile.minPresignatures),
      [STOCKPILE_ENVIRONMENT.maxConcurrentGenerations]: String(CONFIG.stockpile.maxGenerationConcurrency),
      [STOCKPILE_ENVIRONMENT.policyParameter]: ref(stack.scaling.policyParameter),
    });
  });

  it('injects the two node keys from the two secrets at task start', () => {
    const container = nodeContainer();
    const secrets = Object.fromEntries((container.Secrets as { Name: string; ValueFrom: unknown }[]).map(({ Name, ValueFrom }) => [Name, ValueFrom]));
    const meshField = (field: string) => ({ 'Fn::Join': ['', [ref(stack.mpcNode.meshIdentityKeySecret), `:${field}::`]] });
    expect(secrets).toEqual({
      [NODE_SECRET_ENVIRONMENT.accountSecretKey]: ref(stack.mpcNode.accountKeySecret),
      [NODE_SECRET_ENVIRONMENT.meshSignSecretKey]: meshField(MESH_IDENTITY_FIELDS.sign),
    });
  });

  it('lets only the execution role read the two secrets, and nothing but them', () => {
    const executionRole = stack.mpcNode.service.taskDefinition.executionRole!;
    const secretStatements = statementsOfRole(executionRole).filter((statement) => actionsOf(statement).some((action) => action.startsWith('secretsmanager:')));
    expect([...new Set(secretStatements.flatMap(actionsOf))].sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(sortedJson(secretStatements.flatMap(resourcesOf))).toEqual(sortedJson([ref(stack.mpcNode.accountKeySecret), ref(stack.mpcNode.meshIdentityKeySecret)]));
    const taskRoleActions = statementsOfRole(stack.mpcNode.taskRole).flatMap(actionsOf);
    expect(taskRoleActions.filter((action) => action.startsWith('secretsmanager:'))).toEqual([]);
  });

  it('builds the image at deploy time from the project, ARM64, with only the sources in the context', () => {
    const manifest = JSON.parse(readFileSync(path.join(outdir, `${stack.artifactId}.assets.json`), 'utf8'));
    const images = Object.values(manifest.dockerImages) as { source: { directory: string; dockerFile: string; platform: string } }[];
    // The node's only: the public-lake follower is a Lambda function bundled by esbuild.
    expect(images.map((image) => image.source.dockerFile)).toEqual([NODE_IMAGE_DOCKERFILE]);
    const { source } = images[0]!;
    expect(source).toMatchObject({ platform: 'linux/arm64' });
    const context = readdirSync(path.join(outdir, source.directory)).sort();
    expect(context).toEqual(expect.arrayContaining(['package-lock.json', 'package.json', 'services', 'shared', 'tsconfig.json']));
    expect(context).not.toContain('node_modules');
    expect(context).not.toContain('docs');
    expect(existsSync(path.join(outdir, source.directory, NODE_IMAGE_DOCKERFILE))).toBe(true);
  });

  it('keeps the node keys in two Secrets Manager secrets under the data key, retained on deletion', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    for (const secret of [stack.mpcNode.accountKeySecret, stack.mpcNode.meshIdentityKeySecret]) {
      const resource = template.toJSON().Resources[logicalId(secret)];
      expect(resource.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(resource.Properties.KmsKeyId).toEqual(arnOf(stack.storage.dataKey));
    }
  });

  it('scopes the task role to its own key, tables, queue and policy parameter', () => {
    const statements = statementsOfRole(stack.mpcNode.taskRole);
    expect(statements.map((statement) => statement.Sid).sort()).toEqual([
      'ConsumeSignRequests',
      'KeySharesAndStockpileTables',
      'ReadStockpilePolicy',
      'SealWithDataKey',
      'SweepAssetTables',
      'TableEncryptionThroughDynamoDb',
    ]);
    const nodeTables = [stack.storage.tables.keyShares, stack.storage.tables.triples, stack.storage.tables.presignatures];
    expect(sortedJson(resourcesOf(statementWithSid(statements, 'KeySharesAndStockpileTables')))).toEqual(sortedJson(nodeTables.map(arnOf)));
    expect(statementWithSid(statements, 'TableEncryptionThroughDynamoDb')).toMatchObject({
      Resource: arnOf(stack.storage.dataKey),
      Condition: {
        StringEquals: {
          'kms:ViaService': `dynamodb.${CONFIG.region}.amazonaws.com`,
          'kms:EncryptionContext:aws:dynamodb:tableName': nodeTables.map(ref),
        },
      },
    });
    expect(statementWithSid(statements, 'SweepAssetTables').Action).toBe('dynamodb:Scan');
    expect(sortedJson(resourcesOf(statementWithSid(statements, 'SweepAssetTables')))).toEqual(
      sortedJson([arnOf(stack.storage.tables.triples), arnOf(stack.storage.tables.presignatures)]),
    );
    expect(resourcesOf(statementWithSid(statements, 'ConsumeSignRequests'))).toEqual([arnOf(stack.storage.signRequestsQueue)]);
    expect(actionsOf(statementWithSid(statements, 'ReadStockpilePolicy'))).toEqual(['ssm:GetParameter']);
  });

  it('grants no wildcard action and no "*" resource on data to any role of the stack\'s tasks and functions', () => {
    // ecr:GetAuthorizationToken and ec2:DescribeNetworkInterfaces are offered on "*" only; neither reaches data.
    const onlyOnEveryResource = ['ecr:GetAuthorizationToken', 'ec2:DescribeNetworkInterfaces'];
    const roles = [
      stack.mpcNode.taskRole,
      stack.mpcNode.service.taskDefinition.executionRole!,
      stack.lakeIngest.indexer.role!,
      stack.lakeFollower!.role,
      stack.taskDns!.role,
    ];
    for (const role of roles) {
      const statements = statementsOfRole(role);
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements.filter((candidate) => !onlyOnEveryResource.includes(actionsOf(candidate).join()))) {
        expect(statement.Effect).toBe('Allow');
        for (const action of actionsOf(statement)) expect(action).not.toContain('*');
        expect(resourcesOf(statement)).not.toContain('*');
      }
    }
  });
});

describe('outputs', () => {
  it('names what the deployment guide needs', () => {
    template.hasOutput('MeshUrl', { Value: CONFIG.meshEndpoint.url });
    template.hasOutput('NearAccountKeySecretArn', { Value: ref(stack.mpcNode.accountKeySecret) });
    template.hasOutput('MeshIdentityKeySecretArn', { Value: ref(stack.mpcNode.meshIdentityKeySecret) });
    template.hasOutput('LakeBucketName', { Value: ref(stack.lakeIngest.bucket) });
    template.hasOutput('NodeLogGroupName', { Value: ref(stack.mpcNode.logGroup) });
    template.hasOutput('NodeClusterName', { Value: { Ref: Match.stringLikeRegexp('^NodeCluster') } });
    template.hasOutput('NodeServiceName', { Value: { 'Fn::GetAtt': [logicalId(stack.mpcNode.service), 'Name'] } });
    template.hasOutput('StockpilePolicyParameterName', { Value: ref(stack.scaling.policyParameter) });
    template.hasOutput('AlarmTopicArn', { Value: ref(stack.observability.alarmTopic) });
  });
});

describe('observability', () => {
  it('watches the namespace the indexer actually publishes to', () => {
    expect(METRICS_NAMESPACE).toBe(INDEXER_METRICS_NAMESPACE);
  });


  it('creates no dashboard by default and sends every alarm to the alarm topic', () => {
    expect(CONFIG.observability.dashboard).toBe(false);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThanOrEqual(9);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([ref(stack.observability.alarmTopic)]);
  });

  it('alarms on the age of both queues and on any message in either dead-letter queue', () => {
    const ageAlarms = alarmsOn('ApproximateAgeOfOldestMessage').map((alarm) => JSON.stringify(alarm.Properties));
    expect(ageAlarms).toHaveLength(2);
    expect(ageAlarms.some((alarm) => alarm.includes(logicalId(stack.lakeIngest.queue)))).toBe(true);
    expect(ageAlarms.some((alarm) => alarm.includes(logicalId(stack.storage.signRequestsQueue)))).toBe(true);
    const depthAlarms = alarmsOn('ApproximateNumberOfMessagesVisible');
    const watchedDeadLetterQueues = depthAlarms.map((alarm) => JSON.stringify(alarm.Properties));
    for (const deadLetterQueue of [stack.lakeIngest.deadLetterQueue, stack.storage.signRequestsDeadLetterQueue]) {
      const alarm = depthAlarms[watchedDeadLetterQueues.findIndex((json) => json.includes(logicalId(deadLetterQueue)))];
      expect(alarm?.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', DatapointsToAlarm: 1 });
    }
  });

  it('alarms on a low or unreported stockpile and on slow signatures from the node metrics', () => {
    expect(alarmsOn(NODE_METRICS.presignaturesAvailable).map((alarm) => alarm.Properties)).toEqual([
      expect.objectContaining({
        Namespace: METRICS_NAMESPACE,
        ComparisonOperator: 'LessThanThreshold',
        Threshold: Math.ceil(CONFIG.stockpile.minPresignatures / 2),
        TreatMissingData: 'breaching',
      }),
    ]);
    expect(alarmsOn(NODE_METRICS.signLatency).map((alarm) => alarm.Properties)).toEqual([
      expect.objectContaining({ Namespace: METRICS_NAMESPACE, ExtendedStatistic: 'p90', ComparisonOperator: 'GreaterThanThreshold' }),
    ]);
  });

  it('alarms on indexer errors and indexer lag', () => {
    expect(alarmsOn('Errors').filter((alarm) => JSON.stringify(alarm.Properties).includes(logicalId(stack.lakeIngest.indexer)))).toHaveLength(1);
    expect(alarmsOn(INDEXER_METRICS.blockLag).map((alarm) => alarm.Properties)).toEqual([
      expect.objectContaining({
        Namespace: METRICS_NAMESPACE,
        Dimensions: [{ Name: 'service', Value: 'lake-indexer' }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 60,
      }),
    ]);
  });
});

describe('stockpile scaling', () => {
  it('publishes the configured stockpile policy for the node to follow', () => {
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Type: 'String',
      Value: JSON.stringify(stockpilePolicy(CONFIG.stockpile)),
    });
    expect(stockpilePolicy(CONFIG.stockpile)).toEqual({
      minPresignatures: CONFIG.stockpile.minPresignatures,
      maxPresignatures: CONFIG.stockpile.maxPresignatures,
      maxGenerationConcurrency: CONFIG.stockpile.maxGenerationConcurrency,
      demandWindowSeconds: CONFIG.stockpile.demandWindowMinutes * 60,
      coverSeconds: CONFIG.stockpile.coverMinutes * 60,
    });
  });
});

describe('first deployment and teardown', () => {
  it('starts no task when the stack is created: the desired count is a parameter defaulting to 0 that later deploys keep', () => {
    expect(template.toJSON().Parameters[NODE_DESIRED_COUNT_PARAMETER]).toMatchObject({ Type: 'Number', Default: 0, AllowedValues: ['0', '1'] });
    template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: { Ref: NODE_DESIRED_COUNT_PARAMETER } });
  });

  it('retains on deletion only what must outlive the stack, and lets a failed first deployment delete what it created', () => {
    const deletionPolicy = (construct: IConstruct) => template.toJSON().Resources[logicalId(construct)].DeletionPolicy as string | undefined;
    expect({
      dataKey: deletionPolicy(stack.storage.dataKey),
      keyShares: deletionPolicy(stack.storage.tables.keyShares),
      triples: deletionPolicy(stack.storage.tables.triples),
      presignatures: deletionPolicy(stack.storage.tables.presignatures),
      requests: deletionPolicy(stack.storage.tables.requests),
      nearAccountKey: deletionPolicy(stack.mpcNode.accountKeySecret),
      meshIdentityKey: deletionPolicy(stack.mpcNode.meshIdentityKeySecret),
      lakeBucket: deletionPolicy(stack.lakeIngest.bucket),
      accessLogs: deletionPolicy(stack.accessLogs.bucket),
      backupVault: deletionPolicy(stack.keyShareBackup.vault),
    }).toEqual({
      dataKey: 'RetainExceptOnCreate',
      // Retain (not ...ExceptOnCreate): deletion protection would make a rollback's delete fail.
      keyShares: 'Retain',
      triples: 'Delete',
      presignatures: 'Delete',
      requests: 'Delete',
      nearAccountKey: 'RetainExceptOnCreate',
      meshIdentityKey: 'RetainExceptOnCreate',
      lakeBucket: 'RetainExceptOnCreate',
      accessLogs: 'Retain',
      backupVault: 'RetainExceptOnCreate',
    });
    const resources = template.toJSON().Resources as Record<string, { DeletionPolicy?: string; Properties?: Record<string, unknown> }>;
    const protectedTables = Object.entries(resources)
      .filter(([, resource]) => JSON.stringify(resource.Properties ?? {}).includes('"DeletionProtectionEnabled":true'))
      .map(([id]) => id);
    expect(protectedTables).toEqual([logicalId(stack.storage.tables.keyShares)]);
  });

  it('gives no retained resource a physical name a redeploy could collide with', () => {
    const namingProperties = ['BucketName', 'TableName', 'Name', 'BackupVaultName', 'AliasName', 'LogGroupName'];
    const resources = Object.entries(template.toJSON().Resources as Record<string, { DeletionPolicy?: string; Properties?: Record<string, unknown> }>);
    const retained = resources.filter(([, resource]) => resource.DeletionPolicy?.startsWith('Retain'));
    expect(retained.length).toBeGreaterThanOrEqual(7);
    for (const [id, resource] of retained) {
      for (const property of namingProperties) {
        const name = resource.Properties?.[property];
        // Absent (CloudFormation generates a unique name) or made unique per stack by the stack id.
        if (name !== undefined) expect([id, JSON.stringify(name)]).toEqual([id, expect.stringContaining('"Ref":"AWS::StackId"')]);
      }
    }
  });
});

describe('data lifetime', () => {
  it.each([
    ['keyShares', true],
    ['triples', false],
    ['presignatures', false],
    ['requests', false],
  ] as const)('keeps point-in-time recovery of the %s table %s (single-use shares must not stay recoverable)', (tableName, enabled) => {
    const table = template.toJSON().Resources[logicalId(stack.storage.tables[tableName])];
    expect(table.Properties.Replicas[0].PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: enabled });
  });

  it('backs the key-shares table, and only it, up with AWS Backup into a vault of this stack', () => {
    template.resourceCountIs('AWS::Backup::BackupSelection', 1);
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: { Resources: [arnOf(stack.storage.tables.keyShares)] },
    });
    const [plan] = Object.values(template.findResources('AWS::Backup::BackupPlan'));
    const rules = plan!.Properties.BackupPlan.BackupPlanRule as { TargetBackupVault: unknown; Lifecycle: { DeleteAfterDays: number } }[];
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.TargetBackupVault).toEqual({ 'Fn::GetAtt': [logicalId(stack.keyShareBackup.vault), 'BackupVaultName'] });
      expect(rule.Lifecycle.DeleteAfterDays).toBeGreaterThanOrEqual(35);
    }
  });
});

/** The encryption contexts the node's own sealing code sends to KMS (a fake client records them). */
async function encryptionContextsOfTheNode(): Promise<Record<string, string>[]> {
  const contexts: Record<string, string>[] = [];
  const client = {
    send: async (command: GenerateDataKeyCommand | DecryptCommand) => {
      contexts.push(command.input.EncryptionContext ?? {});
      return { Plaintext: new Uint8Array(32).fill(7), CiphertextBlob: new Uint8Array([1, 2, 3]), $metadata: {} };
    },
  } as unknown as KmsDataKeyClient;
  const keyId = 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000';
  const sealed = await new Sealer(new KmsDataKeyProvider(client, keyId)).seal('item', new Uint8Array([1]));
  await new Sealer(new KmsDataKeyProvider(client, keyId)).open('item', sealed);
  return contexts;
}

interface KeyPolicyStatement extends PolicyStatement {
  Principal: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
const CRYPTOGRAPHIC_KMS_ACTIONS = /^kms:(\*|Decrypt|Encrypt|ReEncrypt.*|GenerateDataKey.*|CreateGrant)$/;

describe('least privilege', () => {
  it('lets the node use the data key directly only with the encryption context its sealer sends', async () => {
    const contexts = await encryptionContextsOfTheNode();
    expect(contexts).toHaveLength(2);
    const [context] = contexts;
    expect(contexts[1]).toEqual(context);
    const sealing = statementWithSid(statementsOfRole(stack.mpcNode.taskRole), 'SealWithDataKey') as KeyPolicyStatement;
    expect(sealing).toMatchObject({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: arnOf(stack.storage.dataKey) });
    expect(sealing.Condition).toEqual({
      StringEquals: Object.fromEntries(Object.entries(context!).map(([key, value]) => [`kms:EncryptionContext:${key}`, value])),
    });
  });

  it('gives the node no access to the requests table it never uses, nor its name', () => {
    const statements = statementsOfRole(stack.mpcNode.taskRole);
    expect(JSON.stringify(statements)).not.toContain(logicalId(stack.storage.tables.requests));
    expect(JSON.stringify(nodeContainer().Environment)).not.toContain(logicalId(stack.storage.tables.requests));
  });

  it('gives the indexer no use of the key that seals key shares', () => {
    const statements = statementsOfRole(stack.lakeIngest.indexer.role!);
    expect(statements.flatMap(actionsOf).filter((action) => action.startsWith('kms:'))).toEqual([]);
    const requests = template.toJSON().Resources[logicalId(stack.storage.tables.requests)];
    expect(JSON.stringify(requests.Properties)).not.toContain(logicalId(stack.storage.dataKey));
  });

  it('lets no account principal use the data key except through DynamoDB or Secrets Manager, and only the node directly', async () => {
    const [context] = await encryptionContextsOfTheNode();
    const key = template.toJSON().Resources[logicalId(stack.storage.dataKey)];
    const statements = key.Properties.KeyPolicy.Statement as KeyPolicyStatement[];
    const usage = statements.filter((statement) => statement.Effect === 'Allow' && actionsOf(statement).some((action) => CRYPTOGRAPHIC_KMS_ACTIONS.test(action)));
    expect(usage.length).toBeGreaterThan(0);
    for (const statement of usage) {
      const viaService = JSON.stringify(statement.Condition?.StringEquals?.['kms:ViaService'] ?? '');
      const direct = viaService === '""';
      if (direct) {
        // Only the node's task role, and only for the sealer's context.
        expect(statement.Principal).toEqual({ AWS: arnOf(stack.mpcNode.taskRole) });
        expect(statement.Condition).toEqual({ StringEquals: { [`kms:EncryptionContext:${Object.keys(context!)[0]}`]: Object.values(context!)[0] } });
      } else {
        expect(viaService).toMatch(/(dynamodb|secretsmanager)\./);
      }
    }
    // Through DynamoDB: what the AWS managed key aws/dynamodb allows DynamoDB, no wildcard and nothing more.
    const throughDynamoDb = usage.find((statement) => JSON.stringify(statement.Condition).includes('dynamodb.'));
    expect([...actionsOf(throughDynamoDb!)].sort()).toEqual(
      ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
    );
    // The account (its administrators) still manages the key, so the stack stays deployable and deletable.
    const administration = statements.find((statement) => JSON.stringify(statement.Principal).includes(':root') && actionsOf(statement).includes('kms:PutKeyPolicy'));
    expect(administration).toBeDefined();
    expect(actionsOf(administration!)).toEqual(expect.arrayContaining(['kms:ScheduleKeyDeletion', 'kms:DescribeKey', 'kms:EnableKeyRotation']));
    expect(administration!.Condition).toBeUndefined();
  });
});

describe('alarms for a silent indexer', () => {

  it('names the indexer metrics exactly as the indexer publishes them', () => {
    for (const [name, value] of Object.entries(INDEXER_METRICS)) expect([name, value]).toEqual([name, IndexerMetric[value as keyof typeof IndexerMetric]]);
  });

  it('pages on the first unreadable accepted sign call', () => {
    expect(alarmsOn(INDEXER_METRICS.unreadableSignCalls).map((alarm) => alarm.Properties)).toEqual([
      expect.objectContaining({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0, DatapointsToAlarm: 1 }),
    ]);
  });

  it('alarms when sign requests are found but not handed to the nodes', () => {
    const [alarm] = alarmsOn(INDEXER_METRICS.signRequestsFound);
    expect(alarmsOn(INDEXER_METRICS.signRequestsFound)).toHaveLength(1);
    const json = JSON.stringify(alarm!.Properties);
    expect(json).toContain(`"MetricName":"${INDEXER_METRICS.signRequestsEnqueued}"`);
    expect(json).toContain(`"MetricName":"${INDEXER_METRICS.signRequestsAlreadyHandled}"`);
    expect(alarm!.Properties).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
  });

  it('counts failed records, not only failed invocations, as indexer faults (the handler reports records, it does not throw)', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: ref(stack.lakeIngest.logGroup),
      FilterPattern: '{ $.level = "ERROR" }',
      MetricTransformations: [Match.objectLike({ MetricNamespace: METRICS_NAMESPACE, MetricName: INDEXER_ERROR_LOG_METRIC, MetricValue: '1' })],
    });
    const faultAlarms = alarmsOn(INDEXER_ERROR_LOG_METRIC);
    expect(faultAlarms).toHaveLength(1);
    expect(JSON.stringify(faultAlarms[0]!.Properties)).toContain('"MetricName":"Errors"');
  });

  it('evaluates block lag in one-minute periods, three of them', () => {
    expect(alarmsOn(INDEXER_METRICS.blockLag).map((alarm) => alarm.Properties)).toEqual([
      expect.objectContaining({ Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: 3 }),
    ]);
  });
});

describe('CDK feature flags', () => {
  it("sets every flag the pinned aws-cdk-lib recommends, at the recommended value", () => {
    const recommended = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'node_modules/aws-cdk-lib/recommended-feature-flags.json'), 'utf8')) as Record<string, unknown>;
    const missing = Object.entries(recommended).filter(([flag, value]) => JSON.stringify(CDK_CONTEXT[flag]) !== JSON.stringify(value));
    expect(missing).toEqual([]);
  });

  it('closes the default security group of the VPC', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });
});

describe('public network mode (the default)', () => {
  it('has no NAT gateway, no load balancer and only public subnets, keeping the free gateway endpoints', () => {
    expect(CONFIG.network.mode).toBe('public');
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::EIP', 0);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    for (const subnet of Object.values(template.findResources('AWS::EC2::Subnet'))) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(true);
    for (const service of ['dynamodb', 's3']) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, `.${service}`]] },
      });
    }
    template.hasResourceProperties('AWS::EC2::FlowLog', { LogDestinationType: 's3', TrafficType: 'REJECT' });
  });

  it('runs the node task, the only task, in the public subnets with a public IPv4 of its own', () => {
    template.resourceCountIs('AWS::ECS::Service', 1);
    const publicSubnets = stack.network.vpc.publicSubnets.map((subnet) => ref(subnet));
    expect(template.toJSON().Resources[logicalId(stack.mpcNode.service)].Properties.NetworkConfiguration.AwsvpcConfiguration).toMatchObject({
      AssignPublicIp: 'ENABLED',
      Subnets: publicSubnets,
    });
  });

  it('keeps the follower out of the VPC: no public IPv4, no security group of its own', () => {
    expect(template.toJSON().Resources[logicalId(stack.lakeFollower!.function)].Properties.VpcConfig).toBeUndefined();
    // The node task's security group is the only one.
    expect(Object.keys(template.findResources('AWS::EC2::SecurityGroup'))).toEqual([logicalId(stack.mpcNode.service.connections.securityGroups[0]!)]);
  });

  it('opens the mesh port of the node task to the allowed peers, and nothing else (the health port stays closed)', () => {
    const serviceGroupId = stack.mpcNode.service.connections.securityGroups[0]!;
    const group = template.toJSON().Resources[logicalId(serviceGroupId)];
    expect(group.Properties.SecurityGroupIngress).toEqual(
      CONFIG.node.allowedPeerCidrs.map((cidr) => ({ CidrIp: cidr, Description: 'MPC mesh peers', FromPort: CONFIG.node.containerPort, ToPort: CONFIG.node.containerPort, IpProtocol: 'tcp' })),
    );
    expect(CONFIG.node.allowedPeerCidrs).toEqual(['0.0.0.0/0']);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('registers the node itself as the participant URL: plain HTTP to its mesh port, under the kept DNS name', () => {
    expect(CONFIG.meshEndpoint).toMatchObject({ mode: 'public', port: CONFIG.node.containerPort, hostedZoneId: CONFIG.node.hostedZoneId });
    template.hasOutput('MeshUrl', { Value: `http://${CONFIG.node.domainName}:${CONFIG.node.containerPort}` });
    expect(template.toJSON().Outputs.MeshLoadBalancerDns).toBeUndefined();
    template.hasOutput('TaskDnsLogGroupName', { Value: ref(stack.taskDns!.logGroup) });
    expect(nodeContainer().Environment).toEqual(expect.arrayContaining([{ Name: NODE_ENVIRONMENT.meshListen, Value: `0.0.0.0:${CONFIG.node.containerPort}` }]));
  });

  it('invokes the DNS updater on every "running, meant to keep running" event of the node service, and nothing else', () => {
    // The stack's other rule is the follower's one-minute schedule.
    expect(Object.keys(template.findResources('AWS::Events::Rule')).sort()).toEqual([logicalId(stack.taskDns!.rule), logicalId(stack.lakeFollower!.schedule)].sort());
    expect(template.toJSON().Resources[logicalId(stack.taskDns!.rule)].Properties).toMatchObject({
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': [TASK_STATE_CHANGE],
        detail: {
          clusterArn: [arnOf(stack.mpcNode.service.cluster)],
          group: [{ 'Fn::Join': ['', ['service:', { 'Fn::GetAtt': [logicalId(stack.mpcNode.service), 'Name'] }]] }],
          lastStatus: ['RUNNING'],
          desiredStatus: ['RUNNING'],
        },
      },
      Targets: [{ Arn: arnOf(stack.taskDns!.updater), Id: expect.any(String) }],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: arnOf(stack.taskDns!.updater),
      Principal: 'events.amazonaws.com',
      SourceArn: arnOf(stack.taskDns!.rule),
    });
  });

  it('configures the updater as lambdas/task-dns reads it: the hosted zone, the record name, TTL 60', () => {
    const updater = template.toJSON().Resources[logicalId(stack.taskDns!.updater)];
    expect(updater.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler', Role: arnOf(stack.taskDns!.role) });
    const environment = updater.Properties.Environment.Variables as Record<string, string>;
    expect(loadTaskDnsConfig(environment)).toEqual({ hostedZoneId: CONFIG.node.hostedZoneId, recordName: CONFIG.node.domainName, ttlSeconds: 60 });
    const assetHash = (updater.Properties.Code.S3Key as string).replace(/\.zip$/, '');
    const manifest = JSON.parse(readFileSync(path.join(outdir, `${stack.artifactId}.assets.json`), 'utf8'));
    expect(readFileSync(path.join(outdir, manifest.files[assetHash].source.path, 'index.mjs'), 'utf8')).toMatch(/export\s*\{[^}]*handler/);
  });

  it('lets the updater change only the A record of the participant name, by UPSERT, and read interfaces', () => {
    const statements = statementsOfRole(stack.taskDns!.role);
    const grants = Object.fromEntries(statements.map((statement) => [statement.Sid ?? actionsOf(statement).join(','), statement]));
    expect(Object.keys(grants).sort()).toEqual(['ReadTaskAddress', 'UpsertParticipantRecord', 'logs:CreateLogStream,logs:PutLogEvents']);
    expect(grants.UpsertParticipantRecord).toEqual({
      Sid: 'UpsertParticipantRecord',
      Effect: 'Allow',
      Action: 'route53:ChangeResourceRecordSets',
      Resource: `arn:aws:route53:::hostedzone/${CONFIG.node.hostedZoneId}`,
      Condition: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [CONFIG.node.domainName],
          'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      },
    });
    expect(grants.ReadTaskAddress).toEqual({ Sid: 'ReadTaskAddress', Effect: 'Allow', Action: 'ec2:DescribeNetworkInterfaces', Resource: '*' });
    expect(resourcesOf(grants['logs:CreateLogStream,logs:PutLogEvents']!)).toEqual([arnOf(stack.taskDns!.logGroup)]);
    // The node's own role gets nothing of this.
    expect(statementsOfRole(stack.mpcNode.taskRole).flatMap(actionsOf).filter((action) => /^(route53|ec2):/.test(action))).toEqual([]);
  });

  it('pages when the updater fails, and when no node task runs for three minutes', () => {
    expect(alarmsOn('Errors').map((alarm) => JSON.stringify(alarm.Properties)).filter((json) => json.includes(logicalId(stack.taskDns!.updater)))).toHaveLength(1);
    expect(template.toJSON().Resources[logicalId(stack.taskDns!.failureAlarm)].Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      DatapointsToAlarm: 1,
      AlarmActions: [ref(stack.observability.alarmTopic)],
    });
    const [running] = alarmsOn('CPUUtilization').filter((alarm) => JSON.stringify(alarm.Properties).includes('"SampleCount"'));
    expect(running!.Properties).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      AlarmActions: [ref(stack.observability.alarmTopic)],
    });
    expect(JSON.stringify(running!.Properties)).toContain(JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.mpcNode.service), 'Name'] }));
    expect(alarmsOn('HealthyHostCount')).toEqual([]);
  });
});

describe('public-lake follower (the default lake source)', () => {
  it('runs the follower as a Lambda function on a one-minute schedule, on the public lake of the configured network', () => {
    expect(CONFIG.lake.source).toBe('public-lake-follower');
    const follower = template.toJSON().Resources[logicalId(stack.lakeFollower!.function)];
    expect(follower.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], MemorySize: 256, Timeout: 900, ReservedConcurrentExecutions: 3, Role: arnOf(stack.lakeFollower!.role) });
    const environment = follower.Properties.Environment.Variables as Record<string, unknown>;
    expect(environment).toMatchObject({
      [LAKE_FOLLOWER_ENVIRONMENT.publicLakeBucket]: PUBLIC_NEAR_LAKE[CONFIG.near.network].bucketName,
      [LAKE_FOLLOWER_ENVIRONMENT.publicLakeRegion]: PUBLIC_NEAR_LAKE[CONFIG.near.network].region,
      [LAKE_FOLLOWER_ENVIRONMENT.lakeBucket]: ref(stack.lakeIngest.bucket),
      [LAKE_FOLLOWER_ENVIRONMENT.contractId]: CONFIG.near.contractId,
      [LAKE_FOLLOWER_ENVIRONMENT.nearRpcUrl]: CONFIG.near.rpcUrl,
      [LAKE_FOLLOWER_ENVIRONMENT.checkpointKey]: CHECKPOINT_KEY,
      [LAKE_FOLLOWER_ENVIRONMENT.metricsNamespace]: METRICS_NAMESPACE,
      [LAKE_FOLLOWER_ENVIRONMENT.leaseTable]: ref(stack.lakeFollower!.leaseTable),
    });
    expect(environment[LAKE_FOLLOWER_ENVIRONMENT.startHeight]).toBeUndefined();
    expect(template.toJSON().Resources[logicalId(stack.lakeFollower!.schedule)].Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      Targets: [{ Arn: arnOf(stack.lakeFollower!.function), RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } }],
    });
    template.hasOutput('LakeFollowerLogGroupName', { Value: ref(stack.lakeFollower!.logGroup) });
  });

  it("gives the follower nothing of the node's or the indexer's: no key, no request or stockpile table, no queue", () => {
    const statements = statementsOfRole(stack.lakeFollower!.role);
    const others = [stack.storage.dataKey, ...Object.values(stack.storage.tables), stack.storage.signRequestsQueue, stack.lakeIngest.queue];
    for (const construct of others) expect(JSON.stringify(statements)).not.toContain(logicalId(construct));
    expect(statements.flatMap(actionsOf).filter((action) => /^(kms|sqs|secretsmanager|ssm):/.test(action))).toEqual([]);
    // DynamoDB only on its own lease table.
    const onDynamoDb = statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')));
    expect(onDynamoDb.map((statement) => [statement.Sid, resourcesOf(statement)])).toEqual([['FollowerLease', [arnOf(stack.lakeFollower!.leaseTable)]]]);
  });

  it('shows the follower on the dashboard when it is switched on, with no alarm more', () => {
    const withDashboard = synthesizeOperator({ 'observability.dashboard': 'true' });
    try {
      const [dashboard] = Object.values(withDashboard.template.findResources('AWS::CloudWatch::Dashboard'));
      const body = JSON.stringify(dashboard!.Properties.DashboardBody);
      for (const metricName of [LAKE_FOLLOWER_METRICS.lagSeconds, ...Object.values(LAKE_FOLLOWER_DASHBOARD_METRICS)]) {
        expect(body).toContain(`\\"${metricName}\\",\\"service\\",\\"lake-follower\\"`);
        expect((Object.values(FollowerMetric) as string[]).includes(metricName)).toBe(true);
      }
      expect(Object.keys(withDashboard.template.findResources('AWS::CloudWatch::Alarm')).sort()).toEqual(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).sort());
    } finally {
      withDashboard.dispose();
    }
  });

  it("sends the follower's stall, layout and shard alarms to the alarm topic, instead of the own writer's silence alarm", () => {
    for (const metricName of Object.values(LAKE_FOLLOWER_METRICS)) {
      expect(alarmsOn(metricName).map((alarm) => alarm.Properties.AlarmActions)).toEqual([[ref(stack.observability.alarmTopic)]]);
    }
    // The follower writes only blocks with contract activity: a quiet lake-events queue is normal.
    expect(alarmsOn('NumberOfMessagesSent')).toEqual([]);
  });

  it('gives no Lake writer principal access to the lake bucket', () => {
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: ref(stack.lakeIngest.bucket) } }))[0]!;
    expect(JSON.stringify(policy)).not.toContain('NearLakeWriterPutsBlocks');
  });
});
