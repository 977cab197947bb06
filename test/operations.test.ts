/**
 * The Operations stack of every environment, read from the global assembly: the log archive (every log group reaches
 * it, the bucket's policy and lifecycle, Firehose's partitioning, Athena), the saved queries, the budget and the
 * topics it may publish to, cost allocation tags, the API canary and its alarm, and the Widgets' RUM monitor.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHIVE_RETENTION_DAYS_BY_KIND } from '../lib/config/operations';
import type { EnvironmentConfig } from '../lib/config/schema';
import { canaryFailedRunsThreshold } from '../lib/constructs/monitoring/alarm-table';
import { API_CANARY_SCRIPT } from '../lib/constructs/operations/api-canary';
import { SOURCE_PARTITION_QUERY } from '../lib/constructs/operations/log-archive';
import { LOG_ARCHIVE_TABLE, logArchiveDatabaseName } from '../lib/constructs/operations/log-archive-querying';
import { SAVED_QUERIES, type SavedQuerySource } from '../lib/constructs/operations/saved-queries';
import { rumAppMonitorName } from '../lib/constructs/operations/widgets-rum';
import { ENVIRONMENTS, environmentJson } from './support/assembly';

type Resource = { Type: string; Properties?: any; Metadata?: any };
type Templates = Record<string, { Resources?: Record<string, Resource>; Outputs?: Record<string, any> }>;

function config(environment: string): EnvironmentConfig {
  const { EnvironmentConfig: schema } = require('../lib/config/schema');
  return schema.parse(JSON.parse(readFileSync(join(__dirname, '..', 'config', `${environment}.json`), 'utf8')));
}

function resourcesOf(template: Templates[string] | undefined, type: string): Array<[string, Resource]> {
  return Object.entries(template?.Resources ?? {}).filter(([, resource]) => resource.Type === type);
}

function only(template: Templates[string] | undefined, type: string): [string, Resource] {
  const found = resourcesOf(template, type);
  expect(found.map(([id]) => `${type} ${id}`)).toHaveLength(1);
  return found[0];
}

/** Every statement of every policy document in a template, flattened. */
function statementsOf(template: Templates[string], type: string, documentKey: string): any[] {
  return resourcesOf(template, type).flatMap(([, resource]) => resource.Properties?.[documentKey]?.Statement ?? []);
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

describe.each(ENVIRONMENTS)('%s operations', (environment) => {
  const templates = environmentJson(environment) as Templates;
  const operations = templates.Operations;
  const env = config(environment);

  describe('log archive', () => {
    const [streamId, stream] = only(operations, 'AWS::KinesisFirehose::DeliveryStream');
    const s3 = stream.Properties.ExtendedS3DestinationConfiguration;
    const [, policy] = only(operations, 'AWS::Logs::AccountPolicy');

    test('an account-level subscription filter policy sends every event of every log group to the Firehose stream', () => {
      expect(policy.Properties).toMatchObject({ PolicyName: `connect-${environment}-log-archive`, PolicyType: 'SUBSCRIPTION_FILTER_POLICY', Scope: 'ALL' });
      const document = policy.Properties.PolicyDocument['Fn::Join'][1];
      expect(document).toContainEqual({ 'Fn::GetAtt': [streamId, 'Arn'] });
      expect(document.filter((part: unknown) => typeof part === 'string').join('')).toContain('"FilterPattern":""');
      // The role CloudWatch Logs assumes: trusted by logs for this account's log groups, allowed to put records on the stream only.
      const roleId = document.find((part: any) => Array.isArray(part?.['Fn::GetAtt']) && part['Fn::GetAtt'][0] !== streamId)['Fn::GetAtt'][0];
      const role = operations.Resources?.[roleId] as Resource;
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({ Principal: { Service: 'logs.amazonaws.com' }, Condition: { StringLike: { 'aws:SourceArn': `arn:aws:logs:${env.region}:${env.account}:*` } } }),
      ]);
      const rolePolicies = resourcesOf(operations, 'AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
      expect(rolePolicies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement)).toEqual([
        { Effect: 'Allow', Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'], Resource: { 'Fn::GetAtt': [streamId, 'Arn'] } },
      ]);
    });

    test('every log group of the environment reaches the archive: none is excluded but the stream\'s own error log, and all are Standard class', () => {
      const errorLogGroup = s3.CloudWatchLoggingOptions.LogGroupName.Ref;
      expect(policy.Properties.SelectionCriteria).toEqual({ 'Fn::Join': ['', ['LogGroupName NOT IN ["', { Ref: errorLogGroup }, '"]']] });
      const logGroups = Object.entries(templates).flatMap(([stack, template]) => resourcesOf(template, 'AWS::Logs::LogGroup').map(([id, group]) => ({ stack, id, group })));
      // Measured: the function, API, WAF, flow, container (and database/VPN) log groups of five stacks and more.
      expect(logGroups.length).toBeGreaterThan(15);
      // The account policy covers Standard-class groups only (the default when LogGroupClass is unset).
      expect(logGroups.filter(({ group }) => ![undefined, 'STANDARD'].includes(group.Properties?.LogGroupClass)).map(({ stack, id }) => `${stack}/${id}`)).toEqual([]);
      const excluded = logGroups.filter(({ stack, id }) => stack === 'Operations' && id === errorLogGroup);
      expect(excluded).toHaveLength(1);
      // The WAF log group (aws-waf-logs-*) is an ordinary log group the policy covers like any other.
      expect(logGroups.some(({ group }) => group.Properties?.LogGroupName === `aws-waf-logs-connect-${environment}-api`)).toBe(true);
    });

    test('Firehose decompresses the batches, partitions by source log group and day, one JSON envelope per line, encrypted', () => {
      expect(stream.Properties.DeliveryStreamEncryptionConfigurationInput.KeyType).toBe('CUSTOMER_MANAGED_CMK');
      expect(s3.DynamicPartitioningConfiguration.Enabled).toBe(true);
      expect(s3.Prefix).toBe('logs/source=!{partitionKeyFromQuery:source}/dt=!{timestamp:yyyy-MM-dd}/');
      expect(s3.ErrorOutputPrefix).toMatch(/^errors\//);
      expect(s3.BufferingHints.SizeInMBs).toBeGreaterThanOrEqual(64);
      expect(s3.ProcessingConfiguration.Processors.map((p: any) => p.Type)).toEqual(['Decompression', 'MetadataExtraction', 'AppendDelimiterToRecord']);
      const extraction = s3.ProcessingConfiguration.Processors[1].Parameters;
      expect(extraction).toContainEqual({ ParameterName: 'MetadataExtractionQuery', ParameterValue: `{"source":${SOURCE_PARTITION_QUERY}}` });
      expect(extraction).toContainEqual({ ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' });
      expect(s3.EncryptionConfiguration.KMSEncryptionConfig.AWSKMSKeyARN).toBeDefined();
    });

    test('the archive bucket: KMS, TLS only, no public access, lifecycle to Standard-IA and expiry by kind of environment', () => {
      const bucketId = s3.BucketARN['Fn::GetAtt'][0];
      const bucket = operations.Resources?.[bucketId] as Resource;
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      const retention = env.operations.logArchive.retentionDays ?? ARCHIVE_RETENTION_DAYS_BY_KIND[env.kind];
      const rules = bucket.Properties.LifecycleConfiguration.Rules;
      expect(rules).toContainEqual(
        expect.objectContaining({
          Status: 'Enabled',
          ExpirationInDays: retention,
          Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: env.operations.logArchive.infrequentAccessAfterDays }],
        }),
      );
      expect(bucket.Properties.LoggingConfiguration?.DestinationBucketName).toBeDefined();
      const [, bucketPolicy] = resourcesOf(operations, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === bucketId) as [string, Resource];
      expect(bucketPolicy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Principal: { AWS: '*' } }),
      );
      expect(retention).toBe(env.kind === 'production' ? 2557 : 90);
    });

    test('Athena reads it through a projected Glue table, with results encrypted in a workgroup that enforces it', () => {
      const [, table] = only(operations, 'AWS::Glue::Table');
      expect(table.Properties.DatabaseName).toBe(logArchiveDatabaseName(environment));
      expect(table.Properties.TableInput.Name).toBe(LOG_ARCHIVE_TABLE);
      expect(table.Properties.TableInput.PartitionKeys.map((k: any) => k.Name)).toEqual(['source', 'dt']);
      expect(table.Properties.TableInput.Parameters).toMatchObject({ 'projection.enabled': 'true', 'projection.source.type': 'injected', 'projection.dt.type': 'date' });
      expect(JSON.stringify(table.Properties.TableInput.StorageDescriptor.Columns)).toContain('array<struct<id:string,timestamp:bigint,message:string>>');
      const [, workGroup] = only(operations, 'AWS::Athena::WorkGroup');
      const configuration = workGroup.Properties.WorkGroupConfiguration;
      expect(configuration.EnforceWorkGroupConfiguration).toBe(true);
      expect(configuration.ResultConfiguration.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_KMS', KmsKey: `arn:aws:kms:${env.region}:${env.account}:alias/connect/${environment}/logs` });
    });
  });

  describe('saved queries', () => {
    const definitions = resourcesOf(operations, 'AWS::Logs::QueryDefinition').map(([, d]) => d.Properties);
    const expected = SAVED_QUERIES.filter((q) => q.source !== 'payments' || env.integrations.khipu || env.integrations.webpay).filter((q) => q.source !== 'smokeTests' || env.services.length > 0);

    test('one per investigation, named connect/<env>/<id>, each scoped to log groups', () => {
      expect(definitions.map((d) => d.Name).sort()).toEqual(expected.map((q) => `connect/${environment}/${q.id}`).sort());
      expect(expected.map((q) => q.id)).toEqual(expect.arrayContaining(['webhook-by-event-id', 'notifications-of-user', 'api-5xx-by-route', 'waf-blocks-by-ip']));
      for (const definition of definitions) expect(definition.LogGroupNames.length).toBeGreaterThan(0);
    });

    test('the WAF and access-log queries read those log groups', () => {
      const waf = definitions.find((d) => d.Name.endsWith('/waf-blocks-by-ip'));
      expect(JSON.stringify(waf.LogGroupNames)).toContain('WebAclLogs');
      const api = definitions.find((d) => d.Name.endsWith('/api-5xx-by-route'));
      expect(JSON.stringify(api.LogGroupNames)).toContain('AccessLogs');
    });
  });

  describe('budget', () => {
    test('a monthly cost budget of the configured amount alerts the warning topic at the actual and forecast thresholds', () => {
      const [, budget] = only(operations, 'AWS::Budgets::Budget');
      expect(budget.Properties.Budget).toMatchObject({ BudgetName: `connect-${environment}-monthly`, BudgetType: 'COST', TimeUnit: 'MONTHLY', BudgetLimit: { Amount: env.operations.budget.monthlyUsd, Unit: 'USD' } });
      const topic = `arn:aws:sns:${env.region}:${env.account}:connect-${environment}-alerts-warning`;
      const notifications = budget.Properties.NotificationsWithSubscribers;
      expect(notifications.map((n: any) => `${n.Notification.NotificationType} ${n.Notification.Threshold}`).sort()).toEqual(
        [...env.operations.budget.actualPercent.map((p) => `ACTUAL ${p}`), ...env.operations.budget.forecastPercent.map((p) => `FORECASTED ${p}`)].sort(),
      );
      for (const n of notifications) expect(n.Subscribers).toEqual([{ SubscriptionType: 'SNS', Address: topic }]);
    });

    test('budgets.amazonaws.com of this account may publish to the warning topic, and use the alerts key that encrypts it', () => {
      const topicStatements = statementsOf(templates.Alerting, 'AWS::SNS::TopicPolicy', 'PolicyDocument');
      expect(topicStatements).toContainEqual(
        expect.objectContaining({
          Sid: 'BudgetsOfThisAccountPublish',
          Principal: { Service: 'budgets.amazonaws.com' },
          Action: 'sns:Publish',
          Condition: { StringEquals: { 'aws:SourceAccount': env.account }, ArnLike: { 'aws:SourceArn': `arn:aws:budgets::${env.account}:*` } },
        }),
      );
      const keyStatements = resourcesOf(templates.Security, 'AWS::KMS::Key').flatMap(([, key]) => key.Properties.KeyPolicy.Statement);
      const budgets = keyStatements.filter((s) => s.Sid === 'BudgetsPublishToAlertTopics');
      expect(budgets).toHaveLength(1);
      expect(budgets[0]).toMatchObject({ Principal: { Service: 'budgets.amazonaws.com' } });
      expect(asArray(budgets[0].Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    });

    test('cost allocation tags: environment, component (the stack) and the configured cost center on tagged resources of every stack', () => {
      for (const [stack, template] of Object.entries(templates)) {
        for (const [id, resource] of Object.entries(template.Resources ?? {})) {
          const tags = resource.Properties?.Tags;
          if (!Array.isArray(tags) || !tags.every((t: any) => typeof t?.Key === 'string')) continue;
          const byKey = Object.fromEntries(tags.map((t: any) => [t.Key, t.Value]));
          expect({ stack, id, environment: byKey['connect:environment'], component: byKey['connect:component'], costCenter: byKey['cost-center'] }).toEqual({
            stack,
            id,
            environment,
            component: stack,
            costCenter: env.tags['cost-center'],
          });
        }
      }
    });
  });

  describe('outside-in', () => {
    test('a Synthetics canary calls the public health route from outside, on the configured schedule, with the script in the repo', () => {
      const [canaryId, canary] = only(operations, 'AWS::Synthetics::Canary');
      expect(canary.Properties.RuntimeVersion).toBe('syn-nodejs-puppeteer-13.0');
      expect(canary.Properties.Code).toEqual({ Handler: 'index.handler', Script: readFileSync(API_CANARY_SCRIPT, 'utf8') });
      expect(canary.Properties.Schedule.Expression).toBe(`rate(${env.operations.canary.everyMinutes} minutes)`);
      expect(canary.Properties.VPCConfig).toBeUndefined();
      const url = canary.Properties.RunConfig.EnvironmentVariables.CANARY_URL;
      if (env.api.customDomain) expect(url).toBe(`https://${env.api.customDomain.domainName}${env.operations.canary.path}`);
      else expect(JSON.stringify(url)).toContain(`health`);
      expect(canary.Properties.ArtifactConfig.S3Encryption.EncryptionMode).toBe('SSE_KMS');
      // ...and its role may use the key it encrypts them with.
      const roleId = canary.Properties.ExecutionRoleArn['Fn::GetAtt'][0];
      const roleStatements = resourcesOf(operations, 'AWS::IAM::Policy')
        .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
      const keyStatement = roleStatements.find((statement) => JSON.stringify(statement.Resource) === JSON.stringify(canary.Properties.ArtifactConfig.S3Encryption.KmsKeyArn));
      expect(asArray(keyStatement?.Action)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));

      const alarms = resourcesOf(operations, 'AWS::CloudWatch::Alarm').filter(([, a]) => JSON.stringify(a.Properties.Dimensions ?? []).includes(canaryId));
      expect(alarms).toHaveLength(1);
      const alarm = alarms[0][1].Properties;
      expect(alarm).toMatchObject({
        Namespace: 'CloudWatchSynthetics',
        MetricName: 'Failed',
        Statistic: 'Sum',
        Period: 900,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: canaryFailedRunsThreshold(env.operations.canary),
        TreatMissingData: 'breaching',
        AlarmActions: [`arn:aws:sns:${env.region}:${env.account}:connect-${environment}-alerts-critical`],
      });
    });

    test('the health route is served by API Gateway itself, with no authorizer', () => {
      const health = resourcesOf(templates.Api, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod === 'GET' && m.Properties.Integration?.Type === 'MOCK');
      expect(health).toHaveLength(1);
      expect(health[0][1].Properties.AuthorizationType).toBe('NONE');
      expect(health[0][1].Properties.Integration.IntegrationResponses).toEqual([expect.objectContaining({ StatusCode: '200', ResponseTemplates: { 'application/json': '{"status":"ok"}' } })]);
    });

    test('a RUM app monitor for the Widgets\' domain, with a guest role that may only put RUM events to it, its snippet as outputs, its metrics on the dashboard', () => {
      const rum = env.operations.rum;
      if (!rum) {
        expect(resourcesOf(operations, 'AWS::RUM::AppMonitor')).toEqual([]);
        return;
      }
      const [, monitor] = only(operations, 'AWS::RUM::AppMonitor');
      expect(monitor.Properties).toMatchObject({ Name: rumAppMonitorName(environment), Domain: rum.domain });
      expect(monitor.Properties.AppMonitorConfiguration).toMatchObject({ SessionSampleRate: rum.sessionSampleRate, Telemetries: ['errors', 'performance', 'http'] });
      const [poolId, pool] = only(operations, 'AWS::Cognito::IdentityPool');
      expect(pool.Properties.AllowUnauthenticatedIdentities).toBe(true);
      const guestRoleId = monitor.Properties.AppMonitorConfiguration.GuestRoleArn['Fn::GetAtt'][0];
      const guest = operations.Resources?.[guestRoleId] as Resource;
      expect(guest.Properties.AssumeRolePolicyDocument.Statement[0]).toMatchObject({
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: 'cognito-identity.amazonaws.com' },
        Condition: { StringEquals: { 'cognito-identity.amazonaws.com:aud': { Ref: poolId } }, 'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'unauthenticated' } },
      });
      const guestStatements = resourcesOf(operations, 'AWS::IAM::Policy')
        .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === guestRoleId))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
      expect(guestStatements).toEqual([{ Effect: 'Allow', Action: 'rum:PutRumEvents', Resource: `arn:aws:rum:${env.region}:${env.account}:appmonitor/${rumAppMonitorName(environment)}` }]);
      const outputs = Object.keys(operations.Outputs ?? {});
      for (const name of ['RumAppMonitorId', 'RumWebClientConfig', 'RumSnippet']) expect(outputs.some((o) => o.includes(name))).toBe(true);
      const [, dashboard] = only(templates.Dashboard, 'AWS::CloudWatch::Dashboard');
      const body = JSON.stringify(dashboard.Properties.DashboardBody);
      expect(body).toContain('AWS/RUM');
      expect(body).toContain(rumAppMonitorName(environment));
      expect(body).toContain('JsErrorCount');
    });
  });
});

describe('saved queries use the fields the handlers log', () => {
  /** The handler folders whose log groups each query reads (lib/stage/connect-stage.ts). */
  const FOLDERS: Record<SavedQuerySource, string[]> = {
    webhookEvents: ['webhook-receiver', 'customer-sync', 'identity-provisioning'],
    payments: ['payments'],
    notifications: ['notifications'],
    smokeTests: ['deployment-smoke-test'],
    apiAccess: [],
    waf: [],
  };
  const sources = (folder: string): string[] =>
    readdirSync(join(__dirname, '..', 'lambda', folder), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
      .map((file) => readFileSync(join(__dirname, '..', 'lambda', folder, file), 'utf8'));

  test.each(SAVED_QUERIES.filter((q) => q.lookupField).map((q) => [q.id, q] as const))('%s filters on a key its handlers log', (_id, query) => {
    const field = query.lookupField as string;
    expect(query.query).toContain(`filter ${field} = `);
    // A file that logs (logger.*) and names the field as a key of an object (`field:` or shorthand `{ field,` / `, field }`).
    const key = new RegExp(`(\\b${field}:|[{,]\\s*${field}\\s*[,}])`);
    const logging = FOLDERS[query.source].flatMap(sources).filter((text) => /logger\.(info|warn|error)\(/.test(text) && key.test(text));
    expect(logging.length).toBeGreaterThan(0);
  });

  test('the access-log query reads the fields of the API access log format', () => {
    const format = readFileSync(join(__dirname, '..', 'lib', 'constructs', 'api', 'rest-api.ts'), 'utf8');
    const query = SAVED_QUERIES.find((q) => q.id === 'api-5xx-by-route')?.query ?? '';
    for (const field of ['status', 'httpMethod', 'resourcePath', 'errorType', 'responseLatency']) {
      expect(query).toContain(field);
      expect(format).toContain(`${field}: apigw.AccessLogField`);
    }
  });
});
