import type { z } from 'zod';
import type { EnvironmentConfig } from './schema';

/**
 * How the config areas state their cross-field rules. A rule within one area is a `superRefine` on the area's
 * object: zod runs it whenever that area parsed, whatever other areas hold. A rule across areas (e.g. NAT gateways
 * per availability zone) is a `CrossAreaRule` naming the top-level fields it reads; schema.ts runs it whenever those
 * fields parsed, so one run reports every problem of a file, not only those of the first failing area.
 */

/** Reports a problem at `path` (relative to the object the rule checks). */
export type Issue = (path: (string | number)[], message: string) => void;

/** The `Issue` of a zod refinement context. */
export function issueOf(ctx: z.RefinementCtx): Issue {
  return (path, message) => ctx.addIssue({ code: 'custom', path, message });
}

export interface CrossAreaRule {
  /** The top-level fields `check` reads. */
  readonly reads: readonly (keyof EnvironmentConfig)[];
  readonly check: (config: EnvironmentConfig, issue: Issue) => void;
}

/** A rule across areas; its type lets `check` read only the fields it names. */
export function crossAreaRule<K extends keyof EnvironmentConfig>(reads: readonly K[], check: (config: Pick<EnvironmentConfig, K>, issue: Issue) => void): CrossAreaRule {
  return { reads, check };
}

/**
 * Whether every field `rule` reads parsed without a problem. A problem of the whole object counts against every
 * field, except unknown top-level fields, which leave the known ones parsed.
 */
export function readsParsed(rule: CrossAreaRule, issues: readonly { readonly code?: string; readonly path?: readonly PropertyKey[] }[]): boolean {
  return issues.every((issue) => {
    const field = issue.path?.[0];
    return field === undefined ? issue.code === 'unrecognized_keys' : !(rule.reads as readonly PropertyKey[]).includes(field);
  });
}

/** Indexes of the entries that repeat an earlier one. */
export function duplicates(values: string[]): number[] {
  return values.flatMap((value, index) => (values.indexOf(value) < index ? [index] : []));
}
