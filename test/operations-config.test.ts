/**
 * The operations area of the config (lib/config/operations.ts) and the rules around it: a bad value names the file,
 * the field and what is expected; the canary calls a public route; one environment per account and region (the
 * account-level log subscription policy); and the budget's tag scope. No synth of the app.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironmentConfigs, parseEnvironmentConfig } from '../lib/config/load';
import { canaryFailedRunsThreshold } from '../lib/constructs/monitoring/alarm-table';
import { EnvironmentBudget } from '../lib/constructs/operations/environment-budget';
import { ENVIRONMENT_TAG } from '../lib/constructs/operations/environment-budget';
import { LogArchive, SOURCE_PARTITION_QUERY } from '../lib/constructs/operations/log-archive';
import { LogArchiveConfig } from '../lib/config/operations';
import { tagEnvironment } from '../lib/stage/connect-stage';
import { problemsOf, shippedConfig as shipped } from './support/config-problems';


describe('operations config', () => {
  test('the shipped environments parse, with defaults filled in', () => {
    const dev = parseEnvironmentConfig('config/dev.json', JSON.stringify(shipped('dev')));
    expect(dev.operations.logArchive.infrequentAccessAfterDays).toBe(30);
    expect(dev.operations.canary.failedRunsToAlarm).toBe(2);
    expect(dev.operations.budget.scope).toBe('account');
  });

  test.each([
    ['no budget', (c: any) => delete c.operations.budget, 'config/dev.json: operations.budget: '],
    ['a budget of 0', (c: any) => (c.operations.budget.monthlyUsd = 0), 'config/dev.json: operations.budget.monthlyUsd: expected an amount above 0'],
    ['a threshold of -5 %', (c: any) => (c.operations.budget.actualPercent = [-5]), 'config/dev.json: operations.budget.actualPercent[0]: expected a percentage above 0'],
    ['a canary every hour', (c: any) => (c.operations.canary.everyMinutes = 60), 'config/dev.json: operations.canary.everyMinutes: expected whole minutes from 1 to 10'],
    ['a relative canary path', (c: any) => (c.operations.canary.path = 'health'), 'config/dev.json: operations.canary.path: expected an absolute path'],
    ['a RUM domain that is a URL', (c: any) => (c.operations.rum.domain = 'https://dev.example.com'), 'config/dev.json: operations.rum.domain: expected a lower-case DNS name'],
    ['Glacier before Standard-IA has run 30 days', (c: any) => (c.operations.logArchive = { infrequentAccessAfterDays: 60, glacierAfterDays: 80 }), 'config/dev.json: operations.logArchive.glacierAfterDays: expected at least 30 days after infrequentAccessAfterDays (60)'],
    ['a central account that is not an id', (c: any) => (c.operations.logArchive = { centralAccount: { accountId: '12', bucketName: 'central-logs', kmsKeyArn: 'x' } }), 'config/dev.json: operations.logArchive.centralAccount.accountId: expected a 12-digit AWS account id'],
  ])('%s names the file, the field and what is expected', (_name, edit, expected) => {
    expect(problemsOf('dev', edit).join('\n')).toContain(expected);
  });

  test('the canary must call a public GET route: a private route or an unknown path stops synth', () => {
    expect(problemsOf('dev', (c) => (c.operations.canary.path = '/notifications'))).toEqual([
      'config/dev.json: operations.canary.path: expected a public GET route the canary can call without credentials (/health); got "/notifications"',
    ]);
    expect(problemsOf('dev', (c) => (c.operations.canary.path = '/health'))).toEqual([]);
  });

  test('two environments in one account and region stop synth: each holds the one log subscription policy of its account', () => {
    const directory = mkdtempSync(join(tmpdir(), 'connect-operations-config-'));
    const staging = { ...shipped('staging'), account: shipped('dev').account };
    writeFileSync(join(directory, 'dev.json'), JSON.stringify(shipped('dev')));
    writeFileSync(join(directory, 'staging.json'), JSON.stringify(staging));
    expect(() => loadEnvironmentConfigs(directory)).toThrow(/staging\.json: account: expected an account and region of its own; \S*dev\.json deploys to 111111111111 in us-east-1 too/);
    writeFileSync(join(directory, 'staging.json'), JSON.stringify({ ...staging, region: 'us-west-2', availabilityZones: ['us-west-2a', 'us-west-2b'] }));
    expect(() => loadEnvironmentConfigs(directory)).not.toThrow();
  });

  test('the canary alarm fires at the configured failed runs, capped at the runs a 15-minute window holds', () => {
    expect(canaryFailedRunsThreshold({ everyMinutes: 5, failedRunsToAlarm: 2 })).toBe(2);
    expect(canaryFailedRunsThreshold({ everyMinutes: 5, failedRunsToAlarm: 3 })).toBe(3);
    expect(canaryFailedRunsThreshold({ everyMinutes: 10, failedRunsToAlarm: 2 })).toBe(1);
    expect(canaryFailedRunsThreshold({ everyMinutes: 1, failedRunsToAlarm: 3 })).toBe(3);
  });
});

describe('the log archive partition key', () => {
  // The query Firehose runs (jq 1.6, placed as the value of "source"), run here by the jq 1.6 of the machine when it
  // has one (Debian's jq package); without jq the check cannot run and says so.
  const jq = spawnSync('jq', ['--version'], { encoding: 'utf8' });
  const run = jq.status === 0 && jq.stdout.startsWith('jq-1.6') ? test : test.skip;
  run('names the log group folder, and gives control messages their own', () => {
    const source = (record: object) => {
      const out = spawnSync('jq', ['-c', `{"source":${SOURCE_PARTITION_QUERY}}`], { input: JSON.stringify(record), encoding: 'utf8' });
      expect(out.stderr).toBe('');
      return JSON.parse(out.stdout).source;
    };
    expect(source({ messageType: 'DATA_MESSAGE', logGroup: '/aws/lambda/connect-dev-fn', logEvents: [] })).toBe('aws.lambda.connect-dev-fn');
    expect(source({ messageType: 'DATA_MESSAGE', logGroup: 'aws-waf-logs-connect-dev-api', logEvents: [] })).toBe('aws-waf-logs-connect-dev-api');
    expect(source({ messageType: 'DATA_MESSAGE', logGroup: 'devApi-AccessLogs8B620ECA-x1Y2', logEvents: [] })).toBe('devApi-AccessLogs8B620ECA-x1Y2');
    expect(source({ messageType: 'CONTROL_MESSAGE', logGroup: '', logEvents: [] })).toBe('cloudwatch-logs-control');
  });
});

describe('constructs with options the shipped environments do not use', () => {
  const previous = process.env.CDK_VALIDATION;
  beforeAll(() => (process.env.CDK_VALIDATION = 'false'));
  afterAll(() => (process.env.CDK_VALIDATION = previous));

  test('a log archive with Glacier and a central logging account: lifecycle rule, and replication of logs/ re-encrypted with the central key', () => {
    // cdk.json's feature flags (S3 access logs through a bucket policy), as the app gets them.
    const context = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')).context;
    const stack = new Stack(new App({ context }), 'Archive', { env: { account: '111111111111', region: 'us-east-1' } });
    const centralAccount = { accountId: '999999999999', bucketName: 'central-connect-logs', kmsKeyArn: 'arn:aws:kms:us-east-1:999999999999:key/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f' };
    const archive = LogArchiveConfig.parse({ glacierAfterDays: 180, centralAccount });
    new LogArchive(stack, 'LogArchive', { environment: 'qa', kind: 'production', archive, logsKey: new kms.Key(stack, 'Key'), logRetention: logs.RetentionDays.ONE_YEAR });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'glacier-instant-retrieval', Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 180 }] })]) },
      ReplicationConfiguration: {
        Rules: [
          Match.objectLike({
            Status: 'Enabled',
            Filter: { Prefix: 'logs/' },
            Destination: { Bucket: 'arn:aws:s3:::central-connect-logs', Account: '999999999999', AccessControlTranslation: { Owner: 'Destination' }, EncryptionConfiguration: { ReplicaKmsKeyID: centralAccount.kmsKeyArn } },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'connect-qa-log-archive-replication' });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['s3:ObjectOwnerOverrideToBucketOwner', 's3:ReplicateDelete', 's3:ReplicateObject', 's3:ReplicateTags'], Resource: 'arn:aws:s3:::central-connect-logs/*' })]) },
    });
    // Production keeps archived logs seven years by default.
    template.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 2557 })]) } });
  });

  test('a budget scoped to the environment tag filters on the cost allocation tag the Stage puts on every resource', () => {
    const stack = new Stack(new App(), 'Budget', { env: { account: '111111111111', region: 'us-east-1' } });
    const budget = { monthlyUsd: 300, actualPercent: [80], forecastPercent: [100], scope: 'environment-tag' as const };
    new EnvironmentBudget(stack, 'Budget', { environment: 'qa', budget });
    tagEnvironment(stack, { name: 'qa', tags: {} });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Budgets::Budget', { Budget: { CostFilters: { TagKeyValue: ['user:connect:environment$qa'] } } });
    // The tag the filter names is the one tagEnvironment sets.
    expect(ENVIRONMENT_TAG).toBe('connect:environment');
    const account = new Stack(new App(), 'Account', { env: { account: '111111111111', region: 'us-east-1' } });
    new EnvironmentBudget(account, 'Budget', { environment: 'qa', budget: { ...budget, scope: 'account' } });
    expect(JSON.stringify(Template.fromStack(account).toJSON())).not.toContain('CostFilters');
  });
});
