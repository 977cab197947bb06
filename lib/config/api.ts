import { z } from 'zod';
import { acmCertificateArn, domainName, httpsUrl, ipCidr, positiveInt } from './fields';
import { crossAreaRule, issueOf } from './rules';

/**
 * The API edge (`api`): custom domain, CORS, throttling and the WAF. Route keys are checked against the route table
 * by the loader (load.ts), where the table is built.
 */

const ThrottleConfig = z.strictObject({
  rateLimit: positiveInt,
  burstLimit: positiveInt,
});

/** A route as the route table (lib/api/routes.ts) names it: `METHOD /path`. */
export const routeKeyName = z.string().regex(/^(GET|POST|PUT|PATCH|DELETE|ANY) \/\S*$/, { message: 'expected a key like "POST /notifications" or "ANY /accounts/{proxy+}"' });
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

export const ApiConfig = z.strictObject({
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
      const issue = issueOf(ctx);
      if (domain.hostedZoneId && !domain.hostedZoneName) {
        issue(['hostedZoneName'], `expected the DNS name of hosted zone ${domain.hostedZoneId} (e.g. "example.com"): the internal load balancer's certificate is validated in that zone`);
      }
      if (domain.hostedZoneName && !domain.hostedZoneId) {
        issue(['hostedZoneId'], `expected the id of hosted zone ${domain.hostedZoneName} (set both or neither)`);
      }
      if (domain.hostedZoneName && domain.domainName !== domain.hostedZoneName && !domain.domainName.endsWith(`.${domain.hostedZoneName}`)) {
        issue(['hostedZoneName'], `expected the zone that holds ${domain.domainName} (it or a parent domain of it); got "${domain.hostedZoneName}"`);
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

export const API_RULES = [
  // A REGIONAL API domain takes a certificate from the API's own account and region.
  crossAreaRule(['api', 'account', 'region'], (config, issue) => {
    const apiCertificate = config.api.customDomain?.certificateArn;
    if (apiCertificate && (apiCertificate.split(':')[3] !== config.region || apiCertificate.split(':')[4] !== config.account)) {
      issue(['api', 'customDomain', 'certificateArn'], `expected an ACM certificate of account ${config.account} in ${config.region} (a regional API domain uses its own region's certificate)`);
    }
  }),
];
