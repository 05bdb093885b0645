import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { OperatorConfigError, parseOperatorConfig, rawConfigFromContext, type OperatorConfig } from './config.js';
import { OperatorStack } from './operator-stack.js';
import { LAKE_FOLLOWER_ENTRY, LAKE_INDEXER_ENTRY, PROJECT_ROOT, TASK_DNS_ENTRY } from './paths.js';

export interface OperatorAppOptions {
  /** Context for a programmatic app (tests); the CLI passes cdk.json and `-c` values itself. */
  readonly context?: Record<string, unknown>;
  readonly outdir?: string;
  readonly indexerEntry?: string;
  readonly taskDnsEntry?: string;
  readonly lakeFollowerEntry?: string;
  /** CDK's built-in CloudFormation schema validation; on by default, tests turn it off for speed. */
  readonly cloudFormationValidation?: boolean;
}

export interface OperatorApp {
  readonly app: App;
  readonly config: OperatorConfig;
  readonly stack: OperatorStack;
}

/**
 * The app with one OperatorStack from the validated `chainsig` context, checked by cdk-nag's AwsSolutions
 * pack on every synth: an unacknowledged finding fails the synth.
 */
export function createOperatorApp(options: OperatorAppOptions = {}): OperatorApp {
  const app = new App({
    ...(options.context !== undefined && { context: options.context }),
    ...(options.outdir !== undefined && { outdir: options.outdir }),
    builtinCloudFormationValidation: options.cloudFormationValidation ?? true,
  });
  const config = parseOperatorConfig(rawConfigFromContext(app.node.getAllContext()));
  const indexerEntry = existingHandler('lake indexer', options.indexerEntry ?? LAKE_INDEXER_ENTRY);
  const taskDnsEntry = existingHandler('task DNS updater', options.taskDnsEntry ?? TASK_DNS_ENTRY);
  const lakeFollowerEntry = existingHandler('public-lake follower', options.lakeFollowerEntry ?? LAKE_FOLLOWER_ENTRY);
  const stack = new OperatorStack(app, config.stackName, {
    env: { account: config.account, region: config.region },
    description: `NEAR chain-signatures MPC operator ${config.near.operatorAccountId} for ${config.near.contractId} (${config.near.network})`,
    config,
    indexerEntry,
    taskDnsEntry,
    lakeFollowerEntry,
  });
  registerNagChecks(app);
  return { app, config, stack };
}

/** The handler file a Lambda is bundled from; without it esbuild's error would name no Lambda. */
function existingHandler(lambdaName: string, entry: string): string {
  if (!existsSync(entry)) {
    throw new OperatorConfigError(`The ${lambdaName} handler ${path.relative(PROJECT_ROOT, entry)} does not exist; the Lambda cannot be bundled without it.`);
  }
  return entry;
}

/** cdk-nag's AwsSolutions pack as a validation plugin: an unacknowledged finding fails `app.synth()`. */
export function registerNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}
