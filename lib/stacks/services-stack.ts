import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { SMOKE_TEST_CALLS } from '../../lambda/deployment-smoke-test/contract';
import type { EnvironmentConfig } from '../config/schema';
import { BlueGreenService } from '../constructs/blue-green-service';
import { ConnectFunction } from '../constructs/connect-function';
import type { ServiceData } from '../constructs/data/service-data';
import { addServicesLoadBalancer, type LoadBalancerEndpoint } from '../constructs/services-load-balancer';
import { functionConcurrency } from '../lambda-concurrency';
import { serviceRepositoryName } from './service-repositories-stack';

/** What the API stack needs to route `apiPathPrefix` to a service through the VPC link (REST private integration). */
export interface ServiceApiTarget {
  readonly name: string;
  readonly apiPathPrefix: string;
  readonly scopes: readonly string[];
  /**
   * VPC link V2 to the internal ALB: the integration's `ConnectionType: VPC_LINK`, `ConnectionId: vpcLink.vpcLinkId`
   * and `IntegrationTarget: integrationTarget` (the ALB ARN). REST APIs accept VPC links V2 to an ALB; aws-cdk-lib
   * 2.276's `Integration` does not model `IntegrationTarget` yet, so set it on the CfnMethod.
   */
  readonly vpcLink: apigwv2.IVpcLink;
  readonly integrationTarget: string;
  /** The integration URI base, e.g. `https://services-internal.<zone>:443/accounts` (append `/{proxy}`). */
  readonly uri: string;
}

export interface ServicesStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** Key of the Secrets Manager secrets services read. */
  readonly secretsKey: kms.IKey;
  /** The REST API's stage name (ApiStack's API_STAGE_NAME): API Gateway puts it in the path it sends. */
  readonly apiStageName: string;
  /** What each service receives for the data it names (DataStack.dataFor). */
  readonly serviceData?: (serviceName: string) => ServiceData | undefined;
}

/**
 * The environment's microservices: a Fargate cluster (Container Insights enhanced), an internal ALB reachable only
 * from API Gateway's VPC link (production port) and the smoke-test hook (each service's test port), and one
 * BlueGreenService per configured service. Built only when config.services is non-empty.
 */
export class ServicesStack extends Stack {
  readonly cluster: ecs.Cluster;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly productionListener: elbv2.ApplicationListener;
  readonly endpoint: LoadBalancerEndpoint;
  readonly vpcLink: apigwv2.VpcLink;
  readonly services: ecs.FargateService[];
  readonly blueGreenServices: BlueGreenService[];
  /** The lifecycle hook function (for monitoring). */
  readonly functions: ConnectFunction[];
  readonly apiTargets: ServiceApiTarget[];

  constructor(scope: Construct, id: string, props: ServicesStackProps) {
    super(scope, id, props);
    const { config, vpc } = props;

    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENHANCED });

    // The internal ALB, its production listener, TLS and the VPC link API Gateway reaches it through.
    const ingress = addServicesLoadBalancer(this, { config, vpc });
    this.loadBalancer = ingress.loadBalancer;
    this.productionListener = ingress.productionListener;
    this.endpoint = ingress.endpoint;
    this.vpcLink = ingress.vpcLink;

    // The lifecycle hook: smoke-tests green through each service's test listener (targets come in hookDetails).
    const smokeTest = new ConnectFunction(this, 'DeploymentSmokeTest', {
      handler: 'deployment-smoke-test',
      description: `Connect ${config.name}: smoke-tests a new service revision before it takes production traffic`,
      invokedBy: 'ecs-deployment-hook',
      vpc,
      logRetention: props.logRetention,
      logsKey: props.logsKey,
      // Its probes (3 attempts x 5 s + 2 x 2 s per path), with a margin; checked against the limits by ConnectFunction.
      timeout: Duration.seconds(60),
      outboundCalls: { http: SMOKE_TEST_CALLS },
      memorySize: 256,
      // One per service (at least 2) unless config says otherwise (lambdaConcurrency.functions.deploymentSmokeTest).
      reservedConcurrency: functionConcurrency(config, 'deploymentSmokeTest').reserved,
    });
    this.functions = [smokeTest];

    // Priorities and test ports come from config (services[].listenerPriority, testPort; the schema refuses repeats and
    // a nested prefix after its parent), never from list order: ECS blue/green owns the rules' weights after
    // creation, and a CloudFormation update of a rule would write blue 100 / green 0 back (aws-cdk issue 36649).
    this.blueGreenServices = config.services.map(
      (service) =>
        new BlueGreenService(this, `Service-${service.name}`, {
          config: service,
          environmentName: config.name,
          cluster: this.cluster,
          vpc,
          repositoryName: serviceRepositoryName(config.name, service.name),
          loadBalancer: this.loadBalancer,
          endpoint: this.endpoint,
          productionListener: this.productionListener,
          apiStageName: props.apiStageName,
          smokeTest,
          thresholds: config.alarms.thresholds,
          logsKey: props.logsKey,
          logRetention: props.logRetention,
          secretsKey: props.secretsKey,
          data: props.serviceData?.(service.name),
        }),
    );
    this.services = this.blueGreenServices.map((s) => s.service);

    this.apiTargets = config.services.map((service) => ({
      name: service.name,
      apiPathPrefix: service.apiPathPrefix,
      scopes: service.scopes,
      vpcLink: this.vpcLink,
      integrationTarget: this.loadBalancer.loadBalancerArn,
      uri: `${this.endpoint.protocol}://${this.endpoint.host}:${this.endpoint.productionPort}${service.apiPathPrefix}`,
    }));
  }
}
