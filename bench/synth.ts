/**
 * Synth wall time as an SRE feels it: `npx cdk synth --quiet` in a fresh process (CLI start, tsx, the app, the
 * compliance gate, CDK's template validation, asset staging), into a temp folder so the shared cdk.out is left
 * alone. Notices and telemetry are off so the network is not part of the measurement. The CPU time of the whole
 * process tree (esbuild, cfn-guard) is measured too: on a busy machine it moves far less than the wall time.
 * Target: every environment within 3x the floor (an app with one empty stack) measured in the same rounds.
 * The compliance gate's template checks keep their results by content (.build/validation-cache): from the second
 * synth of the same templates on, "every environment" reads them; the variant with the cache off shows what a
 * fresh clone pays.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countResources, median, type Row, runChild, seconds } from './measure';

interface Variant {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

const VARIANTS: readonly Variant[] = [
  { name: 'empty app (one empty Stack)', args: ['--app', 'npx tsx bench/empty-app.ts'] },
  { name: 'one environment (-c env=dev)', args: ['-c', 'env=dev'] },
  { name: 'every environment', args: [] },
  // What a synth pays with no earlier results of the template checks (a fresh clone, CI without .build/): cfn-guard
  // and CDK's WASM template validation run for every template (lib/compliance-cache.ts). Lambda bundles still come
  // from .build/lambda-bundles.
  { name: 'every environment, validation cache off', args: [], env: { CONNECT_VALIDATION_CACHE: 'off' } },
];

export const SYNTH_FLOOR_FACTOR = 3;
/** The variant whose assembly is kept for the Lambda bundle section. */
const ALL_ENVIRONMENTS = 2;

export interface SynthResult {
  readonly variant: string;
  readonly runsMs: number[];
  readonly medianMs: number;
  readonly cpuRunsMs: number[];
  readonly cpuMedianMs: number;
  readonly resources: number;
  readonly resourcesPerSecond: number;
}

/** Synthesizes into `outdir` with `npx cdk synth --quiet` and returns the wall and CPU time; throws if synth fails. */
export async function synthesize(args: readonly string[], outdir: string, env: NodeJS.ProcessEnv = {}): Promise<{ wallMs: number; cpuMs: number }> {
  const result = await runChild('npx', ['cdk', 'synth', '--quiet', '--no-notices', ...args, '-o', outdir], {
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', ...env },
    timeoutMs: 420_000,
    cpu: true,
  });
  if (result.code !== 0) throw new Error(`cdk synth ${args.join(' ')} failed${result.timedOut ? ' (timed out)' : ''}: ${withoutNpmWarnings(result.stderr).slice(-2000)}`);
  return { wallMs: result.wallMs, cpuMs: result.cpuMs ?? Number.NaN };
}

const withoutNpmWarnings = (stderr: string) => stderr.split('\n').filter((line) => !line.startsWith('npm warn')).join('\n').trim();

export const newOutdir = () => mkdtempSync(join(tmpdir(), 'connect-bench-synth-'));

/**
 * Runs each variant up to `maxRuns` times, interleaved so that a burst of load on a shared machine hits all alike,
 * and starts no round that should end past `budgetMs`.
 * Keeps the last assembly of every environment (the caller removes it) for the Lambda bundle section.
 */
export async function benchSynth(maxRuns: number, budgetMs: number): Promise<{ rows: Row[]; results: SynthResult[]; assemblyDir: string }> {
  const runsMs = VARIANTS.map(() => [] as number[]);
  const cpuRunsMs = VARIANTS.map(() => [] as number[]);
  const resources = VARIANTS.map(() => 0);
  let assemblyDir = '';
  const started = performance.now();
  // A round costs about its predecessor: start another only if it should end within the budget.
  let runs = 0;
  for (let roundMs = 0; runs < maxRuns && (runs === 0 || performance.now() - started + roundMs <= budgetMs); runs++) {
    const roundStarted = performance.now();
    for (const [index, variant] of VARIANTS.entries()) {
      const outdir = newOutdir();
      const keep = index === ALL_ENVIRONMENTS;
      if (keep && assemblyDir) rmSync(assemblyDir, { recursive: true, force: true });
      try {
        const { wallMs, cpuMs } = await synthesize(variant.args, outdir, variant.env);
        runsMs[index].push(wallMs);
        cpuRunsMs[index].push(cpuMs);
        resources[index] = countResources(outdir);
        if (keep) assemblyDir = outdir;
      } finally {
        if (assemblyDir !== outdir) rmSync(outdir, { recursive: true, force: true });
      }
    }
    roundMs = performance.now() - roundStarted;
  }
  const results = VARIANTS.map((variant, index) => {
    const medianMs = median(runsMs[index]);
    return {
      variant: variant.name,
      runsMs: runsMs[index],
      medianMs,
      cpuRunsMs: cpuRunsMs[index],
      cpuMedianMs: median(cpuRunsMs[index]),
      resources: resources[index],
      resourcesPerSecond: resources[index] / (medianMs / 1000),
    };
  });
  const [floor, one, all, uncached] = results;
  const rows: Row[] = results.map((result) => ({
    section: 'synth',
    metric: `${result.variant}: median of ${runs}`,
    measured: `${seconds(result.medianMs)} (CPU ${seconds(result.cpuMedianMs)}), ${result.resources} resources, ${result.resourcesPerSecond.toFixed(1)} resources/s`,
  }));
  const ratio = all.medianMs / floor.medianMs;
  rows.push({
    section: 'synth',
    metric: 'every environment / empty-app floor, wall (same rounds)',
    target: `≤ ${SYNTH_FLOOR_FACTOR.toFixed(1)}×`,
    measured: `${ratio.toFixed(2)}× (CPU ${(all.cpuMedianMs / floor.cpuMedianMs).toFixed(2)}×)`,
    pass: ratio <= SYNTH_FLOOR_FACTOR,
  });
  rows.push({
    section: 'synth',
    metric: 'every environment, validation cache off / empty-app floor, wall (a fresh clone)',
    measured: `${(uncached.medianMs / floor.medianMs).toFixed(2)}× (CPU ${(uncached.cpuMedianMs / floor.cpuMedianMs).toFixed(2)}×)`,
  });
  rows.push({ section: 'synth', metric: 'every environment / one environment, wall', measured: `${(all.medianMs / one.medianMs).toFixed(2)}×` });
  return { rows, results, assemblyDir };
}
