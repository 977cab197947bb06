import { z } from 'zod';
import { CONCURRENCY_DEFAULTS, type ConcurrencyFunction, SQS_CONSUMER_FUNCTIONS } from '../lambda-concurrency';

/**
 * The one definition of an environment's configuration. Every config file under config/ is validated against it
 * at synth, and config/schema.json (for editors) is generated from it by `npm run config:schema`.
 * Each field's error says what is expected, so a bad value stops synth with a message an SRE can act on.
 */

/** The retention periods CloudWatch Logs accepts (days). "Never expire" is deliberately not offered. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** CPU units → memory (MiB) that Fargate accepts for Linux tasks. */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function isIpv4Cidr(value: string, minPrefix = 0, maxPrefix = 32): boolean {
  const match = CIDR.exec(value);
  if (!match) return false;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  return octets.every((octet) => octet <= 255) && prefix >= minPrefix && prefix <= maxPrefix;
}

const vpcCidr = z
  .string()
  .refine((value) => isIpv4Cidr(value, 16, 24), { message: 'expected an IPv4 CIDR block with a prefix from /16 to /24, e.g. "10.10.0.0/16"' });
const ipCidr = z.string().refine((value) => isIpv4Cidr(value), { message: 'expected an IPv4 address range in CIDR form, e.g. "203.0.113.0/24"' });
const awsAccount = z.string().regex(/^\d{12}$/, { message: 'expected a 12-digit AWS account id as a string, e.g. "111111111111"' });
const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { message: 'expected an AWS region name, e.g. "us-east-1"' });
const email = z.email({ message: 'expected an e-mail address' });
const httpsUrl = z.url({ protocol: /^https$/, message: 'expected an https:// URL' });
const domainName = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { message: 'expected a lower-case DNS name, e.g. "api.example.com"' });
const acmCertificateArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, { message: 'expected an ACM certificate ARN' });
/** A complete secret ARN (with the 6-character suffix Secrets Manager adds), optionally `:<json-key>`. */
const completeSecretArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}(:[A-Za-z0-9_.-]+)?$/, {
    message: 'expected a complete Secrets Manager secret ARN (ending in the 6-character suffix), optionally followed by :<json-key>',
  });
const secretArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/, { message: 'expected a Secrets Manager secret ARN' });
const name = z.string().regex(/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/, { message: 'expected a lower-case name of letters, digits and dashes (2-32 characters)' });
const scope = z.string().regex(/^[a-z][a-z0-9_.:-]{0,63}$/, { message: 'expected a scope name like "customers.write"' });
const logRetentionDays = z
  .number()
  .refine((value) => (LOG_RETENTION_DAYS as readonly number[]).includes(value), {
    message: `expected one of the retention periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')}`,
  });
const positiveInt = z.number().int({ message: 'expected a whole number' }).positive({ message: 'expected a number above 0' });
/** A whole number in [min, max] with one message for every way a value can miss it. */
function intInRange(min: number, max: number, message: string) {
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

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

const NetworkConfig = z.strictObject({
  vpcCidr,
  /** NAT gateways give fixed egress IPs that partners allow-list; production needs one per AZ. */
  natGateways: z.number().int().min(1, { message: 'expected at least 1 NAT gateway (handlers call Modyo and providers)' }).max(6),
  interfaceEndpoints: z.array(z.enum(INTERFACE_ENDPOINT_SERVICES)).default(['secretsmanager', 'sqs', 'kms', 'logs']),
});

const AlarmThresholds = z.strictObject({
  /** Oldest message age (seconds) that means a queue is not being drained. */
  queueOldestMessageSeconds: positiveInt.default(900),
  /** Lambda errors per 5 minutes. */
  lambdaErrors: positiveInt.default(1),
  /** Fraction of the function timeout that p99 duration may reach. */
  lambdaDurationFractionOfTimeout: z.number().gt(0).lte(1).default(0.8),
  /** API 5xx rate (percent of requests). */
  api5xxPercent: z.number().gt(0).lte(100).default(1),
  /** API 4xx rate (percent of requests) that is a surge, not normal client errors. */
  api4xxPercent: z.number().gt(0).lte(100).default(20),
  apiP99LatencyMs: positiveInt.default(3000),
  /** Blocked WAF requests per 5 minutes. */
  wafBlockedRequests: positiveInt.default(500),
  serviceCpuPercent: z.number().gt(0).lte(100).default(85),
  serviceMemoryPercent: z.number().gt(0).lte(100).default(85),
  /** Target 5xx responses per minute that roll a blue/green deployment back (and page outside deployments). */
  serviceTarget5xxPerMinute: positiveInt.default(5),
  /** Target p99 response time (ms) that rolls a blue/green deployment back. */
  serviceP99LatencyMs: positiveInt.default(2000),
});

const ChatChannel = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('slack'), workspaceId: z.string().min(1), channelId: z.string().min(1) }),
  z.strictObject({
    type: z.literal('teams'),
    teamId: z.string().uuid({ message: 'expected the Teams team id (a UUID)' }),
    channelId: z.string().min(1),
    tenantId: z.string().uuid({ message: 'expected the Microsoft tenant id (a UUID)' }),
  }),
]);

const AlarmsConfig = z.strictObject({
  /** Who is paged by critical alarms. */
  emails: z.array(email).min(1, { message: 'expected at least one e-mail address: an alarm must reach people' }),
  /** Who receives low-severity warnings; defaults to `emails`. */
  warningEmails: z.array(email).optional(),
  chat: ChatChannel.optional(),
  thresholds: AlarmThresholds.default(AlarmThresholds.parse({})),
});

const OidcProvider = z.strictObject({
  type: z.literal('oidc'),
  name: z.string().regex(/^[A-Za-z0-9_-]{3,32}$/, { message: 'expected a provider name of 3-32 letters, digits, - or _' }),
  issuerUrl: httpsUrl,
  clientId: z.string().min(1),
  /** The client secret stays in Secrets Manager; the template only references it. */
  clientSecretArn: secretArn,
  scopes: z.array(z.string()).default(['openid', 'email', 'profile']),
  /** Who signs in through it: end users (the realm client) or administrators. */
  audience: z.enum(['users', 'admins']).default('users'),
});

const SamlProvider = z.strictObject({
  type: z.literal('saml'),
  name: z.string().regex(/^[A-Za-z0-9_-]{3,32}$/, { message: 'expected a provider name of 3-32 letters, digits, - or _' }),
  metadataUrl: httpsUrl,
  audience: z.enum(['users', 'admins']).default('users'),
});

const TokenValidity = z.strictObject({
  accessTokenMinutes: z.number().int().min(5).max(1440).default(60),
  idTokenMinutes: z.number().int().min(5).max(1440).default(60),
  refreshTokenDays: z.number().int().min(1).max(3650).default(30),
});

const RealmClient = z.strictObject({
  /** Modyo realm uid; the client's callback is `<modyo.accountUrl>/realms/<realm>/auth/openidc/callback`. */
  realm: name,
  scopes: z.array(scope).min(1),
  tokenValidity: TokenValidity.default(TokenValidity.parse({})),
  /** Where Cognito may send the browser after sign-out; defaults to the realm's address `<modyo.accountUrl>/realms/<realm>`. */
  logoutUrls: z.array(httpsUrl).min(1).optional(),
});

/** The app client administrators sign in through (providers with audience `admins`), e.g. a back-office console. */
const AdminClient = z.strictObject({
  callbackUrls: z.array(httpsUrl).min(1, { message: 'expected at least one https:// callback URL of the administrators\' application' }),
  logoutUrls: z.array(httpsUrl).default([]),
  /** API scopes administrators' tokens carry, besides openid, email and profile. */
  scopes: z.array(scope).default([]),
  tokenValidity: TokenValidity.default(TokenValidity.parse({})),
});

const MachineClient = z.strictObject({
  name,
  description: z.string().optional(),
  scopes: z.array(scope).min(1),
  accessTokenMinutes: z.number().int().min(5).max(1440).default(60),
});

const IdentityConfig = z.strictObject({
  /** Cognito hosted-domain prefix (used when no custom domain is set); unique per region. */
  domainPrefix: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'expected a lower-case domain prefix' }),
  customDomain: z.strictObject({ domainName, certificateArn: acmCertificateArn }).optional(),
  mfa: z.enum(['OFF', 'OPTIONAL', 'REQUIRED']).default('OPTIONAL'),
  /**
   * How users mirrored from Modyo first sign in (README "First sign-in of mirrored users"). Off (default): each is
   * confirmed with a random password nobody knows and sets their own through "Forgot your password?" (a code to
   * their verified e-mail). On: Cognito e-mails an invitation with a temporary password, valid for the pool's
   * temporary password validity (3 days); users without an address are confirmed as with off.
   */
  sendInvitations: z.boolean().default(false),
  /** Scopes of the API's resource server, e.g. `customers.write`. */
  scopes: z.array(z.strictObject({ name: scope, description: z.string().min(1) })).min(1),
  realmClients: z.array(RealmClient).default([]),
  machineClients: z.array(MachineClient).default([]),
  federation: z.array(z.discriminatedUnion('type', [OidcProvider, SamlProvider])).default([]),
  /** Required when a federation provider has audience `admins`. */
  adminClient: AdminClient.optional(),
});

const ThrottleConfig = z.strictObject({
  rateLimit: positiveInt,
  burstLimit: positiveInt,
});

/** A route as the route table (lib/api/routes.ts) names it: `METHOD /path`. */
const routeKeyName = z.string().regex(/^(GET|POST|PUT|PATCH|DELETE|ANY) \/\S*$/, { message: 'expected a key like "POST /notifications" or "ANY /accounts/{proxy+}"' });
const wafRateLimit = z.number().int().min(10, { message: 'expected at least 10 (the lowest limit WAF accepts)' }).max(2_000_000_000);

const WafRouteConfig = z
  .strictObject({
    /** Requests per 5 minutes from one IP on this route, instead of the API-wide limit (e.g. Modyo's webhooks). */
    rateLimitPer5Minutes: wafRateLimit.optional(),
    /** Only these source ranges may call this route (e.g. a payment provider's published notification IPs); any other source is blocked on it. */
    allowedSourceCidrs: z.array(ipCidr).min(1, { message: 'expected at least one range (leave the field out to allow every source)' }).optional(),
  })
  .refine((route) => route.rateLimitPer5Minutes !== undefined || route.allowedSourceCidrs !== undefined, { message: 'expected rateLimitPer5Minutes or allowedSourceCidrs' });

const WafConfig = z.strictObject({
  /** Requests per 5 minutes from one IP before it is blocked, on routes without their own limit. */
  rateLimitPer5Minutes: wafRateLimit,
  /** Ranges exempt from the per-IP rate limits (e.g. a partner's shared NAT); every other rule still applies. */
  allowIpCidrs: z.array(ipCidr).default([]),
  denyIpCidrs: z.array(ipCidr).default([]),
  /** Per-route WAF settings, keyed by `METHOD /path` as in the route table, e.g. `"POST /webhooks/modyo"`. */
  routes: z.record(routeKeyName, WafRouteConfig).default({}),
});

const ApiConfig = z.strictObject({
  /** Custom domain of the API; without it, clients use the execute-api endpoint. */
  customDomain: z
    .strictObject({
      domainName,
      certificateArn: acmCertificateArn.optional(),
      hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,32}$/).optional(),
      /**
       * DNS name of the hosted zone (e.g. "example.com"), required with hostedZoneId: the internal load balancer gets
       * an HTTPS listener with a certificate for `services-internal.<zone>`, validated in this zone.
       */
      hostedZoneName: domainName.optional(),
    })
    .superRefine((domain, ctx) => {
      if (domain.hostedZoneId && !domain.hostedZoneName) {
        ctx.addIssue({ code: 'custom', path: ['hostedZoneName'], message: `expected the DNS name of hosted zone ${domain.hostedZoneId} (e.g. "example.com"): the internal load balancer's certificate is validated in that zone` });
      }
      if (domain.hostedZoneName && !domain.hostedZoneId) {
        ctx.addIssue({ code: 'custom', path: ['hostedZoneId'], message: `expected the id of hosted zone ${domain.hostedZoneName} (set both or neither)` });
      }
      if (domain.hostedZoneName && domain.domainName !== domain.hostedZoneName && !domain.domainName.endsWith(`.${domain.hostedZoneName}`)) {
        ctx.addIssue({ code: 'custom', path: ['hostedZoneName'], message: `expected the zone that holds ${domain.domainName} (it or a parent domain of it); got "${domain.hostedZoneName}"` });
      }
    })
    .optional(),
  /** Origins of the Modyo sites whose Widgets call the API from the browser. */
  corsOrigins: z
    .array(httpsUrl.refine((value) => new URL(value).origin === value, { message: 'expected an origin as browsers send it: https://host[:port], no path or trailing slash' }))
    .default([]),
  throttling: ThrottleConfig.default({ rateLimit: 100, burstLimit: 200 }),
  /** Per-route overrides, keyed by `METHOD /path` as in the route table, e.g. `"POST /webhooks/modyo"`. */
  routeThrottling: z.record(routeKeyName, ThrottleConfig).default({}),
  waf: WafConfig,
});

const ModyoConfig = z.strictObject({
  /** The Modyo account URL, e.g. https://acme.modyo.cloud */
  accountUrl: httpsUrl,
  /** Admin API paths differ per account (Modyo publishes them in each account's /api/admin/docs). */
  adminApiRoutes: z.record(z.string(), z.string().startsWith('/')).default({}),
  messagingPath: z.string().startsWith('/').optional(),
});

const IntegrationsConfig = z.strictObject({
  /** The CRM/CDP endpoint that receives Modyo user events (required: the webhook receiver queues every event for it). */
  crmEndpoint: httpsUrl,
  /** Days the raw Modyo events (personal data) are kept in the archive bucket. */
  archiveRetentionDays: z.number().int().min(30, { message: 'expected at least 30 days (Modyo redeliveries and investigations)' }).max(3653).default(365),
  khipu: z.strictObject({ apiBaseUrl: httpsUrl.default('https://khipu.com/api/2.0') }).optional(),
  /** WebPay Plus REST base: https://webpay3gint.transbank.cl for integration, https://webpay3g.transbank.cl for production. */
  webpay: z.strictObject({ apiBaseUrl: httpsUrl }).optional(),
  /** Where the buyer is sent after a WebPay return, per outcome. */
  paymentResultUrl: httpsUrl.optional(),
});

/**
 * Reserved concurrency of the environment's functions (README "Lambda concurrency"). Lambda keeps 100 executions of
 * the account's quota unreserved and refuses a reservation that would leave fewer, and new accounts may start far
 * below the usual 1,000 (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html): lower the
 * numbers, or turn reservations off, for an account whose quota cannot hold them (`npm run preflight` compares).
 */
const reservation = (name: ConcurrencyFunction) =>
  SQS_CONSUMER_FUNCTIONS.includes(name)
    ? z
        .number()
        .int({ message: 'expected a whole number' })
        .min(2, { message: 'expected 2 to 1000: this SQS consumer\'s event source takes the same maximum concurrency, which Lambda accepts from 2 to 1000' })
        .max(1000, { message: 'expected 2 to 1000: this SQS consumer\'s event source takes the same maximum concurrency, which Lambda accepts from 2 to 1000' })
    : z.number().int({ message: 'expected a whole number' }).min(1, { message: 'expected at least 1 (to stop reserving, set lambdaConcurrency.reserve to false)' });
const LambdaConcurrencyConfig = z.strictObject({
  /**
   * false: no function reserves concurrency; they share the account's unreserved pool, and the SQS workers stay
   * capped by their event source's maximum concurrency (the numbers below). For accounts with a small quota.
   */
  reserve: z.boolean().default(true),
  /** Per-function reservations; a function left out keeps its default for the environment's kind. */
  functions: z
    .strictObject(Object.fromEntries(Object.keys(CONCURRENCY_DEFAULTS).map((name) => [name, reservation(name as ConcurrencyFunction).optional()])) as Record<ConcurrencyFunction, z.ZodOptional<z.ZodNumber>>)
    .default({}),
});

const ServiceConfig = z
  .strictObject({
    name,
    /** Image tag to run: changing it in config and deploying is the release. Immutable tags only. */
    imageTag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { message: 'expected a Docker image tag' }),
    containerPort: z.number().int().min(1).max(65535),
    cpu: z.number().int(),
    memoryMiB: z.number().int(),
    minTasks: z.number().int().min(1),
    maxTasks: z.number().int().min(1),
    healthCheckPath: z.string().startsWith('/'),
    /** Paths the smoke test calls through the test listener before production traffic moves. */
    smokeTestPaths: z.array(z.string().startsWith('/')).optional(),
    /**
     * Priority of the service's rule on the production listener. Stated, never derived from the list's order: ECS
     * blue/green rewrites the rule's weights at every release, and any later CloudFormation update of the rule
     * writes the declared weights back (aws-cdk issue 36649), so adding a service must not shift another's priority.
     */
    listenerPriority: intInRange(1, 50000, 'expected the priority of the service\'s production listener rule, a whole number from 1 to 50000 that never changes (lower is evaluated first)'),
    /** Port of the service's own test listener on the internal load balancer (the smoke test reaches green there); stated for the same reason. */
    testPort: intInRange(1024, 65535, 'expected the port of the service\'s own test listener, 1024-65535, that never changes'),
    /** API path prefix routed to the service, e.g. `/accounts`. */
    apiPathPrefix: z.string().regex(/^\/[a-z0-9-]+(\/[a-z0-9-]+)*$/, { message: 'expected a path prefix like "/accounts"' }),
    scopes: z.array(scope).min(1, { message: 'expected at least one scope: services are private routes' }),
    environment: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}),
    /** Container secrets: variable name → Secrets Manager secret ARN (optionally `:json-key`). */
    secrets: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), completeSecretArn).default({}),
    bakeTimeMinutes: z.number().int().min(0).max(1440).default(10),
    /** Autoscaling goal: requests per running task per minute (alongside CPU and memory). */
    targetRequestsPerTaskPerMinute: positiveInt.default(1000),
  })
  .superRefine((service, ctx) => {
    const memories = FARGATE_SIZES[service.cpu];
    if (!memories) {
      ctx.addIssue({ code: 'custom', path: ['cpu'], message: `expected a Fargate CPU size: one of ${Object.keys(FARGATE_SIZES).join(', ')}` });
    } else if (!memories.includes(service.memoryMiB)) {
      ctx.addIssue({
        code: 'custom',
        path: ['memoryMiB'],
        message: `expected a memory size Fargate accepts with cpu ${service.cpu}: ${memories[0]}-${memories[memories.length - 1]} MiB in steps of ${memories.length > 1 ? memories[1] - memories[0] : memories[0]}`,
      });
    }
    if (service.maxTasks < service.minTasks) ctx.addIssue({ code: 'custom', path: ['maxTasks'], message: 'expected maxTasks >= minTasks' });
  });

export const EnvironmentConfig = z
  .strictObject({
    $schema: z.string().optional(),
    /** Environment name; must match the file name (config/<name>.json) and becomes the Stage name. */
    name,
    kind: z.enum(['production', 'preproduction']),
    account: awsAccount,
    region: awsRegion,
    /** Explicit AZs: synth never looks them up, so it works with no AWS credentials. */
    availabilityZones: z.array(z.string()).min(2, { message: 'expected at least 2 availability zones' }).max(6),
    network: NetworkConfig,
    logRetentionDays,
    alarms: AlarmsConfig,
    identity: IdentityConfig,
    api: ApiConfig,
    modyo: ModyoConfig,
    integrations: IntegrationsConfig,
    services: z.array(ServiceConfig).default([]),
    lambdaConcurrency: LambdaConcurrencyConfig.default({ reserve: true, functions: {} }),
    tags: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((config, ctx) => {
    config.availabilityZones.forEach((zone, index) => {
      if (!new RegExp(`^${config.region}[a-z]$`).test(zone)) {
        ctx.addIssue({ code: 'custom', path: ['availabilityZones', index], message: `expected an availability zone of region ${config.region}, e.g. "${config.region}a"; got "${zone}"` });
      }
    });
    if (new Set(config.availabilityZones).size !== config.availabilityZones.length) {
      ctx.addIssue({ code: 'custom', path: ['availabilityZones'], message: 'expected each availability zone once' });
    }
    if (config.network.natGateways > config.availabilityZones.length) {
      ctx.addIssue({ code: 'custom', path: ['network', 'natGateways'], message: `expected at most one NAT gateway per availability zone (${config.availabilityZones.length})` });
    }
    // A user pool with a domain (every pool here: identity.domainPrefix or identity.customDomain) is incompatible
    // with AWS PrivateLink: with private DNS on, the Admin* calls of identity provisioning would go through the
    // endpoint and never complete. https://docs.aws.amazon.com/cognito/latest/developerguide/vpc-interface-endpoints.html
    const cognitoEndpoint = config.network.interfaceEndpoints.indexOf('cognito-idp');
    if (cognitoEndpoint >= 0 && userPoolHasDomain(config.identity)) {
      ctx.addIssue({
        code: 'custom',
        path: ['network', 'interfaceEndpoints', cognitoEndpoint],
        message:
          'expected no "cognito-idp" endpoint: the user pool has a domain (identity.domainPrefix), and AWS documents that a user pool with a domain is incompatible with AWS PrivateLink (requests through the endpoint do not complete); Cognito is reached through the NAT gateways',
      });
    }
    if (config.kind === 'production' && config.network.natGateways < config.availabilityZones.length) {
      ctx.addIssue({ code: 'custom', path: ['network', 'natGateways'], message: `expected one NAT gateway per availability zone in production (${config.availabilityZones.length}), so losing an AZ keeps egress` });
    }
    const scopes = new Set(config.identity.scopes.map((s) => s.name));
    const checkScopes = (list: string[], path: (string | number)[]) =>
      list.forEach((s, i) => {
        if (!scopes.has(s)) ctx.addIssue({ code: 'custom', path: [...path, i], message: `expected a scope declared in identity.scopes (${[...scopes].join(', ')}); got "${s}"` });
      });
    config.identity.realmClients.forEach((client, i) => checkScopes(client.scopes, ['identity', 'realmClients', i, 'scopes']));
    config.identity.machineClients.forEach((client, i) => checkScopes(client.scopes, ['identity', 'machineClients', i, 'scopes']));
    if (config.identity.adminClient) checkScopes(config.identity.adminClient.scopes, ['identity', 'adminClient', 'scopes']);
    const adminProviders = config.identity.federation.filter((provider) => provider.audience === 'admins');
    if (adminProviders.length > 0 && !config.identity.adminClient) {
      ctx.addIssue({
        code: 'custom',
        path: ['identity', 'adminClient'],
        message: `expected an adminClient with the administrators' callback URLs: federation provider(s) ${adminProviders.map((p) => `"${p.name}"`).join(', ')} have audience "admins"`,
      });
    }
    duplicates(config.identity.federation.map((p) => p.name)).forEach((i) => ctx.addIssue({ code: 'custom', path: ['identity', 'federation', i, 'name'], message: 'expected a unique provider name' }));
    duplicates(config.identity.realmClients.map((c) => c.realm)).forEach((i) => ctx.addIssue({ code: 'custom', path: ['identity', 'realmClients', i, 'realm'], message: 'expected each realm once' }));
    // Cognito serves custom domains through CloudFront, which takes certificates from us-east-1 only.
    const domainCertificate = config.identity.customDomain?.certificateArn;
    if (domainCertificate && domainCertificate.split(':')[3] !== 'us-east-1') {
      ctx.addIssue({ code: 'custom', path: ['identity', 'customDomain', 'certificateArn'], message: 'expected an ACM certificate in us-east-1 (Cognito custom domains are served through CloudFront)' });
    }
    // A REGIONAL API domain takes a certificate from the API's own account and region.
    const apiCertificate = config.api.customDomain?.certificateArn;
    if (apiCertificate && (apiCertificate.split(':')[3] !== config.region || apiCertificate.split(':')[4] !== config.account)) {
      ctx.addIssue({ code: 'custom', path: ['api', 'customDomain', 'certificateArn'], message: `expected an ACM certificate of account ${config.account} in ${config.region} (a regional API domain uses its own region's certificate)` });
    }
    if (config.kind === 'production' && config.identity.mfa !== 'REQUIRED') {
      ctx.addIssue({ code: 'custom', path: ['identity', 'mfa'], message: 'expected "REQUIRED" in production: with OPTIONAL, managed login never asks users to enrol, so nobody would have MFA' });
    }
    duplicates(config.identity.scopes.map((s) => s.name)).forEach((i) => ctx.addIssue({ code: 'custom', path: ['identity', 'scopes', i, 'name'], message: 'expected a unique scope name' }));
    // Service routes are `<prefix>/{proxy+}`: a prefix on or under a handler route's first segment would put a
    // private catch-all beside public routes or two path variables side by side, which API Gateway rejects.
    config.services.forEach((service, i) => {
      const first = service.apiPathPrefix.split('/')[1];
      if (HANDLER_ROUTE_SEGMENTS.includes(first)) {
        ctx.addIssue({ code: 'custom', path: ['services', i, 'apiPathPrefix'], message: `expected a prefix outside the integration handlers' routes (/${HANDLER_ROUTE_SEGMENTS.join(', /')}); got "${service.apiPathPrefix}"` });
      }
    });
    if (config.integrations.webpay && !config.integrations.paymentResultUrl) {
      ctx.addIssue({ code: 'custom', path: ['integrations', 'paymentResultUrl'], message: 'expected the https:// page buyers return to after WebPay (required when integrations.webpay is set)' });
    }
    config.services.forEach((service, i) => checkScopes(service.scopes, ['services', i, 'scopes']));
    duplicates(config.identity.machineClients.map((c) => c.name)).forEach((i) => ctx.addIssue({ code: 'custom', path: ['identity', 'machineClients', i, 'name'], message: 'expected a unique machine client name' }));
    duplicates(config.services.map((s) => s.name)).forEach((i) => ctx.addIssue({ code: 'custom', path: ['services', i, 'name'], message: 'expected a unique service name' }));
    duplicates(config.services.map((s) => s.apiPathPrefix)).forEach((i) => ctx.addIssue({ code: 'custom', path: ['services', i, 'apiPathPrefix'], message: 'expected a path prefix no other service uses' }));
    duplicates(config.services.map((s) => String(s.listenerPriority))).forEach((i) => ctx.addIssue({ code: 'custom', path: ['services', i, 'listenerPriority'], message: 'expected a listener priority no other service uses' }));
    duplicates(config.services.map((s) => String(s.testPort))).forEach((i) => ctx.addIssue({ code: 'custom', path: ['services', i, 'testPort'], message: 'expected a test port no other service uses' }));
    // A nested prefix (/accounts/admin) must be evaluated before its parent (/accounts), which would match it too.
    config.services.forEach((service, i) => {
      for (const parent of config.services) {
        if (service.apiPathPrefix.startsWith(`${parent.apiPathPrefix}/`) && service.listenerPriority >= parent.listenerPriority) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'listenerPriority'],
            message: `expected a priority below ${parent.listenerPriority} (service "${parent.name}", whose prefix "${parent.apiPathPrefix}" contains "${service.apiPathPrefix}"): the load balancer evaluates rules lowest priority first`,
          });
        }
      }
    });
    if (config.kind === 'production') {
      config.services.forEach((service, i) => {
        if (service.minTasks < 2) ctx.addIssue({ code: 'custom', path: ['services', i, 'minTasks'], message: 'expected at least 2 tasks in production, so the service survives the loss of an AZ' });
      });
    }
  });

/** Whether the environment's user pool gets a domain (managed login): a prefix domain, or a custom domain. */
export function userPoolHasDomain(identity: Pick<EnvironmentConfig['identity'], 'domainPrefix' | 'customDomain'>): boolean {
  return identity.customDomain !== undefined || identity.domainPrefix.length > 0;
}

/** First path segments of the integration handlers' routes (lib/api/routes.ts); services may not use them. */
export const HANDLER_ROUTE_SEGMENTS = ['webhooks', 'customer-sync', 'notifications', 'payments'];

/** Indexes of the entries that repeat an earlier one. */
function duplicates(values: string[]): number[] {
  return values.flatMap((value, index) => (values.indexOf(value) < index ? [index] : []));
}

export type EnvironmentConfig = z.infer<typeof EnvironmentConfig>;
export type ServiceConfig = EnvironmentConfig['services'][number];
export type AlarmThresholds = z.infer<typeof AlarmThresholds>;
