import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { ConnectivityConfig } from '../../config/connectivity';
import { routeFromSubnets } from './routes';

export interface TransitGatewayAttachmentProps {
  readonly vpc: ec2.IVpc;
  readonly transitGateway: NonNullable<ConnectivityConfig['transitGateway']>;
  /** The remote ranges routed through the transit gateway. */
  readonly cidrs: readonly string[];
}

/**
 * Attaches the VPC to an existing transit gateway (its id from config) through the private subnets, one per AZ, and
 * routes the remote ranges there from the private subnets only. When the transit gateway is this account's, the
 * attachment is associated with and propagated to the configured route tables; a shared one is the owner's to route
 * (the config refuses route tables then). A transit gateway that does not auto-accept shared attachments leaves the
 * attachment pending until its owner accepts it.
 * https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html
 * https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-share.html
 */
export class TransitGatewayAttachment extends Construct {
  readonly attachment: ec2.CfnTransitGatewayVpcAttachment;

  constructor(scope: Construct, id: string, props: TransitGatewayAttachmentProps) {
    super(scope, id);
    const { transitGateway } = props;
    this.attachment = new ec2.CfnTransitGatewayVpcAttachment(this, 'Attachment', {
      transitGatewayId: transitGateway.id,
      vpcId: props.vpc.vpcId,
      subnetIds: props.vpc.privateSubnets.map((subnet) => subnet.subnetId),
      // The VPC's resolver answers names for traffic arriving over the attachment; appliance mode is for middleboxes.
      options: { DnsSupport: 'enable', ApplianceModeSupport: 'disable', Ipv6Support: 'disable' },
    });
    routeFromSubnets(this, props.vpc, props.cidrs, { transitGatewayId: transitGateway.id }).forEach((route) => route.addResourceDependency(this.attachment, 'a route to the transit gateway needs the attachment'));

    const routeTables = transitGateway.routeTables;
    if (routeTables?.association) {
      new ec2.CfnTransitGatewayRouteTableAssociation(this, 'Association', {
        transitGatewayAttachmentId: this.attachment.ref,
        transitGatewayRouteTableId: routeTables.association,
      });
    }
    for (const routeTableId of routeTables?.propagation ?? []) {
      new ec2.CfnTransitGatewayRouteTablePropagation(this, `Propagation-${routeTableId}`, {
        transitGatewayAttachmentId: this.attachment.ref,
        transitGatewayRouteTableId: routeTableId,
      });
    }
  }
}
