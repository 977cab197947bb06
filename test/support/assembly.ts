/**
 * The synthesized environments every CDK test reads. The app is built and synthesized ONCE per test run by
 * `test/support/global-setup.ts` (the same buildConnectApp as bin/, compliance gate on), so no test re-bundles
 * Lambdas or re-synthesizes an environment; tests that need a variant build their own small app.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { join } from 'node:path';

export const TEST_ASSEMBLY_DIR = join(__dirname, '..', '..', '.build', 'test-assembly');

let assembly: CloudAssembly | undefined;

function root(): CloudAssembly {
  assembly ??= new CloudAssembly(TEST_ASSEMBLY_DIR);
  return assembly;
}

/** The stack templates of one environment, keyed by stack id within the Stage (`Network`, `Security`, ...). */
export function environmentTemplates(environment: string): Record<string, Template> {
  const nested = root().getNestedAssembly(`assembly-${environment}`);
  return Object.fromEntries(nested.stacks.map((stack) => [stack.hierarchicalId.split('/').pop() as string, Template.fromJSON(stack.template)]));
}

/** One stack of one environment, e.g. `stackTemplate('prod', 'Network')`. */
export function stackTemplate(environment: string, stackId: string): Template {
  const template = environmentTemplates(environment)[stackId];
  if (!template) throw new Error(`No stack ${stackId} in environment ${environment}`);
  return template;
}

/** Raw JSON templates of one environment (for snapshots and walks over every resource). */
export function environmentJson(environment: string): Record<string, any> {
  const nested = root().getNestedAssembly(`assembly-${environment}`);
  return Object.fromEntries(nested.stacks.map((stack) => [stack.hierarchicalId.split('/').pop() as string, stack.template]));
}

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
