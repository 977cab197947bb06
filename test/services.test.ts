import { Validations } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { PRODUCTION_PORT, PRODUCTION_TLS_PORT } from '../lib/constructs/services-load-balancer';
import { environmentConfig, type SynthesizedMethod, synthesizedMethods } from './support/api-template';
import { ENVIRONMENTS, environmentJson, environmentTemplates, stackTemplate, TEST_ASSEMBLY_ENV } from './support/assembly';
import { changedServicesTemplate, SERVICES_CHANGE_ENVIRONMENTS } from './support/services-change';

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
  const config = environmentConfig(environment);
  const withZone = config.api.customDomain?.hostedZoneId !== undefined;
  const productionPort = withZone ? PRODUCTION_TLS_PORT : PRODUCTION_PORT;
  const testPort = config.services[0].testPort;

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

  test('runs the released image tag (its SSM parameter, docs/DELIVERY.md) read-only as a non-root user, logging to an encrypted log group', () => {
    const task = only(template, 'AWS::ECS::TaskDefinition').resource.Properties;
    expect(task).toMatchObject({ RequiresCompatibilities: ['FARGATE'], NetworkMode: 'awsvpc' });
    const [container] = task.ContainerDefinitions;
    expect(JSON.stringify(container.Image)).toContain(`/connect/${environment}/accounts:`);
    expect(JSON.stringify(container.Image)).not.toContain('1.4.2');
    expect(container).toMatchObject({
      ReadonlyRootFilesystem: true,
      User: '1000:1000',
      PortMappings: [{ ContainerPort: 8080 }],
      // The config's variables first; what the service receives for the data it names follows (test/data.test.ts).
      Environment: expect.arrayContaining([{ Name: 'LOG_LEVEL', Value: 'info' }]),
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
    expect(production.ListenerArn).toEqual(ref(listenerByPort(productionPort) as string));
    expect(production.Conditions).toEqual([{ Field: 'path-pattern', PathPatternConfig: { Values: ['/v1/accounts', '/v1/accounts/*'] } }]);
    expect(production.Priority).toBe(config.services[0].listenerPriority);
    const test = rules[advanced.TestListenerRule.Ref].Properties;
    expect(test.ListenerArn).toEqual(ref(listenerByPort(testPort) as string));
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
    expect(JSON.stringify(hook.HookDetails.testBaseUrl)).toContain(`:${testPort}`);
    // ECS may invoke the hook; the hook may reach the test port of the load balancer.
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'lambda:InvokeFunction' })]) },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: testPort, ToPort: testPort, SourceSecurityGroupId: Match.anyValue() });
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
      FromPort: productionPort,
      ToPort: productionPort,
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

  test('the Services stack builds the image from the repository name in config, account and region (the tag from its SSM parameter, docs/DELIVERY.md)', () => {
    const task = only(stackTemplate(environment, 'Services'), 'AWS::ECS::TaskDefinition').resource.Properties;
    expect(task.ContainerDefinitions[0].Image).toEqual({
      'Fn::Join': ['', [`${environmentConfig(environment).account}.dkr.ecr.us-east-1.`, { Ref: 'AWS::URLSuffix' }, `/connect/${environment}/accounts:`, { Ref: expect.stringMatching(/^ServiceaccountsImageTag/) }]],
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

/**
 * ALB path-pattern semantics: the whole path (no query string), case-sensitive, `*` any run of characters, `?`
 * exactly one. https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html#path-conditions
 */
function albPathMatches(pattern: string, path: string): boolean {
  const source = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`).test(path);
}

/** A CloudFormation string value with every token replaced by a placeholder (the URI's host may be a token). */
function flatten(value: any): string {
  if (typeof value === 'string') return value;
  if (value?.['Fn::Join']) return (value['Fn::Join'][1] as any[]).map(flatten).join(value['Fn::Join'][0]);
  return 'token.invalid';
}

/**
 * The path API Gateway sends to the load balancer for `requestPath`, derived from the synthesized integration by the
 * documented rule: the integration URI's path with its `{name}` parameters filled from the request parameters
 * mapped to them, and, for a private integration (ConnectionType VPC_LINK), the stage in front: "API Gateway includes
 * the stage portion of the API endpoint in the request to your backend resources".
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/private-integration.html
 */
function backendPath(method: { path: string; properties: any }, stageName: string, requestPath: string): string {
  const pattern = new RegExp(`^${method.path.replace(/\{(\w+)\+\}/g, '(?<$1>.+)').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`);
  const methodParameters = pattern.exec(requestPath)?.groups ?? {};
  const integration = method.properties.Integration;
  const uriPath = /^https?:\/\/[^/]+(\/.*)$/.exec(flatten(integration.Uri))?.[1] ?? '/';
  const filled = uriPath.replace(/\{(\w+)\}/g, (_, name: string) => {
    const source = integration.RequestParameters?.[`integration.request.path.${name}`] as string | undefined;
    const value = source?.startsWith('method.request.path.') ? methodParameters[source.slice('method.request.path.'.length)] : undefined;
    if (value === undefined) throw new Error(`integration path parameter ${name} is not mapped from the method request`);
    return value;
  });
  return integration.ConnectionType === 'VPC_LINK' ? `/${stageName}${filled}` : filled;
}

describe.each(ENVIRONMENTS)('%s service routes behind the VPC link', (environment) => {
  const api = environmentJson(environment).Api;
  const services = stackTemplate(environment, 'Services');
  const stageName = (Object.values(api.Resources).find((r: any) => r.Type === 'AWS::ApiGateway::Stage') as any).Properties.StageName;
  const config = environmentConfig(environment);

  test.each(['/accounts/123', '/accounts/123/balance', '/accounts/ping'])('%s reaches a listener rule of the service, which gives the service the path without the stage', (requestPath) => {
    const method = synthesizedMethods(environment).find((m) => m.path === '/accounts/{proxy+}' && m.properties.Integration?.ConnectionType === 'VPC_LINK');
    expect(method).toBeDefined();
    const sent = backendPath(method as SynthesizedMethod, stageName, requestPath);
    expect(sent).toBe(`/${stageName}${requestPath}`);

    const ecsService = only(services, 'AWS::ECS::Service').resource.Properties;
    const rule = services.toJSON().Resources[ecsService.LoadBalancers[0].AdvancedConfiguration.ProductionListenerRule.Ref].Properties;
    const patterns: string[] = rule.Conditions.flatMap((c: any) => (c.Field === 'path-pattern' ? c.PathPatternConfig.Values : []));
    expect(patterns.some((pattern) => albPathMatches(pattern, sent))).toBe(true);

    // The rule's URL rewrite removes the stage: the service receives the API path, as the smoke test calls it.
    const [{ UrlRewriteConfig: rewrite }] = rule.Transforms;
    const received = rewrite.Rewrites.reduce((path: string, r: any) => path.replace(new RegExp(r.Regex), r.Replace), sent);
    expect(received).toBe(requestPath);
    expect(received.startsWith(`${config.services[0].apiPathPrefix}/`)).toBe(true);
  });

  test('every listener rule stays within ALB limits: at most 3 values per condition, 5 per rule, 5 wildcards per rule', () => {
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
    for (const rule of Object.values(services.findResources('AWS::ElasticLoadBalancingV2::ListenerRule')) as any[]) {
      const values: string[][] = rule.Properties.Conditions.map((c: any) => c.PathPatternConfig?.Values ?? c.HostHeaderConfig?.Values ?? c.Values ?? []);
      for (const condition of values) expect(condition.length).toBeLessThanOrEqual(3);
      expect(values.flat().length).toBeLessThanOrEqual(5);
      expect(values.flat().join('').replace(/[^*?]/g, '').length).toBeLessThanOrEqual(5);
    }
  });

  test('the matcher follows ALB semantics (case-sensitive, * and ?)', () => {
    expect(albPathMatches('/v1/accounts/*', '/v1/accounts/1')).toBe(true);
    expect(albPathMatches('/v1/accounts/*', '/V1/accounts/1')).toBe(false);
    expect(albPathMatches('/accounts/*', '/v1/accounts/1')).toBe(false);
    expect(albPathMatches('/a?c', '/abc')).toBe(true);
    expect(albPathMatches('/a?c', '/abbc')).toBe(false);
  });

  test('health checks and smoke tests call the service-side paths (not through the production rule)', () => {
    for (const group of Object.values(services.findResources('AWS::ElasticLoadBalancingV2::TargetGroup')) as any[]) {
      expect(group.Properties.HealthCheckPath).toBe(config.services[0].healthCheckPath);
    }
    const [hook] = only(services, 'AWS::ECS::Service').resource.Properties.DeploymentConfiguration.LifecycleHooks;
    expect(hook.HookDetails.smokeTestPaths).toEqual(config.services[0].smokeTestPaths);
    for (const path of hook.HookDetails.smokeTestPaths) expect(path.startsWith(`/${stageName}/`)).toBe(false);
  });
});

/** The acknowledgments of plain-HTTP findings recorded in the Services stack's assembly metadata. */
function plainHttpAcknowledgments(environment: string): Array<{ path: string; id: string; reason: string }> {
  stackTemplate(environment, 'Services'); // waits for the synth
  const stack = new CloudAssembly(process.env[TEST_ASSEMBLY_ENV] as string).getNestedAssembly(`assembly-${environment}`).stacks.find((s) => s.hierarchicalId.endsWith('/Services'));
  return (stack?.findMetadataByType(Validations.ACKNOWLEDGED_RULES_METADATA_KEY) ?? []).flatMap((entry) =>
    Object.entries(entry.data as unknown as Record<string, string>)
      .filter(([id]) => /ALBHttpToHttpsRedirection|ELBv2ACMCertificateRequired/.test(id))
      .map(([id, reason]) => ({ path: entry.path, id, reason })),
  );
}

describe.each(ENVIRONMENTS)('%s TLS between API Gateway and the load balancer', (environment) => {
  const services = stackTemplate(environment, 'Services');
  const config = environmentConfig(environment);
  const domain = config.api.customDomain;
  const listeners = Object.values(services.findResources('AWS::ElasticLoadBalancingV2::Listener')) as any[];
  const method = () => synthesizedMethods(environment).find((m) => m.path === '/accounts/{proxy+}') as SynthesizedMethod;
  const [hook] = only(services, 'AWS::ECS::Service').resource.Properties.DeploymentConfiguration.LifecycleHooks;
  const vpcLinkGroup = only(services, 'AWS::ApiGatewayV2::VpcLink').resource.Properties.SecurityGroupIds[0];

  if (domain?.hostedZoneId) {
    const host = `services-internal.${domain.hostedZoneName}`;
    test('every listener is HTTPS (TLS 1.2+) with a DNS-validated certificate for the internal name in the hosted zone', () => {
      const certificate = only(services, 'AWS::CertificateManager::Certificate');
      expect(certificate.resource.Properties).toMatchObject({ DomainName: host, ValidationMethod: 'DNS', DomainValidationOptions: [{ DomainName: host, HostedZoneId: domain.hostedZoneId }] });
      expect(listeners.map((l) => l.Properties.Port).sort()).toEqual([PRODUCTION_TLS_PORT, config.services[0].testPort].sort());
      for (const listener of listeners) {
        expect(listener.Properties).toMatchObject({ Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06', Certificates: [{ CertificateArn: ref(certificate.logicalId) }] });
      }
      services.hasResourceProperties('AWS::Route53::RecordSet', { Name: `${host}.`, Type: 'A', HostedZoneId: domain.hostedZoneId });
    });

    test('the integration URI is https:// with the name the certificate covers, and the VPC link may reach port 443', () => {
      expect(method().properties.Integration.Uri).toBe(`https://${host}:${PRODUCTION_TLS_PORT}/accounts/{proxy}`);
      services.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: PRODUCTION_TLS_PORT, ToPort: PRODUCTION_TLS_PORT, SourceSecurityGroupId: vpcLinkGroup });
      expect(hook.HookDetails.testBaseUrl).toBe(`https://${host}:${config.services[0].testPort}`);
    });

    test('no plain-HTTP acknowledgment is left on the load balancer', () => {
      expect(plainHttpAcknowledgments(environment)).toEqual([]);
    });
  } else {
    test('without a hosted zone the listeners stay HTTP, acknowledged with the reason', () => {
      expect(listeners.map((l) => [l.Properties.Protocol, l.Properties.Port, l.Properties.Certificates])).toEqual(
        expect.arrayContaining([
          ['HTTP', PRODUCTION_PORT, undefined],
          ['HTTP', config.services[0].testPort, undefined],
        ]),
      );
      expect(services.findResources('AWS::CertificateManager::Certificate')).toEqual({});
      expect(flatten(method().properties.Integration.Uri)).toBe(`http://token.invalid:${PRODUCTION_PORT}/accounts/{proxy}`);
      expect(flatten(hook.HookDetails.testBaseUrl)).toBe(`http://token.invalid:${config.services[0].testPort}`);
      services.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: PRODUCTION_PORT, ToPort: PRODUCTION_PORT, SourceSecurityGroupId: vpcLinkGroup });
      const acknowledged = plainHttpAcknowledgments(environment);
      expect(acknowledged.map((ack) => ack.id).sort()).toEqual([
        'Annotation::NIST.800.53.R5-ALBHttpToHttpsRedirection',
        'Annotation::NIST.800.53.R5-ELBv2ACMCertificateRequired',
        'Annotation::PCI.DSS.321-ALBHttpToHttpsRedirection',
        'Annotation::PCI.DSS.321-ELBv2ACMCertificateRequired',
      ]);
      for (const ack of acknowledged) expect(ack).toMatchObject({ path: `/${environment}/Services/LoadBalancer`, reason: expect.stringMatching(/No hosted zone in config/) });
    });
  }
});

describe('blue/green listener rules never change on routine changes', () => {
  const LISTENER_TYPES = ['AWS::ElasticLoadBalancingV2::ListenerRule', 'AWS::ElasticLoadBalancingV2::Listener'];
  const ofTypes = (template: Record<string, any>) => Object.fromEntries(Object.entries(template.Resources).filter(([, r]: [string, any]) => LISTENER_TYPES.includes(r.Type)));

  test.each(SERVICES_CHANGE_ENVIRONMENTS)('%s: adding a service at the head of the list and changing a tag leaves every existing listener and rule as it was', (environment) => {
    const config = environmentConfig(environment);
    // Before: the Services stack as the environment synthesizes today (the global assembly; a Services-only build of
    // the same config gives the same listeners and rules, and cost ~0.2 s of CPU more per environment).
    const before = ofTypes(environmentJson(environment).Services);
    // After: the config with accounts-admin (/accounts/admin, priority 50) first in its services and cost-center
    // changed, Services-only, built by the global setup's child (test/support/services-change.ts).
    const changed = changedServicesTemplate(environment);
    const after = ofTypes(changed.template);

    // Same logical ids, identical properties, for everything that existed; the new service only adds.
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(3);
    for (const [logicalId, resource] of Object.entries(before)) expect(after[logicalId]).toEqual(resource);
    expect(Object.keys(after).filter((id) => !(id in before))).toHaveLength(3);
    // Nested before its parent, by the stated priorities.
    const priorities = Object.values(after)
      .filter((r: any) => r.Type === 'AWS::ElasticLoadBalancingV2::ListenerRule' && r.Properties.Priority !== 1)
      .map((r: any) => [r.Properties.Conditions[0].PathPatternConfig.Values[0], r.Properties.Priority]);
    expect(priorities.sort((a, b) => a[1] - b[1])).toEqual([
      ['/v1/accounts/admin', 50],
      ['/v1/accounts', config.services[0].listenerPriority],
    ]);
    // No tag on any listener or rule (a tag change would update them).
    for (const resource of Object.values(after) as any[]) expect(resource.Properties.Tags).toBeUndefined();
    expect(changed.milliseconds).toBeLessThan(20_000);
  });
});
