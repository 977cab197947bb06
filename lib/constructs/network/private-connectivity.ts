import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as route53resolver from 'aws-cdk-lib/aws-route53resolver';
import { Construct } from 'constructs';
import type { ConnectivityConfig } from '../../config/connectivity';
import { PrivateNetworkAcl } from './private-network-acl';
import { ResolverForwarding } from './resolver-forwarding';
import { SiteToSiteVpn } from './site-to-site-vpn';
import { TransitGatewayAttachment } from './transit-gateway-attachment';

export interface PrivateConnectivityProps {
  readonly vpc: ec2.IVpc;
  readonly connectivity: ConnectivityConfig;
  readonly vpcCidr: string;
  /** Environment name: names the resolver endpoint and rules. */
  readonly environment: string;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The private paths of `connectivity` (lib/config/connectivity.ts): the VPN and/or the Transit Gateway attachment
 * with the remote ranges routed through each, DNS forwarding for the organisation's domains, and the private subnets'
 * network ACL. The VPC's flow log (type VPC, all traffic) already records every network interface these paths add or
 * use: the resolver endpoint's, the attachment's and those of the functions and services calling through them.
 * https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html
 */
export class PrivateConnectivity extends Construct {
  readonly vpn?: SiteToSiteVpn;
  readonly transitGateway?: TransitGatewayAttachment;
  readonly resolver?: ResolverForwarding;
  readonly networkAcl: PrivateNetworkAcl;

  constructor(scope: Construct, id: string, props: PrivateConnectivityProps) {
    super(scope, id);
    const { connectivity, vpc } = props;
    const cidrsVia = (via: 'vpn' | 'transitGateway') => connectivity.networks.filter((network) => network.via === via).flatMap((network) => network.cidrs);
    if (connectivity.vpn) {
      this.vpn = new SiteToSiteVpn(this, 'Vpn', { vpc, vpn: connectivity.vpn, cidrs: cidrsVia('vpn'), logsKey: props.logsKey, logRetention: props.logRetention });
    }
    if (connectivity.transitGateway) {
      this.transitGateway = new TransitGatewayAttachment(this, 'TransitGateway', { vpc, transitGateway: connectivity.transitGateway, cidrs: cidrsVia('transitGateway') });
    }
    if (connectivity.dns) this.resolver = new ResolverForwarding(this, 'Dns', { vpc, dns: connectivity.dns, name: `connect-${props.environment}` });
    this.networkAcl = new PrivateNetworkAcl(this, 'NetworkAcl', { vpc, vpcCidr: props.vpcCidr, connectivity });
  }

  /** The VPN connections, for the tunnel alarms. */
  get vpnConnections(): ec2.CfnVPNConnection[] {
    return this.vpn?.connections ?? [];
  }

  /** The resolver endpoints, for the endpoint health alarms. */
  get resolverEndpoints(): route53resolver.CfnResolverEndpoint[] {
    return this.resolver ? [this.resolver.endpoint] : [];
  }
}
