import { type BuildOptions, buildSync } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where handler sources live (`lambda/<name>/index.ts`). */
export const LAMBDA_SOURCE_DIR = resolve(__dirname, '..', '..', 'lambda');

/**
 * Where this process writes its bundles: a folder of its own, so synths running at the same time (test workers,
 * the bench, `cdk watch`) never hash a bundle another process is rewriting. CDK copies each bundle into the
 * cloud assembly, keyed by its content hash.
 */
let bundleDir: string | undefined;
function bundleRoot(): string {
  if (!bundleDir) {
    const dir = mkdtempSync(join(tmpdir(), 'connect-lambda-'));
    // The assembly holds copies; the bundles themselves are only needed while this process synthesizes.
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    bundleDir = dir;
  }
  return bundleDir;
}

/** The Node.js major the bundles target; keep in step with ConnectFunction's runtime. */
export const LAMBDA_NODE_TARGET = 'node22';

/**
 * How every handler is bundled, chosen by measured cold init (`npm run bench`, webhook receiver, 2-core x86 host,
 * median of 7 fresh processes): the AWS SDK bundled from its ESM entry points (tree-shaken) 125 ms, against 175 ms
 * with the SDK external and loaded from node_modules as the runtime would, and ~170 ms with a linked source map
 * enabled by --enable-source-maps. Minified with names kept, so stack traces name the functions without a source
 * map. Bundling the SDK also deploys exactly the SDK version the tests ran against.
 */
export const LAMBDA_BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: LAMBDA_NODE_TARGET,
  mainFields: ['module', 'main'],
  minify: true,
  keepNames: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'error',
} satisfies BuildOptions;

const bundled = new Map<string, string>();

/**
 * Bundles `lambda/<handler>/index.ts` with esbuild once per process and returns the folder holding `index.js`.
 * Every environment's function of that handler uses this one bundle, so synthesizing three environments costs
 * one esbuild run per handler, not three (NodejsFunction keys its cache by assembly folder and would re-bundle
 * per Stage). The output is deterministic, so asset hashes are stable across synths and checkouts.
 */
export function lambdaBundle(handler: string): string {
  const cached = bundled.get(handler);
  if (cached) return cached;
  // One output folder per function (`customer-sync/worker` -> `customer-sync.worker`), so each asset holds exactly one bundle.
  const outdir = join(bundleRoot(), handler.replaceAll('/', '.'));
  mkdirSync(outdir, { recursive: true });
  buildSync({
    ...LAMBDA_BUILD_OPTIONS,
    entryPoints: [join(LAMBDA_SOURCE_DIR, handler, 'index.ts')],
    outfile: join(outdir, 'index.js'),
  });
  bundled.set(handler, outdir);
  return outdir;
}
