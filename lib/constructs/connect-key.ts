import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

export interface ConnectKeyProps {
  /** e.g. `alias/connect/prod/data` */
  readonly alias: string;
  readonly description: string;
  /** Production keys are kept when their stack is deleted and wait 30 days before deletion; others 7 days. */
  readonly production: boolean;
}

/**
 * The one customer managed key construct: yearly rotation, kept in production, and (Control Tower CT.KMS.PR.3)
 * grants only for AWS services acting on AWS resources (e.g. Lambda reading an encrypted queue), never ad-hoc
 * grants that would bypass the key policy. A subclass of kms.Key, so a key keeps the logical id it had as one.
 */
export class ConnectKey extends kms.Key {
  constructor(scope: Construct, id: string, props: ConnectKeyProps) {
    super(scope, id, {
      alias: props.alias,
      description: props.description,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      removalPolicy: props.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(props.production ? 30 : 7),
    });
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'GrantsOnlyForAwsServices',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      }),
    );
  }

  /** Lets CloudWatch Logs encrypt the log groups of this key's account and region (and no other's) with it. */
  allowLogGroupsOfThisAccount(sid: string): void {
    const stack = Stack.of(this);
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` } },
      }),
    );
  }
}
