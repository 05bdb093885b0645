/**
 * Fault injection for real AWS SDK v3 clients (DynamoDB against DynamoDB Local, KMS against
 * {@link answerKmsLocally}). {@link AwsFaults.attach} adds a middleware inside the SDK's retry loop, so
 * every attempt passes it and the SDK's own retry policy (3 attempts, backoff, retry quota) meets the
 * faults as it would meet AWS's:
 *
 * - `throttle`: the attempt is refused before reaching the service (ProvisionedThroughputExceededException
 *   for DynamoDB, ThrottlingException for KMS); nothing is applied.
 * - `fail`: the service answers 500 (InternalServerError, KMSInternalException); nothing is applied.
 * - `lose-response`: the request reaches the service and is applied, then the caller sees a dropped
 *   connection (ECONNRESET) instead of the answer, and the SDK retries it.
 *
 * Which attempt a rule hits comes from the scenario's seeded generator (./seed.ts), so a failure replays
 * with its FAULT_SEED.
 */
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { InvalidCiphertextException, KMSServiceException, type DecryptCommandOutput, type GenerateDataKeyCommandOutput, type KMSClient, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-kms';
import type { DeserializeHandlerArguments, DeserializeHandlerOutput, DeserializeMiddleware, MiddlewareStack } from '@smithy/types';
import type { DataKeyProvider } from '../../../services/mpc-node/storage/data-keys.js';
import type { FaultRandom } from './seed.js';

export type AwsFault = 'throttle' | 'fail' | 'lose-response';

export interface AwsFaultRule {
  readonly fault: AwsFault;
  /** Chance that an attempt this rule matches is hit, in [0, 1]. */
  readonly rate: number;
  /** Operations (command names without `Command`: PutItem, DeleteItem, Query, Decrypt…); every one when unset. */
  readonly operations?: readonly string[];
  /** Tables whose name matches; every table (and calls naming none, as KMS's) when unset. */
  readonly table?: RegExp;
  /** Attempts this rule hits at most (e.g. rate 1, times 1: exactly the next matching attempt). Unbounded when unset. */
  readonly times?: number;
}

type ServiceName = 'DynamoDB' | 'KMS';

/** The error a service answers with for a fault that refuses the attempt. */
const REFUSALS: Record<ServiceName, Record<'throttle' | 'fail', () => Error>> = {
  DynamoDB: {
    throttle: () => serviceError(DynamoDBServiceException, 'ProvisionedThroughputExceededException', 400, 'client'),
    fail: () => serviceError(DynamoDBServiceException, 'InternalServerError', 500, 'server'),
  },
  KMS: {
    throttle: () => serviceError(KMSServiceException, 'ThrottlingException', 400, 'client'),
    fail: () => serviceError(KMSServiceException, 'KMSInternalException', 500, 'server'),
  },
};

function serviceError(
  base: typeof DynamoDBServiceException | typeof KMSServiceException,
  name: string,
  httpStatusCode: number,
  fault: 'client' | 'server',
): Error {
  return new base({ name, $fault: fault, $metadata: { httpStatusCode }, message: `${name} (fault injection)` });
}

/** What a dropped connection looks like to the SDK (Node's http client): retryable, no status. */
function connectionReset(): Error {
  return Object.assign(new Error('socket hang up (fault injection: the response was lost)'), { code: 'ECONNRESET' });
}

export class AwsFaults {
  private rules: readonly AwsFaultRule[] = [];
  /** Hits left per rule with `times`. */
  private readonly remaining = new Map<AwsFaultRule, number>();
  private readonly hits = new Map<string, number>();
  /** Lost answers whose request succeeded (was applied), by operation. */
  private readonly applied = new Map<string, number>();

  constructor(private readonly random: FaultRandom) {}

  /** Replaces the rules; the first rule whose roll hits decides an attempt. */
  setRules(rules: readonly AwsFaultRule[]): void {
    this.rules = rules;
    this.remaining.clear();
    for (const rule of rules) if (rule.times !== undefined) this.remaining.set(rule, rule.times);
  }

  /** Attempts hit by `fault`, for one operation or all. */
  injected(fault: AwsFault, operation?: string): number {
    let total = 0;
    for (const [key, count] of this.hits) if (key.startsWith(`${fault} `) && (operation === undefined || key === `${fault} ${operation}`)) total += count;
    return total;
  }

  /** Lost answers of `operation` whose request the service applied (e.g. a delete that removed its item). */
  appliedButLost(operation: string): number {
    return this.applied.get(operation) ?? 0;
  }

  /** Adds the fault middleware to `client` (inside its retry loop, ahead of any other deserialize-step middleware). */
  attach<Input extends object, Output extends object>(client: { readonly middlewareStack: MiddlewareStack<Input, Output> }, service: ServiceName): void {
    const middleware: DeserializeMiddleware<Input, Output> = (next, context) => async (args: DeserializeHandlerArguments<Input>): Promise<DeserializeHandlerOutput<Output>> => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      const fault = this.pick(operation, (args.input as { TableName?: string }).TableName);
      if (fault === undefined) return next(args);
      this.hits.set(`${fault} ${operation}`, (this.hits.get(`${fault} ${operation}`) ?? 0) + 1);
      if (fault !== 'lose-response') throw REFUSALS[service][fault]();
      // The service's own error (a failed condition) is lost as well, but then nothing was applied.
      const succeeded = await next(args).then(
        () => true,
        () => false,
      );
      if (succeeded) this.applied.set(operation, (this.applied.get(operation) ?? 0) + 1);
      throw connectionReset();
    };
    client.middlewareStack.add(middleware, { step: 'deserialize', priority: 'high', name: 'awsFaults' });
  }

  private pick(operation: string, table: string | undefined): AwsFault | undefined {
    for (const rule of this.rules) {
      if (rule.operations !== undefined && !rule.operations.includes(operation)) continue;
      if (rule.table !== undefined && (table === undefined || !rule.table.test(table))) continue;
      if (this.remaining.get(rule) === 0) continue;
      // One roll per matching rule, so a scenario's sequence of faults depends only on its seed and calls.
      if (this.random() >= rule.rate) continue;
      const left = this.remaining.get(rule);
      if (left !== undefined) this.remaining.set(rule, left - 1);
      return rule.fault;
    }
    return undefined;
  }
}

/**
 * Answers a real KMSClient's GenerateDataKey and Decrypt in process: there is no local KMS emulator in
 * this project. The master key is `provider`'s (e.g. a LocalKeyFileProvider), the encryption context
 * is bound as its context string; a blob that does not open is InvalidCiphertextException, as in KMS.
 * Attach {@link AwsFaults} to the same client first: their middleware then runs before this answer.
 */
export function answerKmsLocally(client: KMSClient, provider: DataKeyProvider): void {
  const middleware: DeserializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (_next, context) => async (args) => {
    const input = args.input as { KeyId?: string; CiphertextBlob?: Uint8Array; EncryptionContext?: Record<string, string> };
    const encryptionContext = JSON.stringify(Object.entries(input.EncryptionContext ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
    const $metadata = { httpStatusCode: 200 };
    if (context.commandName === 'GenerateDataKeyCommand') {
      const key = await provider.generateDataKey(encryptionContext);
      const output: GenerateDataKeyCommandOutput = { KeyId: input.KeyId, Plaintext: key.plaintext, CiphertextBlob: key.sealed, $metadata };
      return { response: {}, output };
    }
    if (context.commandName === 'DecryptCommand') {
      try {
        const output: DecryptCommandOutput = { KeyId: input.KeyId, Plaintext: await provider.openDataKey(input.CiphertextBlob ?? new Uint8Array(), encryptionContext), $metadata };
        return { response: {}, output };
      } catch (error) {
        throw new InvalidCiphertextException({ $metadata: { httpStatusCode: 400 }, message: `the ciphertext does not open: ${String(error)}` });
      }
    }
    throw new Error(`answerKmsLocally answers GenerateDataKey and Decrypt only, not ${context.commandName}`);
  };
  client.middlewareStack.add(middleware, { step: 'deserialize', priority: 'high', name: 'answerKmsLocally' });
}
