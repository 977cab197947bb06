/**
 * The internal load balancer in front of the environment's microservices: the ALB with its access logs, the
 * production listener, TLS (certificate and alias for the internal name, when the environment has a hosted zone),
 * the VPC link API Gateway reaches it through, and the acknowledgments of what it deliberately lacks.
 *
 * A function that adds these to the Services stack rather than a construct of its own: their construct paths stay
 * where they were, and with them the names CDK derives from paths (the VPC link's Name, the certificate's Name tag)
 * and the paths the acknowledgments are recorded at.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';
import { AccessLogsBucket } from './secure-bucket';

/** The production listener's port without TLS (environments with no hosted zone, e.g. dev). */
export const PRODUCTION_PORT = 80;
/** The production listener's port with TLS (environments with a hosted zone: api.customDomain.hostedZoneId). */
export const PRODUCTION_TLS_PORT = 443;
/** The internal load balancer's name in the environment's hosted zone: `<label>.<hostedZoneName>`. */
export const INTERNAL_HOST_LABEL = 'services-internal';

/**
 * TLS 1.2 and 1.3 only on the internal load balancer's HTTPS listeners
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
 */
export const LISTENER_SSL_POLICY = elbv2.SslPolicy.RECOMMENDED_TLS;

/**
 * How API Gateway reaches the load balancer, and how the smoke test reaches the test listeners. With a hosted zone:
 * HTTPS to `services-internal.<zone>`, whose certificate the load balancer holds; the REST private integration
 * verifies the certificate against the URI's host, so the URI names it (the load balancer's own DNS name is not
 * on any certificate we can get).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/private-integration.html
 */
export interface LoadBalancerEndpoint {
  readonly protocol: 'https' | 'http';
  /** The host in URLs: the internal name (HTTPS) or the load balancer's DNS name (HTTP). */
  readonly host: string;
  readonly productionPort: number;
  /** HTTPS listeners' certificate (absent for HTTP). */
  readonly certificate?: acm.ICertificate;
}

/** The listener protocol (and certificate and TLS policy) of an endpoint. */
export function listenerTls(endpoint: LoadBalancerEndpoint): Pick<elbv2.BaseApplicationListenerProps, 'protocol' | 'certificates' | 'sslPolicy'> {
  return endpoint.certificate
    ? { protocol: elbv2.ApplicationProtocol.HTTPS, certificates: [endpoint.certificate], sslPolicy: LISTENER_SSL_POLICY }
    : { protocol: elbv2.ApplicationProtocol.HTTP };
}

export interface ServicesLoadBalancer {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Port `endpoint.productionPort`; each service adds its rule (BlueGreenService). 404 for any other path. */
  readonly productionListener: elbv2.ApplicationListener;
  readonly endpoint: LoadBalancerEndpoint;
  /** API Gateway's way in: its ENIs may call the production port only. */
  readonly vpcLink: apigwv2.VpcLink;
}

/**
 * Adds the internal load balancer to `scope` (the Services stack): reachable only from API Gateway's VPC link
 * (production port) and from whatever each service lets call its test listener.
 */
export function addServicesLoadBalancer(scope: Construct, props: { readonly config: EnvironmentConfig; readonly vpc: ec2.IVpc }): ServicesLoadBalancer {
  const { config, vpc } = props;
  const albSecurityGroup = new ec2.SecurityGroup(scope, 'LoadBalancerSecurityGroup', {
    vpc,
    description: 'Internal ALB: production port from the API VPC link, test ports from the smoke test',
    allowAllOutbound: false,
  });
  const loadBalancer = new elbv2.ApplicationLoadBalancer(scope, 'LoadBalancer', {
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
  const accessLogs = new AccessLogsBucket(scope, 'LoadBalancerAccessLogs', { retain: config.kind === 'production', expireAfterDays: config.logRetentionDays });
  loadBalancer.logAccessLogs(accessLogs, 'alb');

  // With a hosted zone, every listener is HTTPS with a DNS-validated certificate for the internal name (the alias
  // record lets the smoke test in the VPC resolve it); without one (dev) the listeners stay HTTP, acknowledged below.
  let endpoint: LoadBalancerEndpoint;
  const domain = config.api.customDomain;
  if (domain?.hostedZoneId && domain.hostedZoneName) {
    const zone = route53.HostedZone.fromHostedZoneAttributes(scope, 'HostedZone', { hostedZoneId: domain.hostedZoneId, zoneName: domain.hostedZoneName });
    const host = `${INTERNAL_HOST_LABEL}.${domain.hostedZoneName}`;
    const certificate = new acm.Certificate(scope, 'LoadBalancerCertificate', { domainName: host, validation: acm.CertificateValidation.fromDns(zone) });
    new route53.ARecord(scope, 'LoadBalancerAlias', { zone, recordName: `${host}.`, target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(loadBalancer)) });
    endpoint = { protocol: 'https', host, productionPort: PRODUCTION_TLS_PORT, certificate };
  } else {
    endpoint = { protocol: 'http', host: loadBalancer.loadBalancerDnsName, productionPort: PRODUCTION_PORT };
  }

  const productionListener = loadBalancer.addListener('Production', {
    port: endpoint.productionPort,
    ...listenerTls(endpoint),
    open: false,
    defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'application/json', messageBody: '{"error":{"code":"not_found","message":"No service at this path"}}' }),
  });
  if (!endpoint.certificate) {
    const plainHttp = `No hosted zone in config (api.customDomain.hostedZoneId/hostedZoneName) for ${config.name}, so no certificate for an internal name: the internal ALB's listeners stay HTTP inside the VPC (API Gateway VPC link and smoke test only; clients reach API Gateway over TLS). Environments with a zone get HTTPS listeners.`;
    Validations.of(loadBalancer).acknowledge(
      { id: 'NIST.800.53.R5-ALBHttpToHttpsRedirection', reason: plainHttp },
      { id: 'PCI.DSS.321-ALBHttpToHttpsRedirection', reason: plainHttp },
      { id: 'NIST.800.53.R5-ELBv2ACMCertificateRequired', reason: plainHttp },
      { id: 'PCI.DSS.321-ELBv2ACMCertificateRequired', reason: plainHttp },
    );
  }
  const noWaf = 'Internal ALB with no public address: its only clients are API Gateway (behind the environment\'s WAF web ACL) and the smoke-test hook.';
  Validations.of(loadBalancer).acknowledge({ id: 'NIST.800.53.R5-ALBWAFEnabled', reason: noWaf }, { id: 'PCI.DSS.321-ALBWAFEnabled', reason: noWaf });

  // API Gateway (REST) reaches the ALB privately through a VPC link V2; its ENIs may call the production port only.
  const vpcLinkSecurityGroup = new ec2.SecurityGroup(scope, 'VpcLinkSecurityGroup', {
    vpc,
    description: 'API Gateway VPC link: to the internal ALB production port only',
    allowAllOutbound: false,
  });
  const vpcLink = new apigwv2.VpcLink(scope, 'ApiVpcLink', {
    vpc,
    subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    securityGroups: [vpcLinkSecurityGroup],
  });
  productionListener.connections.allowFrom(vpcLinkSecurityGroup, ec2.Port.tcp(endpoint.productionPort), 'API Gateway VPC link');

  return { loadBalancer, productionListener, endpoint, vpcLink };
}
