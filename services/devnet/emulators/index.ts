import { startDynamoDbLocal } from './dynamodb-local.js';
import { startFauxqsProcess } from './fauxqs.js';

export { EmulatorStartError } from './errors.js';

/** Endpoints and settings of the local AWS stand-ins; the same shape the product reads from its environment. */
export interface LocalAwsEndpoints {
  readonly region: string;
  readonly dynamodb: string;
  readonly sqs: string;
  readonly s3: string;
}

export interface LocalAws {
  readonly endpoints: LocalAwsEndpoints;
  /** PID of the DynamoDB Local wrapper (fauxqs runs in a process of its own as well). */
  readonly dynamoDbPid: number;
  stop(): Promise<void>;
}

export interface LocalAwsOptions {
  readonly maxLifetimeSeconds?: number;
  readonly dynamoDbDataDirectory?: string;
}

const LOCAL_REGION = 'us-east-1';

/** The two launchers; replaceable so that a failed start can be tested without breaking Java. */
export interface EmulatorStarters {
  readonly dynamoDb: typeof startDynamoDbLocal;
  readonly fauxqs: typeof startFauxqsProcess;
}

const REAL_STARTERS: EmulatorStarters = { dynamoDb: startDynamoDbLocal, fauxqs: startFauxqsProcess };

/** Starts DynamoDB Local and fauxqs side by side on free loopback ports. */
export async function startLocalAws(options: LocalAwsOptions = {}, starters: EmulatorStarters = REAL_STARTERS): Promise<LocalAws> {
  // Started side by side; if either fails, the one that did start is stopped before rethrowing.
  const [dynamoStart, fauxqsStart] = await Promise.allSettled([
    starters.dynamoDb({ maxLifetimeSeconds: options.maxLifetimeSeconds, dataDirectory: options.dynamoDbDataDirectory }),
    starters.fauxqs({ maxLifetimeSeconds: options.maxLifetimeSeconds }),
  ]);
  if (dynamoStart.status === 'rejected' || fauxqsStart.status === 'rejected') {
    await Promise.allSettled([
      dynamoStart.status === 'fulfilled' ? dynamoStart.value.stop() : undefined,
      fauxqsStart.status === 'fulfilled' ? fauxqsStart.value.stop() : undefined,
    ]);
    throw dynamoStart.status === 'rejected' ? dynamoStart.reason : (fauxqsStart as PromiseRejectedResult).reason;
  }
  const running = { dynamo: dynamoStart.value, fauxqs: fauxqsStart.value };
  return {
    endpoints: { region: LOCAL_REGION, dynamodb: running.dynamo.endpoint, sqs: running.fauxqs.endpoint, s3: running.fauxqs.endpoint },
    dynamoDbPid: running.dynamo.pid,
    stop: async () => {
      await Promise.allSettled([running.dynamo.stop(), running.fauxqs.stop()]);
    },
  };
}

/**
 * Environment variables that point the AWS SDK v3 at the emulators. The SDK reads the
 * `AWS_ENDPOINT_URL_<SERVICE>` variables itself; the credentials are dummies the emulators accept.
 */
export function localAwsEnvironment(endpoints: LocalAwsEndpoints): Record<string, string> {
  return {
    AWS_REGION: endpoints.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    // The pinned SDK runs on Node 20 (verified); its notice about releases after January 2027 is noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
