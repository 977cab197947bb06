import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** What the AWS managed Common rule set's SizeRestrictions_BODY blocks above (bytes). */
export const COMMON_RULE_SET_BODY_LIMIT_BYTES = 8 * 1024;
/** The body inspection limit we buy for API Gateway (the largest WAF offers for regional resources). */
export const BODY_INSPECTION_LIMIT_BYTES = 64 * 1024;

/** AWS managed rule groups, in evaluation order. */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesAnonymousIpList',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesSQLiRuleSet',
] as const;

export interface BodyLimit {
  /** Request path the limit applies to, matched as the end of the URI path (with or without a stage prefix). */
  readonly path: string;
  readonly maxBytes: number;
}

export interface RegionalWebAclProps {
  /** Name of the web ACL and its metrics, e.g. `connect-prod-api`. */
  readonly name: string;
  /** Requests per 5 minutes from one IP before it is blocked. */
  readonly rateLimitPer5Minutes: number;
  /** Always allowed (evaluated right after the deny list, ahead of every other rule). */
  readonly allowIpCidrs: readonly string[];
  /** Always blocked (evaluated first). */
  readonly denyIpCidrs: readonly string[];
  /** Per-path body limits: the largest body each handler accepts. */
  readonly bodyLimits: readonly BodyLimit[];
  /** Headers whose values never reach the WAF logs (credentials). */
  readonly redactedHeaders: readonly string[];
  readonly logRetention: logs.RetentionDays;
  readonly logsKey: kms.IKey;
  readonly retainLogs: boolean;
}

/**
 * The one WAFv2 web ACL construct for a regional API: deny list, allow list, a per-IP rate limit, body size limits
 * per route, and the AWS managed rule groups (IP reputation, anonymous IPs, known bad inputs, common, SQLi), logged
 * to an encrypted `aws-waf-logs-*` log group with credentials redacted.
 */
export class RegionalWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup: logs.LogGroup;
  /** The largest body any route accepts: requests declaring more are blocked on every path. */
  readonly largestBodyBytes: number;

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
    const rule = (name: string, action: 'allow' | 'block', statement: wafv2.CfnWebACL.StatementProperty) =>
      rules.push({ name, priority: rules.length, action: { [action]: {} }, statement, visibilityConfig: visibility(name) });

    const ipSet = (name: string, cidrs: readonly string[]) =>
      new wafv2.CfnIPSet(this, name, { scope: 'REGIONAL', ipAddressVersion: 'IPV4', addresses: [...cidrs], description: `${props.name}: ${name}` });
    if (props.denyIpCidrs.length > 0) rule('DenyListedIps', 'block', { ipSetReferenceStatement: { arn: ipSet('DenyList', props.denyIpCidrs).attrArn } });
    // Allow-listed ranges (partners' server-to-server callers behind shared NAT) are exempt from the per-IP rate
    // limit only: a terminating ALLOW would also skip the body limits and every managed rule group for anyone
    // behind that range.
    const allowList = props.allowIpCidrs.length > 0 ? ipSet('AllowList', props.allowIpCidrs) : undefined;
    rule('RateLimitPerIp', 'block', {
      rateBasedStatement: {
        limit: props.rateLimitPer5Minutes,
        evaluationWindowSec: 300,
        aggregateKeyType: 'IP',
        scopeDownStatement: allowList ? { notStatement: { statement: { ipSetReferenceStatement: { arn: allowList.attrArn } } } } : undefined,
      },
    });

    // Each route's own limit. WAF sees at most BODY_INSPECTION_LIMIT_BYTES of a body: limits up to it are checked
    // on the body itself (a longer body exceeds them by definition, so oversize counts as a match); larger limits
    // are checked on the declared Content-Length (the handler still enforces its limit on the bytes it gets).
    const perRoute = props.bodyLimits.map((limit) => andStatement(pathEndsWith(limit.path), bodyLargerThan(limit.maxBytes)));
    rule('BodyOverRouteLimit', 'block', perRoute.length === 1 ? perRoute[0] : { orStatement: { statements: perRoute } });
    // Anything else (e.g. service routes): nothing accepts more than the largest handler limit.
    rule('BodyOverLargestLimit', 'block', contentLengthAbove(this.largestBodyBytes));

    for (const group of MANAGED_RULE_GROUPS) {
      // SizeRestrictions_BODY blocks bodies above 8 KB, which valid webhooks and notifications exceed; it counts
      // instead, and the two body rules above enforce the real limits.
      const countBodySize = group === 'AWSManagedRulesCommonRuleSet' && this.largestBodyBytes > COMMON_RULE_SET_BODY_LIMIT_BYTES;
      rules.push({
        name: group,
        priority: rules.length,
        overrideAction: { none: {} },
        statement: {
          managedRuleGroupStatement: {
            vendorName: 'AWS',
            name: group,
            ruleActionOverrides: countBodySize ? [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }] : undefined,
          },
        },
        visibilityConfig: visibility(group),
      });
    }

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

function andStatement(...statements: wafv2.CfnWebACL.StatementProperty[]): wafv2.CfnWebACL.StatementProperty {
  return { andStatement: { statements } };
}

function pathEndsWith(path: string): wafv2.CfnWebACL.StatementProperty {
  return {
    byteMatchStatement: { fieldToMatch: { uriPath: {} }, positionalConstraint: 'ENDS_WITH', searchString: path, textTransformations: [{ priority: 0, type: 'NONE' }] },
  };
}

function bodyLargerThan(maxBytes: number): wafv2.CfnWebACL.StatementProperty {
  if (maxBytes > BODY_INSPECTION_LIMIT_BYTES) return contentLengthAbove(maxBytes);
  return {
    sizeConstraintStatement: {
      fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
      comparisonOperator: 'GT',
      size: maxBytes,
      textTransformations: [{ priority: 0, type: 'NONE' }],
    },
  };
}

function contentLengthAbove(maxBytes: number): wafv2.CfnWebACL.StatementProperty {
  return {
    regexMatchStatement: {
      fieldToMatch: { singleHeader: { Name: 'content-length' } },
      regexString: decimalAbovePattern(maxBytes),
      textTransformations: [{ priority: 0, type: 'NONE' }],
    },
  };
}

/** A regular expression matching exactly the decimal integers greater than `n` (optional leading zeros). */
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
  return `^0*(${alternatives.join('|')})$`;
}
