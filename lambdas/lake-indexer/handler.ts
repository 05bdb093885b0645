/**
 * Lambda entry point (SQS event source on the lake-events queue, `ReportBatchItemFailures` on).
 * Configuration is read at init, so a misconfigured function fails to start with a message naming
 * every bad variable (see ./config.ts).
 */
import { loadLakeIndexerConfig } from './config.js';
import { createLakeIndexerHandlerFromConfig, defaultAwsClients } from './create-handler.js';

export const handler = createLakeIndexerHandlerFromConfig(loadLakeIndexerConfig(process.env), defaultAwsClients());
