import { Stack, Stage, type StageProps, Tags } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';
import { API_STAGE_NAME, ApiStack } from '../stacks/api-stack';
import { IdentityStack } from '../stacks/identity-stack';
import { IntegrationsStack } from '../stacks/integrations-stack';
import { NetworkStack } from '../stacks/network-stack';
import { SecurityStack } from '../stacks/security-stack';
import { AlertingStack } from '../stacks/alerting-stack';
import { DashboardStack } from '../stacks/dashboard-stack';
import { type MonitoredResources, Monitoring, natGatewaysOf } from '../constructs/monitoring/monitoring';
import { ServiceRepositoriesStack } from '../stacks/service-repositories-stack';
import { ServicesStack } from '../stacks/services-stack';
import { OperationsStack } from '../stacks/operations-stack';
import { rumAppMonitorName } from '../constructs/operations/widgets-rum';
import { DataStack } from '../stacks/data-stack';
import { tagForBackup } from '../constructs/data/environment-backup';

export interface ConnectStageProps extends StageProps {
  readonly config: EnvironmentConfig;
}

/**
 * One environment: its stacks, all in the environment's own account and region, wired by typed props (never by
 * cross-environment references). `cdk deploy '<env>/*'` deploys it; a CDK pipeline deploys it as a Stage.
 */
export class ConnectStage extends Stage {
  readonly network: NetworkStack;
  readonly security: SecurityStack;
  readonly alerting: AlertingStack;
  /** Every alarm builder of the environment: each stack's (see `monitor`) and each blue/green service's. */
  readonly monitorings: Monitoring[] = [];
  readonly identity: IdentityStack;
  readonly integrations: IntegrationsStack;
  /** Only when config.services is non-empty. */
  readonly serviceRepositories?: ServiceRepositoriesStack;
  readonly services?: ServicesStack;
  readonly api: ApiStack;
  /** Log archive, saved queries, budget, API canary and the Widgets' real-user monitor. */
  readonly operations: OperationsStack;
  /** The services' databases, caches, queues and buckets, and the environment's backup plan. */
  readonly data: DataStack;

  constructor(scope: Construct, id: string, props: ConnectStageProps) {
    super(scope, id, { ...props, env: { account: props.config.account, region: props.config.region } });
    const { config } = props;
    // The AZs come from config: seeding the context CDK would otherwise fill by an AWS lookup keeps synth
    // working with no credentials.
    this.node.setContext(`availability-zones:account=${config.account}:region=${config.region}`, config.availabilityZones);
    // CloudWatch's RetentionDays enum values are the day counts the schema already restricts to.
    const logRetention = config.logRetentionDays as logs.RetentionDays;

    this.security = new SecurityStack(this, 'Security', { config, description: `Connect ${config.name}: KMS keys` });
    this.alerting = new AlertingStack(this, 'Alerting', {
      config,
      alertsKey: this.security.alertsKey,
      description: `Connect ${config.name}: critical and warning alert topics (e-mail, chat)`,
    });
    this.network = new NetworkStack(this, 'Network', {
      config,
      logsKey: this.security.logsKey,
      logRetention,
      description: `Connect ${config.name}: VPC, flow logs and endpoints`,
    });
    this.data = new DataStack(this, 'Data', {
      config,
      vpc: this.network.vpc,
      dataKey: this.security.dataKey,
      secretsKey: this.security.secretsKey,
      logsKey: this.security.logsKey,
      logRetention,
      description: `Connect ${config.name}: the services' databases, caches, queues and buckets, and the AWS Backup plan`,
    });
    if (config.services.length > 0) {
      this.serviceRepositories = new ServiceRepositoriesStack(this, 'ServiceRepositories', {
        config,
        dataKey: this.security.dataKey,
        description: `Connect ${config.name}: ECR repositories of the microservices`,
      });
      this.services = new ServicesStack(this, 'Services', {
        config,
        vpc: this.network.vpc,
        logsKey: this.security.logsKey,
        secretsKey: this.security.secretsKey,
        logRetention,
        apiStageName: API_STAGE_NAME,
        serviceData: (name) => this.data.dataFor(name),
        description: `Connect ${config.name}: Fargate microservices behind an internal ALB, released blue/green`,
      });
      // The services name their repositories (serviceRepositoryName), so only the order is a dependency.
      this.services.addStackDependency(this.serviceRepositories, 'tasks pull their images from the service repositories');
    }
    this.identity = new IdentityStack(this, 'Identity', {
      config,
      vpc: this.network.vpc,
      dataKey: this.security.dataKey,
      logsKey: this.security.logsKey,
      logRetention,
      description: `Connect ${config.name}: Cognito user pool (OIDC provider), app clients, federation and user provisioning`,
    });
    this.integrations = new IntegrationsStack(this, 'Integrations', {
      config,
      vpc: this.network.vpc,
      dataKey: this.security.dataKey,
      logsKey: this.security.logsKey,
      secretsKey: this.security.secretsKey,
      logRetention,
      provisioningQueue: this.identity.provisioningQueue.queue,
      description: `Connect ${config.name}: integration handlers (webhooks, customer sync, notifications, payments), their queues, tables, archive and secrets`,
    });

    this.api = new ApiStack(this, 'Api', {
      config,
      logsKey: this.security.logsKey,
      logRetention,
      userPool: this.identity.userPool,
      scope: (name) => this.identity.scope(name),
      handlers: this.integrations.apiHandlers,
      services: this.services?.apiTargets ?? [],
      description: `Connect ${config.name}: REST API (routes, Cognito authorizer, validation, WAF, custom domain)`,
    });

    this.monitor(config, this.network, {
      natGateways: natGatewaysOf(this.network.vpc),
      vpnConnections: this.network.connectivity?.vpnConnections ?? [],
      resolverEndpoints: this.network.connectivity?.resolverEndpoints ?? [],
    });
    const userPoolClients = [...Object.values(this.identity.realmClients), ...Object.values(this.identity.machineClients)];
    this.monitor(config, this.identity, {
      queues: this.identity.queues,
      functions: this.identity.functions,
      userPools: userPoolClients.length > 0 ? [{ userPool: this.identity.userPool, clients: userPoolClients }] : [],
    });
    this.monitor(config, this.integrations, { queues: this.integrations.queues, functions: this.integrations.functions });
    this.monitor(config, this.data, this.data.monitoredResources);
    if (this.services) {
      this.monitor(config, this.services, {
        services: this.services.services,
        functions: this.services.functions,
        targetGroups: this.services.blueGreenServices.flatMap((service) => [service.blueTargetGroup, service.greenTargetGroup]),
      });
      this.monitorings.push(...this.services.blueGreenServices.map((service) => service.rollbackAlarms));
    }
    this.monitor(config, this.api, { apiStages: [this.api.stage], webAcls: [this.api.webAcl.webAcl] });

    const logGroupsOf = (functions: readonly lambda.Function[]) => functions.map((fn) => fn.logGroup);
    const { webhooks, customerSync, notifications, payments } = this.integrations;
    this.operations = new OperationsStack(this, 'Operations', {
      config,
      logsKey: this.security.logsKey,
      logRetention,
      apiBaseUrl: config.api.customDomain ? `https://${config.api.customDomain.domainName}/` : this.api.api.url,
      savedQueryLogGroups: {
        webhookEvents: logGroupsOf([...webhooks.functions, ...customerSync.functions, ...this.identity.functions]),
        payments: logGroupsOf(payments?.functions ?? []),
        notifications: logGroupsOf(notifications.functions),
        apiAccess: [this.api.api.accessLogs],
        waf: [this.api.webAcl.logGroup],
        smokeTests: logGroupsOf(this.services?.functions ?? []),
      },
      description: `Connect ${config.name}: log archive, saved queries, budget, API canary and real-user monitoring`,
    });
    this.monitor(config, this.operations, { canaries: this.operations.canaries });
    new DashboardStack(this, 'Dashboard', {
      environment: config.name,
      monitorings: this.monitorings,
      rumAppMonitorName: config.operations.rum ? rumAppMonitorName(config.name) : undefined,
      description: `Connect ${config.name}: CloudWatch dashboard of every alarm`,
    });

    tagEnvironment(this, config);
    tagComponents(this);
    // Every table and data bucket of every stack, for the Data stack's backup plan (by tag).
    tagForBackup(this);
  }

  /** Adds the alarms of a stack's resources to that stack, so each alarm references only local resources. */
  private monitor(config: EnvironmentConfig, stack: Stack, resources: MonitoredResources): void {
    // Alarms name their topics by ARN built from the topic names (no export to lock); the dependency only orders
    // deployment, so on an environment's first deploy the topics exist before any alarm points at them.
    stack.addStackDependency(this.alerting, 'alarms publish to the alert topics');
    this.monitorings.push(new Monitoring(stack, 'Monitoring', { environment: config.name, thresholds: config.alarms.thresholds, ...resources }));
  }
}

/**
 * Load balancer listeners and rules are never tagged: ECS blue/green rewrites the rules' weights at each release,
 * and any CloudFormation update of a rule, a tag change included, writes the declared weights (blue 100 / green 0)
 * back, which can send production to an empty target group (aws-cdk issue 36649; ECS containers-roadmap 2853;
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html).
 */
export const UNTAGGED_RESOURCE_TYPES = ['AWS::ElasticLoadBalancingV2::ListenerRule', 'AWS::ElasticLoadBalancingV2::Listener'];

/**
 * Cost allocation by component: every resource of a stack is tagged `connect:component=<stack>` (Network, Api, ...),
 * beside `connect:environment` and config.tags (e.g. cost-center), so Cost Explorer splits an environment's bill by
 * component once the tags are activated as cost allocation tags in the payer account
 * (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/activating-tags.html).
 */
export function tagComponents(stage: Stage): void {
  for (const child of stage.node.children) {
    if (child instanceof Stack) Tags.of(child).add('connect:component', child.node.id, { excludeResourceTypes: UNTAGGED_RESOURCE_TYPES });
  }
}

/** The environment's tags (`connect:environment` and config.tags) on every taggable resource but listeners and rules. */
export function tagEnvironment(scope: Construct, config: Pick<EnvironmentConfig, 'name' | 'tags'>): void {
  const options = { excludeResourceTypes: UNTAGGED_RESOURCE_TYPES };
  Tags.of(scope).add('connect:environment', config.name, options);
  for (const [key, value] of Object.entries(config.tags)) Tags.of(scope).add(key, value, options);
}
