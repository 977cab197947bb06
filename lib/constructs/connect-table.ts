import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface ConnectTableProps {
  /** Customer managed key (the environment's data key). */
  readonly encryptionKey: kms.IKey;
  readonly partitionKey: dynamodb.Attribute;
  readonly sortKey?: dynamodb.Attribute;
  /** Attribute holding the expiry (Unix seconds) of items DynamoDB deletes by itself. */
  readonly timeToLiveAttribute?: string;
  /** Production data: kept when the stack is deleted, and protected from deletion. */
  readonly retain: boolean;
}

/** Actions that change items: a grantee with any of them also needs to encrypt with the table's key. */
const WRITE_ACTIONS = new Set(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']);

/**
 * The one DynamoDB table construct: on-demand, encrypted with a customer managed key, point-in-time recovery on,
 * and retained + deletion-protected where it holds production data.
 */
export class ConnectTable extends dynamodb.Table {
  constructor(scope: Construct, id: string, props: ConnectTableProps) {
    super(scope, id, {
      partitionKey: props.partitionKey,
      sortKey: props.sortKey,
      timeToLiveAttribute: props.timeToLiveAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.retain,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const reason =
      'The table is in the environment\'s AWS Backup plan, selected by its connect:backup tag (Data stack, EnvironmentBackup), which this rule cannot see: it looks for a selection naming the table in its own stack. Point-in-time recovery is on as well (any second of the last 35 days).';
    Validations.of(this).acknowledge({ id: 'NIST.800.53.R5-DynamoDBInBackupPlan', reason }, { id: 'PCI.DSS.321-DynamoDBInBackupPlan', reason });
  }

  /**
   * Grants exactly `actions` on the table's items (not its indexes), plus the use of its key that DynamoDB needs
   * for them: decrypt for reads, encrypt and data keys as well for writes.
   */
  grantItemActions(grantee: iam.IGrantable, ...actions: string[]): void {
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.tableArn] });
    this.grantKeyUse(grantee, actions.some((action) => WRITE_ACTIONS.has(action)));
  }

  /** Grants Query on one named index (not `index/*`), and decrypting what it returns. */
  grantIndexQuery(grantee: iam.IGrantable, indexName: string): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [`${this.tableArn}/index/${indexName}`] });
    this.grantKeyUse(grantee, false);
  }

  private grantKeyUse(grantee: iam.IGrantable, write: boolean): void {
    const keyActions = write ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt', 'kms:DescribeKey'];
    this.encryptionKey?.grant(grantee, ...keyActions);
  }
}
