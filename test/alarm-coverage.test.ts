import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as route53resolver from 'aws-cdk-lib/aws-route53resolver';
import { EnvironmentConfig } from '../lib/config/schema';
import { AlertTopics } from '../lib/constructs/monitoring/alert-topics';
import type { ResourceKind } from '../lib/constructs/monitoring/alarm-spec';
import { ALARM_TABLE } from '../lib/constructs/monitoring/alarm-table';
import { Monitoring } from '../lib/constructs/monitoring/monitoring';
import { QueueWithDlq } from '../lib/constructs/queue-with-dlq';
import { findUnroutedDeploymentAlarms, findUnwatchedResources, WATCHED_TYPES } from './support/alarm-coverage';
import { ENVIRONMENTS, environmentJson } from './support/assembly';

describe.each(ENVIRONMENTS)('%s alarm coverage', (environment) => {
  const templates = environmentJson(environment);

  test('every queue, DLQ, function, API stage, web ACL, ECS service, target group, NAT gateway, user pool, VPN connection and Resolver endpoint has an alarm that reaches an alert topic', () => {
    expect(findUnwatchedResources(templates)).toEqual([]);
  });

  test('every alarm an ECS service rolls back on is an alarm of its stack that reaches an alert topic', () => {
    expect(findUnroutedDeploymentAlarms(templates)).toEqual([]);
  });

  test('the check is not vacuous: the environment has watched resources and alarms', () => {
    const types = Object.values(templates).flatMap((t: any) => Object.values(t.Resources ?? {}).map((r: any) => r.Type as string));
    expect(types.filter((type) => (WATCHED_TYPES as readonly string[]).includes(type)).length).toBeGreaterThan(0);
    expect(types.filter((type) => type === 'AWS::CloudWatch::Alarm').length).toBeGreaterThan(0);
  });
});

describe('the coverage check', () => {
  const previous = process.env.CDK_VALIDATION;
  beforeAll(() => (process.env.CDK_VALIDATION = 'false'));
  afterAll(() => (process.env.CDK_VALIDATION = previous));

  /** A small app: one watched queue, one unwatched, one whose alarms notify nobody. */
  function variant(): Record<string, any> {
    const app = new App();
    const env = { account: '111111111111', region: 'us-east-1' };
    const alerting = new Stack(app, 'Alerting', { env });
    const alarms = EnvironmentConfig.shape.alarms.parse({ emails: ['oncall@example.com'] });
    new AlertTopics(alerting, 'Alerts', { environment: 'variant', alarms, alertsKey: new kms.Key(alerting, 'Key') });
    const work = new Stack(app, 'Work', { env });
    const key = new kms.Key(work, 'Key');
    const watched = new QueueWithDlq(work, 'Watched', { encryptionKey: key, visibilityTimeout: Duration.seconds(60) });
    new QueueWithDlq(work, 'Unwatched', { encryptionKey: key, visibilityTimeout: Duration.seconds(60) });
    const silent = new QueueWithDlq(work, 'Silent', { encryptionKey: key, visibilityTimeout: Duration.seconds(60) });
    for (const queue of [silent.queue, silent.deadLetterQueue]) {
      new cloudwatch.Alarm(work, `${queue.node.id}SilentAlarm`, { metric: queue.metricApproximateAgeOfOldestMessage(), threshold: 1, evaluationPeriods: 1 });
    }
    new Monitoring(work, 'Monitoring', { environment: 'variant', thresholds: alarms.thresholds, queues: [watched] });
    return { Alerting: Template.fromStack(alerting).toJSON(), Work: Template.fromStack(work).toJSON() };
  }

  test('reports an unwatched queue and its DLQ, and queues whose alarms reach no alert topic, and nothing else', () => {
    const gaps = findUnwatchedResources(variant());
    expect(gaps.map((gap) => `${gap.stack} ${gap.type} ${gap.logicalId.replace(/[0-9A-F]{8}$/, '')}`).sort()).toEqual([
      'Work AWS::SQS::Queue SilentDlq',
      'Work AWS::SQS::Queue SilentQueue',
      'Work AWS::SQS::Queue UnwatchedDlq',
      'Work AWS::SQS::Queue UnwatchedQueue',
    ]);
  });

  test('accepts an alarm once its actions reach an alert topic', () => {
    const templates = variant();
    for (const resource of Object.values(templates.Work.Resources) as any[]) {
      if (resource.Type === 'AWS::CloudWatch::Alarm' && !resource.Properties.AlarmActions) {
        resource.Properties.AlarmActions = ['arn:aws:sns:us-east-1:111111111111:connect-variant-alerts-critical'];
      }
    }
    expect(findUnwatchedResources(templates).map((gap) => gap.logicalId.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['UnwatchedDlq', 'UnwatchedQueue']);
  });

  test('reports a rollback alarm that reaches no alert topic or names no alarm of the stack', () => {
    const topic = 'arn:aws:sns:us-east-1:111111111111:connect-variant-alerts-warning';
    const templates = {
      ...variant(),
      Services: {
        Resources: {
          Routed: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmActions: [topic] } },
          Silent: { Type: 'AWS::CloudWatch::Alarm', Properties: {} },
          Service: { Type: 'AWS::ECS::Service', Properties: { DeploymentConfiguration: { Alarms: { AlarmNames: [{ Ref: 'Routed' }, { Ref: 'Silent' }, 'typed-by-hand'] } } } },
        },
      },
    };
    expect(findUnroutedDeploymentAlarms(templates).map((gap) => `${gap.stack} ${gap.logicalId} ${gap.alarm}`)).toEqual([
      'Services Service {"Ref":"Silent"}',
      'Services Service "typed-by-hand"',
    ]);
  });
});

describe('the coverage check on private connectivity', () => {
  const previous = process.env.CDK_VALIDATION;
  beforeAll(() => (process.env.CDK_VALIDATION = 'false'));
  afterAll(() => (process.env.CDK_VALIDATION = previous));

  test('reports a VPN connection and a Resolver endpoint nobody watches, and not the watched ones', () => {
    const app = new App();
    const env = { account: '111111111111', region: 'us-east-1' };
    const alerting = new Stack(app, 'Alerting', { env });
    const alarms = EnvironmentConfig.shape.alarms.parse({ emails: ['oncall@example.com'] });
    new AlertTopics(alerting, 'Alerts', { environment: 'variant', alarms, alertsKey: new kms.Key(alerting, 'Key') });
    const network = new Stack(app, 'Network', { env });
    const vpn = (id: string) => new ec2.CfnVPNConnection(network, id, { type: 'ipsec.1', customerGatewayId: 'cgw-0123456789abcdef0', vpnGatewayId: 'vgw-0123456789abcdef0' });
    const endpoint = (id: string) =>
      new route53resolver.CfnResolverEndpoint(network, id, { direction: 'OUTBOUND', ipAddresses: [{ subnetId: 'subnet-1' }, { subnetId: 'subnet-2' }], securityGroupIds: ['sg-1'] });
    const [watchedVpn, watchedEndpoint] = [vpn('WatchedVpn'), endpoint('WatchedEndpoint')];
    vpn('UnwatchedVpn');
    endpoint('UnwatchedEndpoint');
    new Monitoring(network, 'Monitoring', { environment: 'variant', thresholds: alarms.thresholds, vpnConnections: [watchedVpn], resolverEndpoints: [watchedEndpoint] });
    const templates = { Alerting: Template.fromStack(alerting).toJSON(), Network: Template.fromStack(network).toJSON() };
    expect(findUnwatchedResources(templates).map((gap) => `${gap.type} ${gap.logicalId}`).sort()).toEqual([
      'AWS::EC2::VPNConnection UnwatchedVpn',
      'AWS::Route53Resolver::ResolverEndpoint UnwatchedEndpoint',
    ]);
  });
});

describe('the alarm table', () => {
  /** The CloudFormation type each kind of the table watches (a new kind fails to compile until it is listed). */
  const watchedType: Record<ResourceKind, string> = {
    queues: 'AWS::SQS::Queue',
    functions: 'AWS::Lambda::Function',
    apiStages: 'AWS::ApiGateway::Stage',
    webAcls: 'AWS::WAFv2::WebACL',
    services: 'AWS::ECS::Service',
    targetGroups: 'AWS::ElasticLoadBalancingV2::TargetGroup',
    natGateways: 'AWS::EC2::NatGateway',
    userPools: 'AWS::Cognito::UserPool',
    // Rollback alarms: checked through the services' deployment alarms (findUnroutedDeploymentAlarms).
    releases: 'AWS::ECS::Service',
    canaries: 'AWS::Synthetics::Canary',
    vpnConnections: 'AWS::EC2::VPNConnection',
    resolverEndpoints: 'AWS::Route53Resolver::ResolverEndpoint',
    databases: 'AWS::RDS::DBCluster',
    // Replica lag: the same clusters, those with readers.
    databaseReaders: 'AWS::RDS::DBCluster',
    caches: 'AWS::ElastiCache::ServerlessCache',
    backupVaults: 'AWS::Backup::BackupVault',
  };

  test('every kind of resource it monitors is checked by the coverage test', () => {
    for (const kind of Object.keys(ALARM_TABLE) as ResourceKind[]) expect(WATCHED_TYPES).toContain(watchedType[kind]);
  });

  test('every row has a distinct suffix within its kind and a first action', () => {
    for (const { alarms } of Object.values(ALARM_TABLE)) {
      const suffixes = alarms.map((spec) => spec.suffix);
      expect(new Set(suffixes).size).toBe(suffixes.length);
      for (const spec of alarms) expect(spec.firstAction.length).toBeGreaterThan(10);
    }
  });
});
