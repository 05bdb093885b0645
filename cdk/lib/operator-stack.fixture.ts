// Test support: the whole operator stack synthesized from the committed cdk.json configuration (plus dotted
// overrides, as `-c chainsig.a.b=value` gives them), with cdk-nag's AwsSolutions pack registered exactly as
// `cdk synth` registers it and the real Lambda handlers bundled as `cdk deploy` bundles them.
import { Validations, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OperatorConfig } from './config.js';
import { createOperatorApp } from './operator-app.js';
import type { OperatorStack } from './operator-stack.js';
import { PROJECT_ROOT } from './paths.js';

export const CDK_CONTEXT = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;

export interface PolicyStatement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
  Sid?: string;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Order-free comparison: the minimizePolicies feature flag sorts and merges statement resources. */
export const sortedJson = (values: unknown[]): string[] => values.map((value) => JSON.stringify(value)).sort();
export const actionsOf = (statement: PolicyStatement): string[] => [statement.Action].flat();
export const resourcesOf = (statement: PolicyStatement): unknown[] => [statement.Resource].flat();
export const statementWithSid = (statements: PolicyStatement[], sid: string): PolicyStatement => {
  const found = statements.find((statement) => statement.Sid === sid);
  if (found === undefined) throw new Error(`no statement ${sid}`);
  return found;
};

export interface SynthesizedOperator {
  readonly config: OperatorConfig;
  readonly stack: OperatorStack;
  readonly template: Template;
  /** The cloud assembly directory (assets, the cdk-nag validation report). */
  readonly outdir: string;
  logicalId(construct: IConstruct): string;
  ref(construct: IConstruct): { Ref: string };
  arnOf(construct: IConstruct): { 'Fn::GetAtt': [string, 'Arn'] };
  /** Every statement of the inline policies attached to a role. */
  statementsOfRole(role: IConstruct): PolicyStatement[];
  /** The AwsSolutions plugin's part of the validation report. */
  nagReport(): { conclusion: string; violations: unknown[]; suppressedViolations: unknown[] };
  /** The AwsSolutions acknowledgements in the stack, as [rule, reason] (rule without the pack prefix). */
  acknowledgements(): (readonly [string, string])[];
  /** The alarms whose metrics include `metricName`. */
  alarmsOn(metricName: string): { [key: string]: any }[];
  dispose(): void;
}

export function synthesizeOperator(overrides: Record<string, string> = {}): SynthesizedOperator {
  const outdir = mkdtempSync(path.join(tmpdir(), 'chainsig-cdk-'));
  const context = { ...CDK_CONTEXT, ...Object.fromEntries(Object.entries(overrides).map(([key, value]) => [`chainsig.${key}`, value])) };
  const operator = createOperatorApp({ context, outdir, cloudFormationValidation: false });
  let template: Template;
  try {
    template = Template.fromJSON(operator.app.synth().getStackByName(operator.stack.stackName).template);
  } catch (error) {
    const reportPath = path.join(outdir, 'validation-report.json');
    const report = existsSync(reportPath) ? readFileSync(reportPath, 'utf8') : '(no validation report)';
    rmSync(outdir, { recursive: true, force: true });
    throw new Error(`synth failed: ${(error as Error).message}\n${report}`);
  }
  const { stack } = operator;
  const logicalId = (construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const ref = (construct: IConstruct) => ({ Ref: logicalId(construct) });
  return {
    config: operator.config,
    stack,
    template,
    outdir,
    logicalId,
    ref,
    arnOf: (construct) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] }),
    statementsOfRole: (role) => {
      const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([ref(role)]) } });
      return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatement[]);
    },
    nagReport: () => {
      const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
      return report.pluginReports.find((plugin: { pluginName: string }) => plugin.pluginName === 'AwsSolutions');
    },
    acknowledgements: () =>
      stack.node
        .findAll()
        .flatMap((construct) => construct.node.metadata)
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
        .filter(([id]) => id.startsWith('AwsSolutions::'))
        .map(([id, reason]) => [id.slice('AwsSolutions::'.length), reason] as const),
    alarmsOn: (metricName) =>
      Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) => JSON.stringify(alarm.Properties).includes(`"MetricName":"${metricName}"`)),
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/**
 * The cdk-nag acknowledgements every configuration has (rule ids, sorted by the caller): the reviewed findings
 * of the storage, backup, node and indexer, whatever the network mode and the lake source.
 */
export function acknowledgementsOfEveryConfiguration(operator: SynthesizedOperator): string[] {
  return [
    // Point-in-time recovery is off where it would keep used single-use shares (or public data) restorable.
    'AwsSolutions-DDB3',
    'AwsSolutions-DDB3',
    'AwsSolutions-DDB3',
    // The mesh port open to the internet: the node task's (public mode) or the NLB's (private mode).
    'AwsSolutions-EC23',
    'AwsSolutions-ECS2',
    'AwsSolutions-ECS4',
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores]',
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'AwsSolutions-IAM5[Resource::*]',
    `AwsSolutions-IAM5[Resource::<${operator.logicalId(operator.stack.lakeIngest.bucket)}.Arn>/*]`,
    'AwsSolutions-S1',
    'AwsSolutions-SMG4',
    'AwsSolutions-SMG4',
    'AwsSolutions-SNS2',
  ];
}
