import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { serviceData } from '../lib/constructs/data/service-data';
import { parseEnvironmentConfig } from '../lib/config/load';
import { BACKUP_TAG, EnvironmentBackup } from '../lib/constructs/data/environment-backup';
import { DATABASE_PORTS, TLS_ONLY_PARAMETERS } from '../lib/constructs/data/service-database';
import { ENVIRONMENTS, environmentJson } from './support/assembly';

/** The services' data, read from the global assembly (every environment, compliance gate on). */

const configOf = (environment: string) =>
  parseEnvironmentConfig(`config/${environment}.json`, readFileSync(join(__dirname, '..', 'config', `${environment}.json`), 'utf8'));

type Resources = Record<string, { Type: string; Properties?: any; DeletionPolicy?: string }>;
const resourcesOf = (template: any): Resources => template?.Resources ?? {};
const ofType = (template: any, type: string) => Object.entries(resourcesOf(template)).filter(([, r]) => r.Type === type);
const json = (value: unknown) => JSON.stringify(value);
/** A cross-stack value names the producing stack's resource by logical id inside its output name. */
const mentions = (value: unknown, logicalId: string) => json(value).includes(logicalId);

describe.each(ENVIRONMENTS)('%s data', (environment) => {
  const config = configOf(environment);
  const templates = environmentJson(environment);
  const data = templates.Data;
  const services = templates.Services;
  const production = config.kind === 'production';
  const taskDefinition = ofType(services, 'AWS::ECS::TaskDefinition')[0][1].Properties.ContainerDefinitions[0];
  const variable = (name: string) => taskDefinition.Environment.find((e: any) => e.Name === name)?.Value;

  test('there is a Data stack with the configured databases, caches and backup vault', () => {
    expect(ofType(data, 'AWS::RDS::DBCluster')).toHaveLength(config.data.databases.length);
    expect(ofType(data, 'AWS::ElastiCache::ServerlessCache')).toHaveLength(config.data.caches.length);
    expect(ofType(data, 'AWS::Backup::BackupVault')).toHaveLength(1);
  });

  for (const database of config.data.databases) describe(`database ${database.name}`, () => {
    const { name } = database;
    const [clusterId, cluster] = ofType(data, 'AWS::RDS::DBCluster').find(([, r]) => r.Properties.DBClusterIdentifier === `connect-${environment}-${name}`)!;
    const p = cluster.Properties;
    const securityGroupId = p.VpcSecurityGroupIds[0]['Fn::GetAtt'][0];

    test('Aurora Serverless v2 of the configured engine, version and capacity, in the isolated subnets', () => {
      expect(p.Engine).toBe(database.engine);
      expect(p.EngineVersion).toBe(database.engine === 'aurora-mysql' ? `8.0.mysql_aurora.${database.engineVersion}` : database.engineVersion);
      expect(p.ServerlessV2ScalingConfiguration).toEqual({
        MinCapacity: database.minCapacity,
        MaxCapacity: database.maxCapacity,
        ...(database.minCapacity === 0 ? { SecondsUntilAutoPause: database.autoPauseMinutes * 60 } : {}),
      });
      const instances = ofType(data, 'AWS::RDS::DBInstance').filter(([, r]) => json(r.Properties.DBClusterIdentifier).includes(clusterId));
      expect(instances).toHaveLength(1 + database.readers);
      for (const [, instance] of instances) expect(instance.Properties).toMatchObject({ DBInstanceClass: 'db.serverless', PubliclyAccessible: false, MonitoringInterval: 60 });
      const subnetGroup = resourcesOf(data)[p.DBSubnetGroupName.Ref].Properties;
      expect(json(subnetGroup.SubnetIds)).toMatch(/isolatedSubnet/);
      expect(json(subnetGroup.SubnetIds)).not.toMatch(/privateSubnet|publicSubnet/);
    });

    test('encrypted with the data key, IAM authentication, deletion protection, backups kept by environment kind', () => {
      expect(p).toMatchObject({ StorageEncrypted: true, EnableIAMDatabaseAuthentication: true, DeletionProtection: true, CopyTagsToSnapshot: true, BackupRetentionPeriod: production ? 35 : 7, PerformanceInsightsEnabled: true });
      expect(json(p.KmsKeyId)).toMatch(/DataKey/);
      expect(json(p.PerformanceInsightsKmsKeyId)).toMatch(/DataKey/);
      expect(p.DatabaseInsightsMode).toBe(production ? 'advanced' : 'standard');
      expect(cluster.DeletionPolicy).toBe(production ? 'Retain' : 'Snapshot');
      expect(p.Port).toBe(DATABASE_PORTS[database.engine]);
    });

    test('TLS only: the cluster parameter group forces it', () => {
      const group = resourcesOf(data)[p.DBClusterParameterGroupName.Ref];
      expect(group.Type).toBe('AWS::RDS::DBClusterParameterGroup');
      expect(group.Properties.Parameters).toMatchObject(TLS_ONLY_PARAMETERS[database.engine]);
      expect(Object.entries(TLS_ONLY_PARAMETERS[database.engine])[0]).toEqual(database.engine === 'aurora-postgresql' ? ['rds.force_ssl', '1'] : ['require_secure_transport', 'ON']);
    });

    test('logs exported into log groups of its own, encrypted and retained', () => {
      for (const log of p.EnableCloudwatchLogsExports) {
        const group = ofType(data, 'AWS::Logs::LogGroup').find(([, r]) => r.Properties.LogGroupName === `/aws/rds/cluster/connect-${environment}-${name}/${log}`);
        expect(group?.[1].Properties).toMatchObject({ RetentionInDays: config.logRetentionDays, KmsKeyId: expect.anything() });
      }
      expect(p.EnableCloudwatchLogsExports.length).toBeGreaterThan(0);
    });

    test('generated credentials in Secrets Manager, encrypted with the secrets key, rotated by a hosted rotation', () => {
      const [secretId, secret] = ofType(data, 'AWS::SecretsManager::Secret').find(([id]) => json(p.MasterUserPassword).includes(id))!;
      expect(json(secret.Properties.KmsKeyId)).toMatch(/SecretsKey/);
      const [, rotation] = ofType(data, 'AWS::SecretsManager::RotationSchedule').find(([, r]) => json(r.Properties.SecretId).includes('SecretAttachment') && json(r.Properties.HostedRotationLambda.RotationLambdaName).includes(name))!;
      expect(rotation.Properties.HostedRotationLambda.RotationType).toBe(database.engine === 'aurora-postgresql' ? 'PostgreSQLSingleUser' : 'MySQLSingleUser');
      expect(rotation.Properties.RotationRules.ScheduleExpression ?? `rate(${rotation.Properties.RotationRules.AutomaticallyAfterDays} days)`).toBe(`rate(${database.rotationDays} days)`);
      // The transform the HostedRotationLambda property requires (CloudFormation template reference).
      expect(data.Transform).toBe('AWS::SecretsManager-2024-09-16');
      expect(secretId).toBeTruthy();
    });

    test('the administrator secret is retained with a retained (production) cluster', () => {
      // CloudFormation DeletionPolicy: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
      const [, secret] = ofType(data, 'AWS::SecretsManager::Secret').find(([id]) => json(p.MasterUserPassword).includes(id))! as [string, { DeletionPolicy?: string; UpdateReplacePolicy?: string }];
      expect({ deletion: secret.DeletionPolicy ?? 'Delete', replace: secret.UpdateReplacePolicy ?? 'Delete' }).toEqual(
        production ? { deletion: 'Retain', replace: 'Retain' } : { deletion: 'Delete', replace: 'Delete' },
      );
      if (cluster.DeletionPolicy === 'Retain') expect(secret.DeletionPolicy).toBe('Retain');
    });

    test('network access only from the rotation, its proxy and the services that name it', () => {
      const namedBy = config.services.filter((s) => s.databases.includes(name)).map((s) => s.name);
      const entry = database.proxy ? ofType(data, 'AWS::RDS::DBProxy')[0][1].Properties.VpcSecurityGroupIds[0]['Fn::GetAtt'][0] : securityGroupId;
      const rules = Object.entries(templates).flatMap(([stack, template]) =>
        ofType(template, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => mentions(r.Properties.GroupId, entry)).map(([id, r]) => ({ stack, id, ...r.Properties })),
      );
      const fromServices = rules.filter((rule) => rule.stack === 'Services');
      expect(fromServices.map((rule) => rule.Description).sort()).toEqual(namedBy.map((service) => `${service} names database ${name}`).sort());
      for (const rule of fromServices) expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: rule.ToPort, SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^Service.*SecurityGroup/), 'GroupId'] } });
      // Nothing else from anywhere: no CIDR, no other group (in the Data stack only the rotation's or the proxy's).
      for (const rule of rules) expect(rule.CidrIp ?? rule.CidrIpv6).toBeUndefined();
      expect(rules.filter((rule) => rule.stack !== 'Services' && rule.stack !== 'Data')).toEqual([]);
      const sg = resourcesOf(data)[securityGroupId].Properties;
      expect(sg.SecurityGroupIngress ?? []).toEqual([]);
    });

    if (database.proxy) test('the proxy: end-to-end IAM authentication, so each service user can log in through it', () => {
      // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-proxy-secrets-arns.html (a secret per user,
      // or end-to-end IAM) and https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-proxy-iam-setup.html
      // (the proxy's role needs rds-db:connect on the database for each user).
      const [proxyId, proxy] = ofType(data, 'AWS::RDS::DBProxy').find(([, r]) => r.Properties.DBProxyName === `connect-${environment}-${name}`)!;
      expect(proxy.Properties).toMatchObject({ DefaultAuthScheme: 'IAM_AUTH', RequireTLS: true });
      // No secret-based login path left that no task could use.
      expect(proxy.Properties.Auth ?? []).toEqual([]);
      const roleId = proxy.Properties.RoleArn['Fn::GetAtt'][0];
      const statements = ofType(data, 'AWS::IAM::Policy')
        .filter(([, r]) => r.Properties.Roles.some((role: unknown) => json(role).includes(roleId)))
        .flatMap(([, r]) => r.Properties.PolicyDocument.Statement);
      expect(statements.flatMap((st: any) => [st.Action].flat()).every((action: string) => action === 'rds-db:connect')).toBe(true);
      const users = config.services.filter((s) => s.databases.includes(name)).map((s) => s.name.replace(/-/g, '_'));
      expect(users.length).toBeGreaterThan(0);
      const resources = statements.flatMap((st: any) => [st.Resource].flat()).map(json);
      for (const user of users) {
        // The proxy logs in to the cluster (its resource id), as the user each task is allowed to be at the proxy.
        expect(resources.some((r) => r.includes(`"Fn::GetAtt":["${clusterId}","DBClusterResourceId"]`) && r.endsWith(`/${user}"]]}`))).toBe(true);
        const connect = ofType(data, 'AWS::IAM::ManagedPolicy').find(([id]) => id.includes(`Connect${user}`))![1];
        const taskResource = json(connect.Properties.PolicyDocument.Statement[0].Resource);
        expect(taskResource).toContain(proxyId);
        expect(taskResource).toMatch(new RegExp(`/${user}"\\]\\]\\}$`));
      }
      expect(resources).toHaveLength(users.length);
    });

    test('the services that name it receive its credentials by secret ARN and its endpoint, and may connect as their IAM user', () => {
      for (const service of config.services.filter((s) => s.databases.includes(name))) {
        const v = `DB_${name.toUpperCase().replace(/-/g, '_')}`;
        const secrets = Object.fromEntries(taskDefinition.Secrets.map((s: any) => [s.Name, json(s.ValueFrom)]));
        expect(secrets[`${v}_USERNAME`]).toMatch(/SecretAttachment.*:username::/);
        expect(secrets[`${v}_PASSWORD`]).toMatch(/SecretAttachment.*:password::/);
        expect(variable(`${v}_PORT`)).toBe(String(database.proxy ? (database.engine === 'aurora-postgresql' ? 5432 : 3306) : DATABASE_PORTS[database.engine]));
        expect(json(variable(`${v}_HOST`))).toMatch(database.proxy ? /Proxy.*Endpoint/ : /Cluster.*Endpoint/);
        expect(variable(`${v}_IAM_USER`)).toBe(service.name.replace(/-/g, '_'));
        const connect = ofType(data, 'AWS::IAM::ManagedPolicy').find(([id]) => id.includes(`Connect${service.name}`) || id.includes(`Connect-${service.name}`));
        expect(json(connect?.[1].Properties.PolicyDocument.Statement)).toContain(`/${service.name.replace(/-/g, '_')}`);
        expect(json(connect?.[1].Properties.PolicyDocument.Statement)).toContain('rds-db:connect');
        const role = ofType(services, 'AWS::IAM::Role').find(([id]) => id.startsWith(`Service${service.name}TaskTaskRole`))![1];
        expect(role.Properties.ManagedPolicyArns.some((arn: unknown) => mentions(arn, connect![0]))).toBe(true);
      }
    });
  });

  for (const cache of config.data.caches) describe(`cache ${cache.name}`, () => {
    const { name } = cache;
    const [, resource] = ofType(data, 'AWS::ElastiCache::ServerlessCache').find(([, r]) => r.Properties.ServerlessCacheName === `connect-${environment}-${name}`)!;
    const p = resource.Properties;
    const namedBy = config.services.filter((s) => s.caches.includes(name)).map((s) => s.name);

    test('Valkey, encrypted with the data key, in the isolated subnets, limits from config', () => {
      expect(p).toMatchObject({
        Engine: 'valkey',
        MajorEngineVersion: cache.majorVersion,
        CacheUsageLimits: { DataStorage: { Maximum: cache.maxDataStorageGb, Unit: 'GB' }, ECPUPerSecond: { Maximum: cache.maxEcpuPerSecond } },
        SnapshotRetentionLimit: cache.snapshotRetentionDays,
      });
      expect(json(p.KmsKeyId)).toMatch(/DataKey/);
      expect(json(p.SubnetIds)).toMatch(/isolatedSubnet/);
      expect(json(p.SubnetIds)).not.toMatch(/privateSubnet|publicSubnet/);
    });

    test('a user group: the default user off, one IAM-authenticated user per service that names it', () => {
      const group = ofType(data, 'AWS::ElastiCache::UserGroup').find(([, r]) => r.Properties.UserGroupId === p.UserGroupId)![1].Properties;
      const users = ofType(data, 'AWS::ElastiCache::User').map(([, r]) => r.Properties).filter((u) => group.UserIds.includes(u.UserId));
      // Every user in the group resolves (ids are plain strings, not another group's users).
      expect(users).toHaveLength(group.UserIds.length);
      expect(users.find((u) => u.UserName === 'default')).toMatchObject({ AccessString: 'off -@all' });
      const enabled = users.filter((u) => u.UserName !== 'default');
      expect(enabled.map((u) => u.UserName).sort()).toEqual(namedBy.map((service) => `${environment}-${name}-${service}`).sort());
      for (const user of enabled) expect(user).toMatchObject({ AuthenticationMode: { Type: 'iam' }, UserId: user.UserName });
    });

    test('every user of the Valkey user group authenticates (password or IAM); the default user\'s password is a generated secret, by dynamic reference', () => {
      // "A user group configured for the 'VALKEY' engine can only contain users using an authentication mechanism
      // (password or IAM)": https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.RBAC.html
      const group = ofType(data, 'AWS::ElastiCache::UserGroup').find(([, r]) => r.Properties.UserGroupId === p.UserGroupId)![1].Properties;
      expect(group.Engine).toBe('valkey');
      const users = ofType(data, 'AWS::ElastiCache::User').map(([, r]) => r.Properties).filter((u) => group.UserIds.includes(u.UserId));
      for (const user of users) {
        expect(['password', 'iam']).toContain(user.AuthenticationMode?.Type);
        expect(user.NoPasswordRequired).not.toBe(true);
        expect(user.Passwords).toBeUndefined();
      }
      const defaultUser = users.find((u) => u.UserName === 'default')!;
      expect(defaultUser.AuthenticationMode.Type).toBe('password');
      const passwords: unknown[] = defaultUser.AuthenticationMode.Passwords;
      expect(passwords).toHaveLength(1);
      // A dynamic reference to a secret of this stack, generated by Secrets Manager (no value in the template),
      // encrypted with the secrets key, kept with the stack's data in production.
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html
      const reference = json(passwords[0]);
      expect(reference).toMatch(/^\{"Fn::Join":\["",\["\{\{resolve:secretsmanager:",\{"Ref":"[A-Za-z0-9]+"\},":SecretString:password::\}\}"\]\]\}$/);
      const secretId = reference.match(/"Ref":"([A-Za-z0-9]+)"/)![1];
      const secret = resourcesOf(data)[secretId] as { Type: string; Properties: any; DeletionPolicy?: string };
      expect(secret.Type).toBe('AWS::SecretsManager::Secret');
      expect(secret.Properties.GenerateSecretString).toMatchObject({ GenerateStringKey: 'password' });
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(json(secret.Properties.KmsKeyId)).toMatch(/SecretsKey/);
      expect(secret.DeletionPolicy ?? 'Delete').toBe(production ? 'Retain' : 'Delete');
    });

    test('reachable only from the services that name it, which may connect as their own user', () => {
      const securityGroupId = p.SecurityGroupIds[0]['Fn::GetAtt'][0];
      const rules = Object.entries(templates).flatMap(([stack, template]) =>
        ofType(template, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => mentions(r.Properties.GroupId, securityGroupId)).map(([, r]) => ({ stack, ...r.Properties })),
      );
      expect(rules.map((rule) => `${rule.stack} ${rule.Description} ${rule.FromPort}-${rule.ToPort}`).sort()).toEqual(namedBy.map((s) => `Services ${s} names cache ${name} 6379-6380`).sort());
      expect(resourcesOf(data)[securityGroupId].Properties.SecurityGroupIngress ?? []).toEqual([]);
      const policies = ofType(services, 'AWS::IAM::Policy').map(([, r]) => json(r.Properties.PolicyDocument));
      for (const service of namedBy) {
        expect(policies.some((doc) => doc.includes('elasticache:Connect') && doc.includes(`serverlesscache:connect-${environment}-${name}`) && doc.includes(`user:${environment}-${name}-${service}`))).toBe(true);
      }
    });
  });

  test('queues and buckets a service names: least grants, names and URLs as variables', () => {
    for (const service of config.services) {
      const policy = ofType(services, 'AWS::IAM::Policy').find(([id]) => id.startsWith(`Service${service.name}TaskTaskRoleDefaultPolicy`));
      const statements: any[] = policy?.[1].Properties.PolicyDocument.Statement ?? [];
      const actionsOn = (predicate: (resource: string) => boolean) =>
        statements.filter((s) => [s.Resource].flat().some((r: unknown) => predicate(json(r)))).flatMap((s) => [s.Action].flat()).sort();
      for (const queue of service.queues) {
        const v = `QUEUE_${queue.name.toUpperCase().replace(/-/g, '_')}`;
        expect(json(variable(`${v}_URL`))).toMatch(/Queue/);
        expect(variable(`${v}_NAME`)).toBeDefined();
        const expected = [
          ...(queue.access.includes('send') ? ['sqs:SendMessage'] : []),
          ...(queue.access.includes('consume') ? ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'] : []),
        ].sort();
        const queueLogical = json(variable(`${v}_URL`)).match(/PublishOutputRef(Queue[A-Za-z0-9-]+?Queue)[0-9A-F]{8}/)?.[1];
        expect(queueLogical).toBeDefined();
        expect(actionsOn((r) => r.includes(queueLogical!))).toEqual(expected);
      }
      for (const bucket of service.buckets) {
        const name = variable(`BUCKET_${bucket.name.toUpperCase().replace(/-/g, '_')}_NAME`);
        expect(name).toMatch(new RegExp(`^connect-${environment}-`));
        const expected = [...(bucket.access.includes('read') ? ['s3:GetObject', 's3:ListBucket'] : []), ...(bucket.access.includes('write') ? ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:PutObject'] : [])].sort();
        expect(actionsOn((r) => r.includes(`:s3:::${name}`))).toEqual(expected);
        const [, created] = ofType(data, 'AWS::S3::Bucket').find(([, r]) => r.Properties.BucketName === name)!;
        expect(created.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
      }
      // Nothing broader than what it named: no wildcard action, no resource that is only "*".
      for (const s of statements) {
        expect([s.Action].flat().some((a: string) => a.endsWith('*'))).toBe(false);
        expect([s.Resource].flat()).not.toContain('*');
      }
    }
  });

  describe('backups', () => {
    const [, vault] = ofType(data, 'AWS::Backup::BackupVault')[0];
    const plan = ofType(data, 'AWS::Backup::BackupPlan')[0][1].Properties.BackupPlan;
    const selections = ofType(data, 'AWS::Backup::BackupSelection').map(([, r]) => r.Properties.BackupSelection);
    const retention = config.data.backup.retentionDays ?? (production ? 35 : 7);

    test('a vault encrypted with a customer managed key of its own, locked in production', () => {
      const keyId = vault.Properties.EncryptionKeyArn['Fn::GetAtt'][0];
      expect(resourcesOf(data)[keyId]).toMatchObject({ Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } });
      if (production) expect(vault.Properties.LockConfiguration).toEqual({ MinRetentionDays: retention, ChangeableForDays: 3 });
      else expect(vault.Properties.LockConfiguration).toBeUndefined();
      expect(vault.DeletionPolicy ?? 'Delete').toBe(production ? 'Retain' : 'Delete');
    });

    test('recovery points kept by environment kind', () => {
      const daily = plan.BackupPlanRule.find((rule: any) => rule.RuleName === 'daily');
      expect(daily.Lifecycle.DeleteAfterDays).toBe(retention);
      expect(plan.BackupPlanRule.some((rule: any) => rule.RuleName === 'monthly')).toBe(production);
    });

    test('selects every Aurora cluster by ARN and every table and data bucket by tag', () => {
      const clusters = ofType(data, 'AWS::RDS::DBCluster').map(([id]) => id);
      const byArn = selections.find((s) => s.SelectionName === 'databases');
      if (clusters.length > 0) for (const id of clusters) expect(json(byArn.Resources)).toContain(id);
      expect(selections.find((s) => s.SelectionName === 'tables-and-data-buckets').ListOfTags).toEqual([{ ConditionKey: BACKUP_TAG.key, ConditionType: 'STRINGEQUALS', ConditionValue: BACKUP_TAG.value }]);
      const tagged = (resource: any) => {
        const tags = resource.Properties?.Tags ?? [];
        return tags.some((t: any) => t.Key === BACKUP_TAG.key && t.Value === BACKUP_TAG.value);
      };
      const tables = Object.values(templates).flatMap((t) => ofType(t, 'AWS::DynamoDB::Table'));
      const kmsBuckets = (stacks: [string, any][]) =>
        stacks
          .flatMap(([, t]) => ofType(t, 'AWS::S3::Bucket'))
          .filter(([, r]) => r.Properties.BucketEncryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.SSEAlgorithm === 'aws:kms');
      // The Operations stack's KMS buckets hold copies and scratch (log archive, query results, canary artifacts).
      const dataBuckets = kmsBuckets(Object.entries(templates).filter(([name]) => name !== 'Operations'));
      const copies = kmsBuckets(Object.entries(templates).filter(([name]) => name === 'Operations'));
      expect(copies.length).toBeGreaterThanOrEqual(3);
      for (const [id, resource] of copies) expect({ id, tagged: tagged(resource) }).toEqual({ id, tagged: false });
      expect(tables.length + dataBuckets.length).toBeGreaterThan(0);
      for (const [id, resource] of [...tables, ...dataBuckets]) expect({ id, tagged: tagged(resource) }).toEqual({ id, tagged: true });
      // Access-log buckets (SSE-S3) are not data and are not selected.
      const logBuckets = Object.values(templates).flatMap((t) => ofType(t, 'AWS::S3::Bucket')).filter(([, r]) => !dataBuckets.some(([id]) => r === resourcesOf(templates.Data)[id]) && r.Properties.BucketEncryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.SSEAlgorithm === 'AES256');
      for (const [, resource] of logBuckets) expect(tagged(resource)).toBe(false);
    });
  });

  test('every database, cache and the vault has its alarms, named after it', () => {
    const names = ofType(data, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties.AlarmName as string);
    for (const database of config.data.databases) {
      for (const suffix of ['cpu', 'acu-utilization', 'connections', 'freeable-memory', ...(database.readers > 0 ? ['replica-lag'] : [])]) {
        expect(names).toContain(`${environment}-Data-Database-${database.name}-Cluster-${suffix}`);
      }
    }
    for (const cache of config.data.caches) {
      for (const suffix of ['ecpu-utilization', 'memory', 'evictions', 'throttled-commands']) expect(names).toContain(`${environment}-Data-Cache-${cache.name}-Cache-${suffix}`);
    }
    expect(names).toContain(`${environment}-Data-Backup-Vault-backup-jobs-failed`);
  });

  test('the alarms read the dimensions AWS publishes the metrics under, referencing the resource', () => {
    const alarms = ofType(data, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    const dimensionsOf = (alarm: any) => [...(alarm.Dimensions ?? []), ...(alarm.Metrics ?? []).flatMap((m: any) => m.MetricStat?.Metric?.Dimensions ?? [])];
    const expected: Array<[RegExp, string, string]> = [
      [/-Database-.*-Cluster-/, 'DBClusterIdentifier', 'AWS::RDS::DBCluster'],
      [/-Cache-.*-Cache-/, 'ServerlessCacheName', 'AWS::ElastiCache::ServerlessCache'],
      [/-Backup-Vault-/, 'BackupVaultName', 'AWS::Backup::BackupVault'],
    ];
    for (const [pattern, dimension, type] of expected) {
      const ids = ofType(data, type).map(([id]) => id);
      for (const alarm of alarms.filter((a) => pattern.test(a.AlarmName))) {
        const values = dimensionsOf(alarm).filter((d: any) => d.Name === dimension).map((d: any) => json(d.Value));
        expect(values.length).toBeGreaterThan(0);
        for (const value of values) expect(ids.some((id) => value.includes(id))).toBe(true);
      }
    }
  });
});

test('an environment may leave out its isolated subnets (then it may declare no database or cache)', () => {
  const dev = configOf('dev');
  expect(dev.network.isolatedSubnets).toBe(true);
  const network = environmentJson('dev').Network;
  expect(ofType(network, 'AWS::EC2::Subnet').filter(([id]) => id.includes('isolated')).length).toBe(dev.availabilityZones.length);
});

test('a service that names no data receives nothing: no variable, secret, grant or rule', () => {
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const stack = new Stack(new App(), 'Service', { env: { account: '111111111111', region: 'us-east-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['us-east-1a', 'us-east-1b'], natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const taskRole = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const securityGroup = new ec2.SecurityGroup(stack, 'SecurityGroup', { vpc });
    const given = serviceData({ name: 'quiet' }, { databases: [], caches: [], queues: [], buckets: [] });
    given.attach({ serviceName: 'quiet', taskRole, securityGroup });
    expect(given.environment).toEqual({});
    expect(given.secrets).toEqual({});
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    expect(roles).toHaveLength(1);
    expect(roles[0].Properties.ManagedPolicyArns ?? []).toEqual([]);
  } finally {
    process.env.CDK_VALIDATION = previous;
  }
});

test('a copy to another vault is kept as long as the recovery point it copies (the monthly one a year, not the daily retention)', () => {
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const stack = new Stack(new App(), 'Data', { env: { account: '111111111111', region: 'us-east-1' } });
    const copyToVaultArn = 'arn:aws:backup:us-west-2:333333333333:backup-vault:connect-dr';
    new EnvironmentBackup(stack, 'Backup', { environmentName: 'prod', production: true, config: { retentionDays: 35, copyToVaultArn }, resourceArns: [] });
    const [plan] = Object.values(Template.fromStack(stack).findResources('AWS::Backup::BackupPlan'));
    const rules = Object.fromEntries(plan.Properties.BackupPlan.BackupPlanRule.map((rule: any) => [rule.RuleName, rule]));
    expect(rules.daily.Lifecycle.DeleteAfterDays).toBe(35);
    expect(rules.daily.CopyActions).toEqual([{ DestinationBackupVaultArn: copyToVaultArn, Lifecycle: { DeleteAfterDays: 35 } }]);
    expect(rules.monthly.Lifecycle.DeleteAfterDays).toBe(365);
    expect(rules.monthly.CopyActions).toEqual([{ DestinationBackupVaultArn: copyToVaultArn, Lifecycle: { DeleteAfterDays: 365 } }]);
  } finally {
    process.env.CDK_VALIDATION = previous;
  }
});
