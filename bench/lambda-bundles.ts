/**
 * Lambda bundles: bytes and cold init time of exactly what deploys, and an experiment that justifies the bundling
 * options by measurement.
 *
 * What deploys is read from a synthesized assembly: every ConnectFunction (it sets POWERTOOLS_SERVICE_NAME) with
 * its staged asset folder and its environment from the template. Handlers under lambda/ that no stack deploys yet
 * are bundled with the same lambdaBundle() the construct uses, so they are measured too.
 *
 * Cold init = the time to require() the bundle in a fresh Node process, with the environment the function gets
 * (and the role credentials Lambda adds to it), NODE_PATH pointing at node_modules as Lambda's points at the
 * runtime's SDK (only the "SDK external" variant loads from there). Not measured: the runtime's own start, the
 * VPC/ENI attach, and Lambda's slower arm64 CPU. The SDK's warning that Node 20 is past its support (printed when a
 * client is built on this machine's Node 20, never on the deployed nodejs22.x) is emitted after require() returns,
 * so it is outside the figure: measured, 76 vs 78 ms CPU with and without it (noise).
 */
import { buildSync, type BuildOptions } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { buildLambdaSync } from '../lib/constructs/lambda-bundle-build';
import { LAMBDA_BUILD_OPTIONS, LAMBDA_SOURCE_DIR, lambdaBundle } from '../lib/constructs/lambda-bundles';
import { median, ms, REPO_ROOT, type Row, runChild, templateFiles } from './measure';

export const INIT_TARGET_MS = 60;
const REPRESENTATIVE_HANDLER = 'webhook-receiver';

export interface Bundle {
  /** Handler folder under lambda/ (POWERTOOLS_SERVICE_NAME), plus the function's id when one handler has several bundles. */
  readonly name: string;
  readonly file: string;
  readonly env: Record<string, string>;
  /** Whether a synthesized stack deploys it, or it was bundled only for the bench. */
  readonly deployed: boolean;
}

/** A value for an environment variable that is a reference in the template (a queue URL, a table name, ...). */
function dummyValue(name: string): string {
  return /URL/.test(name) ? 'https://bench.invalid/' : /SECRET_ID$/.test(name) ? 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench' : 'bench';
}

/** The ConnectFunctions of a synthesized assembly, one per distinct asset. */
export function deployedBundles(assemblyDir: string): Bundle[] {
  const byAsset = new Map<string, Bundle & { id: string }>();
  for (const templateFile of templateFiles(assemblyDir)) {
    const resources: Record<string, any> = JSON.parse(readFileSync(templateFile, 'utf8')).Resources ?? {};
    for (const [id, resource] of Object.entries(resources)) {
      const variables: Record<string, unknown> | undefined = resource.Properties?.Environment?.Variables;
      const assetPath: string | undefined = resource.Metadata?.['aws:asset:path'];
      if (resource.Type !== 'AWS::Lambda::Function' || typeof variables?.POWERTOOLS_SERVICE_NAME !== 'string' || !assetPath) continue;
      const assetDir = resolve(dirname(templateFile), assetPath);
      if (byAsset.has(basename(assetDir))) continue;
      const moduleName = String(resource.Properties.Handler).split('.')[0];
      const file = ['.js', '.mjs', '.cjs'].map((extension) => join(assetDir, moduleName + extension)).find(existsSync);
      if (!file) throw new Error(`${id}: no ${moduleName}.js in ${assetDir}`);
      const env = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : dummyValue(name)]));
      byAsset.set(basename(assetDir), { id, name: variables.POWERTOOLS_SERVICE_NAME, file, env, deployed: true });
    }
  }
  const bundles = [...byAsset.values()];
  return bundles.map(({ id, ...bundle }) => ({ ...bundle, name: bundles.filter((other) => other.name === bundle.name).length > 1 ? `${bundle.name} (${id})` : bundle.name }));
}

/** Handler folders under lambda/ with an index.ts (the entries lambdaBundle() takes), e.g. `customer-sync/inbound`. */
export function handlerFolders(): string[] {
  return readdirSync(LAMBDA_SOURCE_DIR, { recursive: true, encoding: 'utf8' })
    .filter((file) => basename(file) === 'index.ts')
    .map((file) => dirname(file))
    .sort();
}

/**
 * The environment of a handler no stack deploys yet: every variable its sources pass to requiredEnv(), and the
 * optional *_SECRET_ID switches (so optional providers are initialised too), with dummy values; plus what
 * ConnectFunction sets on every function.
 */
function scannedEnvironment(handler: string): Record<string, string> {
  const folders = [join(LAMBDA_SOURCE_DIR, handler), join(LAMBDA_SOURCE_DIR, handler, '..'), join(LAMBDA_SOURCE_DIR, 'shared')];
  const names = new Set<string>();
  for (const folder of new Set(folders)) {
    for (const file of readdirSync(folder)) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts') || !statSync(join(folder, file)).isFile()) continue;
      const source = readFileSync(join(folder, file), 'utf8');
      for (const match of source.matchAll(/requiredEnv\('([A-Z0-9_]+)'\)|process\.env\.([A-Z0-9_]+_SECRET_ID)\b/g)) names.add(match[1] ?? match[2]);
    }
  }
  return {
    POWERTOOLS_SERVICE_NAME: handler,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    ...Object.fromEntries([...names].map((name) => [name, dummyValue(name)])),
  };
}

// Loads the module given as argv[1] (require for CommonJS, import for ESM) and prints how long that took, in wall
// time and in this process's CPU time (which a busy machine distorts far less).
const INIT_PROBE = `
const file = process.argv[1];
const cpuStarted = process.cpuUsage();
const started = performance.now();
const loaded = file.endsWith('.mjs') ? import(require('node:url').pathToFileURL(file).href) : Promise.resolve(require(file));
loaded.then((module) => {
  const initMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  if (typeof (module.handler ?? module.default?.handler) !== 'function') throw new Error(file + ' exports no handler');
  console.log('BENCH_INIT_MS=' + initMs + ' BENCH_INIT_CPU_MS=' + (cpu.user + cpu.system) / 1000);
  process.exit(0);
});`;

/** Median cold init over `runs` fresh Node processes, in a Lambda-like environment that reaches no network. */
export async function coldInitMs(file: string, functionEnv: Record<string, string>, runs: number): Promise<{ medianMs: number; runsMs: number[]; cpuMedianMs: number }> {
  const env = {
    PATH: process.env.PATH,
    NODE_PATH: join(REPO_ROOT, 'node_modules'),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    // Nothing listens on port 9: a call made at import would fail fast instead of reaching AWS.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    ...functionEnv,
  };
  const runsMs: number[] = [];
  const cpuMs: number[] = [];
  for (let run = 0; run < runs; run++) {
    const result = await runChild(process.execPath, ['-e', INIT_PROBE, file], { env, timeoutMs: 15_000, cwd: dirname(file) });
    const measured = /BENCH_INIT_MS=([\d.]+) BENCH_INIT_CPU_MS=([\d.]+)/.exec(result.stdout);
    if (result.code !== 0 || !measured) throw new Error(`loading ${relative(REPO_ROOT, file)} failed:\n${result.stderr.slice(-1500)}`);
    runsMs.push(Number(measured[1]));
    cpuMs.push(Number(measured[2]));
  }
  return { medianMs: median(runsMs), runsMs, cpuMedianMs: median(cpuMs) };
}

const fileBytes = (file: string) => statSync(file).size;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export interface BundleResult {
  readonly name: string;
  readonly deployed: boolean;
  readonly bytes: number;
  readonly initMedianMs: number;
  readonly initRunsMs: number[];
  readonly initCpuMedianMs: number;
}

/** Every deployed bundle, and every handler no stack deploys yet. */
export async function benchBundles(assemblyDir: string | undefined, runs: number): Promise<{ rows: Row[]; results: BundleResult[]; bundles: Bundle[] }> {
  const deployed = assemblyDir ? deployedBundles(assemblyDir) : [];
  const undeployed = handlerFolders()
    .filter((handler) => !deployed.some((bundle) => bundle.name.split(' ')[0] === handler))
    .map((handler) => ({ name: handler, file: join(lambdaBundle(handler), 'index.js'), env: scannedEnvironment(handler), deployed: false }));
  const bundles = [...deployed, ...undeployed];
  const results: BundleResult[] = [];
  for (const bundle of bundles) {
    const init = await coldInitMs(bundle.file, bundle.env, runs);
    results.push({ name: bundle.name, deployed: bundle.deployed, bytes: fileBytes(bundle.file), initMedianMs: init.medianMs, initRunsMs: init.runsMs, initCpuMedianMs: init.cpuMedianMs });
  }
  const rows = results.map((result) => ({
    section: 'lambda init',
    metric: `${result.name}${result.deployed ? '' : ' (in no stack yet)'}: ${kb(result.bytes)} minified, cold init median of ${runs}`,
    target: `< ${INIT_TARGET_MS} ms`,
    measured: `${ms(result.initMedianMs)} (CPU ${ms(result.initCpuMedianMs)})`,
    pass: result.initMedianMs < INIT_TARGET_MS,
  }));
  return { rows, results, bundles };
}

interface Variant {
  readonly name: string;
  readonly build: Partial<BuildOptions>;
  /** Run with NODE_OPTIONS=--enable-source-maps (what a source-mapped bundle needs to use its map). */
  readonly sourceMapsFlag: boolean;
  /** Built with esbuild alone, without lambdaBundle()'s source rewrites (lib/constructs/lambda-bundle-build.ts). */
  readonly withoutRewrite?: boolean;
}

// Gives ESM bundles a `require` for the CommonJS dependencies esbuild inlines (Powertools, zod are fine; some are not).
const ESM_REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

// The experiment changes one of lambdaBundle()'s options at a time (the first variant is checked to be
// byte-identical to lambdaBundle()'s output).
const DEPLOYED_OPTIONS: BuildOptions = LAMBDA_BUILD_OPTIONS;

const VARIANTS: readonly Variant[] = [
  { name: 'deployed: CJS, whitespace + syntax minified (names readable), SDK bundled from its ESM entry points, credentials from the environment, no source map', build: {}, sourceMapsFlag: false },
  { name: 'identifiers minified, names kept (keepNames)', build: { minifyIdentifiers: true, keepNames: true }, sourceMapsFlag: false },
  { name: 'identifiers minified, names not kept', build: { minifyIdentifiers: true }, sourceMapsFlag: false },
  { name: "the SDK's whole default credential chain", build: { alias: {} }, sourceMapsFlag: false },
  { name: "without lambdaBundle()'s SDK rewrites (the event-stream import's __esm wrappers, every schema of each client)", build: {}, sourceMapsFlag: false, withoutRewrite: true },
  { name: 'SDK external (loaded from node_modules, as from the runtime)', build: { external: ['@aws-sdk/*'] }, sourceMapsFlag: false },
  { name: 'SDK bundled from its CommonJS entry points', build: { mainFields: ['main'] }, sourceMapsFlag: false },
  { name: 'linked source map, --enable-source-maps', build: { sourcemap: 'linked', sourcesContent: false, sourceRoot: '' }, sourceMapsFlag: true },
  { name: 'not minified', build: { minifyWhitespace: false, minifySyntax: false }, sourceMapsFlag: false },
  { name: 'ESM output', build: { format: 'esm', banner: { js: ESM_REQUIRE_BANNER } }, sourceMapsFlag: false },
];

export interface VariantResult {
  readonly variant: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
  readonly initMedianMs: number;
  readonly initCpuMedianMs: number;
}

/**
 * zod's package exports `z` as a namespace object, which esbuild cannot tree-shake: `import { z } from 'zod'` bundles
 * all of zod (every locale, JSON Schema conversion both ways), `import * as z from 'zod'` only what the code uses.
 * One AWS SDK client is the floor of every handler that calls AWS (bundled: its share of @smithy/core, @aws-sdk/core,
 * credentials from the environment).
 */
const COMPARISONS: ReadonlyArray<{ readonly name: string; readonly source: string }> = [
  { name: "a zod object schema, `import { z } from 'zod'`", source: "import { z } from 'zod'; export const schema = z.object({ id: z.string().min(1) });" },
  { name: "a zod object schema, `import * as z from 'zod'` (what lambda/ does)", source: "import * as z from 'zod'; export const schema = z.object({ id: z.string().min(1) });" },
  { name: 'one AWS SDK client (SQS), created', source: "import { SQSClient } from '@aws-sdk/client-sqs'; export const sqs = new SQSClient({});" },
];

/** Builds the representative handler each way (into .build/bench/, next to node_modules) and measures each. */
export async function benchBundleOptions(bundles: readonly Bundle[], runs: number): Promise<{ rows: Row[]; results: VariantResult[] }> {
  const env = bundles.find((bundle) => bundle.name === REPRESENTATIVE_HANDLER)?.env ?? scannedEnvironment(REPRESENTATIVE_HANDLER);
  const withoutFlag = Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'NODE_OPTIONS'));
  const results: VariantResult[] = [];
  for (const [index, variant] of VARIANTS.entries()) {
    // Same folder depth as .build/lambda/<handler>, so the deployed variant's source map paths match too.
    const outdir = join(REPO_ROOT, '.build', 'bench', `variant-${index}`);
    rmSync(outdir, { recursive: true, force: true }); // no stale source map from an earlier run's options
    mkdirSync(outdir, { recursive: true });
    // Built as lambdaBundle() builds (one entry, an outfile): unminified names (the entry's exports object) follow it.
    const file = join(outdir, variant.build.format === 'esm' ? 'index.mjs' : 'index.js');
    (variant.withoutRewrite ? buildSync : buildLambdaSync)({ ...DEPLOYED_OPTIONS, ...variant.build, entryPoints: [join(LAMBDA_SOURCE_DIR, REPRESENTATIVE_HANDLER, 'index.ts')], outfile: file });
    if (index === 0 && !readFileSync(file).equals(readFileSync(join(lambdaBundle(REPRESENTATIVE_HANDLER), 'index.js')))) {
      throw new Error('bench/lambda-bundles.ts DEPLOYED_OPTIONS no longer match lib/constructs/lambda-bundles.ts: update them');
    }
    const init = await coldInitMs(file, variant.sourceMapsFlag ? { ...withoutFlag, NODE_OPTIONS: '--enable-source-maps' } : withoutFlag, runs);
    const map = `${file}.map`;
    results.push({ variant: variant.name, bytes: fileBytes(file), sourceMapBytes: existsSync(map) ? fileBytes(map) : 0, initMedianMs: init.medianMs, initCpuMedianMs: init.cpuMedianMs });
  }
  // Where the time comes from: small entry points measured the same way.
  for (const comparison of COMPARISONS) {
    const dir = join(REPO_ROOT, '.build', 'bench', `comparison-${COMPARISONS.indexOf(comparison)}`);
    buildLambdaSync({ ...DEPLOYED_OPTIONS, stdin: { contents: `${comparison.source}\nexport const handler = () => undefined;`, resolveDir: REPO_ROOT, loader: 'ts' }, outfile: join(dir, 'index.js') });
    const init = await coldInitMs(join(dir, 'index.js'), withoutFlag, runs);
    results.push({ variant: `for comparison: ${comparison.name}`, bytes: fileBytes(join(dir, 'index.js')), sourceMapBytes: 0, initMedianMs: init.medianMs, initCpuMedianMs: init.cpuMedianMs });
  }
  const rows = results.map((result) => ({
    section: `bundle options (${REPRESENTATIVE_HANDLER})`,
    metric: `${result.variant}: ${kb(result.bytes)}${result.sourceMapBytes ? ` + ${kb(result.sourceMapBytes)} map` : ''}`,
    measured: `${ms(result.initMedianMs)} (CPU ${ms(result.initCpuMedianMs)})`,
  }));
  return { rows, results };
}
