import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { MANAGED_RULE_GROUPS, MAX_RATE_BASED_RULES, WCU_MAX_PER_WEB_ACL, webAclCapacity } from './web-acl-capacity';
import {
  BODY_INSPECTION_LIMIT_BYTES,
  NO_TRANSFORMATION,
  andStatement,
  bodyLargerThan,
  contentLengthAbove,
  notStatement,
  orStatement,
  pathEndsWith,
  routeStatement,
  ruleSuffix,
} from './web-acl-statements';

/** What the AWS managed Common rule set's SizeRestrictions_BODY blocks above (bytes). */
export const COMMON_RULE_SET_BODY_LIMIT_BYTES = 8 * 1024;

/**
 * The anonymous IP group's rule for hosting and cloud provider addresses ("less likely to source end-user traffic",
 * https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-ip-rep.html), and the label it adds
 * to the requests it matches, whatever its action.
 */
export const HOSTING_PROVIDER_RULE = 'HostingProviderIPList';
export const HOSTING_PROVIDER_LABEL = 'awswaf:managed:aws:anonymous-ip-list:HostingProviderIPList';

/**
 * The request header the web ACL inserts with the request's Origin when it is one of several allowed CORS origins.
 * WAF prefixes inserted names with `x-amzn-waf-`, overwrites a header of the same name and inserts nothing into a
 * request it blocks: https://docs.aws.amazon.com/waf/latest/developerguide/customizing-the-incoming-request.html
 */
export const CORS_ORIGIN_HEADER_NAME = 'connect-cors-origin';
export const CORS_ORIGIN_HEADER = `x-amzn-waf-${CORS_ORIGIN_HEADER_NAME}`;

export interface BodyLimit {
  /** Request path the limit applies to, matched as the end of the URI path (with or without a stage prefix). */
  readonly path: string;
  readonly maxBytes: number;
}

/** A route as the web ACL tells it apart, with the route's own WAF settings. */
export interface WafRoute {
  /** `METHOD /path` (routeKey), used in rule names. */
  readonly key: string;
  /** HTTP method; ANY matches every method. */
  readonly method: string;
  /** API Gateway resource path, e.g. `/notifications/{id}` or `/accounts/{proxy+}`. */
  readonly path: string;
  /** Servers call it (webhooks, provider callbacks, machine clients): hosting-provider addresses are not blocked on it. */
  readonly calledByServers: boolean;
  /** Its own per-IP limit per 5 minutes, instead of the API-wide one. */
  readonly rateLimitPer5Minutes?: number;
  /** Only these sources may call it: any other source is blocked on this route. */
  readonly allowedSourceCidrs?: readonly string[];
}

export interface RegionalWebAclProps {
  /** Name of the web ACL and its metrics, e.g. `connect-prod-api`. */
  readonly name: string;
  /** Requests per 5 minutes from one IP before it is blocked, on routes without their own limit. */
  readonly rateLimitPer5Minutes: number;
  /** Always allowed (evaluated right after the deny list, ahead of every other rule). */
  readonly allowIpCidrs: readonly string[];
  /** Always blocked (evaluated first). */
  readonly denyIpCidrs: readonly string[];
  /** Per-path body limits: the largest body each handler accepts. */
  readonly bodyLimits: readonly BodyLimit[];
  /** Every route of the API, for the per-route rules (hosting providers, rate limits, source allow-lists). */
  readonly routes: readonly WafRoute[];
  /**
   * What precedes a resource path in the URI path WAF inspects: WAF sees the request as the client sent it, so
   * `/<stage>` on the execute-api endpoint and the base path (none here) on a custom domain.
   */
  readonly pathPrefixes: readonly string[];
  /** The CORS origins: with two or more, the ACL marks an allowed Origin for the gateway responses (CORS_ORIGIN_HEADER). */
  readonly corsOrigins: readonly string[];
  /** Headers whose values never reach the WAF logs (credentials). */
  readonly redactedHeaders: readonly string[];
  readonly logRetention: logs.RetentionDays;
  readonly logsKey: kms.IKey;
  readonly retainLogs: boolean;
}

/**
 * The one WAFv2 web ACL construct for a regional API: deny list, per-route source allow-lists, per-IP rate limits
 * (API-wide and per route), body size limits per route, and the AWS managed rule groups (IP reputation, anonymous
 * IPs with hosting providers blocked only on the routes browsers call, known bad inputs, common, SQLi), logged to an
 * encrypted `aws-waf-logs-*` log group with credentials redacted. With several CORS origins it marks the allowed
 * Origin of a request for the API's gateway responses.
 */
export class RegionalWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup: logs.LogGroup;
  /** The largest body any route accepts: requests declaring more are blocked on every path. */
  readonly largestBodyBytes: number;
  /** The web ACL's capacity in WCU, computed by webAclCapacity from the rules it holds. */
  readonly capacity: number;

  constructor(scope: Construct, id: string, props: RegionalWebAclProps) {
    super(scope, id);
    if (props.bodyLimits.length === 0) throw new Error('RegionalWebAcl needs at least one body limit');
    this.largestBodyBytes = Math.max(...props.bodyLimits.map((limit) => limit.maxBytes));
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${props.name}-${metricName}`,
      sampledRequestsEnabled: true,
    });

    const rules: wafv2.CfnWebACL.RuleProperty[] = [];
    const rule = (name: string, action: wafv2.CfnWebACL.RuleActionProperty, statement: wafv2.CfnWebACL.StatementProperty) =>
      rules.push({ name, priority: rules.length, action, statement, visibilityConfig: visibility(name) });
    const block = { block: {} };
    const routeMatch = (route: WafRoute) => routeStatement(route, props.pathPrefixes);

    const ipSet = (name: string, cidrs: readonly string[]) =>
      new wafv2.CfnIPSet(this, name, { scope: 'REGIONAL', ipAddressVersion: 'IPV4', addresses: [...cidrs], description: `${props.name}: ${name}` });
    const fromIpSet = (set: wafv2.CfnIPSet): wafv2.CfnWebACL.StatementProperty => ({ ipSetReferenceStatement: { arn: set.attrArn } });

    const severalOrigins = props.corsOrigins.length > 1;
    if (severalOrigins) {
      // Only the web ACL may set the header the gateway responses echo: a client sending it is refused.
      rule('CorsOriginHeaderFromClient', block, {
        regexMatchStatement: { fieldToMatch: { singleHeader: { Name: CORS_ORIGIN_HEADER } }, regexString: '^.*$', textTransformations: NO_TRANSFORMATION },
      });
    }
    if (props.denyIpCidrs.length > 0) rule('DenyListedIps', block, fromIpSet(ipSet('DenyList', props.denyIpCidrs)));

    // A route with a source allow-list (e.g. a payment provider's published notification addresses) answers no one else.
    for (const route of props.routes.filter((r) => r.allowedSourceCidrs && r.allowedSourceCidrs.length > 0)) {
      const id = ruleSuffix(route.key);
      rule(`SourceAllowList-${id}`, block, andStatement(routeMatch(route), notStatement(fromIpSet(ipSet(`SourceAllowList-${id}`, route.allowedSourceCidrs ?? [])))));
    }

    if (severalOrigins) {
      // Gateway responses cannot choose among origins (their templates are not VTL; their headers map a literal or a
      // request value). The ACL can: a Count rule per allowed origin inserts that origin as a request header, which
      // the gateway responses echo, so an error reaches an allowed page and no other. Header names and values are
      // exact: browsers send the serialized origin, which config requires (scheme://host[:port]).
      props.corsOrigins.forEach((origin, index) =>
        rule(`CorsOrigin${index + 1}`, { count: { customRequestHandling: { insertHeaders: [{ name: CORS_ORIGIN_HEADER_NAME, value: origin }] } } }, {
          byteMatchStatement: { fieldToMatch: { singleHeader: { Name: 'origin' } }, positionalConstraint: 'EXACTLY', searchString: origin, textTransformations: NO_TRANSFORMATION },
        }),
      );
    }

    // Allow-listed ranges (partners' server-to-server callers behind shared NAT) are exempt from the per-IP rate
    // limits only: a terminating ALLOW would also skip the body limits and every managed rule group for anyone
    // behind that range.
    const allowList = props.allowIpCidrs.length > 0 ? ipSet('AllowList', props.allowIpCidrs) : undefined;
    const notAllowListed = allowList ? [notStatement(fromIpSet(allowList))] : [];
    // Routes with their own limit (a webhook far above a browser's rate) count there, not in the API-wide limit:
    // each rate-based rule counts only the requests its scope-down statement matches
    // (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-scope-down-statements.html).
    const ownLimit = props.routes.filter((r) => r.rateLimitPer5Minutes !== undefined);
    if (1 + ownLimit.length > MAX_RATE_BASED_RULES) {
      throw new Error(`RegionalWebAcl: ${1 + ownLimit.length} rate-based rules; WAF allows ${MAX_RATE_BASED_RULES} per web ACL`);
    }
    const rateLimit = (limit: number, scope: wafv2.CfnWebACL.StatementProperty[]): wafv2.CfnWebACL.StatementProperty => ({
      rateBasedStatement: { limit, evaluationWindowSec: 300, aggregateKeyType: 'IP', scopeDownStatement: scope.length === 0 ? undefined : scope.length === 1 ? scope[0] : andStatement(...scope) },
    });
    rule('RateLimitPerIp', block, rateLimit(props.rateLimitPer5Minutes, [...notAllowListed, ...(ownLimit.length > 0 ? [notStatement(orStatement(ownLimit.map(routeMatch)))] : [])]));
    for (const route of ownLimit) {
      rule(`RateLimitPerIp-${ruleSuffix(route.key)}`, block, rateLimit(route.rateLimitPer5Minutes as number, [routeMatch(route), ...notAllowListed]));
    }

    // Each route's own limit. WAF sees at most BODY_INSPECTION_LIMIT_BYTES of a body: limits up to it are checked
    // on the body itself (a longer body exceeds them by definition, so oversize counts as a match); larger limits
    // are checked on the declared Content-Length (the handler still enforces its limit on the bytes it gets).
    const perRoute = props.bodyLimits.map((limit) => andStatement(pathEndsWith(limit.path), bodyLargerThan(limit.maxBytes)));
    rule('BodyOverRouteLimit', block, orStatement(perRoute));
    // Anything else (e.g. service routes): nothing accepts more than the largest handler limit.
    rule('BodyOverLargestLimit', block, contentLengthAbove(this.largestBodyBytes));

    const serverRoutes = props.routes.filter((r) => r.calledByServers);
    for (const group of MANAGED_RULE_GROUPS) {
      // SizeRestrictions_BODY blocks bodies above 8 KB, which valid webhooks and notifications exceed; it counts
      // instead, and the two body rules above enforce the real limits.
      const countBodySize = group === 'AWSManagedRulesCommonRuleSet' && this.largestBodyBytes > COMMON_RULE_SET_BODY_LIMIT_BYTES;
      // HostingProviderIPList blocks hosting and cloud provider addresses, where Modyo's webhooks, payment providers
      // and cloud CRMs call from. It only counts here, which still labels the request; the rule after the group
      // blocks on that label except on the routes servers call. The group's other rule (VPNs, Tor, proxies) keeps
      // blocking everywhere. Rule action override to Count, then a label match: the documented way to narrow one
      // rule of a managed group (https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-rule-group-override-options.html,
      // https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-label-match.html,
      // https://repost.aws/knowledge-center/waf-allow-ip-using-reputation-anon-list).
      const countHostingProviders = group === 'AWSManagedRulesAnonymousIpList' && serverRoutes.length > 0;
      const overrides = [
        ...(countBodySize ? [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }] : []),
        ...(countHostingProviders ? [{ name: HOSTING_PROVIDER_RULE, actionToUse: { count: {} } }] : []),
      ];
      rules.push({
        name: group,
        priority: rules.length,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: group, ruleActionOverrides: overrides.length > 0 ? overrides : undefined } },
        visibilityConfig: visibility(group),
      });
      if (countHostingProviders) {
        rule('HostingProviderOutsideServerRoutes', block, andStatement({ labelMatchStatement: { scope: 'LABEL', key: HOSTING_PROVIDER_LABEL } }, notStatement(orStatement(serverRoutes.map(routeMatch)))));
      }
    }

    this.capacity = webAclCapacity(rules);
    if (this.capacity > WCU_MAX_PER_WEB_ACL) throw new Error(`RegionalWebAcl ${props.name}: ${this.capacity} WCU, above the ${WCU_MAX_PER_WEB_ACL} WAF allows per web ACL`);

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: props.name,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      rules,
      visibilityConfig: visibility('all'),
      associationConfig: { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: `KB_${BODY_INSPECTION_LIMIT_BYTES / 1024}` } } },
    });

    // WAF only delivers to log groups named aws-waf-logs-*.
    const logGroupName = `aws-waf-logs-${props.name}`;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      retention: props.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group ARN without the trailing `:*` of LogGroup.logGroupArn.
      logDestinationConfigs: [Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      redactedFields: props.redactedHeaders.map((name) => ({ singleHeader: { Name: name.toLowerCase() } })),
    });
    logging.node.addDependency(this.logGroup);
  }

  /** Associates the web ACL with an API stage, after the stage exists. */
  associate(stage: apigw.Stage): wafv2.CfnWebACLAssociation {
    const association = new wafv2.CfnWebACLAssociation(this, 'StageAssociation', { resourceArn: stage.stageArn, webAclArn: this.webAcl.attrArn });
    // The stage is created by the deployment; associating before it exists fails the deploy.
    association.node.addDependency(stage);
    return association;
  }
}
