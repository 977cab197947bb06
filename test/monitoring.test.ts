import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { loadEnvironmentConfigs } from '../lib/config/load';
import { EnvironmentConfig } from '../lib/config/schema';
import { Monitoring } from '../lib/constructs/monitoring/monitoring';
import { QueueWithDlq } from '../lib/constructs/queue-with-dlq';
import { ENVIRONMENTS, environmentJson, stackTemplate } from './support/assembly';

const configs = Object.fromEntries(loadEnvironmentConfigs(join(__dirname, '..', 'config')).map((config) => [config.name, config]));

type Resource = { Type: string; Properties?: any };
const resourcesOf = (environment: string, type: string): Array<[string, Resource]> =>
  Object.entries(environmentJson(environment)).flatMap(([stack, template]: [string, any]) =>
    Object.values(template.Resources ?? {})
      .filter((resource: any) => resource.Type === type)
      .map((resource) => [stack, resource as Resource] as [string, Resource]),
  );

/** The alarm names each ECS service's DeploymentConfiguration rolls back on (Refs to alarms of its stack). */
const deploymentAlarmNames = (environment: string): string[] =>
  Object.values(environmentJson(environment)).flatMap((template: any) =>
    Object.values(template.Resources ?? {})
      .filter((resource: any) => resource.Type === 'AWS::ECS::Service')
      .flatMap((service: any) => service.Properties.DeploymentConfiguration?.Alarms?.AlarmNames ?? [])
      .map((name: any) => template.Resources[name.Ref]?.Properties?.AlarmName),
  );

describe.each(ENVIRONMENTS)('%s alerting', (environment) => {
  const config = configs[environment];
  const alerting = stackTemplate(environment, 'Alerting');

  test('has a critical and a warning topic, both encrypted with the alerts key and TLS-only', () => {
    alerting.resourceCountIs('AWS::SNS::Topic', 2);
    for (const severity of ['critical', 'warning']) {
      alerting.hasResourceProperties('AWS::SNS::Topic', { TopicName: `connect-${environment}-alerts-${severity}`, KmsMasterKeyId: Match.anyValue() });
    }
    alerting.allResourcesProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
  });

  test('subscribes the configured e-mails: critical to alarms.emails, warnings to warningEmails or emails', () => {
    const subscriptions = Object.values(alerting.findResources('AWS::SNS::Subscription')) as Resource[];
    const endpoints = (severity: string) =>
      subscriptions
        .filter((s) => s.Properties.Protocol === 'email' && JSON.stringify(s.Properties.TopicArn).includes(severity === 'critical' ? 'Critical' : 'Warning'))
        .map((s) => s.Properties.Endpoint)
        .sort();
    expect(endpoints('critical')).toEqual([...config.alarms.emails].sort());
    expect(endpoints('warning')).toEqual([...(config.alarms.warningEmails ?? config.alarms.emails)].sort());
  });

  test('has a chat channel only where one is configured, with the read-only guardrail', () => {
    const chat = config.alarms.chat;
    alerting.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', chat?.type === 'slack' ? 1 : 0);
    alerting.resourceCountIs('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', chat?.type === 'teams' ? 1 : 0);
    if (chat) {
      const type = chat.type === 'slack' ? 'AWS::Chatbot::SlackChannelConfiguration' : 'AWS::Chatbot::MicrosoftTeamsChannelConfiguration';
      const [channel] = Object.values(alerting.findResources(type)) as Resource[];
      expect(JSON.stringify(channel.Properties.GuardrailPolicies)).toContain(':iam::aws:policy/ReadOnlyAccess');
      expect(channel.Properties.GuardrailPolicies).toHaveLength(1);
      expect(channel.Properties.SnsTopicArns).toHaveLength(2);
    }
  });

  test('every alarm notifies one of the alert topics', () => {
    for (const [stack, alarm] of resourcesOf(environment, 'AWS::CloudWatch::Alarm')) {
      expect({ stack, actions: JSON.stringify(alarm.Properties.AlarmActions ?? []) }).toEqual({ stack, actions: expect.stringMatching(new RegExp(`:connect-${environment}-alerts-(critical|warning)"`)) });
    }
  });

  test('every alarm is named <env>-<stack>-<resource>-<metric>, says what it means and what to do first, and goes to the topic of its severity', () => {
    // Every alarm of the environment, the blue/green rollback alarms included: all come from the alarm table.
    const alarms = resourcesOf(environment, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    const rollbackAlarms = new Set(deploymentAlarmNames(environment));
    for (const [stack, { Properties: alarm }] of alarms) {
      expect({ stack, name: alarm.AlarmName }).toEqual({ stack, name: expect.stringMatching(new RegExp(`^${environment}-${stack}-[A-Za-z0-9_.-]+-[a-z0-9-]+$`)) });
      expect({ name: alarm.AlarmName, description: alarm.AlarmDescription }).toEqual({
        name: alarm.AlarmName,
        description: expect.stringMatching(new RegExp(`^Connect ${environment} \\((critical|warning)\\): [^]{10,}\\. First: [^]{10,}\\.$`)),
      });
      expect(['breaching', 'notBreaching', 'ignore', 'missing']).toContain(alarm.TreatMissingData);
      const severity = /\((critical|warning)\)/.exec(alarm.AlarmDescription)?.[1];
      expect(alarm.AlarmActions).toHaveLength(1);
      expect(JSON.stringify(alarm.AlarmActions)).toContain(`:connect-${environment}-alerts-${severity}"`);
      // Critical alarms also say when they clear; warnings do not page twice, except a rollback alarm's: a release
      // team wants to know when the alarm that rolled its release back clears.
      if (severity === 'critical' || rollbackAlarms.has(alarm.AlarmName)) expect(alarm.OKActions).toEqual(alarm.AlarmActions);
      else expect(alarm.OKActions).toBeUndefined();
    }
    const names = alarms.map(([, alarm]) => alarm.Properties.AlarmName);
    expect(new Set(names).size).toBe(names.length);
  });

  test('each blue/green service rolls back on its three rollback alarms, which reach the warning topic', () => {
    const rollbackAlarms = deploymentAlarmNames(environment);
    expect(rollbackAlarms).toHaveLength(3 * config.services.length);
    const byName = new Map(resourcesOf(environment, 'AWS::CloudWatch::Alarm').map(([, alarm]) => [alarm.Properties.AlarmName, alarm.Properties]));
    for (const name of rollbackAlarms) {
      expect(name).toMatch(new RegExp(`^${environment}-Services-.+-rollback-(target-5xx|unhealthy-targets|p99-latency)$`));
      const alarm = byName.get(name);
      expect(alarm.AlarmDescription).toMatch(/^Connect \S+ \(warning\): .*ECS rolls it back\. First: /);
      expect(JSON.stringify(alarm.AlarmActions)).toContain(`:connect-${environment}-alerts-warning"`);
    }
  });

  test('alarms reference only their own stack and import nothing', () => {
    for (const [, alarm] of resourcesOf(environment, 'AWS::CloudWatch::Alarm')) expect(JSON.stringify(alarm)).not.toContain('Fn::ImportValue');
  });

  test('queue alarms follow the configured thresholds; a DLQ message is critical', () => {
    const alarms = resourcesOf(environment, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
    const age = alarms.filter((a) => a.AlarmName?.endsWith('-oldest-message-age'));
    const dlq = alarms.filter((a) => a.AlarmName?.endsWith('-dlq-visible-messages'));
    expect(age.length).toBeGreaterThan(0);
    expect(age.every((a) => a.Threshold === config.alarms.thresholds.queueOldestMessageSeconds)).toBe(true);
    expect(dlq).toHaveLength(age.length);
    for (const a of dlq) expect(a).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'ignore' });
  });

  test('has one dashboard, showing every alarm of the environment (rollback alarms included), without imports', () => {
    const dashboards = resourcesOf(environment, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const [stack, dashboard] = dashboards[0];
    expect(stack).toBe('Dashboard');
    expect(dashboard.Properties.DashboardName).toBe(`connect-${environment}`);
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(body).not.toContain('Fn::ImportValue');
    const alarms = resourcesOf(environment, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    for (const [, alarm] of alarms) expect(body).toContain(`:alarm:${alarm.Properties.AlarmName}`);
    for (const name of deploymentAlarmNames(environment)) expect(body).toContain(`:alarm:${name}`);
  });

  test('every log group has the environment retention and is encrypted', () => {
    const groups = resourcesOf(environment, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(0);
    for (const [stack, group] of groups) {
      expect({ stack, retention: group.Properties?.RetentionInDays }).toEqual({ stack, retention: config.logRetentionDays });
      expect({ stack, key: group.Properties?.KmsKeyId === undefined ? 'missing' : 'set' }).toEqual({ stack, key: 'set' });
    }
  });
});

describe('Monitoring thresholds', () => {
  const previous = process.env.CDK_VALIDATION;
  beforeAll(() => (process.env.CDK_VALIDATION = 'false'));
  afterAll(() => (process.env.CDK_VALIDATION = previous));

  test('come from alarms.thresholds of the config', () => {
    const thresholds = EnvironmentConfig.shape.alarms.parse({
      emails: ['oncall@example.com'],
      thresholds: { queueOldestMessageSeconds: 120, lambdaErrors: 3, lambdaDurationFractionOfTimeout: 0.5 },
    }).thresholds;
    const stack = new Stack(new App(), 'Work', { env: { account: '111111111111', region: 'us-east-1' } });
    const queue = new QueueWithDlq(stack, 'Jobs', { encryptionKey: new kms.Key(stack, 'Key'), visibilityTimeout: Duration.seconds(60) });
    const fn = new lambda.Function(stack, 'Worker', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
      timeout: Duration.seconds(20),
    });
    const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['us-east-1a', 'us-east-1b'], natGateways: 1 });
    new Monitoring(stack, 'Monitoring', { environment: 'qa', thresholds, queues: [queue], functions: [fn], natGateways: vpc.node.findAll().filter((c): c is ec2.CfnNatGateway => c instanceof ec2.CfnNatGateway) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'qa-Work-Jobs-oldest-message-age', Threshold: 120 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'qa-Work-Worker-errors', Threshold: 3, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'qa-Work-Worker-p99-duration', Threshold: 10_000, ExtendedStatistic: 'p99' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: Match.stringLikeRegexp('^qa-Work-Vpc-.*-port-allocation-errors$'), Namespace: 'AWS/NATGateway' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: Match.stringLikeRegexp('^qa-Work-Vpc-.*-packets-dropped$'), MetricName: 'PacketsDropCount' });
  });

  test('of the rollback alarms come from alarms.thresholds, read both target groups, fire on 2 of 3 (latency 3 of 3) minutes and notify the warning topic on ALARM and OK', () => {
    const thresholds = EnvironmentConfig.shape.alarms.parse({
      emails: ['oncall@example.com'],
      thresholds: { serviceTarget5xxPerMinute: 7, serviceP99LatencyMs: 1500 },
    }).thresholds;
    const stack = new Stack(new App(), 'Services', { env: { account: '111111111111', region: 'us-east-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['us-east-1a', 'us-east-1b'], natGateways: 1 });
    const release = new Construct(stack, 'Service-orders');
    const targetGroup = (id: string) => new elbv2.ApplicationTargetGroup(release, id, { vpc, port: 8080, protocol: elbv2.ApplicationProtocol.HTTP, targetType: elbv2.TargetType.IP });
    const targets = Object.assign(release, { blueTargetGroup: targetGroup('Blue'), greenTargetGroup: targetGroup('Green'), healthCheckPath: '/ready' });
    // Target group metrics need the groups attached to a load balancer (their LoadBalancer dimension).
    new elbv2.ApplicationLoadBalancer(stack, 'LoadBalancer', { vpc }).addListener('Production', {
      port: 80,
      defaultAction: elbv2.ListenerAction.weightedForward([
        { targetGroup: targets.blueTargetGroup, weight: 100 },
        { targetGroup: targets.greenTargetGroup, weight: 0 },
      ]),
    });
    const alarms = new Monitoring(release, 'RollbackAlarms', { environment: 'qa', thresholds }).watch({ releases: [targets] });
    expect(alarms).toHaveLength(3);
    const template = Template.fromStack(stack);
    const rollback = (suffix: string, expected: Record<string, unknown>) =>
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `qa-Services-Service-orders-rollback-${suffix}`,
        AlarmDescription: Match.stringLikeRegexp('^Connect qa \\(warning\\): .*ECS rolls it back\\. First: .+\\.$'),
        EvaluationPeriods: 3,
        ...expected,
      });
    rollback('target-5xx', { Threshold: 7, ComparisonOperator: 'GreaterThanThreshold', DatapointsToAlarm: 2 });
    rollback('unhealthy-targets', { Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', DatapointsToAlarm: 2 });
    rollback('p99-latency', { Threshold: 1.5, ComparisonOperator: 'GreaterThanThreshold', DatapointsToAlarm: 3 });
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[]) {
      const groups = alarm.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => JSON.stringify(m.MetricStat.Metric.Dimensions));
      expect(groups).toHaveLength(2);
      expect(groups.some((d: string) => d.includes('Blue'))).toBe(true);
      expect(groups.some((d: string) => d.includes('Green'))).toBe(true);
      expect(JSON.stringify(alarm.Properties.AlarmActions)).toContain(':connect-qa-alerts-warning"');
      expect(alarm.Properties.OKActions).toEqual(alarm.Properties.AlarmActions);
    }
  });

  test('refuse a resource of another stack, which would need a cross-stack reference', () => {
    const app = new App();
    const owner = new Stack(app, 'Owner');
    const queue = new QueueWithDlq(owner, 'Jobs', { encryptionKey: new kms.Key(owner, 'Key'), visibilityTimeout: Duration.seconds(60) });
    const thresholds = EnvironmentConfig.shape.alarms.parse({ emails: ['oncall@example.com'] }).thresholds;
    expect(() => new Monitoring(new Stack(app, 'Other'), 'Monitoring', { environment: 'qa', thresholds, queues: [queue] })).toThrow(/belongs to another stack/);
  });
});
