import { z } from 'zod';
import { isIpv4Cidr } from './fields';
import { userPoolHasDomain } from './identity';
import { crossAreaRule, issueOf } from './rules';

/** The environment's VPC (`network`) and the availability zones it spans (`availabilityZones`). */

export const INTERFACE_ENDPOINT_SERVICES = [
  'secretsmanager',
  'sqs',
  'sns',
  'kms',
  'logs',
  'monitoring',
  'sts',
  'ecr.api',
  'ecr.dkr',
  'ecs',
  'ecs-agent',
  'ecs-telemetry',
  'cognito-idp',
  'xray',
  'ssm',
] as const;

const vpcCidr = z
  .string()
  .refine((value) => isIpv4Cidr(value, 16, 24), { message: 'expected an IPv4 CIDR block with a prefix from /16 to /24, e.g. "10.10.0.0/16"' });

export const NetworkConfig = z.strictObject({
  vpcCidr,
  /** NAT gateways give fixed egress IPs that partners allow-list; production needs one per AZ. */
  natGateways: z.number().int().min(1, { message: 'expected at least 1 NAT gateway (handlers call Modyo and providers)' }).max(6),
  interfaceEndpoints: z.array(z.enum(INTERFACE_ENDPOINT_SERVICES)).default(['secretsmanager', 'sqs', 'kms', 'logs']),
  /** Isolated subnets (no route out of the VPC) where databases and caches run (`data`); false leaves them out. */
  isolatedSubnets: z.boolean().default(true),
});

/** Explicit AZs: synth never looks them up, so it works with no AWS credentials. */
export const AvailabilityZones = z
  .array(z.string())
  .min(2, { message: 'expected at least 2 availability zones' })
  .max(6)
  .superRefine((zones, ctx) => {
    if (new Set(zones).size !== zones.length) issueOf(ctx)([], 'expected each availability zone once');
  });

export const NETWORK_RULES = [
  crossAreaRule(['availabilityZones', 'region'], (config, issue) =>
    config.availabilityZones.forEach((zone, index) => {
      if (!new RegExp(`^${config.region}[a-z]$`).test(zone)) {
        issue(['availabilityZones', index], `expected an availability zone of region ${config.region}, e.g. "${config.region}a"; got "${zone}"`);
      }
    }),
  ),
  crossAreaRule(['network', 'availabilityZones'], (config, issue) => {
    if (config.network.natGateways > config.availabilityZones.length) {
      issue(['network', 'natGateways'], `expected at most one NAT gateway per availability zone (${config.availabilityZones.length})`);
    }
  }),
  // A user pool with a domain (every pool here: identity.domainPrefix or identity.customDomain) is incompatible
  // with AWS PrivateLink: with private DNS on, the Admin* calls of identity provisioning would go through the
  // endpoint and never complete. https://docs.aws.amazon.com/cognito/latest/developerguide/vpc-interface-endpoints.html
  crossAreaRule(['network', 'identity'], (config, issue) => {
    const cognitoEndpoint = config.network.interfaceEndpoints.indexOf('cognito-idp');
    if (cognitoEndpoint >= 0 && userPoolHasDomain(config.identity)) {
      issue(
        ['network', 'interfaceEndpoints', cognitoEndpoint],
        'expected no "cognito-idp" endpoint: the user pool has a domain (identity.domainPrefix), and AWS documents that a user pool with a domain is incompatible with AWS PrivateLink (requests through the endpoint do not complete); Cognito is reached through the NAT gateways',
      );
    }
  }),
  crossAreaRule(['kind', 'network', 'availabilityZones'], (config, issue) => {
    if (config.kind === 'production' && config.network.natGateways < config.availabilityZones.length) {
      issue(['network', 'natGateways'], `expected one NAT gateway per availability zone in production (${config.availabilityZones.length}), so losing an AZ keeps egress`);
    }
  }),
];
