/**
 * The dev environment with its `lambdaConcurrency` replaced, for test/lambda-concurrency.test.ts (a config that
 * changes the reservations changes the templates). Synthesized by the global setup's child right after the shipped
 * app (after-assembly-work.ts), where CDK's modules are already loaded: ~1.2 s of CPU there against ~2.5 s in a
 * jest worker, which first loads every module again into the test file's registry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { parseEnvironmentConfig } from '../../lib/config/load';
import type { EnvironmentConfig } from '../../lib/config/schema';
import { afterAssembly } from './after-assembly';

export const CONCURRENCY_VARIANTS = {
  /** Lowered numbers for an API handler, an SQS worker and the pre token trigger. */
  lowered: { functions: { webhookReceiver: 3, notificationsWorker: 2, preTokenGeneration: 4 } },
  /** Reservations turned off, for a small account. */
  off: { reserve: false },
} as const;
export type ConcurrencyVariant = keyof typeof CONCURRENCY_VARIANTS;

/** Folder of the variants' assemblies within the run's assembly folder (and the name of the child's result). */
export const VARIANTS_DIR = 'concurrency-variants';

/** config/dev.json with the variant's `lambdaConcurrency`, parsed as the app parses an environment's config. */
export function variantConfig(variant: ConcurrencyVariant): EnvironmentConfig {
  const raw = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'dev.json'), 'utf8'));
  return parseEnvironmentConfig('config/dev.json', JSON.stringify({ ...raw, lambdaConcurrency: CONCURRENCY_VARIANTS[variant] }));
}

/** The variant's config and its templates by stack id, once the child has synthesized them. */
export function concurrencyVariant(variant: ConcurrencyVariant): { config: EnvironmentConfig; templates: Record<string, any> } {
  const { assemblyDir } = afterAssembly(VARIANTS_DIR);
  const config = variantConfig(variant);
  const nested = new CloudAssembly(join(assemblyDir, VARIANTS_DIR, variant)).getNestedAssembly(`assembly-${config.name}`);
  return { config, templates: Object.fromEntries(nested.stacks.map((stack) => [stack.hierarchicalId.split('/').pop() as string, stack.template])) };
}
