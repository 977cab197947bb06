import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';

/**
 * A route to each of `cidrs` through `target` in the route table of every private subnet (the ones with egress, where
 * functions and services run). The isolated subnets are never given one: data that never leaves stays unroutable.
 */
export function routeFromSubnets(scope: Construct, vpc: ec2.IVpc, cidrs: readonly string[], target: { gatewayId: string } | { transitGatewayId: string }): ec2.CfnRoute[] {
  return vpc.privateSubnets.flatMap((subnet, s) =>
    cidrs.map((cidr, c) => new ec2.CfnRoute(scope, `Route-${s}-${c}`, { routeTableId: subnet.routeTable.routeTableId, destinationCidrBlock: cidr, ...target })),
  );
}
