import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { decodeSignRequest } from '../../../shared/near/sign-request.js';
import { runLakeIndexerPoller } from '../../../lambdas/lake-indexer/local-poller.js';
import { LakeIndexerConfigError } from '../../../lambdas/lake-indexer/config.js';
import { createIndexerHarness, type IndexerHarness } from './harness.js';
import { MPC_CONTRACT, acceptedSign, blockFile, eddsaArgs, requestIdOf, shardFile } from './lake-fixtures.js';

// The devnet process as `npm start` will run it: configuration from the environment, AWS clients
// from the SDK's default chain (the AWS_ENDPOINT_URL_* the global setup exported), Powertools wiring.
describe('devnet lake indexer process', () => {
  let harness: IndexerHarness;
  const quietPowertools = { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' };

  beforeAll(async () => {
    // Keep EMF metrics and JSON logs of the production wiring out of the test output.
    Object.assign(process.env, quietPowertools);
    harness = await createIndexerHarness('devnet');
    await harness.putLakeFile('000000004000/block.json', JSON.stringify(blockFile(4000)));
    await harness.putLakeFile('000000004000/shard_0.json', JSON.stringify(shardFile(4000, 0, [acceptedSign(4000, 'devnet', 'alice.test.near', eddsaArgs('p', 'aa'))])));
  });

  afterAll(async () => {
    for (const name of Object.keys(quietPowertools)) delete process.env[name];
    await harness.destroy();
  });

  it('polls lake-events and enqueues the sign request through the production wiring', async () => {
    const environment = {
      ...process.env,
      MPC_CONTRACT_ID: MPC_CONTRACT,
      REQUESTS_TABLE_NAME: harness.tableName,
      SIGN_REQUESTS_QUEUE_URL: harness.signRequestsUrl,
      LAKE_EVENTS_QUEUE_URL: harness.lakeEventsUrl,
    };
    await harness.notify(['000000004000/block.json', '000000004000/shard_0.json']);
    const stop = new AbortController();
    const running = runLakeIndexerPoller(environment, stop.signal);
    let body: string | undefined;
    // Bounded by attempts, not by time: each receive long-polls up to a second.
    for (let attempt = 0; attempt < 30 && body === undefined; attempt += 1) {
      const { Messages } = await harness.sqs.send(new ReceiveMessageCommand({ QueueUrl: harness.signRequestsUrl, WaitTimeSeconds: 1 }));
      body = Messages?.[0]?.Body;
    }
    stop.abort();
    await running;
    expect(body === undefined ? undefined : decodeSignRequest(body)).toMatchObject({ requestId: requestIdOf('devnet'), payload: { scheme: 'Eddsa', hex: 'aa' } });
  });

  it('refuses to start without the lake-events queue', async () => {
    await expect(runLakeIndexerPoller({ MPC_CONTRACT_ID: MPC_CONTRACT }, new AbortController().signal)).rejects.toThrow(LakeIndexerConfigError);
    await expect(runLakeIndexerPoller({ LAKE_EVENTS_QUEUE_URL: 'http://127.0.0.1:1/q' }, new AbortController().signal)).rejects.toThrow(/MPC_CONTRACT_ID is required/);
  });
});
