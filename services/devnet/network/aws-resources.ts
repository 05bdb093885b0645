/**
 * The AWS resources of N operator stacks (cdk/), made in the local emulators. All operators index the
 * same chain, so they share one Lake bucket; each operator has its own ingest pipeline — lake-events
 * with its dead-letter queue, the indexer's requests table, the sign-requests FIFO queue with a FIFO
 * dead-letter queue — and its node's pk/sk tables. Names derive from a prefix so several networks
 * (parallel tests) can share one set of emulators.
 */
import { CreateTableCommand, DeleteTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { requestsTableDefinition } from '../../../lambdas/lake-indexer/request-ledger.js';
import { ensurePartitionSortTable, type NodeTableNames } from '../../mpc-node/storage/tables.js';

/** What one operator (participant i) deploys besides the shared bucket. */
export interface OperatorResourceNames {
  readonly lakeEventsQueue: string;
  readonly lakeEventsDeadLetterQueue: string;
  readonly signRequestsQueue: string;
  readonly signRequestsDeadLetterQueue: string;
  readonly requestsTable: string;
  /** The operator's MPC node's tables. */
  readonly nodeTables: NodeTableNames;
}

export interface NetworkResourceNames {
  /** The Lake bucket every operator's indexer reads. */
  readonly bucket: string;
  /** Index i is participant i's. */
  readonly operators: readonly OperatorResourceNames[];
}

export interface OperatorResources extends OperatorResourceNames {
  readonly lakeEventsQueueUrl: string;
  readonly lakeEventsDeadLetterQueueUrl: string;
  readonly signRequestsQueueUrl: string;
  readonly signRequestsDeadLetterQueueUrl: string;
}

export interface NetworkResources extends NetworkResourceNames {
  /** Index i is participant i's. */
  readonly operators: readonly OperatorResources[];
}

export interface AwsClientSet {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
}

/** Receives before a message moves to its dead-letter queue (the stack's value). */
const MAX_RECEIVE_COUNT = 5;
/**
 * Above the indexer's 20 s send claim, as it must be; the stack uses 180 s, but on the devnet a failed
 * lake event should come back within a request's ~200-block life at 100 ms blocks.
 */
const LAKE_EVENTS_VISIBILITY_SECONDS = 30;
/** Messages live as long as in the stack (14 days): a redriven event must still find its request. */
const RETENTION_SECONDS = 14 * 24 * 3600;

export function networkResourceNames(prefix: string, nodeCount: number): NetworkResourceNames {
  return {
    bucket: `${prefix}-lake`,
    operators: Array.from({ length: nodeCount }, (_, index) => ({
      lakeEventsQueue: `${prefix}-op${index}-lake-events`,
      lakeEventsDeadLetterQueue: `${prefix}-op${index}-lake-events-dlq`,
      signRequestsQueue: `${prefix}-op${index}-sign-requests.fifo`,
      signRequestsDeadLetterQueue: `${prefix}-op${index}-sign-requests-dlq.fifo`,
      requestsTable: `${prefix}-op${index}-requests`,
      // Named as before per-operator pipelines existed, so a kept DynamoDB Local still finds its key shares.
      nodeTables: {
        keyShares: `${prefix}-node${index}-key-shares`,
        triples: `${prefix}-node${index}-triples`,
        presignatures: `${prefix}-node${index}-presignatures`,
      },
    })),
  };
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`SQS returned no QueueArn for ${queueUrl}`);
  return arn;
}

/** Creates a queue with a dead-letter queue and a redrive policy to it; CreateQueue is idempotent for equal attributes. */
async function createQueueWithDeadLetter(
  sqs: SQSClient,
  name: string,
  deadLetterName: string,
  attributes: Record<string, string>,
): Promise<{ queueUrl: string; deadLetterQueueUrl: string }> {
  const fifo = name.endsWith('.fifo') ? { FifoQueue: 'true' } : {};
  const deadLetter = await sqs.send(new CreateQueueCommand({ QueueName: deadLetterName, Attributes: { ...fifo, MessageRetentionPeriod: String(RETENTION_SECONDS) } }));
  const deadLetterQueueUrl = deadLetter.QueueUrl!;
  const redrivePolicy = JSON.stringify({ deadLetterTargetArn: await queueArn(sqs, deadLetterQueueUrl), maxReceiveCount: MAX_RECEIVE_COUNT });
  const queue = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { ...fifo, ...attributes, MessageRetentionPeriod: String(RETENTION_SECONDS), RedrivePolicy: redrivePolicy } }),
  );
  return { queueUrl: queue.QueueUrl!, deadLetterQueueUrl };
}

async function createOperatorResources(sqs: SQSClient, dynamodb: DynamoDBClient, names: OperatorResourceNames): Promise<OperatorResources> {
  const lakeEvents = await createQueueWithDeadLetter(sqs, names.lakeEventsQueue, names.lakeEventsDeadLetterQueue, {
    VisibilityTimeout: String(LAKE_EVENTS_VISIBILITY_SECONDS),
  });
  // Group id = dedup id = request id (lambdas/lake-indexer/README.md), hence the per-group settings.
  const signRequests = await createQueueWithDeadLetter(sqs, names.signRequestsQueue, names.signRequestsDeadLetterQueue, {
    DeduplicationScope: 'messageGroup',
    FifoThroughputLimit: 'perMessageGroupId',
  });
  try {
    await dynamodb.send(new CreateTableCommand(requestsTableDefinition(names.requestsTable)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await Promise.all(Object.values(names.nodeTables).map((table) => ensurePartitionSortTable(dynamodb, table)));
  return {
    ...names,
    lakeEventsQueueUrl: lakeEvents.queueUrl,
    lakeEventsDeadLetterQueueUrl: lakeEvents.deadLetterQueueUrl,
    signRequestsQueueUrl: signRequests.queueUrl,
    signRequestsDeadLetterQueueUrl: signRequests.deadLetterQueueUrl,
  };
}

/** Creates every resource that does not exist yet (a persistent DynamoDB Local keeps its tables). */
export async function createNetworkResources(clients: AwsClientSet, names: NetworkResourceNames): Promise<NetworkResources> {
  const { s3, sqs, dynamodb } = clients;
  try {
    await s3.send(new CreateBucketCommand({ Bucket: names.bucket }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
  const operators = await Promise.all(names.operators.map((operator) => createOperatorResources(sqs, dynamodb, operator)));
  return { bucket: names.bucket, operators };
}

/** Empties and deletes one bucket (e.g. the stand-in public lake of a network whose writer fills a second bucket). */
export async function deleteBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    if (Contents.length === 0) break;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: Contents.map((object) => ({ Key: object.Key! })) } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** Deletes everything {@link createNetworkResources} made (used when the emulators outlive the network). */
export async function deleteNetworkResources(clients: AwsClientSet, resources: NetworkResources): Promise<void> {
  const { s3, sqs, dynamodb } = clients;
  await deleteBucket(s3, resources.bucket);
  const queueUrls = resources.operators.flatMap((operator) => [
    operator.lakeEventsQueueUrl,
    operator.lakeEventsDeadLetterQueueUrl,
    operator.signRequestsQueueUrl,
    operator.signRequestsDeadLetterQueueUrl,
  ]);
  await Promise.all(queueUrls.map((queueUrl) => sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }))));
  const tables = resources.operators.flatMap((operator) => [operator.requestsTable, ...Object.values(operator.nodeTables)]);
  await Promise.all(tables.map((table) => dynamodb.send(new DeleteTableCommand({ TableName: table }))));
}
