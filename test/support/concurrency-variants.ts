/**
 * The dev environment with its `lambdaConcurrency` replaced, for test/lambda-concurrency.test.ts (a config that
 * changes the reservations changes the templates). Synthesized by the global setup's child (synth-assembly.ts)
 * right after the shipped app, where CDK's modules are already loaded: ~1.2 s of CPU there against ~2.5 s in a
 * jest worker, which first loads every module again into the test file's registry. Each variant is its own App
 * with the dev ConnectStage, as the test built them before; no compliance gate (not what is tested there).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { parseEnvironmentConfig } from '../../lib/config/load';
import type { EnvironmentConfig } from '../../lib/config/schema';
import { ConnectStage } from '../../lib/stage/connect-stage';
import { afterAssembly, writeAfterAssembly } from './after-assembly';

export const CONCURRENCY_VARIANTS = {
  /** Lowered numbers for an API handler, an SQS worker and the pre token trigger. */
  lowered: { functions: { webhookReceiver: 3, notificationsWorker: 2, preTokenGeneration: 4 } },
  /** Reservations turned off, for a small account. */
  off: { reserve: false },
} as const;
export type ConcurrencyVariant = keyof typeof CONCURRENCY_VARIANTS;

const ROOT = join(__dirname, '..', '..');
/** Folder of the variants' assemblies within the run's assembly folder (and the name of the child's result). */
const VARIANTS_DIR = 'concurrency-variants';

/** config/dev.json with the variant's `lambdaConcurrency`, parsed as the app parses an environment's config. */
export function variantConfig(variant: ConcurrencyVariant): EnvironmentConfig {
  const raw = JSON.parse(readFileSync(join(ROOT, 'config', 'dev.json'), 'utf8'));
  return parseEnvironmentConfig('config/dev.json', JSON.stringify({ ...raw, lambdaConcurrency: CONCURRENCY_VARIANTS[variant] }));
}

/** Child side (the global setup's synth): every variant into `<assemblyDir>/concurrency-variants/<variant>`. */
export function synthesizeConcurrencyVariants(assemblyDir: string): void {
  writeAfterAssembly(assemblyDir, VARIANTS_DIR, () => {
    process.env.CDK_VALIDATION = 'false';
    const context = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context;
    for (const variant of Object.keys(CONCURRENCY_VARIANTS) as ConcurrencyVariant[]) {
      const config = variantConfig(variant);
      // No construct or annotation stack traces, as in the test files (test/support/aws-env.js): nothing reads them.
      const app = new App({ outdir: join(assemblyDir, VARIANTS_DIR, variant), context: { ...context, 'aws:cdk:disable-creation-stack-traces': true, 'aws:cdk:disable-stack-trace': true } });
      new ConnectStage(app, config.name, { config });
      app.synth();
    }
  });
}

/** Test side: the variant's config and its templates by stack id, once the child has synthesized them. */
export function concurrencyVariant(variant: ConcurrencyVariant): { config: EnvironmentConfig; templates: Record<string, any> } {
  const { assemblyDir } = afterAssembly(VARIANTS_DIR);
  const config = variantConfig(variant);
  const nested = new CloudAssembly(join(assemblyDir, VARIANTS_DIR, variant)).getNestedAssembly(`assembly-${config.name}`);
  return { config, templates: Object.fromEntries(nested.stacks.map((stack) => [stack.hierarchicalId.split('/').pop() as string, stack.template])) };
}
