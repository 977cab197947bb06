import { Match, type Template } from 'aws-cdk-lib/assertions';
import { PRODUCTION_PORT, TEST_PORT_BASE } from '../lib/stacks/services-stack';
import { environmentConfig } from './support/api-template';
import { ENVIRONMENTS, environmentJson, environmentTemplates, stackTemplate } from './support/assembly';

/** The one resource of a type in a template (fails when there are more or none). */
function only(template: Template, type: string): { logicalId: string; resource: any } {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return { logicalId: found[0][0], resource: found[0][1] };
}

const ref = (logicalId: string) => ({ Ref: logicalId });

describe.each(ENVIRONMENTS)('%s services', (environment) => {
  const template = stackTemplate(environment, 'Services');
  const repositories = stackTemplate(environment, 'ServiceRepositories');
  const service = only(template, 'AWS::ECS::Service').resource.Properties;
  const targetGroups = template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup');
  const listeners = template.findResources('AWS::ElasticLoadBalancingV2::Listener');
  const rules = template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule');
  const listenerByPort = (port: number) => Object.entries(listeners).find(([, l]: [string, any]) => l.Properties.Port === port)?.[0];

  test('runs a Fargate cluster with Container Insights enhanced', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }] });
  });

  test('keeps images in a scanned, immutable, KMS-encrypted ECR repository with lifecycle rules (retained in production)', () => {
    const { resource } = only(repositories, 'AWS::ECR::Repository');
    expect(resource.Properties).toMatchObject({
      RepositoryName: `connect/${environment}/accounts`,
      ImageScanningConfiguration: { ScanOnPush: true },
      ImageTagMutability: 'IMMUTABLE',
      EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: expect.anything() },
    });
    const policy = JSON.parse(resource.Properties.LifecyclePolicy.LifecyclePolicyText);
    expect(policy.rules.map((r: any) => r.selection.tagStatus)).toEqual(['untagged', 'any']);
    expect(resource.DeletionPolicy).toBe(environment === 'prod' ? 'Retain' : 'Delete');
  });

  test('runs the configured image tag read-only as a non-root user, logging to an encrypted log group', () => {
    const task = only(template, 'AWS::ECS::TaskDefinition').resource.Properties;
    expect(task).toMatchObject({ RequiresCompatibilities: ['FARGATE'], NetworkMode: 'awsvpc' });
    const [container] = task.ContainerDefinitions;
    expect(JSON.stringify(container.Image)).toContain(':1.4.2');
    expect(container).toMatchObject({
      ReadonlyRootFilesystem: true,
      User: '1000:1000',
      PortMappings: [{ ContainerPort: 8080 }],
      Environment: [{ Name: 'LOG_LEVEL', Value: 'info' }],
      MountPoints: [{ ContainerPath: '/tmp', ReadOnly: false }],
      LogConfiguration: { LogDriver: 'awslogs' },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: { dev: 30, staging: 90, prod: 365 }[environment] });
  });

  test('releases blue/green through the ECS deployment controller with the configured bake time', () => {
    expect(service.DeploymentController).toEqual({ Type: 'ECS' });
    expect(service.DeploymentConfiguration).toMatchObject({
      Strategy: 'BLUE_GREEN',
      BakeTimeInMinutes: environment === 'prod' ? 15 : expect.any(Number),
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
    });
  });

  test('has blue and green target groups on the health check path, moved by production and test listener rules', () => {
    expect(Object.keys(targetGroups)).toHaveLength(2);
    for (const group of Object.values(targetGroups) as any[]) {
      expect(group.Properties).toMatchObject({ TargetType: 'ip', Port: 8080, Protocol: 'HTTP', HealthCheckPath: '/health' });
    }
    const [{ TargetGroupArn: blue, AdvancedConfiguration: advanced }] = service.LoadBalancers;
    const green = advanced.AlternateTargetGroupArn;
    expect(blue).not.toEqual(green);
    expect(Object.keys(targetGroups).map(ref)).toEqual(expect.arrayContaining([blue, green]));

    const production = rules[advanced.ProductionListenerRule.Ref].Properties;
    expect(production.ListenerArn).toEqual(ref(listenerByPort(PRODUCTION_PORT) as string));
    expect(production.Conditions).toEqual([{ Field: 'path-pattern', PathPatternConfig: { Values: ['/accounts', '/accounts/*'] } }]);
    const test = rules[advanced.TestListenerRule.Ref].Properties;
    expect(test.ListenerArn).toEqual(ref(listenerByPort(TEST_PORT_BASE) as string));
    for (const rule of [production, test]) {
      expect(rule.Actions[0].ForwardConfig.TargetGroups).toEqual([
        { TargetGroupArn: blue, Weight: 100 },
        { TargetGroupArn: green, Weight: 0 },
      ]);
    }
  });

  test('smoke-tests green through its test listener before production moves', () => {
    const [hook] = service.DeploymentConfiguration.LifecycleHooks;
    expect(hook.LifecycleStages).toEqual(['POST_TEST_TRAFFIC_SHIFT']);
    const hookFunction = template.findResources('AWS::Lambda::Function')[hook.HookTargetArn['Fn::GetAtt'][0]];
    expect(hookFunction.Properties.Description).toMatch(/smoke-tests a new service revision/);
    expect(hook.HookDetails.smokeTestPaths).toEqual(['/health', '/accounts/ping']);
    expect(JSON.stringify(hook.HookDetails.testBaseUrl)).toContain(`:${TEST_PORT_BASE}`);
    // ECS may invoke the hook; the hook may reach the test port of the load balancer.
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'lambda:InvokeFunction' })]) },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: TEST_PORT_BASE, ToPort: TEST_PORT_BASE, SourceSecurityGroupId: Match.anyValue() });
  });

  test('rolls back on target 5xx, unhealthy targets and p99 latency alarms that read both target groups', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    const wired = service.DeploymentConfiguration.Alarms;
    expect(wired).toMatchObject({ Enable: true, Rollback: true });
    const wiredAlarms = wired.AlarmNames.map((name: { Ref: string }) => alarms[name.Ref]);
    const metricsOf = (alarm: any) => alarm.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric.MetricName);
    expect(wiredAlarms.map(metricsOf)).toEqual([
      ['HTTPCode_Target_5XX_Count', 'HTTPCode_Target_5XX_Count'],
      ['UnHealthyHostCount', 'UnHealthyHostCount'],
      ['TargetResponseTime', 'TargetResponseTime'],
    ]);
    for (const alarm of wiredAlarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
  });

  test('keeps the tasks and the load balancer private', () => {
    expect(service.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
    expect(only(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').resource.Properties.Scheme).toBe('internal');
    for (const templateOfStack of Object.values(environmentTemplates(environment))) {
      for (const lb of Object.values(templateOfStack.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer')) as any[]) {
        expect(lb.Properties.Scheme).toBe('internal');
      }
    }
    // No rule of the load balancer's security group is open to an address range: only security groups (VPC link, hook).
    const albGroup = Object.values(template.findResources('AWS::EC2::SecurityGroup')).find((g: any) => /^Internal ALB/.test(g.Properties.GroupDescription)) as any;
    expect(albGroup.Properties.SecurityGroupIngress ?? []).toEqual([]);
    for (const ingress of Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')) as any[]) {
      expect(ingress.Properties.CidrIp).toBeUndefined();
    }
  });

  test('opens the production port to API Gateway through a VPC link V2 and exposes it to the API stack', () => {
    const link = only(template, 'AWS::ApiGatewayV2::VpcLink');
    expect(link.resource.Properties.SecurityGroupIds).toHaveLength(1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: PRODUCTION_PORT,
      ToPort: PRODUCTION_PORT,
      SourceSecurityGroupId: link.resource.Properties.SecurityGroupIds[0],
    });
  });

  test('scales on CPU, memory and requests per task within the configured bounds', () => {
    const { resource } = only(template, 'AWS::ApplicationAutoScaling::ScalableTarget');
    expect(resource.Properties).toMatchObject({ MinCapacity: environment === 'prod' ? 2 : 1, MaxCapacity: environment === 'prod' ? 10 : 2 });
    const policies = Object.values(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy')).map((p: any) => p.Properties.TargetTrackingScalingPolicyConfiguration);
    const predefined = policies.map((p) => p.PredefinedMetricSpecification?.PredefinedMetricType).filter(Boolean);
    expect(predefined.sort()).toEqual(['ECSServiceAverageCPUUtilization', 'ECSServiceAverageMemoryUtilization']);
    const requests = policies.find((p) => p.CustomizedMetricSpecification);
    expect(requests.CustomizedMetricSpecification.Metrics.map((m: any) => m.MetricStat?.Metric.MetricName ?? m.Expression)).toEqual([
      'RequestCount',
      'RequestCount',
      'RunningTaskCount',
      '(FILL(blue, 0) + FILL(green, 0)) / tasks',
    ]);
  });
});

test('production runs at least two tasks, spread over its AZs', () => {
  const service = only(stackTemplate('prod', 'Services'), 'AWS::ECS::Service').resource.Properties;
  expect(service.DesiredCount).toBeGreaterThanOrEqual(2);
  expect(service.NetworkConfiguration.AwsvpcConfiguration.Subnets).toHaveLength(3);
  expect(service.AvailabilityZoneRebalancing).toBe('ENABLED');
});

/**
 * Where CloudFormation accepts `Fn::GetStackOutput` (the weak cross-stack references CDK synthesizes) inside another
 * intrinsic. The function's page, https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getstackoutput.html,
 * lists no nesting beyond its own arguments; the positions CloudFormation accepts were established by deploying
 * (cfn-lint https://github.com/aws-cloudformation/cfn-lint/pull/4495 and /pull/4519): the list of values of
 * Fn::Join, Fn::If, Fn::Select, the variable map of Fn::Sub and Fn::Base64. Not Fn::Split (cfn-lint E1022), nor
 * Fn::ImportValue or conditions.
 */
const GET_STACK_OUTPUT_PARENTS: Readonly<Record<string, (args: any[] | any, child: any) => boolean>> = {
  'Fn::Join': (args, child) => Array.isArray(args) && Array.isArray(args[1]) && args[1].includes(child),
  'Fn::If': (args, child) => Array.isArray(args) && args.indexOf(child) > 0,
  'Fn::Select': (args, child) => Array.isArray(args) && args[1] === child,
  'Fn::Sub': (args, child) => Array.isArray(args) && typeof args[1] === 'object' && Object.values(args[1]).includes(child),
  'Fn::Base64': (args, child) => args === child,
};

/** Every `Fn::GetStackOutput` whose nearest enclosing intrinsic is not a documented position, with its JSON path. */
function misplacedStackOutputs(template: Record<string, any>): string[] {
  const found: string[] = [];
  const visit = (value: any, path: string, parent?: { fn: string; args: any }): void => {
    if (Array.isArray(value)) return value.forEach((item, i) => visit(item, `${path}[${i}]`, parent));
    if (!value || typeof value !== 'object') return;
    const keys = Object.keys(value);
    const fn = keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::')) ? keys[0] : undefined;
    if (fn === 'Fn::GetStackOutput' && parent && !GET_STACK_OUTPUT_PARENTS[parent.fn]?.(parent.args, value)) found.push(`${path} (inside ${parent.fn})`);
    if (fn) return visit(value[fn], `${path}.${fn}`, { fn, args: value[fn] });
    for (const key of keys) visit(value[key], `${path}.${key}`, parent);
  };
  visit(template.Resources ?? {}, 'Resources');
  visit(template.Outputs ?? {}, 'Outputs');
  return found;
}

describe.each(ENVIRONMENTS)('%s cross-stack references', (environment) => {
  test('no Fn::GetStackOutput sits inside an intrinsic where CloudFormation does not accept it (e.g. Fn::Split)', () => {
    const templates = environmentJson(environment);
    const misplaced = Object.entries(templates).flatMap(([stack, template]) => misplacedStackOutputs(template).map((path) => `${stack}: ${path}`));
    expect(misplaced).toEqual([]);
  });

  test('the Services stack builds the image from the repository name in config, account and region', () => {
    const task = only(stackTemplate(environment, 'Services'), 'AWS::ECS::TaskDefinition').resource.Properties;
    expect(task.ContainerDefinitions[0].Image).toEqual({
      'Fn::Join': ['', [`${environmentConfig(environment).account}.dkr.ecr.us-east-1.`, { Ref: 'AWS::URLSuffix' }, `/connect/${environment}/accounts:1.4.2`]],
    });
  });
});

test('the nesting check reports Fn::Split over a stack output and accepts the documented positions', () => {
  const output = { 'Fn::GetStackOutput': { StackName: 'dev-Other', OutputName: 'Arn' } };
  const template = {
    Resources: {
      Bad: { Properties: { Image: { 'Fn::Join': ['', [{ 'Fn::Select': [4, { 'Fn::Split': [':', output] }] }, '.dkr']] } } },
      Good: { Properties: { Direct: output, Joined: { 'Fn::Join': [':', [output, '*']] }, Chosen: { 'Fn::If': ['C', output, 'x'] }, Sub: { 'Fn::Sub': ['${A}', { A: output }] } } },
    },
  };
  expect(misplacedStackOutputs(template)).toEqual(['Resources.Bad.Properties.Image.Fn::Join[1][0].Fn::Select[1].Fn::Split[1] (inside Fn::Split)']);
});
