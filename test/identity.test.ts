import { App, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvironmentConfig } from '../lib/config/load';
import { awsCallLimitsFromEnv, awsCallWorstCaseMs } from '../lambda/shared/outbound-limits';
import { PROVISIONING_COGNITO_ACTIONS } from '../lib/constructs/identity-provisioning';
import { UNUSABLE_PASSWORD_LENGTH } from '../lambda/identity-provisioning/core';
import { IdentityStack } from '../lib/stacks/identity-stack';
import { NetworkStack } from '../lib/stacks/network-stack';
import { SecurityStack } from '../lib/stacks/security-stack';
import { ENVIRONMENTS, environmentJson, stackTemplate } from './support/assembly';

const CONFIG_DIR = join(__dirname, '..', 'config');
const rawConfig = (environment: string) => JSON.parse(readFileSync(join(CONFIG_DIR, `${environment}.json`), 'utf8'));
const config = (environment: string) => parseEnvironmentConfig(`config/${environment}.json`, readFileSync(join(CONFIG_DIR, `${environment}.json`), 'utf8'));

/**
 * A client's scopes as the strings Cognito will see: CDK renders `connect/<scope>` as
 * `{"Fn::Join": ["", [{"Ref": <resource server>}, "/<scope>"]]}`, and the resource server's Ref is its identifier.
 */
function scopeStrings(template: Template, scopes: unknown[]): string[] {
  const servers = template.findResources('AWS::Cognito::UserPoolResourceServer');
  return scopes.map((scope: any) => {
    if (typeof scope === 'string') return scope;
    const [server, suffix] = scope['Fn::Join'][1];
    return `${servers[server.Ref].Properties.Identifier}${suffix}`;
  });
}

function resourcesOfType(template: Template, type: string): Record<string, any> {
  return template.findResources(type);
}

function clientNamed(template: Template, name: string): any {
  const clients = Object.values(resourcesOfType(template, 'AWS::Cognito::UserPoolClient')).filter((c: any) => c.Properties.ClientName === name);
  expect(clients).toHaveLength(1);
  return clients[0].Properties;
}

/** Every string anywhere in a JSON value, with its key path. */
function strings(value: unknown, path = ''): { path: string; value: string }[] {
  if (typeof value === 'string') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((item, i) => strings(item, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => strings(item, path ? `${path}.${key}` : key));
  return [];
}

describe.each(ENVIRONMENTS)('%s identity', (environment) => {
  const template = stackTemplate(environment, 'Identity');
  const env = config(environment);
  const production = env.kind === 'production';

  test('has one user pool on the Plus plan with threat protection enforced, MFA by TOTP as configured, no self sign-up', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolName: `connect-${environment}`,
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      MfaConfiguration: env.identity.mfa === 'REQUIRED' ? 'ON' : env.identity.mfa, // CloudFormation spells REQUIRED "ON"
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      Policies: {
        PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true, PasswordHistorySize: 24 },
      },
    });
  });

  test('signs in with a free-form username (modyo-<id>) or the verified e-mail alias, and declares the Modyo attributes', () => {
    const pool: any = Object.values(resourcesOfType(template, 'AWS::Cognito::UserPool'))[0].Properties;
    // Usernames must stay free-form: e-mail as THE username would reject `modyo-<id>`.
    expect(pool.UsernameAttributes).toBeUndefined();
    expect(pool.AliasAttributes).toEqual(['email']);
    expect(pool.AutoVerifiedAttributes).toEqual(['email']);
    expect(pool.UserAttributeUpdateSettings).toEqual({ AttributesRequireVerificationBeforeUpdate: ['email'] });
    expect(pool.Schema).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Name: 'modyo_realm', AttributeDataType: 'String', Mutable: true }),
        expect.objectContaining({ Name: 'modyo_user_id', AttributeDataType: 'String', Mutable: false }),
      ]),
    );
  });

  test(production ? 'production keeps the pool and the applied-events table: deletion protection and Retain' : 'pre-production pool and table can be deleted', () => {
    const pool = Object.values(resourcesOfType(template, 'AWS::Cognito::UserPool'))[0];
    expect(pool.Properties.DeletionProtection).toBe(production ? 'ACTIVE' : 'INACTIVE');
    expect(pool.DeletionPolicy).toBe(production ? 'Retain' : 'Delete');
    const table = Object.values(resourcesOfType(template, 'AWS::DynamoDB::Table'))[0];
    expect(table.Properties.DeletionProtectionEnabled).toBe(production);
    expect(table.DeletionPolicy).toBe(production ? 'Retain' : 'Delete');
  });

  test('hosts managed login on the configured domain', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    const custom = env.identity.customDomain;
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: custom ? custom.domainName : env.identity.domainPrefix,
      ManagedLoginVersion: 2,
      ...(custom ? { CustomDomainConfig: { CertificateArn: custom.certificateArn } } : {}),
    });
    // Managed login shows a client's pages only once it has a branding style: one per browser client.
    const browserClients = Object.values(resourcesOfType(template, 'AWS::Cognito::UserPoolClient')).filter((c: any) => c.Properties.AllowedOAuthFlows.includes('code'));
    template.resourceCountIs('AWS::Cognito::ManagedLoginBranding', browserClients.length);
  });

  test('has the API resource server `connect` with exactly the configured scopes', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolResourceServer', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'connect',
      Scopes: env.identity.scopes.map((s) => ({ ScopeName: s.name, ScopeDescription: s.description })),
    });
  });

  test('gives each Modyo realm a confidential authorization-code client with its callback, logout URL, scopes and token validity', () => {
    for (const realm of env.identity.realmClients) {
      const client = clientNamed(template, `modyo-realm-${realm.realm}`);
      const realmUrl = `${env.modyo.accountUrl}/realms/${realm.realm}`;
      expect(client).toMatchObject({
        AllowedOAuthFlows: ['code'],
        AllowedOAuthFlowsUserPoolClient: true,
        CallbackURLs: [`${realmUrl}/auth/openidc/callback`],
        LogoutURLs: realm.logoutUrls ?? [realmUrl],
        GenerateSecret: true,
        PreventUserExistenceErrors: 'ENABLED',
        EnableTokenRevocation: true,
        ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
        AccessTokenValidity: realm.tokenValidity.accessTokenMinutes,
        IdTokenValidity: realm.tokenValidity.idTokenMinutes,
        RefreshTokenValidity: realm.tokenValidity.refreshTokenDays * 24 * 60,
      });
      expect(scopeStrings(template, client.AllowedOAuthScopes)).toEqual(['openid', 'email', 'profile', ...realm.scopes.map((s) => `connect/${s}`)]);
      // Users sign in with the pool and through the providers meant for users, never the administrators' ones.
      const userProviders = env.identity.federation.filter((p) => p.audience === 'users');
      expect(client.SupportedIdentityProviders).toHaveLength(1 + userProviders.length);
      expect(client.SupportedIdentityProviders[0]).toBe('COGNITO');
    }
  });

  test('gives each machine client the client-credentials grant with a generated secret and only its own scopes', () => {
    for (const machine of env.identity.machineClients) {
      const client = clientNamed(template, `machine-${machine.name}`);
      expect(client).toMatchObject({
        AllowedOAuthFlows: ['client_credentials'],
        GenerateSecret: true,
        AccessTokenValidity: machine.accessTokenMinutes,
        EnableTokenRevocation: true,
      });
      expect(scopeStrings(template, client.AllowedOAuthScopes)).toEqual(machine.scopes.map((s) => `connect/${s}`));
      expect(client.CallbackURLs).toBeUndefined();
    }
    const interactive = env.identity.realmClients.length + (env.identity.adminClient ? 1 : 0);
    template.resourceCountIs('AWS::Cognito::UserPoolClient', env.identity.machineClients.length + interactive);
  });

  test('federates only the configured providers; OIDC secrets only as Secrets Manager dynamic references', () => {
    const providers = Object.values(resourcesOfType(template, 'AWS::Cognito::UserPoolIdentityProvider')).map((p: any) => p.Properties);
    expect(providers.map((p) => p.ProviderName).sort()).toEqual(env.identity.federation.map((p) => p.name).sort());
    for (const configured of env.identity.federation) {
      const provider = providers.find((p) => p.ProviderName === configured.name);
      if (configured.type === 'oidc') {
        expect(provider).toMatchObject({
          ProviderType: 'OIDC',
          ProviderDetails: {
            client_id: configured.clientId,
            oidc_issuer: configured.issuerUrl,
            client_secret: `{{resolve:secretsmanager:${configured.clientSecretArn}:SecretString:::}}`,
          },
        });
      } else {
        expect(provider).toMatchObject({ ProviderType: 'SAML', ProviderDetails: { MetadataURL: configured.metadataUrl } });
      }
    }
  });

  test('an administrators client exists exactly where a provider has audience admins, and signs in only through those providers', () => {
    const adminProviders = env.identity.federation.filter((p) => p.audience === 'admins');
    const admins = Object.values(resourcesOfType(template, 'AWS::Cognito::UserPoolClient')).filter((c: any) => c.Properties.ClientName === 'admins');
    expect(admins).toHaveLength(adminProviders.length > 0 ? 1 : 0);
    if (adminProviders.length === 0) return;
    const client = admins[0].Properties;
    expect(client).toMatchObject({ AllowedOAuthFlows: ['code'], CallbackURLs: env.identity.adminClient?.callbackUrls, GenerateSecret: true });
    expect(scopeStrings(template, client.AllowedOAuthScopes)).toEqual(['openid', 'email', 'profile', ...(env.identity.adminClient?.scopes ?? []).map((s) => `connect/${s}`)]);
    const providerIds = Object.entries(resourcesOfType(template, 'AWS::Cognito::UserPoolIdentityProvider'))
      .filter(([, p]: [string, any]) => adminProviders.some((a) => a.name === p.Properties.ProviderName))
      .map(([logicalId]) => ({ Ref: logicalId }));
    expect(client.SupportedIdentityProviders).toEqual(providerIds);
    expect(client.SupportedIdentityProviders).not.toContain('COGNITO');
  });

  test('no template string holds a secret value, and nothing reads client secrets back', () => {
    const templates = environmentJson(environment);
    // Properties that carry a secret value: only a Secrets Manager dynamic reference (by ARN) may stand there.
    const SECRET_VALUE_KEYS = /^(client_?secret|secret_?string|secret_?value|password|private_?key|api_?key)$/i;
    const checked: string[] = [];
    for (const [stackId, json] of Object.entries(templates)) {
      for (const { path, value } of strings(withSecretReferencesJoined(json))) {
        const key = path.replace(/\[\d+\]$/, '').split('.').pop() ?? '';
        if (SECRET_VALUE_KEYS.test(key) || value.includes('{{resolve:')) {
          checked.push(`${stackId}:${path}`);
          expect({ stackId, path, value }).toEqual({ stackId, path, value: expect.stringMatching(/^\{\{resolve:secretsmanager:arn:aws:secretsmanager:[^}]+:SecretString:[^}]*\}\}$/) });
        }
      }
    }
    // The walk really reached the federated OIDC secrets where there are any.
    const oidc = env.identity.federation.filter((p) => p.type === 'oidc').length;
    expect(checked.filter((c) => c.startsWith('Identity:') && c.endsWith('.client_secret'))).toHaveLength(oidc);
    const identity = templates.Identity;
    expect(JSON.stringify(identity.Outputs ?? {})).not.toMatch(/ClientSecret/i);
    expect(Object.values(identity.Resources).filter((r: any) => r.Type === 'Custom::DescribeCognitoUserPoolClient')).toHaveLength(0);
  });

  test('the pre token generation function is the pool\'s V2 trigger, invocable only by this pool', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    const preToken = Object.entries(functions).find(([, f]: [string, any]) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'pre-token-generation');
    expect(preToken).toBeDefined();
    const [preTokenId] = preToken!;
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: { PreTokenGenerationConfig: { LambdaArn: { 'Fn::GetAtt': [preTokenId, 'Arn'] }, LambdaVersion: 'V2_0' } },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [preTokenId, 'Arn'] },
      Principal: 'cognito-idp.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^UserPool'), 'Arn'] },
    });
  });

  test('provisioning consumes a FIFO queue with a DLQ, in batches of 10 with partial batch failures', () => {
    const queues = resourcesOfType(template, 'AWS::SQS::Queue');
    const [queueId, queue] = Object.entries(queues).find(([, q]: [string, any]) => q.Properties.RedrivePolicy) as [string, any];
    // Encrypted with the environment's data key from the Security stack.
    const dataKey = { 'Fn::GetStackOutput': expect.objectContaining({ StackName: `${environment}-Security`, OutputName: expect.stringMatching(/DataKey/) }) };
    expect(queue.Properties).toMatchObject({ FifoQueue: true, VisibilityTimeout: 180, RedrivePolicy: { maxReceiveCount: 5 }, KmsMasterKeyId: dataKey });
    const dlqId = queue.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
    expect(queues[dlqId].Properties).toMatchObject({ FifoQueue: true, MessageRetentionPeriod: 14 * 24 * 3600, KmsMasterKeyId: dataKey });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'identity-provisioning' }) },
      Timeout: 30,
      ReservedConcurrentExecutions: 5,
    });
  });

  test('the applied-events table: partition key modyoUserId, TTL expiration, on-demand, PITR, data-key encryption', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'modyoUserId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'modyoUserId', AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetStackOutput': Match.objectLike({ StackName: `${environment}-Security`, OutputName: Match.stringLikeRegexp('DataKey') }) } },
    });
  });

  test('provisioning gets its pool, table and settings by environment and exactly the grants its adapters use', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    const [, provisioning] = Object.entries(functions).find(([, f]: [string, any]) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'identity-provisioning') as [string, any];
    const variables = provisioning.Properties.Environment.Variables;
    expect(variables.USER_POOL_ID).toEqual({ Ref: expect.stringMatching(/^UserPool/) });
    expect(variables.APPLIED_EVENTS_TABLE_NAME).toEqual({ Ref: expect.stringMatching(/^ProvisioningAppliedEvents/) });
    expect(variables.SEND_INVITATIONS).toBe(String(env.identity.sendInvitations));

    const roleId = provisioning.Properties.Role['Fn::GetAtt'][0];
    const statements = Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const actionsOn = (resource: RegExp) =>
      statements.filter((s: any) => [s.Resource].flat().some((r: any) => resource.test(JSON.stringify(r)))).flatMap((s: any) => [s.Action].flat()).sort();
    expect(actionsOn(/UserPool/)).toEqual([...PROVISIONING_COGNITO_ACTIONS].sort());
    expect(actionsOn(/ProvisioningAppliedEvents/)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(actionsOn(/ProvisioningQueue/)).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']));
    // Nothing broader: no wildcard actions on Cognito, DynamoDB or SQS, and no Cognito grant on any other resource.
    const allActions = statements.flatMap((s: any) => [s.Action].flat());
    expect(allActions.filter((a: string) => /^(cognito-idp|dynamodb|sqs):.*\*/.test(a))).toEqual([]);
    expect(allActions.filter((a: string) => a.startsWith('cognito-idp:'))).toHaveLength(PROVISIONING_COGNITO_ACTIONS.length);
  });

  test('mirrored users can first sign in: confirmed with a random password they reset by verified e-mail (issue 11 item 4)', () => {
    const [, pool] = Object.entries(resourcesOfType(template, 'AWS::Cognito::UserPool'))[0] as [string, any];
    // ForgotPassword sends its code to a verified address, by the pool's account recovery setting
    // (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_ForgotPassword.html).
    expect(pool.Properties.AccountRecoverySetting).toEqual({ RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] });
    // The random password satisfies the policy: long enough, every class (core.ts unusablePassword).
    const policy = pool.Properties.Policies.PasswordPolicy;
    expect(policy.MinimumLength).toBeLessThanOrEqual(UNUSABLE_PASSWORD_LENGTH);
    expect(policy).toMatchObject({ RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true });
    expect(PROVISIONING_COGNITO_ACTIONS).toContain('cognito-idp:AdminSetUserPassword');
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    const [, provisioning] = Object.entries(functions).find(([, f]: [string, any]) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'identity-provisioning') as [string, any];
    // Mirrored addresses are verified unless configured otherwise (MARK_EMAIL_VERIFIED unset means verified).
    expect(provisioning.Properties.Environment.Variables.MARK_EMAIL_VERIFIED).toBeUndefined();
  });

  test('every AWS call of provisioning gives up before the function times out (issue 11 item 14)', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    const [, provisioning] = Object.entries(functions).find(([, f]: [string, any]) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'identity-provisioning') as [string, any];
    // The limits the handler reads back (awsClientConfig), as ConnectFunction's outboundCalls set them.
    const limits = awsCallLimitsFromEnv(provisioning.Properties.Environment.Variables);
    expect(limits.requestTimeoutMs).toBeGreaterThan(0);
    expect(limits.maxAttempts * (limits.connectionTimeoutMs + limits.requestTimeoutMs)).toBeLessThan(awsCallWorstCaseMs(limits) + 1);
    expect(awsCallWorstCaseMs(limits)).toBeLessThan(provisioning.Properties.Timeout * 1000);
    expect(provisioning.Properties.Environment.Variables.AWS_REQUEST_TIMEOUT_MS).toBe('5000');
  });

  test('the pre token generation function has no permissions on the pool, the table or the queue', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    const [, preToken] = Object.entries(functions).find(([, f]: [string, any]) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'pre-token-generation') as [string, any];
    const roleId = preToken.Properties.Role['Fn::GetAtt'][0];
    const actions = Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()));
    expect(actions.filter((a: string) => /^(cognito-idp|dynamodb|sqs|kms):/.test(a))).toEqual([]);
  });
});

/** An Identity stack (and what it needs) of one config, with the app's feature flags. */
function identityStackOf(envConfig: ReturnType<typeof config>): IdentityStack {
  const app = new App({ context: JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')).context });
  const stage = new Stage(app, envConfig.name, { env: { account: envConfig.account, region: envConfig.region } });
  stage.node.setContext(`availability-zones:account=${envConfig.account}:region=${envConfig.region}`, envConfig.availabilityZones);
  const logRetention = envConfig.logRetentionDays as logs.RetentionDays;
  const security = new SecurityStack(stage, 'Security', { config: envConfig });
  const network = new NetworkStack(stage, 'Network', { config: envConfig, logsKey: security.logsKey, logRetention });
  return new IdentityStack(stage, 'Identity', { config: envConfig, vpc: network.vpc, dataKey: security.dataKey, logsKey: security.logsKey, logRetention });
}

describe('identity stack API', () => {
  // Built, not synthesized: only the construct tree is read.
  const identity = identityStackOf(config('dev'));

  test('scope(name) is the full scope string the API authorizer expects, and refuses undeclared scopes', () => {
    expect(identity.scope('customers.write')).toBe('connect/customers.write');
    expect(() => identity.scope('customers.delete')).toThrow(/Unknown API scope "customers.delete".*customers\.write/);
  });

  test('exposes the provisioning queue, every queue and function, and the pool for monitoring and the webhook receiver', () => {
    expect(identity.queues).toEqual([identity.provisioningQueue]);
    expect(identity.provisioningQueue.queue.fifo).toBe(true);
    expect(identity.functions.map((f) => f.node.id).sort()).toEqual(['Function', 'PreTokenGeneration']);
    expect(identity.userPool.node.id).toBe('UserPool');
    expect(Object.keys(identity.realmClients)).toEqual(['clientes']);
    expect(Object.keys(identity.machineClients)).toEqual(['crm', 'backoffice']);
    expect(identity.adminClient).toBeUndefined();
  });
});

describe('identity variants no shipped config has', () => {
  // dev with a custom login domain and a user-facing OIDC provider.
  const raw = rawConfig('dev');
  raw.identity.customDomain = { domainName: 'login.dev.example.com', certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/12345678-1234-1234-1234-123456789012' };
  raw.identity.federation = [
    { type: 'oidc', name: 'customer-idp', issuerUrl: 'https://id.example.com', clientId: 'connect-dev', clientSecretArn: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:connect/dev/customer-idp-AbCdEf' },
  ];
  const template = Template.fromStack(identityStackOf(parseEnvironmentConfig('config/dev.json', JSON.stringify(raw))));

  test('a custom domain serves managed login with its ACM certificate instead of the Cognito prefix', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: 'login.dev.example.com',
      CustomDomainConfig: { CertificateArn: raw.identity.customDomain.certificateArn },
      ManagedLoginVersion: 2,
    });
  });

  test('a provider with audience users is offered by the realm clients next to the pool, and no admin client appears', () => {
    const providerId = Object.keys(template.findResources('AWS::Cognito::UserPoolIdentityProvider'))[0];
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', { ClientName: 'modyo-realm-clientes', SupportedIdentityProviders: ['COGNITO', { Ref: providerId }] });
    expect(Object.values(template.findResources('AWS::Cognito::UserPoolClient')).filter((c: any) => c.Properties.ClientName === 'admins')).toHaveLength(0);
  });
});

describe('identity config', () => {
  test('a provider with audience admins needs an adminClient, and its error names the field and the provider', () => {
    const raw = rawConfig('staging');
    delete raw.identity.adminClient;
    expect(() => parseEnvironmentConfig('config/staging.json', JSON.stringify(raw))).toThrow(
      /config\/staging\.json: identity\.adminClient: expected an adminClient with the administrators' callback URLs: federation provider\(s\) "corporate-saml" have audience "admins"/,
    );
  });

  test('the admin client may ask only for declared scopes; a custom domain needs a us-east-1 certificate', () => {
    const raw = rawConfig('prod');
    raw.identity.adminClient.scopes = ['payments.refund'];
    raw.identity.customDomain = { domainName: 'login.example.com', certificateArn: 'arn:aws:acm:eu-west-1:333333333333:certificate/12345678-1234-1234-1234-123456789012' };
    expect(() => parseEnvironmentConfig('config/prod.json', JSON.stringify(raw))).toThrow(/identity\.adminClient\.scopes\[0\]: expected a scope declared in identity\.scopes/);
    expect(() => parseEnvironmentConfig('config/prod.json', JSON.stringify(raw))).toThrow(/identity\.customDomain\.certificateArn: expected an ACM certificate in us-east-1/);
  });
});

/**
 * A template with each `Fn::Join` that builds a dynamic reference from literal parts and `Ref`s of this template's
 * Secrets Manager secrets replaced by the string CloudFormation would resolve it to (the Ref of a secret is its ARN),
 * so the secret check sees `{{resolve:secretsmanager:<arn>:SecretString:...}}` rather than the fragments. A join with
 * any other part stays as it is, and its `{{resolve:` fragment then fails the check.
 */
function withSecretReferencesJoined(template: any): any {
  const secrets = new Set(Object.entries(template.Resources ?? {}).filter(([, r]: [string, any]) => r.Type === 'AWS::SecretsManager::Secret').map(([id]) => id));
  const join = (node: any): any => {
    if (Array.isArray(node)) return node.map(join);
    if (node === null || typeof node !== 'object') return node;
    const args = node['Fn::Join'];
    if (Array.isArray(args) && args[0] === '' && Array.isArray(args[1])) {
      const parts = args[1].map((part: any) => (typeof part === 'string' ? part : part?.Ref && secrets.has(part.Ref) ? `arn:aws:secretsmanager:us-east-1:111111111111:secret:${part.Ref}` : undefined));
      const joined = parts.every((part: unknown) => typeof part === 'string') ? parts.join('') : undefined;
      if (joined?.includes('{{resolve:')) return joined;
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, join(value)]));
  };
  return join(template);
}
