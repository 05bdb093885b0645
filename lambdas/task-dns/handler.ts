/**
 * Lambda entry point: the target of the stack's EventBridge rule on the node service's "task running"
 * events. A thrown error (no public address yet, an AWS call failing) makes Lambda retry the event twice;
 * the function's Errors alarm reports what still fails.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { EC2Client } from '@aws-sdk/client-ec2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { Ec2NetworkInterfaces, Route53Records } from './aws-adapters.js';
import { loadTaskDnsConfig } from './config.js';
import { TaskDnsUpdater } from './task-dns.js';

const logger = new Logger({ serviceName: 'task-dns' });
const updater = new TaskDnsUpdater(loadTaskDnsConfig(process.env), new Ec2NetworkInterfaces(new EC2Client({})), new Route53Records(new Route53Client({})));

export const handler = async (event: unknown): Promise<void> => {
  const outcome = await updater.handle(event);
  logger.info('task state change handled', { outcome });
};
