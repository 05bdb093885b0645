/**
 * Lambda entry point of the public-lake follower, invoked every minute by an EventBridge schedule
 * (cdk/lib/lake-follower.ts). An invocation follows for the rest of its timeout while it holds the lease,
 * or returns at once when another run holds it (services/lake-follower/scheduled-run.ts). Configuration is
 * read at init, so a misconfigured function fails to start with a message naming every bad variable.
 */
import type { Context } from 'aws-lambda';
import { loadLakeFollowerConfig } from '../../services/lake-follower/config.js';
import { createScheduledFollower } from '../../services/lake-follower/follow.js';
import type { ScheduledRunOutcome } from '../../services/lake-follower/scheduled-run.js';

const config = loadLakeFollowerConfig(process.env);
const follower = createScheduledFollower(config, process.env);

export const handler = async (_event: unknown, context: Context): Promise<ScheduledRunOutcome> => {
  follower.logger.addContext(context);
  // Stop early enough for the last checkpoint, the release and the metrics flush before the timeout.
  const runEndsAtMs = Date.now() + context.getRemainingTimeInMillis() - config.lease.stopMarginMs;
  return follower.run(context.awsRequestId, runEndsAtMs);
};
