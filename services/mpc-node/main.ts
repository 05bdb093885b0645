/**
 * The mpc-node process (the container's entry point, and each node process of the devnet): reads and
 * validates the configuration, wires the AWS and NEAR adapters, starts the node and stops it gracefully
 * on SIGTERM/SIGINT. Exit codes: 0 stopped cleanly, 2 bad configuration, 1 anything else.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { KeyPair, type KeyPairString } from '@near-js/crypto';
import { describeCurveBackends } from '../../shared/crypto/native/index.js';
import { NearRpcChain } from './chain/near-rpc-chain.js';
import { ConfigError, loadNodeConfig, type NodeConfig } from './config.js';
import { MpcNode, NodeStartAborted } from './node.js';
import { SsmStockpilePolicySource, StaticStockpilePolicy, type StockpilePolicySource } from './stockpile-policy.js';
import { LocalKeyFileProvider, type DataKeyProvider } from './storage/data-keys.js';
import { KmsDataKeyProvider } from './storage/kms-data-keys.js';

const SHUTDOWN_LIMIT_MS = 25_000;

function dataKeyProvider(config: NodeConfig): DataKeyProvider {
  return config.SEALING === 'kms' ? new KmsDataKeyProvider(new KMSClient({}), config.KMS_KEY_ID!) : new LocalKeyFileProvider(config.LOCAL_MASTER_KEY_FILE!);
}

async function stockpilePolicy(config: NodeConfig, logger: Logger): Promise<{ source: StockpilePolicySource; stop: () => void }> {
  const fixed = new StaticStockpilePolicy(config);
  if (config.STOCKPILE_POLICY_PARAMETER === undefined) return { source: fixed, stop: () => undefined };
  const source = new SsmStockpilePolicySource({
    client: new SSMClient({}),
    parameterName: config.STOCKPILE_POLICY_PARAMETER,
    fallback: fixed.policy(),
    onRefreshFailed: (error) => logger.warn('stockpile policy read failed; keeping the last good one', { error: error instanceof Error ? error.message : String(error) }),
  });
  await source.start();
  return { source, stop: () => source.stop() };
}

async function main(): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let config: NodeConfig;
  try {
    config = loadNodeConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = new Logger({
    serviceName: 'mpc-node',
    logLevel: config.LOG_LEVEL.toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR',
    persistentKeys: { account: config.NODE_ACCOUNT_ID },
  });
  // Both native libraries load fail-closed at import (decision 0006): reaching this line means they run.
  logger.info('curve arithmetic backends', { backends: describeCurveBackends() });
  // Local endpoints (the devnet's fauxqs) hand out queue URLs with a host that does not resolve: use the endpoint.
  // The SQS middleware stack is built once per command class, not per call. Not for DynamoDB: the
  // document client's commands carry per-instance middleware, which a cached stack would get wrong.
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: process.env.AWS_ENDPOINT_URL_SQS === undefined, cacheMiddleware: true });
  const dynamodb = new DynamoDBClient({});
  const policy = await stockpilePolicy(config, logger);
  const chain = new NearRpcChain({
    rpcUrl: config.NEAR_RPC_URL,
    accountId: config.NODE_ACCOUNT_ID,
    keyPair: KeyPair.fromString(config.NODE_ACCOUNT_SECRET_KEY as KeyPairString),
    contractId: config.MPC_CONTRACT_ID,
  });
  // Until the node has started (it may wait long to be voted in as a participant) it holds no work to hand
  // back: a stop request ends the wait, and the process, at once.
  const stopSignals = (onStop: () => void, subscribe: boolean) => {
    const method = subscribe ? 'once' : 'off';
    process[method]('SIGTERM', onStop);
    process[method]('SIGINT', onStop);
    // A launcher (the devnet) that started this node over an IPC channel: when it goes, so does the node.
    if (process.env.MPC_NODE_EXIT_WITH_PARENT === '1' && (process.connected || !subscribe)) process[method]('disconnect', onStop);
  };
  const beforeStart = new AbortController();
  const abortStart = () => beforeStart.abort();
  stopSignals(abortStart, true);
  let node: MpcNode;
  try {
    node = await MpcNode.start({ config, chain, dynamodb, sqs, dataKeys: dataKeyProvider(config), stockpilePolicy: policy.source, logger, signal: beforeStart.signal });
  } catch (error) {
    if (!(error instanceof NodeStartAborted)) throw error;
    logger.info('stopped before becoming a participant');
    return 0;
  } finally {
    stopSignals(abortStart, false);
  }

  // A stop asked for after the wait ended, while the node was still starting, stops it now.
  if (!beforeStart.signal.aborted) await new Promise<void>((resolve) => stopSignals(resolve, true));
  // ECS sends SIGKILL after the task's stop timeout (30 s): stop well before it.
  const limit = setTimeout(() => {
    logger.error('graceful stop took too long; exiting');
    process.exit(1);
  }, SHUTDOWN_LIMIT_MS);
  await node.stop();
  clearTimeout(limit);
  policy.stop();
  sqs.destroy();
  dynamodb.destroy();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mpc-node failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
