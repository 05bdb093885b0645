/**
 * Storage and master-key metrics: DynamoDB errors per table, operation and kind (every call the node's
 * client makes, the stores' reads included), conditional writes recognised as the node's own after a
 * lost response, single-use assets lost with a response, and KMS errors. One instance per node: the
 * registry refuses a metric registered twice.
 */
import type { DynamoDBClient, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-dynamodb';
import type { FinalizeHandlerArguments, FinalizeHandlerOutput } from '@smithy/types';
import type { Counter, MetricsRegistry } from '../observability/metrics.js';
import { awsErrorKind } from './aws-calls.js';

/** A condition that failed is a lost race or the write-once guard doing its job, not a storage error. */
const NOT_AN_ERROR = 'ConditionalCheckFailedException';

export class StorageMetrics {
  /** DynamoDB calls that failed after the SDK's retries, by table, operation and kind. */
  readonly callErrors: Counter;
  /** DynamoDB attempts that failed, retried by the SDK or not, by table, operation and kind. */
  readonly attemptErrors: Counter;
  /** Conditional puts whose condition failed against this node's own earlier attempt (answer lost), by table. */
  readonly writesRecovered: Counter;
  /** Single-use assets this node deleted while the answer (and the asset) was lost, by table and operation. */
  readonly assetsLost: Counter;
  /** Master-key calls (KMS GenerateDataKey, Decrypt) that failed, by operation and kind. */
  readonly kmsErrors: Counter;

  constructor(registry: MetricsRegistry) {
    this.callErrors = registry.counter('storage_errors_total', 'DynamoDB calls that failed after the SDK retries, by table, operation and kind (throttled, server, network, client)');
    this.attemptErrors = registry.counter('storage_attempt_errors_total', 'DynamoDB attempts that failed (the SDK retries most), by table, operation and kind');
    this.writesRecovered = registry.counter('storage_writes_recovered_total', 'Write-once puts whose answer was lost and whose retry found the node\'s own item, reported as stored, by table');
    this.assetsLost = registry.counter('storage_assets_lost_total', 'Single-use assets deleted by this node whose answer was lost: never usable again, by table and operation');
    this.kmsErrors = registry.counter('kms_errors_total', 'Master-key calls that failed (GenerateDataKey, Decrypt), by operation and kind (throttled, server, network, client; local: the devnet key file)');
  }

  /** Counts the errors of every call `client` makes; lib-dynamodb document clients made from it share its middleware. */
  observeDynamoDb(client: DynamoDBClient): void {
    client.middlewareStack.add(countingErrors(this.callErrors), { step: 'initialize', priority: 'high', name: 'storageCallErrors' });
    // Inside the retry middleware (finalizeRequest, high priority): once per attempt.
    client.middlewareStack.add(countingErrors<FinalizeHandlerArguments<ServiceInputTypes>, FinalizeHandlerOutput<ServiceOutputTypes>>(this.attemptErrors), { step: 'finalizeRequest', priority: 'low', name: 'storageAttemptErrors' });
  }
}

/** A middleware (any step: it reads only the input) counting the calls through it that fail, by table, operation and kind. */
function countingErrors<Args extends { readonly input: object }, Result>(counter: Counter) {
  return (next: (args: Args) => Promise<Result>, context: { readonly commandName?: string }) => async (args: Args): Promise<Result> => {
    try {
      return await next(args);
    } catch (error) {
      if ((error as Error | undefined)?.name !== NOT_AN_ERROR) {
        counter.inc({
          table: (args.input as { TableName?: string }).TableName ?? '',
          operation: (context.commandName ?? 'unknown').replace(/Command$/, ''),
          kind: awsErrorKind(error),
        });
      }
      throw error;
    }
  };
}
