import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface IntegrationSecretProps {
  /** e.g. `connect/dev/modyo-admin-token`: the name SREs use with `aws secretsmanager put-secret-value`. */
  readonly secretName: string;
  /** What the secret holds and its JSON shape (shown in the console next to the value). */
  readonly description: string;
  readonly encryptionKey: kms.IKey;
  /**
   * The JSON key Secrets Manager fills with a random value at creation. For a secret we issue (the webhook shared
   * secret) that is the real value; for a credential a third party issues, the key is one the handler does not
   * read, so the handler fails loudly until an SRE puts the real value.
   */
  readonly generateKey: string;
  /** Why this secret has no automatic rotation, and how it is rotated instead. */
  readonly rotation: string;
  readonly retain: boolean;
}

/**
 * A Secrets Manager secret of the integrations: encrypted with the environment's secrets key, created with a
 * generated value (so no value is ever in the template) and referenced by ARN only. Its rotation story is a
 * required prop, stated next to the resource.
 */
export class IntegrationSecret extends secretsmanager.Secret {
  constructor(scope: Construct, id: string, props: IntegrationSecretProps) {
    super(scope, id, {
      secretName: props.secretName,
      description: props.description,
      encryptionKey: props.encryptionKey,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: props.generateKey,
        passwordLength: 48,
        excludePunctuation: true,
      },
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this).acknowledge(
      { id: 'AwsSolutions-SMG4', reason: props.rotation },
      { id: 'NIST.800.53.R5-SecretsManagerRotationEnabled', reason: props.rotation },
    );
  }

  /**
   * Read access for one function: GetSecretValue/DescribeSecret on this secret, and Decrypt with its key only
   * through Secrets Manager, both in the grantee's own policy. (Secret.grantRead would put the Decrypt into the
   * key's policy in the Security stack, naming a role of a stack that depends on it: a dependency cycle.)
   */
  override grantRead(grantee: iam.IGrantable, versionStages?: string[]): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resourceArns: [this.secretArn],
      conditions: versionStages ? { 'ForAnyValue:StringEquals': { 'secretsmanager:VersionStage': versionStages } } : undefined,
    });
    if (this.encryptionKey) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:Decrypt'],
        resourceArns: [this.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
      });
    }
    return grant;
  }
}
