import { type BuildOptions, version as esbuildVersion } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileContentHash, markUsed, pruneUnusedOnce } from '../build-cache';
import { buildLambdaSync, SOURCE_REWRITES } from './lambda-bundle-build';

/** Where handler sources live (`lambda/<name>/index.ts`). */
export const LAMBDA_SOURCE_DIR = resolve(__dirname, '..', '..', 'lambda');

/**
 * Bundles kept across processes (synth, the test suite's synth, test workers building their own apps, the bench):
 * `<handler>.<output hash>/index.js`, never rewritten once in place, and per handler a manifest naming the latest
 * one with the content hash of every file esbuild read for it. A bundle is reused only while every one of those
 * files is unchanged (and the installed packages, the esbuild version and the options are the same), so it is the
 * bundle a build would write: esbuild's output depends only on its inputs and options.
 */
const BUNDLE_CACHE_DIR = resolve(__dirname, '..', '..', '.build', 'lambda-bundles');

/** The Node.js major the bundles target; keep in step with ConnectFunction's runtime. */
export const LAMBDA_NODE_TARGET = 'node22';

/**
 * How every handler is bundled, chosen by measured cold init (`npx tsx bench/run.ts lambda`, webhook receiver, 2-core
 * x86 host, CPU median of fresh processes): the AWS SDK bundled from its ESM entry points (tree-shaken) 125 ms, against
 * 175 ms with the SDK external and loaded from node_modules as the runtime would, and ~170 ms with a linked source map
 * enabled by --enable-source-maps. Bundling the SDK also deploys exactly the SDK version the tests ran against.
 *
 * - Whitespace and syntax minified, identifiers not: stack traces name the functions without a source map, as
 *   `keepNames` did, without wrapping every function in `__name()` at load (webhook receiver, median of 61: 72.7 ms
 *   CPU with minified identifiers + keepNames, 70.6 with identifiers kept, 69.8 minified without names).
 * - SDK clients take their credentials from the environment only (lambda/shared/env-credentials.ts, where the AWS
 *   page that guarantees them is cited): the SDK's full default chain and the nested STS/SSO clients it bundles cost
 *   ~10 ms of every handler's cold init (webhook receiver 692 → 577 KB, 85 → 75 ms CPU).
 * - Built by buildLambdaSync (lambda-bundle-build.ts), which rewrites two shapes of the SDK's code that cost every
 *   bundle cold init for nothing (webhook receiver: 71.3 → 60.2 ms CPU, 838 → 708 KB).
 */
export const LAMBDA_BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: LAMBDA_NODE_TARGET,
  mainFields: ['module', 'main'],
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: false,
  keepNames: false,
  alias: { '@aws-sdk/credential-provider-node': join(LAMBDA_SOURCE_DIR, 'shared', 'env-credentials.ts') },
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'error',
} satisfies BuildOptions;

const bundled = new Map<string, string>();

/**
 * Bundles `lambda/<handler>/index.ts` with esbuild, once per process and only when its sources changed since the
 * last build (see BUNDLE_CACHE_DIR), and returns the folder holding `index.js`. Every environment's function of that
 * handler uses this one bundle, so synthesizing three environments costs at most one esbuild run per handler
 * (NodejsFunction keys its cache by assembly folder and would re-bundle per Stage). The output is deterministic, so
 * asset hashes are stable across synths and checkouts.
 */
export function lambdaBundle(handler: string): string {
  const cached = bundled.get(handler);
  if (cached) return cached;
  const manifestFile = join(BUNDLE_CACHE_DIR, `${handler.replaceAll('/', '.')}.${buildKey(handler)}.json`);
  const outdir = reusableBundle(manifestFile) ?? buildBundle(handler, manifestFile);
  // Bundles and manifests of inputs no synth used for two weeks go (every changed source leaves a new bundle).
  markUsed(manifestFile, outdir);
  pruneUnusedOnce(BUNDLE_CACHE_DIR);
  bundled.set(handler, outdir);
  return outdir;
}

interface Manifest {
  /** The bundle folder's name under BUNDLE_CACHE_DIR. */
  readonly bundle: string;
  /** Every file esbuild read, absolute path -> sha256 of its content. */
  readonly inputs: Record<string, string>;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The installed packages (their resolution), read once per process: every handler's key includes it. */
let packagesHash: string | undefined;
function installedPackagesHash(): string {
  if (packagesHash === undefined) {
    const lockfile = [join('node_modules', '.package-lock.json'), 'package-lock.json'].map((file) => resolve(__dirname, '..', '..', file)).find(existsSync);
    packagesHash = lockfile ? fileContentHash(lockfile) : '';
  }
  return packagesHash;
}

/** What else decides the output: the options and source rewrites, esbuild's version, the installed packages. */
function buildKey(handler: string): string {
  return sha256(JSON.stringify([handler, LAMBDA_BUILD_OPTIONS, SOURCE_REWRITES, esbuildVersion, installedPackagesHash()])).slice(0, 16);
}

function reusableBundle(manifestFile: string): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    const outdir = join(BUNDLE_CACHE_DIR, manifest.bundle);
    if (!existsSync(join(outdir, 'index.js'))) return undefined;
    for (const [file, hash] of Object.entries(manifest.inputs)) if (fileContentHash(file) !== hash) return undefined;
    return outdir;
  } catch {
    return undefined; // no manifest yet, or an input is gone
  }
}

function buildBundle(handler: string, manifestFile: string): string {
  mkdirSync(BUNDLE_CACHE_DIR, { recursive: true });
  const started = Date.now();
  const building = mkdtempSync(join(BUNDLE_CACHE_DIR, '.building-'));
  let metafile: ReturnType<typeof buildLambdaSync>;
  try {
    metafile = buildLambdaSync({ ...LAMBDA_BUILD_OPTIONS, entryPoints: [join(LAMBDA_SOURCE_DIR, handler, 'index.ts')], outfile: join(building, 'index.js') });
  } catch (error) {
    rmSync(building, { recursive: true, force: true }); // a failed build leaves no folder behind
    throw error;
  }
  // One folder per bundle and output (`customer-sync/worker` -> `customer-sync.worker.<hash>`), so each asset holds
  // exactly one bundle and a folder in use is never rewritten.
  const bundle = `${handler.replaceAll('/', '.')}.${sha256(readFileSync(join(building, 'index.js'))).slice(0, 16)}`;
  const outdir = join(BUNDLE_CACHE_DIR, bundle);
  try {
    renameSync(building, outdir);
  } catch (error) {
    // Another process put the same bundle in place first.
    if (!existsSync(join(outdir, 'index.js'))) throw error;
    rmSync(building, { recursive: true, force: true });
  }
  checkClassNames(handler, readFileSync(join(outdir, 'index.js'), 'utf8'));
  const inputs = Object.keys(metafile.inputs).map((input) => resolve(input));
  // A source saved while esbuild ran may not be what it read: then no manifest, and the next process builds again.
  if (inputs.every((file) => statSync(file).mtimeMs < started)) {
    // Hashes this process already took are reused: one older than the build can only make the next process rebuild.
    const manifest: Manifest = { bundle, inputs: Object.fromEntries(inputs.map((file) => [file, fileContentHash(file)])) };
    const temporary = `${manifestFile}.${process.pid}`;
    writeFileSync(temporary, JSON.stringify(manifest));
    renameSync(temporary, manifestFile);
  }
  return outdir;
}

/**
 * Without keepNames, a class esbuild renames to avoid a clash (e.g. lib-dynamodb's `QueryCommand2`) reports the new
 * name at run time. Harmless for most, but two libraries compare class names: the SDK recognises its errors by
 * `name` when `instanceof` fails across copies, and Powertools' BatchProcessor checks `constructor.name`. A bundle
 * that renames one of those is refused instead of deployed.
 */
export function checkClassNames(handler: string, code: string): void {
  const renamed = [...code.matchAll(/\b(?:class|var|let|const)\s+((?:BatchProcessor|NoOpLogger|[A-Za-z]+Exception)\d+)\b/g)].map((match) => match[1]);
  if (renamed.length) throw new Error(`lambda/${handler}: the bundle renames ${[...new Set(renamed)].join(', ')}, whose name is compared at run time; rename the clashing import or set keepNames in LAMBDA_BUILD_OPTIONS`);
}
