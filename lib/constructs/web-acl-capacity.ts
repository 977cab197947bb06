/**
 * A web ACL's capacity (WCU) against WAF's limits: the stated capacity of each AWS managed rule group the ACL uses
 * and the calculator over its rules.
 */
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';

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

/** WAF's own bounds: per-ACL capacity above which it costs more, its maximum, and rate-based rules per ACL (https://docs.aws.amazon.com/waf/latest/developerguide/limits.html). */
export const WCU_INCLUDED_IN_BASE_PRICE = 1500;
export const WCU_MAX_PER_WEB_ACL = 5000;
export const MAX_RATE_BASED_RULES = 10;

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
