import { z } from 'zod';
import { awsAccount, domainName, ipCidr, name } from './fields';
import { cidrContains, cidrsOverlap, isIpv4Address, isPublicIpv4 } from './ipv4';
import { crossAreaRule, duplicates, issueOf } from './rules';

/**
 * Private paths to the organisation's business systems (`connectivity`): the remote networks (on-premises or other
 * VPCs) and the ports handlers and services may reach there, a site-to-site VPN and/or a Transit Gateway attachment
 * carrying them, and the DNS domains forwarded to the organisation's resolvers. Built by
 * lib/constructs/network/private-connectivity.ts; README "Reaching business systems" says what to ask for.
 */

const port = z.number().int().min(1).max(65535, { message: 'expected a port from 1 to 65535' });

export const RemoteNetwork = z.strictObject({
  name,
  /** The address ranges of that network: routed from the private subnets only, never from the isolated ones. */
  cidrs: z.array(ipCidr).min(1, { message: 'expected at least one CIDR of the remote network' }),
  /** The path the ranges are routed through. */
  via: z.enum(['vpn', 'transitGateway'], { message: 'expected "vpn" or "transitGateway"' }),
  /** The only ports the private subnets may open towards these ranges (network ACL); DNS to forwarding targets is added. */
  ports: z.array(z.strictObject({ protocol: z.enum(['tcp', 'udp']), port })).min(1, { message: 'expected at least one port handlers or services call there, e.g. { "protocol": "tcp", "port": 443 }' }),
});
export const RemoteNetworks = z.array(RemoteNetwork).min(1, { message: 'expected at least one remote network' });

const ipv4Address = z.string().refine(isIpv4Address, { message: 'expected an IPv4 address, e.g. "192.0.2.10"' });

/**
 * BGP ASNs. A customer gateway takes 1 to 4,294,967,295 (above 2,147,483,647 through BgpAsnExtended), except the
 * ASNs AWS reserves in a region; the Amazon side of a virtual private gateway takes a private ASN only.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateCustomerGateway.html
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpnGateway.html
 */
export const MAX_ASN = 4_294_967_295;
export const RESERVED_CUSTOMER_GATEWAY_ASNS: Readonly<Record<string, number>> = { 'us-east-1': 7224, 'eu-west-1': 9059, 'ap-southeast-1': 17943, 'ap-northeast-1': 10124 };
const ASN_MESSAGE = `expected a BGP ASN from 1 to ${MAX_ASN} (a private one if the network has none: 64512-65534 or 4200000000-4294967294)`;
const customerAsn = z.number({ error: ASN_MESSAGE }).int({ error: ASN_MESSAGE }).min(1, { error: ASN_MESSAGE }).max(MAX_ASN, { error: ASN_MESSAGE });
const isPrivateAsn = (asn: number) => (asn >= 64512 && asn <= 65534) || (asn >= 4_200_000_000 && asn <= 4_294_967_294);
const amazonSideAsn = z
  .number()
  .int()
  .refine(isPrivateAsn, { message: 'expected a private ASN for the Amazon side: 64512-65534 or 4200000000-4294967294' });

export const CustomerGateway = z.strictObject({
  name,
  /** The static public IPv4 address of the device's outside interface. */
  ipAddress: ipv4Address.refine(isPublicIpv4, { message: 'expected the public IPv4 address of the customer gateway device (not a private, shared or link-local one)' }),
  /** The device's ASN; required with BGP routing. */
  bgpAsn: customerAsn.optional(),
});

export const VpnConfig = z.strictObject({
  /** BGP (dynamic) fails over between tunnels by itself; static needs a device that cannot speak BGP. */
  routing: z.enum(['bgp', 'static']),
  amazonSideAsn: amazonSideAsn.default(64512),
  /** One VPN connection (two tunnels) per device; production names two devices. */
  customerGateways: z.array(CustomerGateway).min(1, { message: 'expected at least one customer gateway' }).max(4),
});

const tgwRouteTableId = z.string().regex(/^tgw-rtb-[0-9a-f]{8,17}$/, { message: 'expected a transit gateway route table id, e.g. "tgw-rtb-0123456789abcdef0"' });
const TGW_ID_MESSAGE = 'expected the id of the transit gateway to attach to, e.g. "tgw-0123456789abcdef0"';

export const TransitGatewayConfig = z.strictObject({
  // Said plainly when missing: route tables named without their transit gateway is the likely slip.
  id: z.string({ error: (issue) => (issue.input === undefined ? `${TGW_ID_MESSAGE} (route tables belong to a transit gateway)` : TGW_ID_MESSAGE) }).regex(/^tgw-[0-9a-f]{8,17}$/, { message: TGW_ID_MESSAGE }),
  /** The account that owns the transit gateway (shared through AWS RAM); this environment's account unless given. */
  ownerAccount: awsAccount.optional(),
  /** Association and propagation of the attachment; only the owner of the transit gateway may set them. */
  routeTables: z.strictObject({ association: tgwRouteTableId.optional(), propagation: z.array(tgwRouteTableId).default([]) }).optional(),
});

export const ForwardingRule = z.strictObject({
  /** Queries for this domain and its subdomains go to `resolverIps`. */
  domain: domainName,
  /** The organisation's DNS resolvers (port 53), inside a remote network. */
  resolverIps: z.array(ipv4Address).min(1, { message: 'expected at least one resolver address' }).max(6),
});

/**
 * Network ACL rules per direction: 20 by default (adjustable to 40), inbound and outbound counted apart.
 * https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-nacls
 */
export const MAX_NETWORK_ACL_RULES = 20;

/**
 * The network ACL rules `connectivity` needs per direction (lib/constructs/network/private-network-acl.ts): outbound,
 * CIDRs x ports, 2 per resolver address, a deny per CIDR and the allow-all; inbound, 2 answer rules and a deny per
 * CIDR and the 6 that keep every other path (the VPC, answers around port 3389 and ICMP from elsewhere).
 */
export function networkAclRuleCounts(connectivity: Pick<ConnectivityConfig, 'networks' | 'dns'>): { outbound: number; inbound: number } {
  const cidrs = connectivity.networks.reduce((n, network) => n + network.cidrs.length, 0);
  const allows = connectivity.networks.reduce((n, network) => n + network.cidrs.length * network.ports.length, 0);
  return { outbound: allows + resolverTargets(connectivity).length * 2 + cidrs + 1, inbound: cidrs * 3 + 6 };
}

/** Every forwarding target address, once. */
export function resolverTargets(connectivity: Pick<ConnectivityConfig, 'dns'>): string[] {
  return [...new Set((connectivity.dns?.forwardingRules ?? []).flatMap((rule) => rule.resolverIps))];
}

export const ConnectivityConfig = z
  .strictObject({
    networks: RemoteNetworks,
    vpn: VpnConfig.optional(),
    transitGateway: TransitGatewayConfig.optional(),
    dns: z.strictObject({ forwardingRules: z.array(ForwardingRule).min(1, { message: 'expected at least one forwarding rule' }) }).optional(),
  })
  .superRefine((connectivity, ctx) => {
    const issue = issueOf(ctx);
    const { networks, vpn, transitGateway, dns } = connectivity;
    for (const index of duplicates(networks.map((n) => n.name))) issue(['networks', index, 'name'], 'expected a unique network name');
    const cidrs = networks.flatMap((network, n) => network.cidrs.map((cidr, c) => ({ cidr, path: ['networks', n, 'cidrs', c] })));
    cidrs.forEach((a, i) =>
      cidrs.slice(i + 1).forEach((b) => {
        if (cidrsOverlap(a.cidr, b.cidr)) issue(b.path, `expected a range that overlaps no other remote network range; overlaps ${a.cidr}`);
      }),
    );
    networks.forEach((network, index) => {
      if (network.via === 'vpn' && !vpn) issue(['networks', index, 'via'], 'expected connectivity.vpn to be declared: this network is routed through the VPN');
      if (network.via === 'transitGateway' && !transitGateway) issue(['networks', index, 'via'], 'expected connectivity.transitGateway to be declared: this network is routed through it');
    });
    if (vpn && !networks.some((n) => n.via === 'vpn')) issue(['vpn'], 'expected at least one network with "via": "vpn" (a VPN that routes nothing only costs)');
    if (transitGateway && !networks.some((n) => n.via === 'transitGateway')) issue(['transitGateway'], 'expected at least one network with "via": "transitGateway"');
    if (vpn) {
      const gateways = vpn.customerGateways;
      for (const index of duplicates(gateways.map((g) => g.name))) issue(['vpn', 'customerGateways', index, 'name'], 'expected a unique customer gateway name');
      for (const index of duplicates(gateways.map((g) => g.ipAddress))) issue(['vpn', 'customerGateways', index, 'ipAddress'], 'expected one customer gateway per device address');
      gateways.forEach((gateway, index) => {
        if (vpn.routing === 'bgp' && gateway.bgpAsn === undefined) issue(['vpn', 'customerGateways', index, 'bgpAsn'], `${ASN_MESSAGE}: required with "routing": "bgp"`);
        if (gateway.bgpAsn === vpn.amazonSideAsn) issue(['vpn', 'customerGateways', index, 'bgpAsn'], `expected an ASN other than the Amazon side's (vpn.amazonSideAsn ${vpn.amazonSideAsn}): the BGP session is between two systems`);
      });
    }
    dns?.forwardingRules.forEach((rule, r) => {
      rule.resolverIps.forEach((ip, i) => {
        if (!networks.some((network) => network.cidrs.some((cidr) => cidrContains(cidr, ip)))) {
          issue(['dns', 'forwardingRules', r, 'resolverIps', i], `expected an address inside a remote network's cidrs (${cidrs.map((c) => c.cidr).join(', ')}): the outbound endpoint reaches it through that route; got ${ip}`);
        }
      });
    });
    for (const index of duplicates((dns?.forwardingRules ?? []).map((r) => r.domain))) issue(['dns', 'forwardingRules', index, 'domain'], 'expected each domain once');
    for (const [direction, count] of Object.entries(networkAclRuleCounts(connectivity))) {
      if (count > MAX_NETWORK_ACL_RULES) {
        issue(['networks'], `expected at most ${MAX_NETWORK_ACL_RULES} ${direction} network ACL rules (the AWS default per direction); these networks need ${count} (each CIDR takes its ports, a deny and 2 answer rules, each resolver address 2, and up to 6 keep the other paths): merge CIDRs or ports`);
      }
    }
  });

export type ConnectivityConfig = z.infer<typeof ConnectivityConfig>;
export type RemoteNetworkConfig = z.infer<typeof RemoteNetwork>;

/** Names the internet's DNS never answers (RFC 6762 .local, RFC 8375 home.arpa, ICANN's .internal and common private suffixes). */
const PRIVATE_SUFFIXES = ['internal', 'local', 'localdomain', 'lan', 'intranet', 'corp', 'private', 'home.arpa'];

/**
 * Why `url`'s host cannot be reached, or undefined when it can: a private name no forwarding rule resolves, or a
 * private address inside neither the VPC nor a remote network. Public names and addresses go out through NAT.
 */
export function unreachablePrivateHost(url: string, vpcCidr: string, connectivity: ConnectivityConfig | undefined): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return undefined; // not a URL: its own field's format check says so
  }
  const remoteCidrs = (connectivity?.networks ?? []).flatMap((network) => network.cidrs);
  if (isIpv4Address(host)) {
    if (isPublicIpv4(host) || cidrContains(vpcCidr, host) || remoteCidrs.some((cidr) => cidrContains(cidr, host))) return undefined;
    return `expected a host the VPC can reach: ${host} is a private address inside neither the VPC (${vpcCidr}) nor a connectivity.networks range${remoteCidrs.length ? ` (${remoteCidrs.join(', ')})` : ''}`;
  }
  const domains = (connectivity?.dns?.forwardingRules ?? []).map((rule) => rule.domain);
  if (domains.some((domain) => host === domain || host.endsWith(`.${domain}`))) return undefined;
  if (!PRIVATE_SUFFIXES.some((suffix) => host.endsWith(`.${suffix}`))) return undefined;
  return `expected a host the VPC can resolve: "${host}" is a private name and no connectivity.dns.forwardingRules domain covers it (${domains.length ? `declared: ${domains.join(', ')}` : 'none declared'})`;
}

/** Every http(s) URL in `value`, with its path (the integration endpoints, whatever fields integrations gains). */
function urlsIn(value: unknown, path: (string | number)[]): { url: string; path: (string | number)[] }[] {
  if (typeof value === 'string') return /^https?:\/\//.test(value) ? [{ url: value, path }] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => urlsIn(item, [...path, index]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => urlsIn(item, [...path, key]));
  return [];
}

export const CONNECTIVITY_RULES = [
  crossAreaRule(['connectivity', 'network'], (config, issue) => {
    config.connectivity?.networks.forEach((network, n) =>
      network.cidrs.forEach((cidr, c) => {
        if (cidrsOverlap(cidr, config.network.vpcCidr)) issue(['connectivity', 'networks', n, 'cidrs', c], `expected a range outside the VPC (${config.network.vpcCidr}): traffic to it would never leave the VPC; got ${cidr}`);
      }),
    );
  }),
  crossAreaRule(['connectivity', 'region'], (config, issue) => {
    const reserved = RESERVED_CUSTOMER_GATEWAY_ASNS[config.region];
    config.connectivity?.vpn?.customerGateways.forEach((gateway, index) => {
      if (gateway.bgpAsn === reserved) issue(['connectivity', 'vpn', 'customerGateways', index, 'bgpAsn'], `expected an ASN AWS does not reserve in ${config.region} (${reserved} is reserved there)`);
    });
  }),
  // A transit gateway shared through AWS RAM is the owner's to route: "When a transit gateway is shared with you, you
  // cannot create, modify, or delete its transit gateway route tables, or its transit gateway route table propagations
  // and associations." https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-share.html
  crossAreaRule(['connectivity', 'account'], (config, issue) => {
    const tgw = config.connectivity?.transitGateway;
    if (tgw?.routeTables && tgw.ownerAccount && tgw.ownerAccount !== config.account) {
      issue(['connectivity', 'transitGateway', 'routeTables'], `expected no route tables: the transit gateway belongs to account ${tgw.ownerAccount}, and only its owner associates and propagates attachments (ask the network team)`);
    }
  }),
  // Every URL a handler or a service is configured to call: the integration endpoints, Modyo, and the services'
  // environment variables that hold one.
  crossAreaRule(['connectivity', 'integrations', 'modyo', 'network', 'services'], (config, issue) => {
    const serviceUrls = config.services.flatMap((service, index) => urlsIn(service.environment, ['services', index, 'environment']));
    for (const { url, path } of [...urlsIn(config.integrations, ['integrations']), ...urlsIn(config.modyo, ['modyo']), ...serviceUrls]) {
      const problem = unreachablePrivateHost(url, config.network.vpcCidr, config.connectivity);
      if (problem) issue(path, problem);
    }
  }),
];
