import { Aws, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface KeyShareBackupProps {
  readonly keySharesTable: dynamodb.ITableV2;
}

/**
 * AWS Backup of the key-shares table, the one table whose loss cannot be regenerated (a lost share is a
 * participant lost until the others reshare). Point-in-time recovery covers 35 days of mistakes inside the
 * table; these recovery points live in a vault of their own, outside the table and the stack, and outlast
 * a deleted table. Restore: docs/deploy.md §10, "Backups and restoring key shares".
 */
export class KeyShareBackup extends Construct {
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;
  /** The role AWS Backup uses for this table, for backups and for restores. */
  readonly role: iam.IRole;

  constructor(scope: Construct, id: string, props: KeyShareBackupProps) {
    super(scope, id);
    this.vault = new backup.BackupVault(this, 'Vault', {
      // A vault name is required and a retained vault keeps it: the stack id's UUID makes it unique per
      // stack creation, so a redeploy after `cdk destroy` does not collide with the vault left behind.
      backupVaultName: Fn.join('-', ['key-shares', Fn.select(2, Fn.split('/', Aws.STACK_ID))]),
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    // Daily points kept 35 days, weekly ones 90 days. No cold-storage transition: DynamoDB tiering needs
    // AWS Backup's advanced DynamoDB features, and shares are a few kilobytes.
    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupVault: this.vault,
      backupPlanRules: [backup.BackupPlanRule.daily(), backup.BackupPlanRule.weekly()],
    });
    const selection = this.plan.addSelection('KeyShares', {
      resources: [backup.BackupResource.fromArn(props.keySharesTable.tableArn)],
      allowRestores: true,
    });
    this.role = selection.grantPrincipal as iam.IRole;
    for (const policy of ['AWSBackupServiceRolePolicyForBackup', 'AWSBackupServiceRolePolicyForRestores']) {
      Validations.of(selection).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
        reason: 'AWS Backup service role for this one selection (the key-shares table); AWS maintains the action list per resource type, and the selection limits it to the table.',
      });
    }
  }
}
