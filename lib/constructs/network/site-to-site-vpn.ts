import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ConnectivityConfig } from '../../config/connectivity';
import { routeFromSubnets } from './routes';

/**
 * Tunnel options every tunnel gets: current guidance for IPsec (IKEv2 only; AES-256, GCM first; SHA-2 integrity of
 * 256 bits or more; Diffie-Hellman groups 14 to 21). Groups 22-24 (MODP with small subgroups) are left out: RFC 8247
 * section 2.4 says SHOULD NOT. Valid values: https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html and
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-ec2-vpnconnection-vpntunneloptionsspecification.html
 */
export const TUNNEL_CRYPTO = {
  ikeVersions: ['ikev2'],
  encryption: ['AES256-GCM-16', 'AES256'],
  integrity: ['SHA2-256', 'SHA2-384', 'SHA2-512'],
  dhGroups: [14, 15, 16, 17, 18, 19, 20, 21],
} as const;

export interface SiteToSiteVpnProps {
  readonly vpc: ec2.IVpc;
  readonly vpn: NonNullable<ConnectivityConfig['vpn']>;
  /** The remote ranges routed through the VPN. */
  readonly cidrs: readonly string[];
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
}

/**
 * A virtual private gateway attached to the VPC and one VPN connection (two tunnels) per customer gateway. The
 * remote ranges are routed from the private subnets only: static routes to the gateway, whatever BGP learns, so the
 * route tables hold exactly the declared ranges (nothing is propagated, and the isolated subnets get nothing).
 *
 * Pre-shared keys never appear in the template: no tunnel sets PreSharedKey, so AWS generates each key, and
 * PreSharedKeyStorage "SecretsManager" keeps them in a Secrets Manager secret of the account (the connection's
 * PreSharedKeyArn) instead of the VPN service's own store.
 * https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-tunnel-authentication-options.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-vpnconnection.html#cfn-ec2-vpnconnection-presharedkeystorage
 * A Secrets Manager dynamic reference in PreSharedKey would also keep the value out of the template (CloudFormation
 * resolves `{{resolve:secretsmanager:...}}` in any resource property:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html), but
 * PreSharedKey is "Update requires: Replacement": rotating the key through the stack would replace the connection and
 * its tunnel addresses. Keys AWS generates are rotated with ModifyVpnTunnelOptions, tunnel by tunnel.
 */
export class SiteToSiteVpn extends Construct {
  readonly gateway: ec2.CfnVPNGateway;
  readonly connections: ec2.CfnVPNConnection[] = [];
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SiteToSiteVpnProps) {
    super(scope, id);
    const { vpn } = props;
    this.gateway = new ec2.CfnVPNGateway(this, 'Gateway', { type: 'ipsec.1', amazonSideAsn: vpn.amazonSideAsn });
    const attachment = new ec2.CfnVPCGatewayAttachment(this, 'Attachment', { vpcId: props.vpc.vpcId, vpnGatewayId: this.gateway.ref });

    // IKE negotiation, DPD and BGP logs of every tunnel, encrypted and retained like every other log.
    // https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-logs.html
    this.logGroup = new logs.LogGroup(this, 'TunnelLogs', { retention: props.logRetention, encryptionKey: props.logsKey });
    // The log group's ARN without the trailing `:*` that its GetAtt Arn carries: CloudWatch Logs calls that form the
    // log group ARN (logGroupArn, https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_LogGroup.html),
    // and the VPN option asks for "the ARN of the CloudWatch log group"
    // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CloudWatchLogOptionsSpecification.html).
    const logGroupArn = Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: this.logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const cloudwatchLogOptions: ec2.CfnVPNConnection.CloudwatchLogOptionsSpecificationProperty = {
      logEnabled: true,
      logGroupArn,
      logOutputFormat: 'json',
      ...(vpn.routing === 'bgp' ? { bgpLogEnabled: true, bgpLogGroupArn: logGroupArn, bgpLogOutputFormat: 'json' } : {}),
    };
    const tunnel: ec2.CfnVPNConnection.VpnTunnelOptionsSpecificationProperty = {
      ikeVersions: TUNNEL_CRYPTO.ikeVersions.map((value) => ({ value })),
      phase1EncryptionAlgorithms: TUNNEL_CRYPTO.encryption.map((value) => ({ value })),
      phase2EncryptionAlgorithms: TUNNEL_CRYPTO.encryption.map((value) => ({ value })),
      phase1IntegrityAlgorithms: TUNNEL_CRYPTO.integrity.map((value) => ({ value })),
      phase2IntegrityAlgorithms: TUNNEL_CRYPTO.integrity.map((value) => ({ value })),
      phase1DhGroupNumbers: TUNNEL_CRYPTO.dhGroups.map((value) => ({ value })),
      phase2DhGroupNumbers: TUNNEL_CRYPTO.dhGroups.map((value) => ({ value })),
      logOptions: { cloudwatchLogOptions },
    };

    for (const device of vpn.customerGateways) {
      const deviceScope = new Construct(this, device.name);
      // ASNs above 2,147,483,647 only fit BgpAsnExtended (API_CreateCustomerGateway); static routing keeps AWS's default.
      const asn = device.bgpAsn === undefined ? {} : device.bgpAsn > 2_147_483_647 ? { bgpAsnExtended: device.bgpAsn } : { bgpAsn: device.bgpAsn };
      const customerGateway = new ec2.CfnCustomerGateway(deviceScope, 'CustomerGateway', { type: 'ipsec.1', ipAddress: device.ipAddress, deviceName: device.name, ...asn });
      const connection = new ec2.CfnVPNConnection(deviceScope, 'Connection', {
        type: 'ipsec.1',
        customerGatewayId: customerGateway.ref,
        vpnGatewayId: this.gateway.ref,
        staticRoutesOnly: vpn.routing === 'static',
        preSharedKeyStorage: 'SecretsManager',
        vpnTunnelOptionsSpecifications: [tunnel, tunnel],
      });
      connection.addResourceDependency(attachment, 'the gateway must be attached to the VPC');
      if (vpn.routing === 'static') {
        // With static routing the gateway sends a range to a connection only when the connection names it.
        props.cidrs.forEach((cidr, index) => new ec2.CfnVPNConnectionRoute(deviceScope, `Route${index}`, { vpnConnectionId: connection.ref, destinationCidrBlock: cidr }));
      }
      this.connections.push(connection);
    }

    routeFromSubnets(this, props.vpc, props.cidrs, { gatewayId: this.gateway.ref }).forEach((route) => route.addResourceDependency(attachment, 'a route to the gateway needs it attached'));
  }
}
