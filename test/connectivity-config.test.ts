import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_NETWORK_ACL_RULES, networkAclRuleCounts, unreachablePrivateHost } from '../lib/config/connectivity';
import { loadEnvironmentConfigs } from '../lib/config/load';
import { CONFIG_DIR, problemsOf, shippedConfig as shipped } from './support/config-problems';

/** The `connectivity` area (lib/config/connectivity.ts): shipped examples and every way a value can be wrong. */


const corp = (via: 'vpn' | 'transitGateway', cidrs = ['172.16.0.0/16']) => ({ name: 'corp', cidrs, via, ports: [{ protocol: 'tcp', port: 443 }] });

describe('the shipped examples', () => {
  const configs = Object.fromEntries(loadEnvironmentConfigs(CONFIG_DIR).map((c) => [c.name, c]));

  test('prod reaches the data centre over a BGP VPN from two customer gateways and forwards corp.example.com to its resolvers', () => {
    const { connectivity } = configs.prod;
    expect(connectivity?.vpn?.routing).toBe('bgp');
    expect(connectivity?.vpn?.customerGateways.map((g) => g.name)).toEqual(['dc-primary', 'dc-secondary']);
    expect(connectivity?.dns?.forwardingRules.map((r) => r.domain)).toEqual(['corp.example.com']);
    expect(configs.prod.integrations.crmEndpoint).toMatch(/^https:\/\/crm\.corp\.example\.com\//);
  });

  test('staging attaches to an existing transit gateway with its route tables; dev has no private path', () => {
    expect(configs.staging.connectivity?.transitGateway).toEqual({
      id: 'tgw-0123456789abcdef0',
      routeTables: { association: 'tgw-rtb-0123456789abcdef0', propagation: ['tgw-rtb-0123456789abcdef1'] },
    });
    expect(configs.staging.connectivity?.vpn).toBeUndefined();
    expect(configs.dev.connectivity).toBeUndefined();
  });
});

describe('overlapping ranges', () => {
  test('a remote range inside the VPC', () => {
    expect(problemsOf('prod', (c) => (c.connectivity.networks[0].cidrs = ['10.30.128.0/20', '172.16.0.0/16']))).toContainEqual(
      'config/prod.json: connectivity.networks[0].cidrs[0]: expected a range outside the VPC (10.30.0.0/16): traffic to it would never leave the VPC; got 10.30.128.0/20',
    );
  });

  test('two remote ranges that overlap each other', () => {
    const problems = problemsOf('prod', (c) => c.connectivity.networks.push({ ...corp('vpn', ['172.16.8.0/24']), name: 'branch' }));
    expect(problems).toContainEqual('config/prod.json: connectivity.networks[1].cidrs[0]: expected a range that overlaps no other remote network range; overlaps 172.16.0.0/16');
  });

  test("a remote range that is another environment's VPC", () => {
    const directory = mkdtempSync(join(tmpdir(), 'connect-connectivity-'));
    const staging = shipped('staging');
    staging.connectivity.networks[0].cidrs = ['10.30.0.0/20']; // prod's VPC
    for (const [file, config] of Object.entries({ 'prod.json': shipped('prod'), 'staging.json': staging, 'dev.json': shipped('dev') })) writeFileSync(join(directory, file), JSON.stringify(config));
    expect(() => loadEnvironmentConfigs(directory)).toThrow(/staging\.json: connectivity\.networks\[0\]\.cidrs\[0\]: expected a range outside every environment's VPC; overlaps .*prod\.json \(10\.30\.0\.0\/16\); got 10\.30\.0\.0\/20/);
  });

  test('two environments may reach the same remote network (prod and staging both route 172.16.0.0/16)', () => {
    expect(() => loadEnvironmentConfigs(CONFIG_DIR)).not.toThrow();
  });
});

describe('private integration endpoints', () => {
  test('a private name no forwarding rule resolves', () => {
    expect(problemsOf('prod', (c) => (c.integrations.crmEndpoint = 'https://crm.erp.internal/events'))).toContainEqual(
      'config/prod.json: integrations.crmEndpoint: expected a host the VPC can resolve: "crm.erp.internal" is a private name and no connectivity.dns.forwardingRules domain covers it (declared: corp.example.com)',
    );
  });

  test('a private name under a forwarded domain, a private address inside a remote range and public names pass', () => {
    expect(problemsOf('prod', (c) => (c.integrations.crmEndpoint = 'https://crm.apps.corp.example.com/events'))).toEqual([]);
    expect(problemsOf('prod', (c) => (c.integrations.crmEndpoint = 'https://172.16.20.5/events'))).toEqual([]);
    expect(problemsOf('prod', (c) => (c.integrations.khipu.apiBaseUrl = 'https://khipu.com/api/2.0'))).toEqual([]);
  });

  test('a private address the VPC cannot reach, in any integration endpoint, with no connectivity declared', () => {
    expect(problemsOf('dev', (c) => (c.integrations.crmEndpoint = 'https://192.168.10.5/events'))).toContainEqual(
      'config/dev.json: integrations.crmEndpoint: expected a host the VPC can reach: 192.168.10.5 is a private address inside neither the VPC (10.10.0.0/16) nor a connectivity.networks range',
    );
    expect(problemsOf('prod', (c) => (c.integrations.webpay.apiBaseUrl = 'https://webpay.corp.lan'))).toContainEqual(expect.stringContaining('config/prod.json: integrations.webpay.apiBaseUrl: expected a host the VPC can resolve: "webpay.corp.lan"'));
  });

  test("a service's environment variable holding a URL is checked too", () => {
    expect(problemsOf('prod', (c) => (c.services[0].environment.CORE_BANKING_URL = 'https://core.bank.internal/api'))).toContainEqual(
      expect.stringContaining('config/prod.json: services[0].environment.CORE_BANKING_URL: expected a host the VPC can resolve: "core.bank.internal" is a private name'),
    );
    expect(problemsOf('prod', (c) => (c.services[0].environment.CORE_BANKING_URL = 'https://core.corp.example.com/api'))).toEqual([]);
  });

  test('the decision, case by case', () => {
    const connectivity = shipped('prod').connectivity;
    expect(unreachablePrivateHost('https://CRM.Corp.Example.com/x', '10.30.0.0/16', connectivity)).toBeUndefined();
    expect(unreachablePrivateHost('https://corp.example.com.evil.internal/x', '10.30.0.0/16', connectivity)).toContain('no connectivity.dns.forwardingRules domain covers it');
    expect(unreachablePrivateHost('https://10.30.4.4/x', '10.30.0.0/16', undefined)).toBeUndefined();
    expect(unreachablePrivateHost('https://100.64.0.1/x', '10.30.0.0/16', undefined)).toContain('private address');
    expect(unreachablePrivateHost('https://printer.local/x', '10.30.0.0/16', undefined)).toContain('none declared');
  });
});

describe('customer gateway ASNs (API_CreateCustomerGateway ranges)', () => {
  test.each([
    ['zero', 0],
    ['above 32 bits', 4_294_967_296],
    ['not a whole number', 65010.5],
  ])('%s is out of range', (_name, asn) => {
    expect(problemsOf('prod', (c) => (c.connectivity.vpn.customerGateways[0].bgpAsn = asn))).toContainEqual(
      'config/prod.json: connectivity.vpn.customerGateways[0].bgpAsn: expected a BGP ASN from 1 to 4294967295 (a private one if the network has none: 64512-65534 or 4200000000-4294967294)',
    );
  });

  test('an ASN AWS reserves in the region', () => {
    expect(problemsOf('prod', (c) => (c.connectivity.vpn.customerGateways[1].bgpAsn = 7224))).toContainEqual(
      'config/prod.json: connectivity.vpn.customerGateways[1].bgpAsn: expected an ASN AWS does not reserve in us-east-1 (7224 is reserved there)',
    );
  });

  test("BGP without the device's ASN, the Amazon side's own ASN, and an Amazon side ASN that is not private", () => {
    expect(problemsOf('prod', (c) => delete c.connectivity.vpn.customerGateways[0].bgpAsn)).toContainEqual(expect.stringContaining('config/prod.json: connectivity.vpn.customerGateways[0].bgpAsn: expected a BGP ASN from 1 to 4294967295'));
    expect(problemsOf('prod', (c) => (c.connectivity.vpn.customerGateways[0].bgpAsn = 64512))).toContainEqual(expect.stringContaining("customerGateways[0].bgpAsn: expected an ASN other than the Amazon side's (vpn.amazonSideAsn 64512)"));
    expect(problemsOf('prod', (c) => (c.connectivity.vpn.amazonSideAsn = 65535))).toContainEqual('config/prod.json: connectivity.vpn.amazonSideAsn: expected a private ASN for the Amazon side: 64512-65534 or 4200000000-4294967294');
  });

  test('32-bit ASNs are accepted; static routing needs none', () => {
    expect(problemsOf('prod', (c) => (c.connectivity.vpn.customerGateways[0].bgpAsn = 4_200_000_001))).toEqual([]);
    expect(
      problemsOf('prod', (c) => {
        c.connectivity.vpn.routing = 'static';
        for (const gateway of c.connectivity.vpn.customerGateways) delete gateway.bgpAsn;
      }),
    ).toEqual([]);
  });

  test('a customer gateway address that is not public', () => {
    expect(problemsOf('prod', (c) => (c.connectivity.vpn.customerGateways[0].ipAddress = '10.1.1.1'))).toContainEqual(
      'config/prod.json: connectivity.vpn.customerGateways[0].ipAddress: expected the public IPv4 address of the customer gateway device (not a private, shared or link-local one)',
    );
  });
});

describe('transit gateway', () => {
  test('route tables without a transit gateway', () => {
    expect(problemsOf('staging', (c) => delete c.connectivity.transitGateway.id)).toContainEqual(
      'config/staging.json: connectivity.transitGateway.id: expected the id of the transit gateway to attach to, e.g. "tgw-0123456789abcdef0" (route tables belong to a transit gateway)',
    );
  });

  test('route tables of a transit gateway another account owns (only the owner routes a shared one)', () => {
    expect(problemsOf('staging', (c) => (c.connectivity.transitGateway.ownerAccount = '444444444444'))).toContainEqual(expect.stringContaining('config/staging.json: connectivity.transitGateway.routeTables: expected no route tables: the transit gateway belongs to account 444444444444'));
    expect(problemsOf('staging', (c) => (c.connectivity.transitGateway.ownerAccount = c.account))).toEqual([]);
  });

  test('ids that are not transit gateway ids', () => {
    expect(problemsOf('staging', (c) => (c.connectivity.transitGateway.id = 'vgw-0123456789abcdef0'))).toContainEqual(expect.stringContaining('connectivity.transitGateway.id: expected the id of the transit gateway to attach to'));
    expect(problemsOf('staging', (c) => (c.connectivity.transitGateway.routeTables.association = 'rtb-0123456789abcdef0'))).toContainEqual(expect.stringContaining('connectivity.transitGateway.routeTables.association: expected a transit gateway route table id'));
  });
});

describe('paths, DNS and network ACL limits', () => {
  test('a network routed through a path that is not declared, and a path that routes nothing', () => {
    expect(problemsOf('staging', (c) => c.connectivity.networks.push({ ...corp('vpn', ['192.168.0.0/16']), name: 'branch' }))).toContainEqual(
      'config/staging.json: connectivity.networks[1].via: expected connectivity.vpn to be declared: this network is routed through the VPN',
    );
    expect(problemsOf('prod', (c) => (c.connectivity.transitGateway = { id: 'tgw-0123456789abcdef0' }))).toContainEqual(expect.stringContaining('connectivity.transitGateway: expected at least one network with "via": "transitGateway"'));
  });

  test('a forwarding target outside every remote network', () => {
    expect(problemsOf('prod', (c) => (c.connectivity.dns.forwardingRules[0].resolverIps = ['172.16.0.10', '192.168.0.2']))).toContainEqual(
      "config/prod.json: connectivity.dns.forwardingRules[0].resolverIps[1]: expected an address inside a remote network's cidrs (172.16.0.0/16): the outbound endpoint reaches it through that route; got 192.168.0.2",
    );
  });

  test('more network ACL rules than AWS allows by default', () => {
    const ports = Array.from({ length: 16 }, (_, i) => ({ protocol: 'tcp', port: 8000 + i }));
    const problems = problemsOf('prod', (c) => (c.connectivity.networks[0].ports = ports));
    expect(problems).toContainEqual(expect.stringMatching(/^config\/prod\.json: connectivity\.networks: expected at most 20 outbound network ACL rules .* need 2[0-9]/));
    // The shipped prod: 1 CIDR x 1 port, 2 resolver addresses (4), 1 deny, 1 allow-all out; 2 answers, 1 deny, 6 more in.
    expect(networkAclRuleCounts(shipped('prod').connectivity)).toEqual({ outbound: 7, inbound: 9 });
    expect(MAX_NETWORK_ACL_RULES).toBe(20);
  });
});
