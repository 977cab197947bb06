import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53resolver from 'aws-cdk-lib/aws-route53resolver';
import { Construct } from 'constructs';
import { type ConnectivityConfig, resolverTargets } from '../../config/connectivity';

export interface ResolverForwardingProps {
  readonly vpc: ec2.IVpc;
  readonly dns: NonNullable<ConnectivityConfig['dns']>;
  /** Name prefix of the endpoint and rules in the Route 53 console. */
  readonly name: string;
}

/**
 * A Route 53 Resolver outbound endpoint in the private subnets (one address per AZ) and a forwarding rule per
 * organisation domain, associated with the VPC: functions and services resolve `crm.corp.example.com` through the
 * VPC resolver, which forwards the query to the organisation's DNS servers over the private path.
 *
 * The endpoint's security group only lets DNS (TCP and UDP 53) out to the declared resolver addresses, and nothing in:
 * an outbound endpoint needs outbound rules for the port its targets listen on, and the answers return on the tracked
 * connection. https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_CreateResolverEndpoint.html
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/best-practices-resolver-endpoint-scaling.html
 */
export class ResolverForwarding extends Construct {
  readonly endpoint: route53resolver.CfnResolverEndpoint;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: ResolverForwardingProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Resolver outbound endpoint: DNS to the organisation resolvers only',
      allowAllOutbound: false,
    });
    for (const ip of resolverTargets({ dns: props.dns })) {
      this.securityGroup.addEgressRule(ec2.Peer.ipv4(`${ip}/32`), ec2.Port.udp(53), `DNS to ${ip}`);
      this.securityGroup.addEgressRule(ec2.Peer.ipv4(`${ip}/32`), ec2.Port.tcp(53), `DNS over TCP to ${ip}`);
    }

    this.endpoint = new route53resolver.CfnResolverEndpoint(this, 'Endpoint', {
      name: `${props.name}-outbound`,
      direction: 'OUTBOUND',
      ipAddresses: props.vpc.privateSubnets.map((subnet) => ({ subnetId: subnet.subnetId })),
      securityGroupIds: [this.securityGroup.securityGroupId],
    });

    props.dns.forwardingRules.forEach((forwarding) => {
      const ruleScope = new Construct(this, forwarding.domain);
      const rule = new route53resolver.CfnResolverRule(ruleScope, 'Rule', {
        name: `${props.name}-${forwarding.domain.replace(/\./g, '-')}`,
        ruleType: 'FORWARD',
        domainName: forwarding.domain,
        resolverEndpointId: this.endpoint.attrResolverEndpointId,
        targetIps: forwarding.resolverIps.map((ip) => ({ ip, port: '53' })),
      });
      new route53resolver.CfnResolverRuleAssociation(ruleScope, 'Association', { resolverRuleId: rule.attrResolverRuleId, vpcId: props.vpc.vpcId });
    });
  }
}
