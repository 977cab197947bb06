/**
 * Compares the resources of two synthesized cloud assemblies by type and properties, ignoring logical ids and asset
 * hashes: proves a refactor that moves resources between constructs (new logical ids) lost or changed nothing but
 * what it meant to. Nothing is deployed by it, nothing needs credentials.
 *
 *   npx tsx scripts/compare-templates.ts <old cdk.out> <new cdk.out>
 *
 * Each resource becomes a fingerprint: its type, properties, condition and dependencies, with every logical id of
 * its stack replaced by the type of the resource it names, every 64-hex asset hash by `<hash>` and every
 * cross-stack output name by `<output>`. The fingerprints of each environment's stack are compared as multisets;
 * the report lists, per stack, how many match and each fingerprint found on one side only (paired by type, with
 * the properties that differ). Exit code 1 when anything differs.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

interface Resource {
  Type: string;
  Properties?: unknown;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
type Template = { Resources?: Record<string, Resource> };

/** `<assembly>/assembly-<env>/*.template.json`, keyed by environment and stack name without the environment prefix. */
function readAssembly(dir: string): Map<string, Map<string, Template>> {
  const environments = new Map<string, Map<string, Template>>();
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith('assembly-')) continue;
    const environment = entry.slice('assembly-'.length);
    const stacks = new Map<string, Template>();
    const manifest = JSON.parse(readFileSync(join(dir, entry, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; properties?: { templateFile?: string }; displayName?: string }> };
    for (const [id, artifact] of Object.entries(manifest.artifacts)) {
      if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
      const name = (artifact.displayName ?? id).split('/').pop() as string;
      stacks.set(name, JSON.parse(readFileSync(join(dir, entry, artifact.properties.templateFile), 'utf8')) as Template);
    }
    environments.set(environment, stacks);
  }
  return environments;
}

const HASH = /[0-9a-f]{64}/g;

/** The resources of a template as fingerprints (see the header), with the original logical ids beside them. */
export function fingerprints(template: Template): Array<{ id: string; type: string; print: string; body: unknown }> {
  const resources = template.Resources ?? {};
  const ids = Object.keys(resources).sort((a, b) => b.length - a.length);
  const idPattern = ids.length > 0 ? new RegExp(`\\b(${ids.map((id) => id.replace(/[^A-Za-z0-9]/g, '')).join('|')})\\b`, 'g') : undefined;
  const normalize = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string') {
      if (key === 'OutputName') return '<output>';
      let text = value.replace(HASH, '<hash>');
      if (idPattern) text = text.replace(idPattern, (id) => `<${resources[id].Type}>`);
      return text;
    }
    if (Array.isArray(value)) return value.map((item) => normalize(item));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, normalize(v, k)]));
    }
    return value;
  };
  return Object.entries(resources).map(([id, resource]) => {
    const dependsOn = resource.DependsOn === undefined ? undefined : ([] as string[]).concat(resource.DependsOn).map((d) => `<${resources[d]?.Type ?? d}>`).sort();
    const body = normalize({
      Type: resource.Type,
      Properties: resource.Properties,
      Condition: resource.Condition,
      DeletionPolicy: resource.DeletionPolicy,
      UpdateReplacePolicy: resource.UpdateReplacePolicy,
      DependsOn: dependsOn,
    });
    return { id, type: resource.Type, print: stableStringify(body), body };
  });
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Top-level property paths whose values differ between two fingerprint bodies. */
function differingPaths(a: unknown, b: unknown, path = ''): string[] {
  if (stableStringify(a) === stableStringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    return [...keys].flatMap((key) => differingPaths((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key));
  }
  return [path || '(value)'];
}

export interface StackComparison {
  readonly environment: string;
  readonly stack: string;
  readonly matched: number;
  readonly onlyOld: ReturnType<typeof fingerprints>;
  readonly onlyNew: ReturnType<typeof fingerprints>;
}

export function compareAssemblies(oldDir: string, newDir: string): StackComparison[] {
  const before = readAssembly(oldDir);
  const after = readAssembly(newDir);
  const results: StackComparison[] = [];
  for (const environment of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const oldStacks = before.get(environment) ?? new Map();
    const newStacks = after.get(environment) ?? new Map();
    for (const stack of [...new Set([...oldStacks.keys(), ...newStacks.keys()])].sort()) {
      const oldPrints = fingerprints(oldStacks.get(stack) ?? {});
      const remaining = fingerprints(newStacks.get(stack) ?? {});
      const onlyOld: typeof oldPrints = [];
      let matched = 0;
      for (const print of oldPrints) {
        const index = remaining.findIndex((candidate) => candidate.print === print.print);
        if (index >= 0) {
          remaining.splice(index, 1);
          matched++;
        } else onlyOld.push(print);
      }
      results.push({ environment, stack, matched, onlyOld, onlyNew: remaining });
    }
  }
  return results;
}

function main(): void {
  const [oldDir, newDir] = process.argv.slice(2);
  if (!oldDir || !newDir || !existsSync(oldDir) || !existsSync(newDir)) {
    console.error('usage: npx tsx scripts/compare-templates.ts <old cdk.out> <new cdk.out>');
    process.exit(2);
  }
  let differences = 0;
  for (const { environment, stack, matched, onlyOld, onlyNew } of compareAssemblies(oldDir, newDir)) {
    const total = matched + onlyOld.length;
    console.log(`${environment}/${stack}: ${matched} of ${total} resources identical${onlyOld.length + onlyNew.length === 0 ? '' : `; ${onlyOld.length} only before, ${onlyNew.length} only after`}`);
    const unpairedNew = [...onlyNew];
    for (const old of onlyOld) {
      const index = unpairedNew.findIndex((candidate) => candidate.type === old.type);
      if (index >= 0) {
        const [now] = unpairedNew.splice(index, 1);
        console.log(`  changed ${old.type} ${old.id} -> ${now.id}: ${differingPaths(old.body, now.body).join(', ')}`);
      } else console.log(`  removed ${old.type} ${old.id}`);
    }
    for (const now of unpairedNew) console.log(`  added   ${now.type} ${now.id}`);
    differences += onlyOld.length + onlyNew.length;
  }
  process.exit(differences === 0 ? 0 : 1);
}

if (require.main === module) main();
