/**
 * The synthesized environments every CDK test reads. The app is built and synthesized ONCE per test run, in a
 * child process the global setup starts (the same buildConnectApp as bin/, compliance gate on), so no test
 * re-bundles Lambdas or re-synthesizes an environment. The variants a few tests need (another config, a faulty app)
 * are built by the same child after the shipped app (test/support/after-assembly-work.ts, read with afterAssembly()),
 * where CDK is already loaded; a test that needs a small app of its own builds it.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Acknowledged, ACKNOWLEDGMENTS_FILE } from './acknowledgments';

/** Parent of the per-run assembly folders; the global setup creates one per run and names it in the environment. */
export const TEST_ASSEMBLIES_DIR = join(__dirname, '..', '..', '.build', 'test-assemblies');
export const TEST_ASSEMBLY_ENV = 'CONNECT_TEST_ASSEMBLY_DIR';

/** This run's assembly folder (the global setup names it in the environment). */
export function assemblyDir(): string {
  const dir = process.env[TEST_ASSEMBLY_ENV];
  if (!dir) throw new Error(`${TEST_ASSEMBLY_ENV} is not set: run the tests with jest (test/support/global-setup.ts synthesizes the app)`);
  return dir;
}

let assembly: CloudAssembly | undefined;

/** How long a CDK test waits for the global setup's synth before giving up. */
const SYNTH_TIMEOUT_MS = 180_000;

/**
 * Blocks until the synth child has written `file` in `dir` (tests read synchronously), or fails with the synth's
 * error once it has written `failed` (nothing after the shipped app's synth runs then), or after `timeoutMs`.
 */
export function waitForAssemblyFile(dir: string, file: string, timeoutMs: number, what: string): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(join(dir, file))) {
    if (existsSync(join(dir, 'failed'))) throw new Error(`Synthesis of the environments failed:\n${readFileSync(join(dir, 'failed'), 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s`);
    Atomics.wait(pause, 0, 0, 100);
  }
}

function waitForSynth(dir: string): void {
  waitForAssemblyFile(dir, 'done', SYNTH_TIMEOUT_MS, 'Synthesis of the environments did not finish');
}

function root(): CloudAssembly {
  if (!assembly) {
    waitForSynth(assemblyDir());
    assembly = new CloudAssembly(assemblyDir());
  }
  return assembly;
}

/** The stacks of one environment, keyed by stack id within the Stage (`Network`, `Security`, ...). */
function environmentStacks(environment: string): Map<string, { readonly template: unknown }> {
  const nested = root().getNestedAssembly(`assembly-${environment}`);
  return new Map(nested.stacks.map((stack) => [stack.hierarchicalId.split('/').pop() as string, stack]));
}

/**
 * Template objects made once per stack and test file: Template.fromJSON checks the whole template for dependency
 * cycles, which cost ~0.5 s of CPU per CDK test file when every stackTemplate() call made all of an environment's
 * again. (A Template holds the artifact's JSON as it is, as environmentJson() returns it: nothing new is shared.)
 */
const templates = new Map<string, Template>();
function templateOf(environment: string, stackId: string, stack: { readonly template: unknown }): Template {
  const key = `${environment}/${stackId}`;
  let template = templates.get(key);
  if (!template) templates.set(key, (template = Template.fromJSON(stack.template as Record<string, unknown>)));
  return template;
}

/** The stack templates of one environment, keyed by stack id within the Stage (`Network`, `Security`, ...). */
export function environmentTemplates(environment: string): Record<string, Template> {
  return Object.fromEntries([...environmentStacks(environment)].map(([stackId, stack]) => [stackId, templateOf(environment, stackId, stack)]));
}

/** One stack of one environment, e.g. `stackTemplate('prod', 'Network')`. */
export function stackTemplate(environment: string, stackId: string): Template {
  const stack = environmentStacks(environment).get(stackId);
  if (!stack) throw new Error(`No stack ${stackId} in environment ${environment}`);
  return templateOf(environment, stackId, stack);
}

/** Raw JSON templates of one environment (for snapshots and walks over every resource). */
export function environmentJson(environment: string): Record<string, any> {
  const nested = root().getNestedAssembly(`assembly-${environment}`);
  return Object.fromEntries(nested.stacks.map((stack) => [stack.hierarchicalId.split('/').pop() as string, stack.template]));
}

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;

/** Every compliance acknowledgment on the synthesized app's construct tree (test/support/acknowledgments.ts). */
export function appAcknowledgments(): Acknowledged[] {
  root();
  return JSON.parse(readFileSync(join(assemblyDir(), ACKNOWLEDGMENTS_FILE), 'utf8')) as Acknowledged[];
}
