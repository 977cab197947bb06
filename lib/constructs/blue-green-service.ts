import { type CfnElement, CfnParameter, Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { AlarmThresholds, ServiceConfig } from '../config/schema';
import { escapeRegex } from '../regex';
import type { BlueGreenTargets } from './monitoring/alarm-spec';
import type { ServiceData } from './data/service-data';
import { Monitoring } from './monitoring/monitoring';
import { scaleOnRequestsPerTask } from './requests-per-task-scaling';
import { serviceImageTagParameterName } from './service-release';
import { type LoadBalancerEndpoint, listenerTls } from './services-load-balancer';

/** Target tracking goals: scale out well before the CPU/memory alarms (config `alarms.thresholds`) fire. */
export const CPU_TARGET_PERCENT = 60;
export const MEMORY_TARGET_PERCENT = 70;

/** The non-root user containers run as (images must not need root; the root filesystem is read-only). */
export const CONTAINER_USER = '1000:1000';

export interface BlueGreenServiceProps {
  readonly config: ServiceConfig;
  readonly environmentName: string;
  readonly cluster: ecs.ICluster;
  readonly vpc: ec2.IVpc;
  /** The service's ECR repository name (ServiceRepositoriesStack, same account and region). */
  readonly repositoryName: string;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly productionListener: elbv2.ApplicationListener;
  /** Protocol, host and certificate of the load balancer's listeners (the test listener uses the same). */
  readonly endpoint: LoadBalancerEndpoint;
  /**
   * The API stage whose name API Gateway puts in front of every path it sends through the VPC link: the production
   * rule matches `/<stage><apiPathPrefix>` and its URL rewrite removes `/<stage>`, so the service sees its API path.
   */
  readonly apiStageName: string;
  /** The lifecycle hook that smoke-tests green through the test listener. */
  readonly smokeTest: lambda.IFunction;
  /** The rollback alarms' thresholds (`alarms.thresholds`); they notify the environment's warning topic. */
  readonly thresholds: AlarmThresholds;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** Key of the Secrets Manager secrets the container reads, if any. */
  readonly secretsKey?: kms.IKey;
  /** What the service receives for the databases, caches, queues and buckets it names (the Data stack's `dataFor`). */
  readonly data?: ServiceData;
}

/**
 * One private Fargate microservice released by ECS native blue/green: the new (green) revision starts next to
 * the old (blue) one, receives test traffic on the service's test listener, is smoke-tested by the lifecycle hook
 * (POST_TEST_TRAFFIC_SHIFT), then takes production traffic and bakes; a failed hook, a deployment alarm
 * (target 5xx, unhealthy targets, p99 latency) or the circuit breaker rolls production back to blue.
 *
 * ECS swaps the roles of the two target groups at each release, so alarms and request-based scaling read both.
 */
export class BlueGreenService extends Construct implements BlueGreenTargets {
  readonly service: ecs.FargateService;
  readonly blueTargetGroup: elbv2.ApplicationTargetGroup;
  readonly greenTargetGroup: elbv2.ApplicationTargetGroup;
  readonly productionRule: elbv2.ApplicationListenerRule;
  readonly testListener: elbv2.ApplicationListener;
  readonly testRule: elbv2.ApplicationListenerRule;
  readonly healthCheckPath: string;
  /** The alarms that roll a deployment back (the alarm table's `releases` rows); the dashboard shows them. */
  readonly rollbackAlarms: Monitoring;
  readonly deploymentAlarms: cloudwatch.Alarm[];
  /** `<protocol>://<internal ALB host>:<test port>`: where the smoke test reaches green. */
  readonly testBaseUrl: string;

  constructor(scope: Construct, id: string, props: BlueGreenServiceProps) {
    super(scope, id);
    const { config, loadBalancer } = props;

    // Task: image by immutable tag (the last release's, from SSM), read-only root filesystem with a writable /tmp, non-root user, encrypted logs.
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, encryptionKey: props.logsKey });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: config.cpu,
      memoryLimitMiB: config.memoryMiB,
      runtimePlatform: { operatingSystemFamily: ecs.OperatingSystemFamily.LINUX, cpuArchitecture: ecs.CpuArchitecture.X86_64 },
    });
    taskDefinition.addVolume({ name: 'tmp' });
    const imageTag = new CfnParameter(this, 'ImageTag', {
      type: 'AWS::SSM::Parameter::Value<String>',
      default: serviceImageTagParameterName(props.environmentName, config.name),
      description: `The SSM parameter holding the image tag ${config.name} runs (written by its pipeline at each release)`,
    });
    const secrets = {
      ...Object.fromEntries(
        Object.entries(config.secrets).map(([variable, arn]) => [variable, ecs.Secret.fromSecretsManager(secretsmanager.Secret.fromSecretCompleteArn(this, `Secret-${variable}`, arn))]),
      ),
      // The credentials of the databases it names, by secret ARN and JSON key.
      ...Object.fromEntries(
        Object.entries(props.data?.secrets ?? {}).map(([variable, { secretArn, field }]) => [
          variable,
          ecs.Secret.fromSecretsManager(secretsmanager.Secret.fromSecretCompleteArn(this, `DataSecret-${variable}`, secretArn), field),
        ]),
      ),
    };
    const container = taskDefinition.addContainer('app', {
      containerName: config.name,
      // The image URI from the repository name, this stack's account and region (`<account>.dkr.ecr.<region>.<url
      // suffix>/<name>:<tag>`), not from the repository's ARN across stacks: splitting a cross-stack output
      // (Fn::Split over Fn::GetStackOutput) is not a position CloudFormation documents for it.
      //
      // The tag is not in the template: it is the value of the SSM parameter the service's pipeline writes at each
      // release (serviceImageTagParameterName), read through a Systems Manager parameter type. "CloudFormation always
      // fetches the latest values from Parameter Store when it updates stacks", UsePreviousValue included
      // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/systems-manager-parameter-types.html), so any
      // later deploy of this stack runs the image of the last release, never an older one (docs/DELIVERY.md). The same
      // page: CloudFormation resolves it as the caller, so whoever updates this stack must be allowed
      // ssm:GetParameters on it (ImageTagDeployReadAccess, ServiceReleaseAccess). Not a {{resolve:ssm:...}} dynamic
      // reference: an update that leaves the reference unchanged does not fetch it again (see ImageTagDeployReadAccess).
      image: ecs.ContainerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(this, 'Repository', props.repositoryName), imageTag.valueAsString),
      portMappings: [{ containerPort: config.containerPort, protocol: ecs.Protocol.TCP }],
      // A hard limit (the whole task's memory): one container per task, so it may use all of it and no more.
      memoryLimitMiB: config.memoryMiB,
      environment: { ...config.environment, ...props.data?.environment },
      secrets,
      readonlyRootFilesystem: true,
      user: CONTAINER_USER,
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: config.name, logGroup, mode: ecs.AwsLogDriverMode.NON_BLOCKING, maxBufferSize: Size.mebibytes(25) }),
    });
    container.addMountPoints({ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false });
    if (Object.keys(secrets).length > 0 && props.secretsKey) props.secretsKey.grantDecrypt(taskDefinition.obtainExecutionRole());

    // Blue and green target groups, and the listener rules ECS reweights during a release.
    const targetGroup = (name: string) =>
      new elbv2.ApplicationTargetGroup(this, name, {
        vpc: props.vpc,
        port: config.containerPort,
        protocol: elbv2.ApplicationProtocol.HTTP,
        targetType: elbv2.TargetType.IP,
        deregistrationDelay: Duration.seconds(30),
        healthCheck: { path: config.healthCheckPath, healthyHttpCodes: '200-299', interval: Duration.seconds(15), healthyThresholdCount: 2, unhealthyThresholdCount: 3 },
      });
    this.blueTargetGroup = targetGroup('Blue');
    this.greenTargetGroup = targetGroup('Green');
    const forward = () =>
      elbv2.ListenerAction.weightedForward([
        { targetGroup: this.blueTargetGroup, weight: 100 },
        { targetGroup: this.greenTargetGroup, weight: 0 },
      ]);
    // Nothing on the rules may change after creation (ECS owns their weights from then on): priority and test port
    // come from config, the conditions from the prefix and the stage, and the stage tags no listener or rule.
    this.productionRule = new elbv2.ApplicationListenerRule(this, 'ProductionRule', {
      listener: props.productionListener,
      priority: config.listenerPriority,
      // Only what API Gateway sends: the VPC link is the one client of the production listener (its security group),
      // and ALB takes at most three values per path-pattern condition.
      // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html
      conditions: [elbv2.ListenerCondition.pathPatterns(productionPathPatterns(props.apiStageName, config.apiPathPrefix))],
      action: forward(),
    });
    // API Gateway sends `/<stage><prefix>/...` (stagedPrefix); the rewrite gives the service `<prefix>/...`, the same
    // paths the smoke test calls on the test listener.
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-transforms.html
    (this.productionRule.node.defaultChild as elbv2.CfnListenerRule).transforms = [
      { type: 'url-rewrite', urlRewriteConfig: { rewrites: [{ regex: `^${escapeRegex(`/${props.apiStageName}`)}(/.*)$`, replace: '$1' }] } },
    ];
    // A test listener of its own lets the smoke test call the service's health path as well as its API paths.
    this.testListener = loadBalancer.addListener(`Test-${config.name}`, {
      port: config.testPort,
      ...listenerTls(props.endpoint),
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'application/json', messageBody: '{"error":{"code":"not_found","message":"No route"}}' }),
    });
    this.testRule = new elbv2.ApplicationListenerRule(this, 'TestRule', {
      listener: this.testListener,
      priority: 1,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])],
      action: forward(),
    });
    this.testListener.connections.allowFrom(props.smokeTest, ec2.Port.tcp(config.testPort), `Smoke test of ${config.name} through its test listener`);
    this.testBaseUrl = `${props.endpoint.protocol}://${props.endpoint.host}:${config.testPort}`;

    // Rollback alarms: rows of the alarm table, built here because the ECS service names them at creation.
    this.healthCheckPath = config.healthCheckPath;
    this.rollbackAlarms = new Monitoring(this, 'RollbackAlarms', { environment: props.environmentName, thresholds: props.thresholds });
    this.deploymentAlarms = this.rollbackAlarms.watch({ releases: [this] });

    // The service: private subnets, no public IP, reachable only from the load balancer.
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${config.name}: from the internal load balancer only`,
      allowAllOutbound: true,
    });
    // The data it names: least grants on the task role, and the databases' and caches' ingress from this group only.
    props.data?.attach({ serviceName: config.name, taskRole: taskDefinition.taskRole, securityGroup });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition,
      desiredCount: config.minTasks,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      securityGroups: [securityGroup],
      // Stated, not left to the default: native blue/green, hooks and alternate targets need the ECS controller.
      deploymentController: { type: ecs.DeploymentControllerType.ECS },
      deploymentStrategy: ecs.DeploymentStrategy.BLUE_GREEN,
      bakeTime: Duration.minutes(config.bakeTimeMinutes),
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      deploymentAlarms: { alarmNames: this.deploymentAlarms.map((alarm) => alarm.alarmName), behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM },
      healthCheckGracePeriod: Duration.seconds(60),
      availabilityZoneRebalancing: ecs.AvailabilityZoneRebalancing.ENABLED,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
    });
    this.service
      .loadBalancerTarget({
        containerName: container.containerName,
        containerPort: config.containerPort,
        alternateTarget: new ecs.AlternateTarget('Alternate', {
          alternateTargetGroup: this.greenTargetGroup,
          productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(this.productionRule),
          testListener: ecs.ListenerRuleConfiguration.applicationListenerRule(this.testRule),
        }),
      })
      .attachToApplicationTargetGroup(this.blueTargetGroup);
    // ECS needs the rules in place before it registers the service with them.
    this.service.node.addDependency(this.productionRule, this.testRule);

    // Smoke test before production moves: the hook's hookDetails say where green is and what to call.
    this.service.addLifecycleHook(
      new ecs.DeploymentLifecycleLambdaTarget(props.smokeTest, 'SmokeTest', { lifecycleStages: [ecs.DeploymentLifecycleStage.POST_TEST_TRAFFIC_SHIFT] }),
    );
    // The L2 hook target has no hookDetails yet; the property is part of AWS::ECS::Service's LifecycleHooks.
    (this.service.node.defaultChild as ecs.CfnService).addPropertyOverride('DeploymentConfiguration.LifecycleHooks.0.HookDetails', {
      testBaseUrl: this.testBaseUrl,
      smokeTestPaths: config.smokeTestPaths ?? [config.healthCheckPath],
    });

    // Autoscaling on CPU, memory and requests per task (counted over both target groups: scaleOnRequestsPerTask).
    const scaling = this.service.autoScaleTaskCount({ minCapacity: config.minTasks, maxCapacity: config.maxTasks });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: CPU_TARGET_PERCENT });
    scaling.scaleOnMemoryUtilization('Memory', { targetUtilizationPercent: MEMORY_TARGET_PERCENT });
    scaleOnRequestsPerTask(this, {
      scaling,
      service: this.service,
      loadBalancer,
      blue: this.blueTargetGroup,
      green: this.greenTargetGroup,
      policyName: `${config.name}-requests-per-task`,
      targetRequestsPerTaskPerMinute: config.targetRequestsPerTaskPerMinute,
    });

    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'Only the non-secret settings of config `services[].environment` are plain environment variables; secrets come from Secrets Manager by ARN (`services[].secrets`).',
    });
    const executionPolicy = 'CDK-generated policy of this task definition\'s execution role only: pull from its ECR repository, write its log group, read its configured secrets.';
    Validations.of(taskDefinition.obtainExecutionRole()).acknowledge(
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ecr:GetAuthorizationToken has no resource-level permissions; image pulls are scoped to this service\'s repository.' },
      { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: executionPolicy },
      { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason: executionPolicy },
    );
    // ECS's roles for this service: invoking the hook, and moving the listener rules between blue and green.
    const hookFunctionId = Stack.of(props.smokeTest).getLogicalId(props.smokeTest.node.defaultChild as CfnElement);
    const hookRole = 'CDK-generated policy of ECS\'s role for this service\'s smoke-test hook only: lambda:InvokeFunction on that one function and its versions.';
    Validations.of(this.service).acknowledge(
      { id: `AwsSolutions-IAM5[Resource::<${hookFunctionId}.Arn>:*]`, reason: hookRole },
      { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: hookRole },
      { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason: hookRole },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers]',
        reason: 'The AWS managed policy ECS documents for blue/green traffic shifting (modify listener rules, register targets); AWS keeps it in step with what ECS calls.',
      },
    );
  }
}

/**
 * The path API Gateway sends to the load balancer for a request to `<prefix>/<rest>` on stage `<stage>`: a REST
 * private integration "includes the stage portion of the API endpoint in the request to your backend" (a request to
 * stage `test` sends `test/path`), https://docs.aws.amazon.com/apigateway/latest/developerguide/private-integration.html
 */
export function stagedPrefix(apiStageName: string, apiPathPrefix: string): string {
  return `/${apiStageName}${apiPathPrefix}`;
}

/** The production rule's path patterns: the staged prefix itself and everything under it. */
export function productionPathPatterns(apiStageName: string, apiPathPrefix: string): string[] {
  const prefix = stagedPrefix(apiStageName, apiPathPrefix);
  return [prefix, `${prefix}/*`];
}
