import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironmentConfigs } from '../config/load';
import type { EnvironmentConfig } from '../config/schema';

/** A CloudFormation template as far as preflight reads it. */
export interface CfnTemplate {
  readonly Resources?: Readonly<Record<string, { readonly Type: string; readonly Properties?: Readonly<Record<string, unknown>> }>>;
  readonly Rules?: Readonly<Record<string, unknown>>;
}

export interface EnvironmentStack {
  /** The deployed name, e.g. `staging-Integrations`. */
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/** What the deploy asks of the CDK bootstrap stack, from the cloud assembly manifest. */
export interface BootstrapRequirement {
  readonly version: number;
  /** e.g. `/cdk-bootstrap/hnb659fds/version`: what the templates' CheckBootstrapVersion rule reads. */
  readonly ssmParameter: string;
}

/** One environment's synthesized stacks and the bootstrap versions its artifacts require. */
export interface EnvironmentAssembly {
  readonly stacks: readonly EnvironmentStack[];
  readonly bootstrap: readonly BootstrapRequirement[];
}

interface ManifestArtifact {
  readonly type: string;
  readonly properties?: {
    readonly templateFile?: string;
    readonly stackName?: string;
    readonly requiresBootstrapStackVersion?: number;
    readonly bootstrapStackVersionSsmParameter?: string;
    readonly directoryName?: string;
  };
}

const DEFAULT_VERSION_PARAMETER = '/cdk-bootstrap/hnb659fds/version';

/**
 * Reads one environment from a cloud assembly folder: the app's (`cdk.out`, where each environment is the nested
 * assembly `assembly-<env>`) or the environment's own. Reads manifest.json directly (its schema is the cloud
 * assembly schema the CLI reads too), so no deprecated cx-api class is needed.
 */
export function readEnvironmentAssembly(directory: string, environment: string): EnvironmentAssembly {
  const nested = join(directory, `assembly-${environment}`);
  const dir = existsSync(join(nested, 'manifest.json')) ? nested : directory;
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new Error(`${directory}: no cloud assembly (manifest.json) of environment ${environment}`);
  const artifacts = Object.values((JSON.parse(readFileSync(manifestFile, 'utf8')) as { artifacts?: Record<string, ManifestArtifact> }).artifacts ?? {});
  const stacks: EnvironmentStack[] = [];
  const bootstrap: BootstrapRequirement[] = [];
  for (const artifact of artifacts) {
    const props = artifact.properties ?? {};
    if (artifact.type === 'aws:cloudformation:stack' && props.templateFile) {
      stacks.push({ stackName: props.stackName ?? props.templateFile.replace(/\.template\.json$/, ''), template: JSON.parse(readFileSync(join(dir, props.templateFile), 'utf8')) as CfnTemplate });
    }
    if ((artifact.type === 'aws:cloudformation:stack' || artifact.type === 'cdk:asset-manifest') && props.requiresBootstrapStackVersion !== undefined) {
      bootstrap.push({ version: props.requiresBootstrapStackVersion, ssmParameter: props.bootstrapStackVersionSsmParameter ?? DEFAULT_VERSION_PARAMETER });
    }
  }
  if (stacks.length === 0) throw new Error(`${dir}: the cloud assembly holds no stack of environment ${environment}`);
  return { stacks, bootstrap };
}

/**
 * Synthesizes one environment in this process, exactly as `npx cdk synth -c env=<env>` would (the same
 * buildConnectApp, every config file validated as a set, compliance gate on), into a temp folder that is removed
 * afterwards. In-process rather than through the CLI: no second Node start and no CLI round trip, and a config or
 * compliance error surfaces as the same exception bin/connect.ts prints.
 */
export function synthesizeEnvironment(configDirectory: string, environment: string): { config: EnvironmentConfig; assembly: EnvironmentAssembly } {
  const config = environmentConfig(loadEnvironmentConfigs(configDirectory), environment);
  const outdir = mkdtempSync(join(tmpdir(), `connect-preflight-${environment}-`));
  try {
    // Required here, not imported: the app (aws-cdk-lib and every construct) costs ~0.65 s of CPU to load, which
    // `--assembly` and the tests that read an existing assembly need not pay.
    const { buildConnectApp } = require('../app') as typeof import('../app');
    const { app } = buildConnectApp([config], { outdir, context: { '@aws-cdk/core:failSynthOnValidationErrors': true } });
    app.synth();
    return { config, assembly: readEnvironmentAssembly(outdir, environment) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The named environment of a loaded config set, or an error listing the names there are. */
export function environmentConfig(configs: readonly EnvironmentConfig[], environment: string): EnvironmentConfig {
  const config = configs.find((c) => c.name === environment);
  if (!config) throw new Error(`unknown environment "${environment}": expected one of ${configs.map((c) => c.name).join(', ')} (a file config/<env>.json)`);
  return config;
}
