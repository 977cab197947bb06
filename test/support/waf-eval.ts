/**
 * Evaluates a synthesized web ACL (its CloudFormation rules) against a request, for the statement types the
 * project uses, the way the WAF developer guide describes evaluation: rules in priority order; Block ends it;
 * Count goes on, adds the rule's labels and its custom request headers, which WAF inserts only when the request is
 * not blocked and which later rules do not see; a managed rule group blocks with its matching rules unless a rule
 * action override counts them, and labels the request either way. Managed groups are opaque, so the request says
 * which of their rules it would match. Rate-based rules report which of them count the request (their
 * scope-down); they block only when the request says that rule's limit is exceeded.
 * https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-processing-order.html
 * https://docs.aws.amazon.com/waf/latest/developerguide/customizing-the-incoming-request.html
 */
import { cidrsOverlap } from '../../lib/config/load';

export interface WafRequest {
  readonly method: string;
  readonly uriPath: string;
  /** Header names in lower case. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly sourceIp: string;
  readonly body?: string;
  /** Rules of managed groups this request matches, e.g. `{ AWSManagedRulesAnonymousIpList: ['HostingProviderIPList'] }`. */
  readonly managedMatches?: Readonly<Record<string, readonly string[]>>;
  /** Rate-based rules whose limit this request's source has exceeded. */
  readonly overLimit?: readonly string[];
}

export interface WafOutcome {
  readonly action: 'ALLOW' | 'BLOCK';
  readonly terminatingRule?: string;
  /** Headers inserted into the request that reaches API Gateway (empty when blocked). */
  readonly insertedHeaders: Readonly<Record<string, string>>;
  readonly labels: readonly string[];
  /** Rate-based rules that count this request. */
  readonly countedBy: readonly string[];
}

const MANAGED_LABEL_NAMESPACES: Record<string, string> = {
  AWSManagedRulesAmazonIpReputationList: 'amazon-ip-list',
  AWSManagedRulesAnonymousIpList: 'anonymous-ip-list',
  AWSManagedRulesKnownBadInputsRuleSet: 'known-bad-inputs',
  AWSManagedRulesCommonRuleSet: 'core-rule-set',
  AWSManagedRulesSQLiRuleSet: 'sql-database',
};

/** Resolves `{ "Fn::GetAtt": [id, "Arn"] }` of an IP set to its addresses. */
export type IpSetResolver = (arn: unknown) => readonly string[];

export function ipSetResolver(resources: Record<string, any>): IpSetResolver {
  return (arn) => {
    const id = (arn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
    const resource = id ? resources[id] : undefined;
    if (resource?.Type !== 'AWS::WAFv2::IPSet') throw new Error(`not an IP set reference: ${JSON.stringify(arn)}`);
    return resource.Properties.Addresses;
  };
}

function field(request: WafRequest, fieldToMatch: Record<string, any>): string | undefined {
  if (fieldToMatch.UriPath) return request.uriPath;
  if (fieldToMatch.Method) return request.method;
  if (fieldToMatch.SingleHeader) return request.headers?.[String(fieldToMatch.SingleHeader.Name).toLowerCase()];
  if (fieldToMatch.Body) return request.body ?? '';
  throw new Error(`field not modelled: ${JSON.stringify(fieldToMatch)}`);
}

function noTransformation(transformations: Array<{ Type: string }>): void {
  if (transformations.some((t) => t.Type !== 'NONE')) throw new Error('text transformations are not modelled');
}

export function statementMatches(statement: Record<string, any>, request: WafRequest, labels: readonly string[], ipSets: IpSetResolver): boolean {
  const [type, s] = Object.entries(statement)[0] as [string, any];
  switch (type) {
    case 'AndStatement':
      return s.Statements.every((nested: any) => statementMatches(nested, request, labels, ipSets));
    case 'OrStatement':
      return s.Statements.some((nested: any) => statementMatches(nested, request, labels, ipSets));
    case 'NotStatement':
      return !statementMatches(s.Statement, request, labels, ipSets);
    case 'IPSetReferenceStatement':
      return ipSets(s.Arn).some((cidr) => cidrsOverlap(`${request.sourceIp}/32`, cidr));
    case 'LabelMatchStatement':
      if (s.Scope !== 'LABEL') throw new Error('namespace label matches are not modelled');
      return labels.some((label) => label === s.Key || label.endsWith(`:${s.Key}`));
    case 'ByteMatchStatement': {
      noTransformation(s.TextTransformations);
      const value = field(request, s.FieldToMatch);
      if (value === undefined) return false;
      const search = String(s.SearchString);
      return { EXACTLY: value === search, STARTS_WITH: value.startsWith(search), ENDS_WITH: value.endsWith(search), CONTAINS: value.includes(search) }[s.PositionalConstraint as string] ?? false;
    }
    case 'RegexMatchStatement': {
      noTransformation(s.TextTransformations);
      const value = field(request, s.FieldToMatch);
      return value !== undefined && new RegExp(s.RegexString).test(value);
    }
    case 'SizeConstraintStatement': {
      noTransformation(s.TextTransformations);
      const value = field(request, s.FieldToMatch);
      if (value === undefined) return false;
      const size = Buffer.byteLength(value);
      return { GT: size > s.Size, GE: size >= s.Size, LT: size < s.Size, LE: size <= s.Size, EQ: size === s.Size, NE: size !== s.Size }[s.ComparisonOperator as string] ?? false;
    }
    default:
      throw new Error(`statement not modelled: ${type}`);
  }
}

export function evaluateWebAcl(acl: { Rules: any[]; DefaultAction: Record<string, unknown> }, request: WafRequest, ipSets: IpSetResolver): WafOutcome {
  const labels: string[] = [];
  const inserted: Record<string, string> = {};
  const countedBy: string[] = [];
  const blocked = (rule: string): WafOutcome => ({ action: 'BLOCK', terminatingRule: rule, insertedHeaders: {}, labels, countedBy });
  for (const rule of [...acl.Rules].sort((a, b) => a.Priority - b.Priority)) {
    const managed = rule.Statement.ManagedRuleGroupStatement;
    if (managed) {
      if (managed.ScopeDownStatement && !statementMatches(managed.ScopeDownStatement, request, labels, ipSets)) continue;
      const overrides = new Map<string, Record<string, unknown>>((managed.RuleActionOverrides ?? []).map((o: any) => [o.Name, o.ActionToUse]));
      for (const name of request.managedMatches?.[managed.Name] ?? []) {
        labels.push(`awswaf:managed:aws:${MANAGED_LABEL_NAMESPACES[managed.Name]}:${name}`);
        const action = overrides.get(name);
        if (!action || 'Block' in action) return blocked(rule.Name);
      }
      continue;
    }
    const rate = rule.Statement.RateBasedStatement;
    if (rate) {
      if (rate.ScopeDownStatement && !statementMatches(rate.ScopeDownStatement, request, labels, ipSets)) continue;
      countedBy.push(rule.Name);
      if (request.overLimit?.includes(rule.Name)) return blocked(rule.Name);
      continue;
    }
    if (!statementMatches(rule.Statement, request, labels, ipSets)) continue;
    for (const label of rule.RuleLabels ?? []) labels.push(label.Name);
    if (rule.Action.Block) return blocked(rule.Name);
    if (rule.Action.Allow) return { action: 'ALLOW', terminatingRule: rule.Name, insertedHeaders: inserted, labels, countedBy };
    for (const header of rule.Action.Count?.CustomRequestHandling?.InsertHeaders ?? []) inserted[`x-amzn-waf-${String(header.Name).toLowerCase()}`] = header.Value;
  }
  if (acl.DefaultAction.Block) return blocked('Default_Action');
  return { action: 'ALLOW', insertedHeaders: inserted, labels, countedBy };
}

/**
 * The value a gateway response header mapping gives: a quoted literal, or `method.request.header.<name>` of the
 * request as it reached API Gateway (absent when the request lacks it).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseParameters.html
 */
export function mappedHeaderValue(mapping: string | undefined, requestHeaders: Readonly<Record<string, string>>): string | undefined {
  if (mapping === undefined) return undefined;
  const literal = /^'(.*)'$/.exec(mapping);
  if (literal) return literal[1];
  const header = /^method\.request\.header\.(.+)$/.exec(mapping);
  if (header) return requestHeaders[header[1].toLowerCase()];
  throw new Error(`mapping not modelled: ${mapping}`);
}
