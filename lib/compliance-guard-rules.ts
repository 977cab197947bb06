/**
 * Which resource types a Control Tower guard rule file can find something in (lib/compliance.ts runs a rule file
 * only over templates holding one of them).
 *
 * Every Control Tower rule file has the same shape: top-level rules of the form
 *
 *     let s3_buckets = Resources.*[ Type == %S3_BUCKET_TYPE ]
 *     rule s3_..._check when is_cfn_template(%INPUT_DOCUMENT) %s3_buckets not empty { ... }
 *     rule s3_..._check when is_cfn_hook(%INPUT_DOCUMENT, %S3_BUCKET_TYPE) { ... }
 *
 * The first is skipped unless the template holds a resource of a selected type; the second applies only to a
 * CloudFormation hook's input (a document keyed by the resource type), never to a template. So such a file can only
 * pass or fail a template holding one of its selected types. Other types it names (e.g. "AWS::Logs::LogGroup" as
 * what a referenced ARN must point to) do not make it apply. Measured on this app: guard CPU per all-environment
 * synth 14.2 s with every type a file names, 9.3 s with the selected ones, the same findings for every template.
 *
 * A file of any other shape (a top-level rule without such a condition, a selection written otherwise, a clause
 * outside any rule, which cfn-guard evaluates as a rule of its own) gets every type it names, as before: it is never
 * run less than its types allow.
 */
const RESOURCE_TYPE = /['"](AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)['"]/g;
const TYPE_CONSTANT = /^let\s+(\w+)\s*=\s*["'](AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)["']\s*$/gm;
const LET = /^let\s+(\w+)\s*=/gm;
const SELECTION = /^let\s+(\w+)\s*=\s*Resources\.\*\[([^\]]*)\]\s*$/gm;
const SELECTED_TYPE = /^Type\s*==\s*(?:%(\w+)|["'](AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)["'])$/;
/** A rule without parameters (`rule name when ... {` or `rule name {`); a parameterized one has `(` after its name. */
const TOP_LEVEL_RULE = /^rule\s+\w+\s+(when\s[^{]*)?\{/gm;
const TEMPLATE_RULE = /^when is_cfn_template\((?:%INPUT_DOCUMENT|this)\) %(\w+) (?:not empty|!empty)$/;
const HOOK_RULE = /^when is_cfn_hook\(/;

/** Every resource type the rule file names. */
export function namedResourceTypes(text: string): Set<string> {
  return new Set([...text.matchAll(RESOURCE_TYPE)].map((m) => m[1]));
}

/** The resource types a rule file can pass or fail a template by (see above). */
export function guardRuleResourceTypes(text: string): Set<string> {
  return selectedResourceTypes(text) ?? namedResourceTypes(text);
}

export function selectedResourceTypes(text: string): Set<string> | undefined {
  if (!onlyAssignmentsAndRules(text)) return undefined;
  const constants = new Map([...text.matchAll(TYPE_CONSTANT)].map((m) => [m[1], m[2]]));
  const declarations = [...text.matchAll(LET)].map((m) => m[1]);
  const selections = new Map<string, string[] | undefined>();
  for (const [, name, body] of text.matchAll(SELECTION)) {
    const types = body
      .trim()
      .split(/\s+(?:or|OR|\|\|)\s+/)
      .map((alternative) => SELECTED_TYPE.exec(alternative.replace(/\s+/g, ' ').trim()))
      .map((m) => (m ? (m[1] ? constants.get(m[1]) : m[2]) : undefined));
    selections.set(name, types.every((type) => type !== undefined) ? (types as string[]) : undefined);
  }
  const selected = new Set<string>();
  let rules = 0;
  for (const [, condition] of text.matchAll(TOP_LEVEL_RULE)) {
    rules++;
    const when = (condition ?? '').replace(/\s+/g, ' ').trim();
    if (HOOK_RULE.test(when)) continue;
    const name = TEMPLATE_RULE.exec(when)?.[1];
    // The selection must be declared once, as a plain selection by type.
    const types = name && declarations.filter((declared) => declared === name).length === 1 ? selections.get(name) : undefined;
    if (!types) return undefined;
    types.forEach((type) => selected.add(type));
  }
  return rules > 0 && selected.size > 0 ? selected : undefined;
}

/** A single value of an assignment: a string, a regex, a number, a variable, `this`, a list or a query. */
const ASSIGNMENT = /^let \w+ = (?:"[^"]*"|'[^']*'|\/.*\/|-?\d+|%\w+|this|\[\]|Resources(?:\.\*)?\[\])$/;
const RULE = /^rule \w+(?:\(\)| when [^{}]*) ?\{\}$/;

/**
 * Whether the file holds only assignments and rules at its top level (nothing cfn-guard would evaluate outside a
 * rule). Looks at the text outside brackets, braces, parentheses, strings and comments.
 */
function onlyAssignmentsAndRules(text: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  let top = '';
  for (const c of text.replace(/#.*$/gm, '')) {
    if (quote) {
      if (c === quote) quote = undefined;
      if (depth === 0) top += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      if (depth === 0) top += c;
    } else if ('{[('.includes(c)) {
      if (depth === 0) top += c;
      depth++;
    } else if ('}])'.includes(c)) {
      depth--;
      if (depth === 0) top += c;
    } else if (depth === 0) top += c;
  }
  const statements = top.replace(/\s+/g, ' ').trim().split(/(?=\b(?:let|rule) )/).map((statement) => statement.trim());
  return depth === 0 && statements.every((statement) => ASSIGNMENT.test(statement) || RULE.test(statement));
}
