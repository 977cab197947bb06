import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { escapeRegex } from '../regex';

/** What the AWS managed Common rule set's SizeRestrictions_BODY blocks above (bytes). */
export const COMMON_RULE_SET_BODY_LIMIT_BYTES = 8 * 1024;
/** The body inspection limit we buy for API Gateway (the largest WAF offers for regional resources). */
export const BODY_INSPECTION_LIMIT_BYTES = 64 * 1024;

/**
 * AWS managed rule groups, in evaluation order, with the capacity (WCU) each one's page states:
 * https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-ip-rep.html (IP reputation 25,
 * anonymous IP 50), https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
 * (known bad inputs 200, common 700), https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-use-case.html (SQLi 200).
 */
export const MANAGED_RULE_GROUP_WCU = {
  AWSManagedRulesAmazonIpReputationList: 25,
  AWSManagedRulesAnonymousIpList: 50,
  AWSManagedRulesKnownBadInputsRuleSet: 200,
  AWSManagedRulesCommonRuleSet: 700,
  AWSManagedRulesSQLiRuleSet: 200,
} as const;
export const MANAGED_RULE_GROUPS = Object.keys(MANAGED_RULE_GROUP_WCU) as ReadonlyArray<keyof typeof MANAGED_RULE_GROUP_WCU>;

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

/** WAF's own bounds: per-ACL capacity above which it costs more, its maximum, and rate-based rules per ACL (https://docs.aws.amazon.com/waf/latest/developerguide/limits.html). */
export const WCU_INCLUDED_IN_BASE_PRICE = 1500;
export const WCU_MAX_PER_WEB_ACL = 5000;
export const MAX_RATE_BASED_RULES = 10;

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

const NO_TRANSFORMATION = [{ priority: 0, type: 'NONE' }];

function andStatement(...statements: wafv2.CfnWebACL.StatementProperty[]): wafv2.CfnWebACL.StatementProperty {
  return { andStatement: { statements } };
}

/** OR of the statements; one statement stands alone (WAF wants at least two in an OR). */
function orStatement(statements: wafv2.CfnWebACL.StatementProperty[]): wafv2.CfnWebACL.StatementProperty {
  if (statements.length === 0) throw new Error('orStatement needs at least one statement');
  return statements.length === 1 ? statements[0] : { orStatement: { statements } };
}

function notStatement(statement: wafv2.CfnWebACL.StatementProperty): wafv2.CfnWebACL.StatementProperty {
  return { notStatement: { statement } };
}

function pathEndsWith(path: string): wafv2.CfnWebACL.StatementProperty {
  return { byteMatchStatement: { fieldToMatch: { uriPath: {} }, positionalConstraint: 'ENDS_WITH', searchString: path, textTransformations: NO_TRANSFORMATION } };
}

/** `POST /webhooks/modyo` → `POST-webhooks-modyo`: rule names and construct ids take letters, digits, `-` and `_`. */
export function ruleSuffix(key: string): string {
  return key.replace(/[{}+]/g, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, '');
}

/**
 * The regular expression of the URI paths of an API Gateway resource path, behind any of the prefixes: `{name}` is
 * one segment, `{name+}` one or more. Non-capturing groups only: WAF rejects capturing subexpressions
 * (https://docs.aws.amazon.com/waf/latest/developerguide/waf-regex-pattern-support.html).
 */
export function resourcePathPattern(path: string, prefixes: readonly string[]): string {
  const body = path
    .split('/')
    .slice(1)
    .map((segment) => (/^\{[^}]+\+\}$/.test(segment) ? '[^/].*' : /^\{[^}]+\}$/.test(segment) ? '[^/]+' : escapeRegex(segment)))
    .join('/');
  const optional = prefixes.filter((prefix) => prefix !== '');
  const prefix = optional.length === 0 ? '' : `(?:${optional.map(escapeRegex).join('|')})${prefixes.includes('') ? '?' : ''}`;
  // API Gateway serves a resource with or without a trailing slash; the proxy pattern already takes one.
  return `^${prefix}/${body}${body.endsWith('.*') ? '' : '/?'}$`;
}

/** Requests of one route: its method (unless ANY) and its path, exactly, behind the prefixes WAF sees. */
function routeStatement(route: Pick<WafRoute, 'method' | 'path'>, prefixes: readonly string[]): wafv2.CfnWebACL.StatementProperty {
  const path: wafv2.CfnWebACL.StatementProperty = {
    regexMatchStatement: { fieldToMatch: { uriPath: {} }, regexString: resourcePathPattern(route.path, prefixes), textTransformations: NO_TRANSFORMATION },
  };
  if (route.method === 'ANY') return path;
  return andStatement(
    { byteMatchStatement: { fieldToMatch: { method: {} }, positionalConstraint: 'EXACTLY', searchString: route.method, textTransformations: NO_TRANSFORMATION } },
    path,
  );
}

function bodyLargerThan(maxBytes: number): wafv2.CfnWebACL.StatementProperty {
  if (maxBytes > BODY_INSPECTION_LIMIT_BYTES) return contentLengthAbove(maxBytes);
  return {
    sizeConstraintStatement: {
      fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
      comparisonOperator: 'GT',
      size: maxBytes,
      textTransformations: NO_TRANSFORMATION,
    },
  };
}

function contentLengthAbove(maxBytes: number): wafv2.CfnWebACL.StatementProperty {
  return {
    regexMatchStatement: {
      fieldToMatch: { singleHeader: { Name: 'content-length' } },
      regexString: decimalAbovePattern(maxBytes),
      textTransformations: NO_TRANSFORMATION,
    },
  };
}

/**
 * A regular expression matching exactly the decimal integers greater than `n` (optional leading zeros). The group
 * does not capture: WAF rejects capturing subexpressions (https://docs.aws.amazon.com/waf/latest/developerguide/waf-regex-pattern-support.html).
 */
export function decimalAbovePattern(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got ${n}`);
  const digits = String(n);
  const alternatives = [`[1-9]\\d{${digits.length},}`];
  for (let i = 0; i < digits.length; i++) {
    const digit = Number(digits[i]);
    if (digit === 9) continue;
    const next = digit + 1 === 9 ? '9' : `[${digit + 1}-9]`;
    const rest = digits.length - i - 1;
    alternatives.push(`${digits.slice(0, i)}${next}${rest > 0 ? `\\d{${rest}}` : ''}`);
  }
  return `^0*(?:${alternatives.join('|')})$`;
}

/**
 * A web ACL's capacity in WCU, by the figures the rule statement pages give: string match 2 (EXACTLY, STARTS_WITH,
 * ENDS_WITH) or 10 (CONTAINS, CONTAINS_WORD), regex match 3, size constraint 1, IP set 1, label match 1, rate-based
 * 2 plus its scope-down, AND/OR/NOT the sum of what they hold, a managed group its stated capacity plus its
 * scope-down, 10 per text transformation other than NONE
 * (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statements-match.html,
 * https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html,
 * https://docs.aws.amazon.com/waf/latest/developerguide/aws-waf-capacity-units.html). A statement it does not know fails.
 */
export function webAclCapacity(rules: readonly wafv2.CfnWebACL.RuleProperty[]): number {
  return rules.reduce((total, r) => total + statementCapacity(r.statement as wafv2.CfnWebACL.StatementProperty), 0);
}

function transformations(list: unknown): number {
  return ((list as Array<{ type: string }> | undefined) ?? []).filter((t) => t.type !== 'NONE').length * 10;
}

function statementCapacity(statement: wafv2.CfnWebACL.StatementProperty): number {
  const s = statement as Record<string, any>;
  if (s.byteMatchStatement) return (['CONTAINS', 'CONTAINS_WORD'].includes(s.byteMatchStatement.positionalConstraint) ? 10 : 2) + transformations(s.byteMatchStatement.textTransformations);
  if (s.regexMatchStatement) return 3 + transformations(s.regexMatchStatement.textTransformations);
  if (s.sizeConstraintStatement) return 1 + transformations(s.sizeConstraintStatement.textTransformations);
  if (s.ipSetReferenceStatement || s.labelMatchStatement) return 1;
  if (s.andStatement) return s.andStatement.statements.reduce((sum: number, nested: wafv2.CfnWebACL.StatementProperty) => sum + statementCapacity(nested), 0);
  if (s.orStatement) return s.orStatement.statements.reduce((sum: number, nested: wafv2.CfnWebACL.StatementProperty) => sum + statementCapacity(nested), 0);
  if (s.notStatement) return statementCapacity(s.notStatement.statement);
  if (s.rateBasedStatement) return 2 + (s.rateBasedStatement.scopeDownStatement ? statementCapacity(s.rateBasedStatement.scopeDownStatement) : 0);
  if (s.managedRuleGroupStatement) {
    const wcu = (MANAGED_RULE_GROUP_WCU as Record<string, number>)[s.managedRuleGroupStatement.name];
    if (wcu === undefined) throw new Error(`webAclCapacity: no stated capacity for managed rule group ${s.managedRuleGroupStatement.name}`);
    return wcu + (s.managedRuleGroupStatement.scopeDownStatement ? statementCapacity(s.managedRuleGroupStatement.scopeDownStatement) : 0);
  }
  throw new Error(`webAclCapacity: unknown statement ${Object.keys(s).join(', ')}`);
}
