/**
 * The WAF rule statements the web ACL (web-acl.ts) is built from: boolean combinators, route and path matches
 * (API Gateway resource paths as regular expressions WAF accepts) and body size limits.
 */
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { escapeRegex } from '../regex';

/** The body inspection limit we buy for API Gateway (the largest WAF offers for regional resources). */
export const BODY_INSPECTION_LIMIT_BYTES = 64 * 1024;

export const NO_TRANSFORMATION = [{ priority: 0, type: 'NONE' }];

export function andStatement(...statements: wafv2.CfnWebACL.StatementProperty[]): wafv2.CfnWebACL.StatementProperty {
  return { andStatement: { statements } };
}

/** OR of the statements; one statement stands alone (WAF wants at least two in an OR). */
export function orStatement(statements: wafv2.CfnWebACL.StatementProperty[]): wafv2.CfnWebACL.StatementProperty {
  if (statements.length === 0) throw new Error('orStatement needs at least one statement');
  return statements.length === 1 ? statements[0] : { orStatement: { statements } };
}

export function notStatement(statement: wafv2.CfnWebACL.StatementProperty): wafv2.CfnWebACL.StatementProperty {
  return { notStatement: { statement } };
}

export function pathEndsWith(path: string): wafv2.CfnWebACL.StatementProperty {
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
export function routeStatement(route: { readonly method: string; readonly path: string }, prefixes: readonly string[]): wafv2.CfnWebACL.StatementProperty {
  const path: wafv2.CfnWebACL.StatementProperty = {
    regexMatchStatement: { fieldToMatch: { uriPath: {} }, regexString: resourcePathPattern(route.path, prefixes), textTransformations: NO_TRANSFORMATION },
  };
  if (route.method === 'ANY') return path;
  return andStatement(
    { byteMatchStatement: { fieldToMatch: { method: {} }, positionalConstraint: 'EXACTLY', searchString: route.method, textTransformations: NO_TRANSFORMATION } },
    path,
  );
}

export function bodyLargerThan(maxBytes: number): wafv2.CfnWebACL.StatementProperty {
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

export function contentLengthAbove(maxBytes: number): wafv2.CfnWebACL.StatementProperty {
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
