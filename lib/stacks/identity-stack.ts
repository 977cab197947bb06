import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';
import { ConnectFunction } from '../constructs/connect-function';
import { IdentityClients } from '../constructs/identity-clients';
import { IdentityProvisioning } from '../constructs/identity-provisioning';
import type { QueueWithDlq } from '../constructs/queue-with-dlq';
import { functionConcurrency } from '../lambda-concurrency';

export interface IdentityStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly dataKey: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
}

/** Identifier of the API's resource server: scopes read `connect/<scope>` in tokens and in the API's authorizer. */
export const RESOURCE_SERVER_IDENTIFIER = 'connect';

/**
 * The environment's OpenID Connect provider: a Cognito user pool (Plus plan, threat protection enforced), its
 * hosted domain with managed login, the API's resource server and scopes, the pre token generation trigger, the app
 * clients and federation (IdentityClients), and the mirroring of Modyo realm users into the pool
 * (IdentityProvisioning).
 */
export class IdentityStack extends Stack {
  readonly userPool: cognito.UserPool;
  readonly domain: cognito.UserPoolDomain;
  readonly resourceServer: cognito.UserPoolResourceServer;
  readonly realmClients: Readonly<Record<string, cognito.UserPoolClient>>;
  readonly machineClients: Readonly<Record<string, cognito.UserPoolClient>>;
  readonly adminClient?: cognito.UserPoolClient;
  /** Queue of Modyo user lifecycle events (FIFO, group = Modyo user id) the webhook receiver sends to. */
  readonly provisioningQueue: QueueWithDlq;
  /** For monitoring: every queue and function of this stack. */
  readonly queues: QueueWithDlq[];
  readonly functions: lambda.Function[];
  private readonly scopeNames: readonly string[];

  constructor(scope: Construct, id: string, props: IdentityStackProps) {
    super(scope, id, props);
    const { config } = props;
    const identity = config.identity;
    const production = config.kind === 'production';
    this.scopeNames = identity.scopes.map((s) => s.name);

    // Pre token generation (event V2): copies the Modyo realm and user id that provisioning stores as custom
    // attributes into the ID AND the access token. The API authorises with the access token (Cognito authorizer
    // with scopes; the ECS services read its claims), and Modyo's delegation hands Widgets the access token, not the
    // ID token. With the claims in the access token a handler knows whose data and which realm a call is about
    // from the verified token alone, without a user-pool lookup per request. Access-token claims need the V2
    // event, which needs the Essentials or Plus plan; Plus is chosen for threat protection anyway.
    const preTokenGeneration = new ConnectFunction(this, 'PreTokenGeneration', {
      handler: 'pre-token-generation',
      description: 'Adds the Modyo realm and user id claims to ID and access tokens',
      invokedBy: 'cognito-trigger',
      vpc: props.vpc,
      logRetention: props.logRetention,
      logsKey: props.logsKey,
      memorySize: 256,
      timeout: Duration.seconds(5),
      // Sign-in waits on it: enough for bursts of token issuance (each call takes milliseconds).
      reservedConcurrency: functionConcurrency(config, 'preTokenGeneration').reserved,
    });

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `connect-${config.name}`,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      // Usernames stay free-form (`modyo-<id>` for mirrored users, `<Provider>_<sub>` for federated ones); the
      // e-mail address is a verified sign-in alias.
      signInAliases: { username: true, email: true },
      autoVerify: { email: true },
      keepOriginal: { email: true },
      signInCaseSensitive: false,
      selfSignUpEnabled: false,
      standardAttributes: { email: { required: false, mutable: true } },
      customAttributes: {
        modyo_realm: new cognito.StringAttribute({ minLen: 1, maxLen: 64, mutable: true }),
        modyo_user_id: new cognito.StringAttribute({ minLen: 1, maxLen: 122, mutable: false }),
      },
      mfa: cognito.Mfa[identity.mfa],
      mfaSecondFactor: { otp: true, sms: false, email: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 24,
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deviceTracking: { challengeRequiredOnNewDevice: true, deviceOnlyRememberedOnUserPrompt: true },
      deletionProtection: production,
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.userPool.addTrigger(cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, preTokenGeneration, cognito.LambdaVersion.V2_0);
    if (identity.mfa !== 'REQUIRED') {
      // The schema accepts nothing but REQUIRED in production, so this only ever applies to pre-production pools.
      const reason = `Pre-production pool with MFA ${identity.mfa} by config (identity.mfa): it holds test users only; production pools require MFA (the config schema refuses anything else there).`;
      Validations.of(this.userPool).acknowledge({ id: 'AwsSolutions-COG2', reason });
    }

    this.domain = this.userPool.addDomain('Domain', {
      ...(identity.customDomain
        ? {
            customDomain: {
              domainName: identity.customDomain.domainName,
              certificate: acm.Certificate.fromCertificateArn(this, 'DomainCertificate', identity.customDomain.certificateArn),
            },
          }
        : { cognitoDomain: { domainPrefix: identity.domainPrefix } }),
      managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });

    const apiScopes = Object.fromEntries(identity.scopes.map((s) => [s.name, new cognito.ResourceServerScope({ scopeName: s.name, scopeDescription: s.description })]));
    this.resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: RESOURCE_SERVER_IDENTIFIER,
      userPoolResourceServerName: `Connect ${config.name} API`,
      scopes: Object.values(apiScopes),
    });
    const oauthScopes = (names: readonly string[]) => names.map((name) => cognito.OAuthScope.resourceServer(this.resourceServer, apiScopes[name]));

    const clients = new IdentityClients(this, 'Clients', { config, userPool: this.userPool, oauthScopes });
    this.realmClients = clients.realmClients;
    this.machineClients = clients.machineClients;
    this.adminClient = clients.adminClient;

    const provisioning = new IdentityProvisioning(this, 'Provisioning', {
      userPool: this.userPool,
      vpc: props.vpc,
      dataKey: props.dataKey,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      sendInvitations: identity.sendInvitations,
      production,
      concurrency: functionConcurrency(config, 'identityProvisioning'),
    });
    this.provisioningQueue = provisioning.queue;
    this.queues = [provisioning.queue];
    this.functions = [provisioning.function, preTokenGeneration];
  }

  /** The full scope string of an API scope, e.g. `connect/customers.write`, as the API's authorizer expects it. */
  scope(name: string): string {
    if (!this.scopeNames.includes(name)) {
      throw new Error(`Unknown API scope "${name}": expected one of identity.scopes (${this.scopeNames.join(', ')})`);
    }
    return `${RESOURCE_SERVER_IDENTIFIER}/${name}`;
  }
}
