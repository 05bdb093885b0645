import { App, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OperatorConfigError } from './config.js';
import { createOperatorApp, registerNagChecks } from './operator-app.js';
import { PROJECT_ROOT } from './paths.js';

const CDK_CONTEXT = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;

describe('createOperatorApp', () => {
  it('refuses to build without the indexer handler, naming the missing file', () => {
    const missing = path.join(PROJECT_ROOT, 'lambdas', 'no-such-indexer', 'handler.ts');
    expect(() => createOperatorApp({ context: CDK_CONTEXT, indexerEntry: missing, cloudFormationValidation: false })).toThrow(
      new OperatorConfigError('The lake indexer handler lambdas/no-such-indexer/handler.ts does not exist; the Lambda cannot be bundled without it.'),
    );
  });

  it('refuses to build without the task DNS updater handler, naming the missing file', () => {
    const missing = path.join(PROJECT_ROOT, 'lambdas', 'no-such-task-dns', 'handler.ts');
    expect(() => createOperatorApp({ context: CDK_CONTEXT, taskDnsEntry: missing, cloudFormationValidation: false })).toThrow(
      new OperatorConfigError('The task DNS updater handler lambdas/no-such-task-dns/handler.ts does not exist; the Lambda cannot be bundled without it.'),
    );
  });

  it('refuses to build without the public-lake follower handler, naming the missing file', () => {
    const missing = path.join(PROJECT_ROOT, 'lambdas', 'no-such-follower', 'handler.ts');
    expect(() => createOperatorApp({ context: CDK_CONTEXT, lakeFollowerEntry: missing, cloudFormationValidation: false })).toThrow(
      new OperatorConfigError('The public-lake follower handler lambdas/no-such-follower/handler.ts does not exist; the Lambda cannot be bundled without it.'),
    );
  });

  it('reports configuration problems before creating any construct', () => {
    const context = { ...CDK_CONTEXT, 'chainsig.node.cpu': '1024', 'chainsig.node.memoryMiB': '1000' };
    expect(() => createOperatorApp({ context })).toThrow(/chainsig\.node\.memoryMiB: Fargate with 1024 CPU units needs 2048–8192 MiB/);
  });

  it('fails the synth on a cdk-nag finding nobody acknowledged', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'chainsig-nag-'));
    try {
      const app = new App({ outdir, builtinCloudFormationValidation: false });
      registerNagChecks(app);
      new sqs.Queue(new Stack(app, 'Unreviewed'), 'Queue'); // no DLQ, no TLS-only policy: AwsSolutions-SQS3 and -SQS4
      expect(() => app.synth()).toThrow(/AwsSolutions-SQS3[\s\S]*Unreviewed\/Queue/);
      const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
      const violations = report.pluginReports.flatMap((plugin: { violations?: { ruleName: string }[] }) => plugin.violations ?? []);
      expect(violations.map((violation: { ruleName: string }) => violation.ruleName).sort()).toEqual(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
