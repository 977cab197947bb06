import { Duration, RemovalPolicy, Tags, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, type IConstruct } from 'constructs';
import type { DataConfig } from '../../config/data';
import { ConnectKey } from '../connect-key';
import { ConnectTable } from '../connect-table';
import { SecureBucket } from '../secure-bucket';

/** The tag AWS Backup selects the environment's tables and data buckets by (set by `tagForBackup`). */
export const BACKUP_TAG = { key: 'connect:backup', value: 'daily' } as const;

/** Days recovery points are kept when config does not say: production 35, pre-production 7. */
export function backupRetentionDays(production: boolean, config: DataConfig['backup']): number {
  return config.retentionDays ?? (production ? 35 : 7);
}

/**
 * Tags every DynamoDB table (ConnectTable) and data bucket (SecureBucket) under `scope` for the backup plan. By
 * tag, so a table or bucket added to any stack later is backed up without touching this stack, and the Data stack
 * references no other stack's resources. Access-log buckets and buckets built with `backup: false` (copies and
 * scratch: the log archive, query results, canary artifacts) are not data and stay out.
 */
export function tagForBackup(scope: IConstruct): void {
  for (const construct of scope.node.findAll()) {
    const selected = construct instanceof ConnectTable || (construct instanceof SecureBucket && construct.backedUp);
    if (selected) Tags.of(construct).add(BACKUP_TAG.key, BACKUP_TAG.value);
  }
}

export interface EnvironmentBackupProps {
  readonly environmentName: string;
  readonly production: boolean;
  readonly config: DataConfig['backup'];
  /** Resources of the Data stack selected by ARN (the Aurora clusters). */
  readonly resourceArns: readonly string[];
}

/**
 * The environment's AWS Backup plan: a vault encrypted with its own customer managed key (so losing or disabling
 * the data key does not take the backups with it), locked in production (compliance mode after 3 days: nobody, root
 * included, can delete a recovery point before its retention ends; https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html),
 * a daily rule kept 35 days in production and 7 in pre-production (config `data.backup.retentionDays`), a monthly
 * rule kept a year in production, an optional copy of each recovery point to a vault in another region, and the
 * selection: the Aurora clusters by ARN, the tables and data buckets of every stack by tag.
 */
export class EnvironmentBackup extends Construct {
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EnvironmentBackupProps) {
    super(scope, id);
    const { production, environmentName } = props;
    const retentionDays = backupRetentionDays(production, props.config);
    const removalPolicy = production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.key = new ConnectKey(this, 'Key', {
      alias: `alias/connect/${environmentName}/backup`,
      description: `Connect ${environmentName}: AWS Backup recovery points`,
      production,
    });

    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: `connect-${environmentName}`,
      encryptionKey: this.key,
      removalPolicy,
      // Nobody deletes a recovery point by hand; expiry does (and in production the lock enforces it).
      blockRecoveryPointDeletion: true,
      lockConfiguration: production ? { minRetention: Duration.days(retentionDays), changeableFor: Duration.days(3) } : undefined,
    });

    // A copy is kept as long as the recovery point it copies: the other vault stands in for this one when it is lost.
    const copyVault = props.config.copyToVaultArn ? backup.BackupVault.fromBackupVaultArn(this, 'CopyVault', props.config.copyToVaultArn) : undefined;
    const copyActions = (keptDays: number) => (copyVault ? [{ destinationBackupVault: copyVault, deleteAfter: Duration.days(keptDays) }] : undefined);
    const monthlyDays = Math.max(365, retentionDays);
    this.plan = new backup.BackupPlan(this, 'Plan', { backupPlanName: `connect-${environmentName}`, backupVault: this.vault });
    this.plan.addRule(
      new backup.BackupPlanRule({
        ruleName: 'daily',
        scheduleExpression: events.Schedule.cron({ minute: '0', hour: '5' }),
        startWindow: Duration.hours(1),
        completionWindow: Duration.hours(8),
        deleteAfter: Duration.days(retentionDays),
        copyActions: copyActions(retentionDays),
      }),
    );
    if (production) {
      this.plan.addRule(
        new backup.BackupPlanRule({
          ruleName: 'monthly',
          scheduleExpression: events.Schedule.cron({ minute: '0', hour: '6', day: '1' }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(12),
          deleteAfter: Duration.days(monthlyDays),
          copyActions: copyActions(monthlyDays),
        }),
      );
    }

    // The role AWS Backup assumes: AWS's managed policies for backing up and restoring, S3 included (S3 has its own).
    // https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html
    const managed = ['service-role/AWSBackupServiceRolePolicyForBackup', 'service-role/AWSBackupServiceRolePolicyForRestores', 'AWSBackupServiceRolePolicyForS3Backup', 'AWSBackupServiceRolePolicyForS3Restore'];
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: `Connect ${environmentName}: AWS Backup backs up and restores the environment's tables, buckets and databases`,
      managedPolicies: managed.map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
    });
    Validations.of(role).acknowledge(
      ...managed.map((name) => ({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`,
        reason: 'The AWS managed policy AWS Backup documents for its service role; AWS keeps it in step with the services it backs up (DynamoDB, Aurora, S3).',
      })),
    );

    if (props.resourceArns.length > 0) {
      this.plan.addSelection('Databases', { backupSelectionName: 'databases', role, resources: props.resourceArns.map((arn) => backup.BackupResource.fromArn(arn)) });
    }
    this.plan.addSelection('TaggedData', { backupSelectionName: 'tables-and-data-buckets', role, resources: [backup.BackupResource.fromTag(BACKUP_TAG.key, BACKUP_TAG.value)] });
  }
}
