import { startDynamoDbLocal, type RunningDynamoDbLocal } from './dynamodb-local.js';
import { startFauxqsServer, type RunningFauxqs } from './fauxqs.js';

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
  /** PID of the DynamoDB Local wrapper (fauxqs runs inside this process). */
  readonly dynamoDbPid: number;
  stop(): Promise<void>;
}

export interface LocalAwsOptions {
  readonly maxLifetimeSeconds?: number;
  readonly dynamoDbDataDirectory?: string;
}

const LOCAL_REGION = 'us-east-1';

/** Starts DynamoDB Local and fauxqs side by side on free loopback ports. */
export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  let dynamo: RunningDynamoDbLocal | undefined;
  let fauxqs: RunningFauxqs | undefined;
  try {
    [dynamo, fauxqs] = await Promise.all([
      startDynamoDbLocal({ maxLifetimeSeconds: options.maxLifetimeSeconds, dataDirectory: options.dynamoDbDataDirectory }),
      startFauxqsServer(),
    ]);
  } catch (error) {
    await Promise.allSettled([dynamo?.stop(), fauxqs?.stop()]);
    throw error;
  }
  const running = { dynamo, fauxqs };
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
