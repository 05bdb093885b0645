import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { OperatorConfig } from './config.js';
import type { NodeService } from './node-service.js';

/**
 * Node environment for the stockpile. The first three are the static targets services/mpc-node/config.ts
 * reads today, set to the policy's floor (an idle network keeps only that); the parameter name is for the
 * demand-following policy below, which the node is to read once it implements it.
 */
export const STOCKPILE_ENVIRONMENT = {
  presignatureTarget: 'PRESIGNATURE_TARGET',
  tripleTarget: 'TRIPLE_TARGET',
  maxConcurrentGenerations: 'MAX_CONCURRENT_GENERATIONS',
  policyParameter: 'STOCKPILE_POLICY_PARAMETER',
} as const;

/** One presignature consumes two triples. */
const TRIPLES_PER_PRESIGNATURE = 2;

/** The JSON document in the parameter; the node re-reads it every few minutes. */
export interface StockpilePolicy {
  readonly minPresignatures: number;
  readonly maxPresignatures: number;
  readonly maxGenerationConcurrency: number;
  readonly demandWindowSeconds: number;
  readonly coverSeconds: number;
}

export function stockpilePolicy(stockpile: OperatorConfig['stockpile']): StockpilePolicy {
  return {
    minPresignatures: stockpile.minPresignatures,
    maxPresignatures: stockpile.maxPresignatures,
    maxGenerationConcurrency: stockpile.maxGenerationConcurrency,
    demandWindowSeconds: stockpile.demandWindowMinutes * 60,
    coverSeconds: stockpile.coverMinutes * 60,
  };
}

export interface StockpileScalingProps {
  readonly stockpile: OperatorConfig['stockpile'];
  readonly node: NodeService;
}

/**
 * Cost-based scaling of the work an operator pays for. The node is one task (one mesh identity), so task
 * count is not the lever; the stockpile is. Every stored triple or presignature costs DynamoDB writes, KMS
 * data keys and mesh traffic, and an idle network should not keep thousands of them fresh. The node measures
 * the sign-request rate it sees over `demandWindowSeconds` and keeps
 *   target = clamp(minPresignatures, maxPresignatures, ceil(rate × coverSeconds))
 * presignatures (two triples each), running at most `maxGenerationConcurrency` generation protocols, and
 * fewer the smaller the deficit. The policy is an SSM parameter, so an operator can raise it ahead of a
 * known launch without a deployment (the next deployment writes the configured values back). Until the
 * node reads it, the static targets above hold the stockpile at the floor.
 */
export class StockpileScaling extends Construct {
  readonly policyParameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: StockpileScalingProps) {
    super(scope, id);
    this.policyParameter = new ssm.StringParameter(this, 'Policy', {
      description: 'mpc-node stockpile policy: presignature target bounds and generation concurrency (JSON)',
      stringValue: JSON.stringify(stockpilePolicy(props.stockpile)),
      tier: ssm.ParameterTier.STANDARD,
    });
    props.node.taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadStockpilePolicy',
        actions: ['ssm:GetParameter'],
        resources: [this.policyParameter.parameterArn],
      }),
    );
    const environment = {
      [STOCKPILE_ENVIRONMENT.presignatureTarget]: props.stockpile.minPresignatures,
      [STOCKPILE_ENVIRONMENT.tripleTarget]: TRIPLES_PER_PRESIGNATURE * props.stockpile.minPresignatures,
      [STOCKPILE_ENVIRONMENT.maxConcurrentGenerations]: props.stockpile.maxGenerationConcurrency,
      [STOCKPILE_ENVIRONMENT.policyParameter]: this.policyParameter.parameterName,
    };
    for (const [name, value] of Object.entries(environment)) props.node.container.addEnvironment(name, String(value));
  }
}
