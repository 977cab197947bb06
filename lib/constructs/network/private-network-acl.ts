import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { type ConnectivityConfig, resolverTargets } from '../../config/connectivity';

/** Rule numbers: allows first, then a deny per remote range, then the rules that keep every other path working. */
const FIRST_ALLOW = 100;
const FIRST_DENY = 500;
const ALLOW_REST = 32000;
/** Ephemeral ports: where answers arrive (Lambda and NAT use 1024-65535: https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html#nacl-ephemeral-ports). */
const EPHEMERAL: [number, number] = [1024, 65535];

export interface PrivateNetworkAclProps {
  readonly vpc: ec2.IVpc;
  /** The VPC's CIDR as a literal, so the rules can be read by the compliance checks. */
  readonly vpcCidr: string;
  readonly connectivity: Pick<ConnectivityConfig, 'networks' | 'dns'>;
}

/**
 * The network ACL of the private subnets: towards the remote networks only the declared ports leave (and DNS to the
 * forwarding targets), and from them only answers come back (ephemeral ports, 1024-65535); anything else to or from a
 * remote range is denied at the subnet edge, whatever a security group allows. Everything else keeps working as with
 * the default ACL: all traffic out, all traffic in from the VPC, answers (ephemeral ports but 3389) and ICMP in from
 * elsewhere. Nothing outside the VPC may open a port below 1024 or 3389 (Control Tower CT.EC2.PR.5 forbids an ACL
 * letting 0.0.0.0/0 in on 22 or 3389). The isolated subnets keep the default ACL: no route leads anywhere from them. Rule counts are
 * checked by the config (MAX_NETWORK_ACL_RULES).
 */
export class PrivateNetworkAcl extends Construct {
  readonly acl: ec2.NetworkAcl;

  constructor(scope: Construct, id: string, props: PrivateNetworkAclProps) {
    super(scope, id);
    this.acl = new ec2.NetworkAcl(this, 'Acl', { vpc: props.vpc, subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } });
    const { EGRESS, INGRESS } = ec2.TrafficDirection;
    let allow = FIRST_ALLOW;
    let deny = FIRST_DENY;
    const entry = (direction: ec2.TrafficDirection, ruleNumber: number, cidr: string, traffic: ec2.AclTraffic, ruleAction: ec2.Action) =>
      this.acl.addEntry(`${direction === EGRESS ? 'Out' : 'In'}${ruleNumber}`, { direction, ruleNumber, cidr: ec2.AclCidr.ipv4(cidr), traffic, ruleAction });

    for (const network of props.connectivity.networks) {
      for (const cidr of network.cidrs) {
        for (const { protocol, port } of network.ports) {
          entry(EGRESS, allow++, cidr, protocol === 'tcp' ? ec2.AclTraffic.tcpPort(port) : ec2.AclTraffic.udpPort(port), ec2.Action.ALLOW);
        }
      }
    }
    for (const ip of resolverTargets(props.connectivity)) {
      entry(EGRESS, allow++, `${ip}/32`, ec2.AclTraffic.udpPort(53), ec2.Action.ALLOW);
      entry(EGRESS, allow++, `${ip}/32`, ec2.AclTraffic.tcpPort(53), ec2.Action.ALLOW);
    }
    let answers = FIRST_ALLOW;
    for (const cidr of props.connectivity.networks.flatMap((network) => network.cidrs)) {
      entry(INGRESS, answers++, cidr, ec2.AclTraffic.tcpPortRange(...EPHEMERAL), ec2.Action.ALLOW);
      entry(INGRESS, answers++, cidr, ec2.AclTraffic.udpPortRange(...EPHEMERAL), ec2.Action.ALLOW);
      entry(EGRESS, deny, cidr, ec2.AclTraffic.allTraffic(), ec2.Action.DENY);
      entry(INGRESS, deny++, cidr, ec2.AclTraffic.allTraffic(), ec2.Action.DENY);
    }
    entry(EGRESS, ALLOW_REST, '0.0.0.0/0', ec2.AclTraffic.allTraffic(), ec2.Action.ALLOW);
    entry(INGRESS, ALLOW_REST, props.vpcCidr, ec2.AclTraffic.allTraffic(), ec2.Action.ALLOW);
    // Answers from anywhere else, around 3389: CT.EC2.PR.5 refuses any range from 0.0.0.0/0 that contains 22 or 3389.
    let rest = ALLOW_REST + 1;
    for (const [from, to] of [[EPHEMERAL[0], 3388], [3390, EPHEMERAL[1]]]) {
      entry(INGRESS, rest++, '0.0.0.0/0', ec2.AclTraffic.tcpPortRange(from, to), ec2.Action.ALLOW);
      entry(INGRESS, rest++, '0.0.0.0/0', ec2.AclTraffic.udpPortRange(from, to), ec2.Action.ALLOW);
    }
    entry(INGRESS, rest, '0.0.0.0/0', ec2.AclTraffic.icmp({ type: -1, code: -1 }), ec2.Action.ALLOW);

    Validations.of(this.acl).acknowledge({
      id: 'AwsSolutions-VPC3',
      reason: 'The private subnets need a subnet-edge limit towards the remote business networks (only declared ports out, only answers in) that no security group of a function or service can widen; everything else keeps the default allow-all.',
    });
  }
}
