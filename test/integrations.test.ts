import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Token } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { ForwarderEnv, InboundEnv, WorkerEnv } from '../lambda/customer-sync/contract';
import { NotificationsApiEnv, NotificationsWorkerEnv } from '../lambda/notifications/contract';
import { PaymentsApiEnv, PaymentsCheckoutEnv, PaymentsExpiryEnv, PaymentsOutboxEnv } from '../lambda/payments/contract';
import { parseEnv } from '../lambda/shared/env';
import { WebhookReceiverEnv } from '../lambda/webhook-receiver/contract';
import { loadEnvironmentConfigs, parseEnvironmentConfig } from '../lib/config/load';
import { configuredPaymentProviders } from '../lib/config/payments';
import { contractEnvironment } from '../lib/constructs/connect-function';
import { INTEGRATION_BODY_LIMITS, LARGEST_INTEGRATION_BODY_BYTES, WEBHOOK_MAX_BODY_BYTES } from '../lib/constructs/integration-body-limits';
import { ENVIRONMENTS, environmentJson, stackTemplate } from './support/assembly';

const ROOT = join(__dirname, '..');
const configs = Object.fromEntries(loadEnvironmentConfigs(join(ROOT, 'config')).map((c) => [c.name, c]));

type Resources = Record<string, { Type: string; Properties: any; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

/** The logical id of the one resource of `type` whose id is `prefix` + CDK's 8-hex hash. */
function logicalId(resources: Resources, type: string, prefix: string): string {
  const ids = Object.keys(resources).filter((id) => resources[id].Type === type && new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id));
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}

/** A readable name for a policy resource: logical ids without their hash, cross-stack outputs by what they export. */
function resourceName(value: unknown): string {
  if (value === '*') return '*';
  const text = JSON.stringify(value);
  const exported = /"OutputName":"PublishOutput(?:FnGetAtt|Ref)(DataKey|SecretsKey|LogsKey|ProvisioningQueue)/.exec(text);
  if (exported) return `${exported[1]}`;
  const local = /"(?:Ref|Fn::GetAtt)":\[?"([A-Za-z]+?)[0-9A-F]{8}"/.exec(text);
  const suffix = /"([/:][^"]*)"\]\]\}$/.exec(text);
  if (local) return `${local[1]}${suffix ? suffix[1] : ''}`;
  return text;
}

/** Every `action resource` pair the role of function `prefix` is allowed, from its inline and managed policies. */
function permissions(resources: Resources, prefix: string): string[] {
  const role = logicalId(resources, 'AWS::IAM::Role', `${prefix}Role`);
  const pairs = new Set<string>();
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    if (!JSON.stringify(resource.Properties.Roles ?? []).includes(`"${role}"`)) continue;
    for (const statement of resource.Properties.PolicyDocument.Statement) {
      expect(statement.Effect).toBe('Allow');
      for (const action of [statement.Action].flat()) for (const target of [statement.Resource].flat()) pairs.add(`${action} ${resourceName(target)}`);
    }
  }
  return [...pairs].sort();
}

/** What every ConnectFunction's role holds: its own log group (the Arn attribute covers its streams), ENIs, X-Ray. */
const LOGGING_AND_VPC = (prefix: string) => [
  `logs:CreateLogStream ${prefix}Logs`,
  `logs:PutLogEvents ${prefix}Logs`,
  'ec2:AssignPrivateIpAddresses *',
  'ec2:CreateNetworkInterface *',
  'ec2:DeleteNetworkInterface *',
  'ec2:DescribeNetworkInterfaces *',
  'ec2:UnassignPrivateIpAddresses *',
  'xray:PutTelemetryRecords *',
  'xray:PutTraceSegments *',
];

/** The function construct id, its handler's environment contract and its timeout. */
const FUNCTIONS = [
  { id: 'WebhookReceiver', contract: WebhookReceiverEnv, timeout: 10 },
  { id: 'CustomerSyncInbound', contract: InboundEnv, timeout: 10 },
  { id: 'CustomerSyncWorker', contract: WorkerEnv, timeout: 60 },
  { id: 'CustomerSyncForwarder', contract: ForwarderEnv, timeout: 60 },
  { id: 'NotificationsApi', contract: NotificationsApiEnv, timeout: 10 },
  { id: 'NotificationsWorker', contract: NotificationsWorkerEnv, timeout: 30 },
  { id: 'PaymentsApi', contract: PaymentsApiEnv, timeout: 20 },
  { id: 'PaymentsOutbox', contract: PaymentsOutboxEnv, timeout: 50 },
  { id: 'PaymentsCheckout', contract: PaymentsCheckoutEnv, timeout: 25 },
  { id: 'PaymentsExpiry', contract: PaymentsExpiryEnv, timeout: 120 },
] as const;

/** Variables every ConnectFunction gets besides its contract's: Powertools' settings and the outbound limits. */
const PLATFORM_VARIABLE = /^(POWERTOOLS_[A-Z_]+|AWS_(CONNECTION_TIMEOUT_MS|REQUEST_TIMEOUT_MS|MAX_ATTEMPTS|RETRY_BASE_DELAY_MS|RETRY_MAX_DELAY_MS)|HTTP_(TIMEOUT_MS|MAX_ATTEMPTS|BASE_DELAY_MS|MAX_DELAY_MS))$/;

/** A template's environment as the handler would see it: references resolved to placeholder strings. */
function deployedEnvironment(variables: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : 'deploy-time-value']));
}

describe.each(ENVIRONMENTS)('%s integrations', (environment) => {
  const template = stackTemplate(environment, 'Integrations');
  const resources = template.toJSON().Resources as Resources;
  const config = configs[environment];
  const production = config.kind === 'production';
  const fnId = (id: string) => logicalId(resources, 'AWS::Lambda::Function', id);
  const fnProps = (id: string) => resources[fnId(id)].Properties;
  const variables = (id: string) => fnProps(id).Environment.Variables as Record<string, unknown>;

  test.each(FUNCTIONS)('$id: Node.js 22 on arm64, in the private subnets, traced, capped, with the environment its contract requires', ({ id, contract, timeout }) => {
    const props = fnProps(id);
    expect(props.Runtime).toBe('nodejs22.x');
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.Timeout).toBe(timeout);
    expect(props.TracingConfig).toEqual({ Mode: 'Active' });
    expect(props.ReservedConcurrentExecutions).toBeGreaterThan(0);
    expect(props.VpcConfig.SubnetIds).toHaveLength(config.availabilityZones.length);
    expect(JSON.stringify(props.VpcConfig.SubnetIds)).toMatch(/privateSubnet/);
    expect(props.LoggingConfig).toEqual(expect.objectContaining({ LogFormat: 'JSON', LogGroup: { Ref: logicalId(resources, 'AWS::Logs::LogGroup', `${id}Logs`) } }));
    // The handler's own parser accepts what the stack set (it fails the cold start otherwise), and the stack sets
    // nothing the contract does not declare.
    const environment = deployedEnvironment(variables(id));
    expect(() => parseEnv(contract, environment)).not.toThrow();
    const declared = Object.keys(contract.shape);
    expect(declared.length).toBeGreaterThan(0);
    expect(Object.keys(environment).filter((name) => !declared.includes(name) && !PLATFORM_VARIABLE.test(name))).toEqual([]);
  });

  test('environment variables come from config and name resources of this environment', () => {
    expect(variables('WebhookReceiver')).toEqual(
      expect.objectContaining({
        WEBHOOK_SECRET_ID: { Ref: logicalId(resources, 'AWS::SecretsManager::Secret', 'WebhookSecret') },
        ARCHIVE_BUCKET_NAME: { Ref: logicalId(resources, 'AWS::S3::Bucket', 'WebhookRawEventArchive') },
        EVENTS_QUEUE_URL: { Ref: logicalId(resources, 'AWS::SQS::Queue', 'WebhookEventsQueue') },
        IDEMPOTENCY_TABLE_NAME: { Ref: logicalId(resources, 'AWS::DynamoDB::Table', 'IdempotencyTable') },
      }),
    );
    expect(resourceName(variables('WebhookReceiver').IDENTITY_QUEUE_URL)).toBe('ProvisioningQueue');
    for (const id of ['CustomerSyncWorker', 'NotificationsWorker']) {
      expect(variables(id).MODYO_BASE_URL).toBe(config.modyo.accountUrl);
      expect(variables(id).MODYO_TOKEN_SECRET_ID).toEqual({ Ref: logicalId(resources, 'AWS::SecretsManager::Secret', 'ModyoAdminToken') });
      expect('MODYO_ADMIN_ROUTES' in variables(id)).toBe(Object.keys(config.modyo.adminApiRoutes).length > 0 || config.modyo.messagingPath !== undefined);
    }
    expect(variables('CustomerSyncForwarder').CRM_ENDPOINT_URL).toBe(config.integrations.crmEndpoint);
    const payments = variables('PaymentsApi');
    expect(payments.KHIPU_API_BASE_URL).toBe(config.integrations.khipu?.apiBaseUrl);
    expect(payments.WEBPAY_API_BASE_URL).toBe(config.integrations.webpay?.apiBaseUrl);
    for (const outcome of ['paid', 'rejected', 'aborted']) {
      expect(payments[`WEBPAY_RESULT_URL_${outcome.toUpperCase()}`]).toBe(`${config.integrations.paymentResultUrl}?outcome=${outcome}`);
    }
    // The delivery lease covers the worker's timeout and fits in the queue's visibility timeout.
    const lease = Number(variables('NotificationsWorker').DELIVERY_LEASE_SECONDS);
    expect(lease).toBeGreaterThanOrEqual(fnProps('NotificationsWorker').Timeout);
    expect(lease).toBeLessThanOrEqual(resources[logicalId(resources, 'AWS::SQS::Queue', 'NotificationsDeliveriesQueue')].Properties.VisibilityTimeout);
  });

  test('every SQS consumer reports partial batch failures, with bounded batches and concurrency, on the queue it is written for', () => {
    const mappings = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    const expected: Record<string, string> = {
      CustomerSyncWorker: 'CustomerSyncProfileUpdatesQueue',
      CustomerSyncForwarder: 'WebhookEventsQueue',
      NotificationsWorker: 'NotificationsDeliveriesQueue',
    };
    expect(mappings).toHaveLength(Object.keys(expected).length);
    for (const [consumer, queue] of Object.entries(expected)) {
      const mapping = mappings.find((m) => m.Properties.FunctionName.Ref === fnId(consumer));
      expect(mapping?.Properties).toEqual(
        expect.objectContaining({
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          EventSourceArn: { 'Fn::GetAtt': [logicalId(resources, 'AWS::SQS::Queue', queue), 'Arn'] },
          BatchSize: expect.any(Number),
          ScalingConfig: { MaximumConcurrency: fnProps(consumer).ReservedConcurrentExecutions },
        }),
      );
      expect(mapping?.Properties.BatchSize).toBeLessThanOrEqual(10);
      // A slow batch is never redelivered mid-flight: visibility is at least six times the consumer's timeout.
      const visibility = resources[logicalId(resources, 'AWS::SQS::Queue', queue)].Properties.VisibilityTimeout;
      expect(visibility).toBeGreaterThanOrEqual(6 * fnProps(consumer).Timeout);
    }
  });

  test('every queue is KMS-encrypted with the data key and redrives to a DLQ of its kind; ordered queues are FIFO', () => {
    const queues = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue');
    expect(queues).toHaveLength(8);
    for (const [, queue] of queues) expect(resourceName(queue.Properties.KmsMasterKeyId)).toBe('DataKey');
    const fifo = ['WebhookEvents', 'CustomerSyncProfileUpdates', 'PaymentsEvents'];
    for (const name of ['WebhookEvents', 'CustomerSyncProfileUpdates', 'NotificationsDeliveries', 'PaymentsEvents']) {
      const queue = resources[logicalId(resources, 'AWS::SQS::Queue', `${name}Queue`)].Properties;
      const dlqId = logicalId(resources, 'AWS::SQS::Queue', `${name}Dlq`);
      expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 });
      expect(queue.FifoQueue).toBe(fifo.includes(name) ? true : undefined);
      expect(resources[dlqId].Properties.FifoQueue).toBe(fifo.includes(name) ? true : undefined);
      expect(resources[dlqId].Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    }
  });

  test('the raw-event archive is KMS-encrypted, versioned, access-logged, TLS-only and moves to Infrequent Access after 30 days', () => {
    const archiveId = logicalId(resources, 'AWS::S3::Bucket', 'WebhookRawEventArchive');
    const logsId = logicalId(resources, 'AWS::S3::Bucket', 'WebhookAccessLogs');
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'raweventarchive/' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [Match.objectLike({ Status: 'Enabled', Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }] })] },
    });
    expect(resourceName(resources[archiveId].Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.KMSMasterKeyID)).toBe('DataKey');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: archiveId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    expect(resources[logsId].Properties.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(config.logRetentionDays);
  });

  test('tables: the keys and TTL the handlers use, on-demand, KMS-encrypted with the data key, point-in-time recovery', () => {
    const tables = {
      IdempotencyTable: { keys: [{ AttributeName: 'id', KeyType: 'HASH' }], ttl: 'expiration' },
      NotificationsTable: { keys: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }], ttl: 'expiresAt' },
      PaymentsTable: { keys: [{ AttributeName: 'paymentId', KeyType: 'HASH' }], ttl: undefined },
    };
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::DynamoDB::Table')).toHaveLength(3);
    for (const [name, expected] of Object.entries(tables)) {
      const table = resources[logicalId(resources, 'AWS::DynamoDB::Table', name)].Properties;
      expect(table.KeySchema).toEqual(expected.keys);
      expect(table.TimeToLiveSpecification).toEqual(expected.ttl ? { AttributeName: expected.ttl, Enabled: true } : undefined);
      expect(table.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.SSESpecification).toEqual(expect.objectContaining({ SSEEnabled: true, SSEType: 'KMS' }));
      expect(resourceName(table.SSESpecification.KMSMasterKeyId)).toBe('DataKey');
    }
    const payments = resources[logicalId(resources, 'AWS::DynamoDB::Table', 'PaymentsTable')].Properties;
    expect(payments.GlobalSecondaryIndexes).toEqual([
      { IndexName: 'outbox-index', KeySchema: [{ AttributeName: 'outbox', KeyType: 'HASH' }, { AttributeName: 'updatedAt', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
      { IndexName: 'owner-index', KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }, { AttributeName: 'createdAt', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
    ]);
  });

  test(`data is ${production ? 'retained and deletion-protected' : 'removed with the stack'} in ${environment}`, () => {
    const stateful = Object.values(resources).filter((r) => ['AWS::S3::Bucket', 'AWS::DynamoDB::Table', 'AWS::SecretsManager::Secret'].includes(r.Type));
    // 2 buckets, 3 tables, 3 platform secrets and one per configured payment provider.
    expect(stateful).toHaveLength(2 + 3 + 3 + configuredPaymentProviders(config.integrations).length);
    for (const resource of stateful) expect(resource.DeletionPolicy).toBe(production ? 'Retain' : 'Delete');
    for (const table of stateful.filter((r) => r.Type === 'AWS::DynamoDB::Table')) expect(table.Properties.DeletionProtectionEnabled).toBe(production);
  });

  test('secrets are created with a generated value, encrypted with the secrets key, and named for put-secret-value', () => {
    const names = ['webhook-secret', 'modyo-admin-token', 'crm-credentials', ...configuredPaymentProviders(config.integrations)];
    const secrets = Object.values(resources).filter((r) => r.Type === 'AWS::SecretsManager::Secret');
    expect(secrets.map((s) => s.Properties.Name).sort()).toEqual(names.map((n) => `connect/${environment}/${n}`).sort());
    for (const secret of secrets) {
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret.Properties.GenerateSecretString).toEqual(expect.objectContaining({ SecretStringTemplate: '{}', GenerateStringKey: expect.any(String) }));
      expect(resourceName(secret.Properties.KmsKeyId)).toBe('SecretsKey');
    }
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: `connect/${environment}/webhook-secret`, GenerateSecretString: Match.objectLike({ GenerateStringKey: 'sharedSecret' }) });
  });

  test('no template of the environment carries a secret value: secrets are passed by ARN only', () => {
    for (const [stack, json] of Object.entries(environmentJson(environment))) {
      for (const [id, resource] of Object.entries((json.Resources ?? {}) as Resources)) {
        if (resource.Type === 'AWS::SecretsManager::Secret') expect([stack, id, resource.Properties.SecretString]).toEqual([stack, id, undefined]);
        if (resource.Type === 'AWS::Lambda::Function') {
          for (const [name, value] of Object.entries(resource.Properties.Environment?.Variables ?? {})) {
            if (/SECRET|TOKEN|PASSWORD|API_KEY|CREDENTIAL/.test(name)) expect([id, name, typeof value === 'string' ? value : 'reference']).toEqual([id, name, 'reference']);
          }
        }
      }
    }
  });

  test('the webhook receiver may put raw objects, send to its two queues, use its ledger and read its secret, and nothing else', () => {
    expect(permissions(resources, 'WebhookReceiver')).toEqual(
      [
        ...LOGGING_AND_VPC('WebhookReceiver'),
        's3:PutObject WebhookRawEventArchive/raw/*',
        'sqs:SendMessage WebhookEventsQueue',
        'sqs:SendMessage ProvisioningQueue',
        'dynamodb:GetItem IdempotencyTable',
        'dynamodb:PutItem IdempotencyTable',
        'dynamodb:UpdateItem IdempotencyTable',
        'dynamodb:DeleteItem IdempotencyTable',
        'secretsmanager:GetSecretValue WebhookSecret',
        'secretsmanager:DescribeSecret WebhookSecret',
        'kms:Decrypt SecretsKey',
        'kms:Decrypt DataKey',
        'kms:DescribeKey DataKey',
        'kms:Encrypt DataKey',
        'kms:GenerateDataKey DataKey',
      ].sort(),
    );
  });

  test('producers only send, the outbox only queries its index, workers only read their own secret', () => {
    expect(permissions(resources, 'CustomerSyncInbound')).toEqual(
      [...LOGGING_AND_VPC('CustomerSyncInbound'), 'sqs:SendMessage CustomerSyncProfileUpdatesQueue', 'kms:Decrypt DataKey', 'kms:GenerateDataKey DataKey'].sort(),
    );
    const outbox = permissions(resources, 'PaymentsOutbox');
    expect(outbox).toEqual(
      expect.arrayContaining(['dynamodb:Query PaymentsTable/index/outbox-index', 'dynamodb:UpdateItem PaymentsTable', 'sqs:SendMessage PaymentsEventsQueue']),
    );
    // With segmentation configured the relay also sends the paid realm users' profile updates to customer sync.
    const segmentation = Object.keys(config.integrations.payments.segmentationFields).length > 0;
    expect(outbox.filter((p) => /^(dynamodb|sqs|secretsmanager|s3):/.test(p)).sort()).toEqual(
      [
        'dynamodb:Query PaymentsTable/index/outbox-index',
        'dynamodb:UpdateItem PaymentsTable',
        'sqs:SendMessage PaymentsEventsQueue',
        ...(segmentation ? ['sqs:SendMessage CustomerSyncProfileUpdatesQueue'] : []),
      ].sort(),
    );
    const secretReads = (id: string) => permissions(resources, id).filter((p) => p.startsWith('secretsmanager:GetSecretValue'));
    expect(secretReads('CustomerSyncWorker')).toEqual(['secretsmanager:GetSecretValue ModyoAdminToken']);
    expect(secretReads('NotificationsWorker')).toEqual(['secretsmanager:GetSecretValue ModyoAdminToken']);
    expect(secretReads('CustomerSyncForwarder')).toEqual(['secretsmanager:GetSecretValue CustomerSyncCrmCredentials']);
    const providerSecrets = configuredPaymentProviders(config.integrations)
      .map((name) => `secretsmanager:GetSecretValue Payments${{ khipu: 'Khipu', webpay: 'Webpay', bancard: 'Bancard', payu: 'Payu', payme: 'Payme', 'tigo-money': 'TigoMoney' }[name]}Credentials`)
      .sort();
    for (const id of ['PaymentsApi', 'PaymentsCheckout', 'PaymentsExpiry']) expect(secretReads(id)).toEqual(providerSecrets);
    expect(secretReads('PaymentsOutbox')).toEqual([]);
    expect(secretReads('NotificationsApi')).toEqual([]);
    // No role in the stack holds a service-wide wildcard action.
    for (const resource of Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy')) {
      for (const statement of resource.Properties.PolicyDocument.Statement) {
        for (const action of [statement.Action].flat()) expect(action).not.toMatch(/(^\*$|:\*$)/);
      }
    }
  });

  test('the payment outbox relay runs every minute, one run at a time, without retrying stale ticks', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId('PaymentsOutbox'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    expect(fnProps('PaymentsOutbox').ReservedConcurrentExecutions).toBe(1);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: fnId('PaymentsOutbox') }, MaximumRetryAttempts: 0 });
  });
});

test('the WAF body-size limit comes from the handlers: the webhook body is the largest any integration accepts', () => {
  expect(WEBHOOK_MAX_BODY_BYTES).toBe(256 * 1024);
  expect(LARGEST_INTEGRATION_BODY_BYTES).toBe(Math.max(...Object.values(INTEGRATION_BODY_LIMITS)));
  expect(LARGEST_INTEGRATION_BODY_BYTES).toBe(WEBHOOK_MAX_BODY_BYTES);
  expect(INTEGRATION_BODY_LIMITS).toEqual({ webhookReceiver: 262144, customerSyncInbound: 65536, notificationsApi: 65536, payments: 4096 });
});

test('a WebPay config without the result page stops synth with a message naming the field', () => {
  const text = readFileSync(join(ROOT, 'config', 'dev.json'), 'utf8');
  const raw = JSON.parse(text);
  delete raw.integrations.paymentResultUrl;
  expect(() => parseEnvironmentConfig('config/dev.json', JSON.stringify(raw))).toThrow(/config\/dev\.json: integrations\.paymentResultUrl: expected the https:\/\/ page buyers return to after WebPay/);
});

describe.each(['dev', 'staging', 'prod'] as const)('%s browser-facing handlers', (environment) => {
  test('the notifications API gets exactly the configured Widget origins for CORS', () => {
    const { loadEnvironmentConfigs } = require('../lib/config/load');
    const config = loadEnvironmentConfigs(require('node:path').join(__dirname, '..', 'config')).find((c: { name: string }) => c.name === environment);
    const functions = Object.values(stackTemplate(environment, 'Integrations').findResources('AWS::Lambda::Function')) as any[];
    const api = functions.filter((fn) => fn.Properties.Environment?.Variables?.CORS_ALLOWED_ORIGINS !== undefined);
    expect(api).toHaveLength(1);
    expect(JSON.parse(api[0].Properties.Environment.Variables.CORS_ALLOWED_ORIGINS)).toEqual(config.api.corsOrigins);
    expect(api[0].Properties.Environment.Variables.DELIVERY_QUEUE_URL).toBeDefined();
  });
});

describe('contractEnvironment', () => {
  test('stops synth on a value the handler would refuse at cold start, naming the variable; tokens pass as placeholders', () => {
    const worker = { MODYO_BASE_URL: 'https://example.modyo.cloud', MODYO_TOKEN_SECRET_ID: Token.asString({ Ref: 'Secret' }), IDEMPOTENCY_TABLE_NAME: Token.asString({ Ref: 'Table' }) };
    expect(Object.keys(contractEnvironment(WorkerEnv, worker))).toEqual(Object.keys(worker));
    expect(() => contractEnvironment(WorkerEnv, { ...worker, MODYO_ADMIN_ROUTES: '{"nope":"/x"}' })).toThrow(/MODYO_ADMIN_ROUTES Unknown Modyo admin route "nope"/);
    expect(() => contractEnvironment(PaymentsApiEnv, { PAYMENTS_TABLE_NAME: 't', PAYMENT_EVENTS_QUEUE_URL: 'q', IDEMPOTENCY_TABLE_NAME: 'i', WEBPAY_SECRET_ID: 'w' })).toThrow(/WEBPAY_API_BASE_URL must be set/);
  });
});
