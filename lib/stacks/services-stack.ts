import { Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';
import { BlueGreenService, type LoadBalancerEndpoint, listenerTls } from '../constructs/blue-green-service';

import { SMOKE_TEST_CALLS } from '../../lambda/deployment-smoke-test/contract';
import { ConnectFunction } from '../constructs/connect-function';
import { functionConcurrency } from '../lambda-concurrency';
import { serviceRepositoryName } from './service-repositories-stack';
import { AccessLogsBucket } from '../constructs/secure-bucket';

/** The production listener's port without TLS (environments with no hosted zone, e.g. dev). */
export const PRODUCTION_PORT = 80;
/** The production listener's port with TLS (environments with a hosted zone: api.customDomain.hostedZoneId). */
export const PRODUCTION_TLS_PORT = 443;
/** The internal load balancer's name in the environment's hosted zone: `<label>.<hostedZoneName>`. */
export const INTERNAL_HOST_LABEL = 'services-internal';
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
    const production = config.kind === 'production';

    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENHANCED });

    const albSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc,
      description: 'Internal ALB: production port from the API VPC link, test ports from the smoke test',
      allowAllOutbound: false,
    });
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroup: albSecurityGroup,
      dropInvalidHeaderFields: true,
      // In every environment: deleting the ALB cuts every service off from the API (turn it off to tear down).
      deletionProtection: true,
      desyncMitigationMode: elbv2.DesyncMitigationMode.STRICTEST,
      idleTimeout: Duration.seconds(60),
    });
    const accessLogs = new AccessLogsBucket(this, 'LoadBalancerAccessLogs', { retain: production, expireAfterDays: config.logRetentionDays });
    this.loadBalancer.logAccessLogs(accessLogs, 'alb');

    // With a hosted zone, every listener is HTTPS with a DNS-validated certificate for the internal name (the alias
    // record lets the smoke test in the VPC resolve it); without one (dev) the listeners stay HTTP, acknowledged below.
    const domain = config.api.customDomain;
    if (domain?.hostedZoneId && domain.hostedZoneName) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'HostedZone', { hostedZoneId: domain.hostedZoneId, zoneName: domain.hostedZoneName });
      const host = `${INTERNAL_HOST_LABEL}.${domain.hostedZoneName}`;
      const certificate = new acm.Certificate(this, 'LoadBalancerCertificate', { domainName: host, validation: acm.CertificateValidation.fromDns(zone) });
      new route53.ARecord(this, 'LoadBalancerAlias', { zone, recordName: `${host}.`, target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(this.loadBalancer)) });
      this.endpoint = { protocol: 'https', host, productionPort: PRODUCTION_TLS_PORT, certificate };
    } else {
      this.endpoint = { protocol: 'http', host: this.loadBalancer.loadBalancerDnsName, productionPort: PRODUCTION_PORT };
    }
    const tls = listenerTls(this.endpoint);

    this.productionListener = this.loadBalancer.addListener('Production', {
      port: this.endpoint.productionPort,
      ...tls,
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'application/json', messageBody: '{"error":{"code":"not_found","message":"No service at this path"}}' }),
    });
    if (!this.endpoint.certificate) {
      const plainHttp = `No hosted zone in config (api.customDomain.hostedZoneId/hostedZoneName) for ${config.name}, so no certificate for an internal name: the internal ALB's listeners stay HTTP inside the VPC (API Gateway VPC link and smoke test only; clients reach API Gateway over TLS). Environments with a zone get HTTPS listeners.`;
      Validations.of(this.loadBalancer).acknowledge(
        { id: 'NIST.800.53.R5-ALBHttpToHttpsRedirection', reason: plainHttp },
        { id: 'PCI.DSS.321-ALBHttpToHttpsRedirection', reason: plainHttp },
        { id: 'NIST.800.53.R5-ELBv2ACMCertificateRequired', reason: plainHttp },
        { id: 'PCI.DSS.321-ELBv2ACMCertificateRequired', reason: plainHttp },
      );
    }
    const noWaf = 'Internal ALB with no public address: its only clients are API Gateway (behind the environment\'s WAF web ACL) and the smoke-test hook.';
    Validations.of(this.loadBalancer).acknowledge({ id: 'NIST.800.53.R5-ALBWAFEnabled', reason: noWaf }, { id: 'PCI.DSS.321-ALBWAFEnabled', reason: noWaf });

    // API Gateway (REST) reaches the ALB privately through a VPC link V2; its ENIs may call the production port only.
    const vpcLinkSecurityGroup = new ec2.SecurityGroup(this, 'VpcLinkSecurityGroup', {
      vpc,
      description: 'API Gateway VPC link: to the internal ALB production port only',
      allowAllOutbound: false,
    });
    this.vpcLink = new apigwv2.VpcLink(this, 'ApiVpcLink', {
      vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [vpcLinkSecurityGroup],
    });
    this.productionListener.connections.allowFrom(vpcLinkSecurityGroup, ec2.Port.tcp(this.endpoint.productionPort), 'API Gateway VPC link');

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
