// TEST FIXTURE, not product code: a stand-in entry for the lake indexer Lambda so the CDK tests can bundle
// a function before lambdas/lake-indexer/handler.ts exists. The deployed app never uses this file.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

export async function handler(_event: SQSEvent): Promise<SQSBatchResponse> {
  return { batchItemFailures: [] };
}
