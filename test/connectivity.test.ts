import { cidrContains } from '../lib/config/ipv4';
import { TUNNEL_CRYPTO } from '../lib/constructs/network/site-to-site-vpn';
import { ENVIRONMENTS, environmentJson } from './support/assembly';

/**
 * The private paths as synthesized (global assembly): prod's VPN with two customer gateways and DNS forwarding,
 * staging's transit gateway attachment, dev with neither. Read from the Network templates.
 */

type Resources = Record<string, { Type: string; Properties?: any; DependsOn?: string[] }>;
const network = (environment: string): Resources => environmentJson(environment).Network.Resources;
const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const ref = (value: any): string | undefined => value?.Ref ?? value?.['Fn::GetAtt']?.[0];

/** Route table logical ids of the subnets whose cdk path names the subnet group (public, private, isolated). */
function routeTablesOf(resources: Resources, group: 'public' | 'private' | 'isolated'): string[] {
  const subnets = new Set(ofType(resources, 'AWS::EC2::Subnet').filter(([, s]) => s.Properties.Tags.some((t: any) => t.Key === 'aws-cdk:subnet-name' && t.Value === group)).map(([id]) => id));
  return ofType(resources, 'AWS::EC2::SubnetRouteTableAssociation').filter(([, a]) => subnets.has(ref(a.Properties.SubnetId) as string)).map(([, a]) => ref(a.Properties.RouteTableId) as string);
}

function routesOf(resources: Resources, routeTable: string) {
  return ofType(resources, 'AWS::EC2::Route').map(([, r]) => r.Properties).filter((p) => ref(p.RouteTableId) === routeTable);
}

describe.each(ENVIRONMENTS)('%s: nothing in the isolated subnets gains a route out', (environment) => {
  const resources = network(environment);

  test('isolated route tables hold no route but the local one, and nothing propagates into any route table', () => {
    const isolated = routeTablesOf(resources, 'isolated');
    expect(isolated.length).toBe(environment === 'prod' ? 3 : 2);
    for (const table of isolated) expect(routesOf(resources, table)).toEqual([]);
    expect(ofType(resources, 'AWS::EC2::VPNGatewayRoutePropagation')).toEqual([]);
  });

  test('the flow log records all traffic of the whole VPC (every interface the private paths add or use)', () => {
    const [vpcId] = ofType(resources, 'AWS::EC2::VPC').map(([id]) => id);
    const flowLogs = ofType(resources, 'AWS::EC2::FlowLog').map(([, f]) => f.Properties);
    expect(flowLogs).toContainEqual(expect.objectContaining({ ResourceType: 'VPC', ResourceId: { Ref: vpcId }, TrafficType: 'ALL' }));
  });
});

describe('prod: site-to-site VPN', () => {
  const resources = network('prod');
  const connections = ofType(resources, 'AWS::EC2::VPNConnection').map(([id, c]) => ({ id, ...c.Properties }));

  test('one virtual private gateway attached to the VPC, one connection per customer gateway from config', () => {
    const [[gatewayId, gateway]] = ofType(resources, 'AWS::EC2::VPNGateway');
    expect(gateway.Properties).toEqual(expect.objectContaining({ Type: 'ipsec.1', AmazonSideAsn: 64512 }));
    expect(ofType(resources, 'AWS::EC2::VPCGatewayAttachment').some(([, a]) => ref(a.Properties.VpnGatewayId) === gatewayId)).toBe(true);
    const gateways = ofType(resources, 'AWS::EC2::CustomerGateway').map(([id, g]) => ({ id, ...g.Properties }));
    expect(gateways.map((g) => [g.DeviceName, g.IpAddress, g.BgpAsn])).toEqual([
      ['dc-primary', '192.0.2.10', 65010],
      ['dc-secondary', '192.0.2.20', 65010],
    ]);
    expect(connections.map((c) => ref(c.CustomerGatewayId)).sort()).toEqual(gateways.map((g) => g.id).sort());
    for (const connection of connections) {
      expect(ref(connection.VpnGatewayId)).toBe(gatewayId);
      expect(connection.StaticRoutesOnly).toBe(false);
    }
  });

  test('two tunnels each: IKEv2 only, AES-256, SHA-2 of 256 bits or more, Diffie-Hellman groups 14 to 21', () => {
    const values = (list: { Value: string | number }[]) => list.map((item) => item.Value);
    for (const connection of connections) {
      expect(connection.VpnTunnelOptionsSpecifications).toHaveLength(2);
      for (const tunnel of connection.VpnTunnelOptionsSpecifications) {
        expect(values(tunnel.IKEVersions)).toEqual(['ikev2']);
        for (const phase of [1, 2]) {
          expect(values(tunnel[`Phase${phase}EncryptionAlgorithms`]).every((a) => String(a).startsWith('AES256'))).toBe(true);
          expect(values(tunnel[`Phase${phase}IntegrityAlgorithms`]).every((a) => /^SHA2-(256|384|512)$/.test(String(a)))).toBe(true);
          const groups = values(tunnel[`Phase${phase}DHGroupNumbers`]).map(Number);
          expect(groups.length).toBeGreaterThan(0);
          expect(groups.every((g) => g >= 14 && g <= 21)).toBe(true);
        }
      }
    }
    expect(TUNNEL_CRYPTO.dhGroups).not.toContain(2);
  });

  test('no pre-shared key in any template of any environment: AWS generates them into Secrets Manager', () => {
    for (const connection of connections) expect(connection.PreSharedKeyStorage).toBe('SecretsManager');
    for (const environment of ENVIRONMENTS) {
      expect(JSON.stringify(environmentJson(environment))).not.toMatch(/PreSharedKey"/);
    }
  });

  test('tunnel and BGP logs go to a KMS-encrypted log group kept for the environment retention', () => {
    const groups = new Set<string>();
    for (const connection of connections) {
      for (const tunnel of connection.VpnTunnelOptionsSpecifications) {
        const options = tunnel.LogOptions.CloudwatchLogOptions;
        expect(options).toEqual(expect.objectContaining({ LogEnabled: true, LogOutputFormat: 'json', BgpLogEnabled: true }));
        // The plain log group ARN (`...:log-group:<name>`), not the GetAtt Arn with its trailing `:*`.
        for (const arn of [options.LogGroupArn, options.BgpLogGroupArn]) {
          const parts = arn['Fn::Join'][1];
          expect(parts[parts.length - 2]).toMatch(/:log-group:$/);
          groups.add(ref(parts[parts.length - 1]) as string);
        }
      }
    }
    expect(groups.size).toBe(1);
    const [group] = [...groups];
    expect(resources[group].Type).toBe('AWS::Logs::LogGroup');
    expect(resources[group].Properties).toEqual(expect.objectContaining({ RetentionInDays: 365, KmsKeyId: expect.anything() }));
  });

  test('the data centre range is routed from the private subnets only, through the attached gateway', () => {
    const [[gatewayId]] = ofType(resources, 'AWS::EC2::VPNGateway');
    const toCorp = (table: string) => routesOf(resources, table).filter((r) => r.DestinationCidrBlock === '172.16.0.0/16');
    const privateTables = routeTablesOf(resources, 'private');
    expect(privateTables).toHaveLength(3);
    for (const table of privateTables) expect(toCorp(table).map((r) => ref(r.GatewayId))).toEqual([gatewayId]);
    for (const table of [...routeTablesOf(resources, 'public'), ...routeTablesOf(resources, 'isolated')]) expect(toCorp(table)).toEqual([]);
    const vpnRoutes = ofType(resources, 'AWS::EC2::Route').filter(([, r]) => ref(r.Properties.GatewayId) === gatewayId);
    for (const [, route] of vpnRoutes) expect(route.DependsOn?.some((id) => resources[id].Type === 'AWS::EC2::VPCGatewayAttachment')).toBe(true);
  });
});

describe('prod: DNS forwarding', () => {
  const resources = network('prod');

  test('an outbound endpoint in each private subnet, behind a group that only lets DNS out to the resolvers', () => {
    const [[, endpoint]] = ofType(resources, 'AWS::Route53Resolver::ResolverEndpoint');
    expect(endpoint.Properties.Direction).toBe('OUTBOUND');
    const privateSubnets = ofType(resources, 'AWS::EC2::Subnet').filter(([, s]) => s.Properties.Tags.some((t: any) => t.Key === 'aws-cdk:subnet-name' && t.Value === 'private')).map(([id]) => id);
    expect(endpoint.Properties.IpAddresses.map((a: any) => ref(a.SubnetId)).sort()).toEqual(privateSubnets.sort());
    const group = resources[ref(endpoint.Properties.SecurityGroupIds[0]) as string].Properties;
    expect(group.SecurityGroupIngress).toBeUndefined();
    const egress = group.SecurityGroupEgress.map((rule: any) => `${rule.IpProtocol} ${rule.FromPort}-${rule.ToPort} ${rule.CidrIp}`).sort();
    expect(egress).toEqual(['tcp 53-53 172.16.0.10/32', 'tcp 53-53 172.16.1.10/32', 'udp 53-53 172.16.0.10/32', 'udp 53-53 172.16.1.10/32']);
  });

  test('corp.example.com is forwarded to the data centre resolvers, and the rule is associated with the VPC', () => {
    const [[ruleId, rule]] = ofType(resources, 'AWS::Route53Resolver::ResolverRule');
    expect(rule.Properties).toEqual(
      expect.objectContaining({ RuleType: 'FORWARD', DomainName: 'corp.example.com', TargetIps: [{ Ip: '172.16.0.10', Port: '53' }, { Ip: '172.16.1.10', Port: '53' }] }),
    );
    const [[vpcId]] = ofType(resources, 'AWS::EC2::VPC');
    const [[, association]] = ofType(resources, 'AWS::Route53Resolver::ResolverRuleAssociation');
    expect([ref(association.Properties.ResolverRuleId), ref(association.Properties.VPCId)]).toEqual([ruleId, vpcId]);
  });
});

describe('staging: transit gateway attachment', () => {
  const resources = network('staging');

  test('attaches the private subnets to the configured transit gateway, with its route tables', () => {
    const [[attachmentId, attachment]] = ofType(resources, 'AWS::EC2::TransitGatewayVpcAttachment');
    expect(attachment.Properties.TransitGatewayId).toBe('tgw-0123456789abcdef0');
    const privateSubnets = ofType(resources, 'AWS::EC2::Subnet').filter(([, s]) => s.Properties.Tags.some((t: any) => t.Key === 'aws-cdk:subnet-name' && t.Value === 'private')).map(([id]) => id);
    expect(attachment.Properties.SubnetIds.map(ref).sort()).toEqual(privateSubnets.sort());
    const [[, association]] = ofType(resources, 'AWS::EC2::TransitGatewayRouteTableAssociation');
    expect(association.Properties).toEqual({ TransitGatewayAttachmentId: { Ref: attachmentId }, TransitGatewayRouteTableId: 'tgw-rtb-0123456789abcdef0' });
    const [[, propagation]] = ofType(resources, 'AWS::EC2::TransitGatewayRouteTablePropagation');
    expect(propagation.Properties).toEqual({ TransitGatewayAttachmentId: { Ref: attachmentId }, TransitGatewayRouteTableId: 'tgw-rtb-0123456789abcdef1' });
  });

  test('routes the data centre range through it from the private subnets only; no VPN, no resolver', () => {
    const privateTables = routeTablesOf(resources, 'private');
    for (const table of privateTables) expect(routesOf(resources, table).filter((r) => r.TransitGatewayId === 'tgw-0123456789abcdef0').map((r) => r.DestinationCidrBlock)).toEqual(['172.16.0.0/16']);
    const viaTgw = ofType(resources, 'AWS::EC2::Route').filter(([, r]) => r.Properties.TransitGatewayId);
    expect(viaTgw.every(([, r]) => privateTables.includes(ref(r.Properties.RouteTableId) as string))).toBe(true);
    for (const type of ['AWS::EC2::VPNConnection', 'AWS::EC2::VPNGateway', 'AWS::Route53Resolver::ResolverEndpoint']) expect(ofType(resources, type)).toEqual([]);
  });
});

test('dev declares no private path: no VPN, attachment, resolver or custom network ACL', () => {
  const resources = network('dev');
  for (const type of ['AWS::EC2::VPNGateway', 'AWS::EC2::CustomerGateway', 'AWS::EC2::TransitGatewayVpcAttachment', 'AWS::Route53Resolver::ResolverEndpoint', 'AWS::EC2::NetworkAcl']) {
    expect(ofType(resources, type)).toEqual([]);
  }
});

/** What the private subnets' network ACL decides for a packet: the lowest-numbered matching entry wins. */
function aclDecision(resources: Resources, egress: boolean, address: string, protocol: 'tcp' | 'udp' | 'icmp', port: number): 'allow' | 'deny' {
  const numbers = { tcp: 6, udp: 17, icmp: 1 };
  const entries = ofType(resources, 'AWS::EC2::NetworkAclEntry')
    .map(([, e]) => e.Properties)
    .filter((e) => Boolean(e.Egress) === egress)
    .sort((a, b) => a.RuleNumber - b.RuleNumber);
  const match = entries.find(
    (e) =>
      cidrContains(e.CidrBlock, address) &&
      (e.Protocol === -1 || e.Protocol === numbers[protocol]) &&
      (e.PortRange === undefined || protocol === 'icmp' || (port >= e.PortRange.From && port <= e.PortRange.To)),
  );
  return match ? match.RuleAction : 'deny';
}

describe.each(['prod', 'staging'])('%s: the private subnets network ACL', (environment) => {
  const resources = network(environment);
  const vpcCidr = environment === 'prod' ? '10.30.0.0/16' : '10.20.0.0/16';
  const vpcHost = vpcCidr.replace('0.0/16', '4.4');

  test('is associated with the private subnets only', () => {
    const [[aclId]] = ofType(resources, 'AWS::EC2::NetworkAcl');
    const associated = ofType(resources, 'AWS::EC2::SubnetNetworkAclAssociation').filter(([, a]) => ref(a.Properties.NetworkAclId) === aclId).map(([, a]) => ref(a.Properties.SubnetId));
    const privateSubnets = ofType(resources, 'AWS::EC2::Subnet').filter(([, s]) => s.Properties.Tags.some((t: any) => t.Key === 'aws-cdk:subnet-name' && t.Value === 'private')).map(([id]) => id);
    expect(associated.sort()).toEqual(privateSubnets.sort());
  });

  test('towards the data centre only the declared port leaves (and DNS to the resolvers), and only answers come back', () => {
    expect(aclDecision(resources, true, '172.16.20.5', 'tcp', 443)).toBe('allow');
    for (const [protocol, port] of [['tcp', 22], ['tcp', 80], ['tcp', 3389], ['udp', 443], ['tcp', 8443]] as const) {
      expect(`${protocol} ${port} ${aclDecision(resources, true, '172.16.20.5', protocol, port)}`).toBe(`${protocol} ${port} deny`);
    }
    expect(aclDecision(resources, true, '172.16.20.5', 'udp', 53)).toBe('deny');
    expect(aclDecision(resources, true, '172.16.0.10', 'udp', 53)).toBe(environment === 'prod' ? 'allow' : 'deny');
    expect(aclDecision(resources, false, '172.16.20.5', 'tcp', 40000)).toBe('allow');
    expect(aclDecision(resources, false, '172.16.20.5', 'tcp', 22)).toBe('deny');
    expect(aclDecision(resources, false, '172.16.20.5', 'icmp', 0)).toBe('deny');
  });

  test('every other path keeps working: out to anywhere, in from the VPC, answers from the internet (never on 22 or 3389)', () => {
    expect(aclDecision(resources, true, '52.94.0.1', 'tcp', 443)).toBe('allow');
    expect(aclDecision(resources, true, vpcHost, 'tcp', 5432)).toBe('allow');
    expect(aclDecision(resources, false, vpcHost, 'tcp', 8080)).toBe('allow');
    expect(aclDecision(resources, false, '52.94.0.1', 'tcp', 51000)).toBe('allow');
    expect(aclDecision(resources, false, '52.94.0.1', 'udp', 1024)).toBe('allow');
    for (const port of [22, 443, 3389]) expect(aclDecision(resources, false, '52.94.0.1', 'tcp', port)).toBe('deny');
  });
});

describe('prod: tunnel and resolver alarms', () => {
  const resources = network('prod');
  const alarms = ofType(resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const topic = (alarm: any) => JSON.stringify(alarm.AlarmActions).match(/alerts-(critical|warning)/)?.[1];

  test('per VPN connection: a tunnel down warns, both down is critical', () => {
    for (const [id] of ofType(resources, 'AWS::EC2::VPNConnection')) {
      const mine = alarms.filter((a) => a.Namespace === 'AWS/VPN' && a.Dimensions?.[0]?.Value?.Ref === id);
      const bySuffix = Object.fromEntries(mine.map((a) => [a.AlarmName.split('-Connection-')[1], a]));
      expect(Object.keys(bySuffix).sort()).toEqual(['tunnel-down', 'tunnels-down']);
      expect(bySuffix['tunnel-down']).toEqual(expect.objectContaining({ MetricName: 'TunnelState', Statistic: 'Maximum', ComparisonOperator: 'LessThanThreshold', Threshold: 1 }));
      expect(topic(bySuffix['tunnel-down'])).toBe('warning');
      expect(bySuffix['tunnels-down']).toEqual(expect.objectContaining({ MetricName: 'TunnelState', ComparisonOperator: 'LessThanOrEqualToThreshold', Threshold: 0, TreatMissingData: 'breaching' }));
      expect(topic(bySuffix['tunnels-down'])).toBe('critical');
      expect(bySuffix['tunnels-down'].OKActions).toBeDefined();
    }
  });

  test('the resolver endpoint: no operational interface is critical, one recovering warns', () => {
    const resolver = alarms.filter((a) => a.Namespace === 'AWS/Route53Resolver');
    expect(resolver.map((a) => [a.MetricName, a.ComparisonOperator, a.Threshold, topic(a)]).sort()).toEqual([
      ['EndpointHealthyENICount', 'LessThanThreshold', 1, 'critical'],
      ['EndpointUnhealthyENICount', 'GreaterThanThreshold', 0, 'warning'],
    ]);
  });
});
