import { buildSync } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where handler sources live (`lambda/<name>/index.ts`) and where their bundles go. */
export const LAMBDA_SOURCE_DIR = resolve(__dirname, '..', '..', 'lambda');
export const LAMBDA_BUNDLE_DIR = resolve(__dirname, '..', '..', '.build', 'lambda');

/** The Node.js major the bundles target; keep in step with ConnectFunction's runtime. */
export const LAMBDA_NODE_TARGET = 'node22';

const bundled = new Map<string, string>();

/**
 * Bundles `lambda/<handler>/<entry>` (default `index.ts`) with esbuild once per process and returns the folder holding `index.js`.
 * Every environment's function of that handler uses this one bundle, so synthesizing three environments costs
 * one esbuild run per handler, not three (NodejsFunction keys its cache by assembly folder and would re-bundle
 * per Stage). The output is deterministic, so asset hashes are stable across synths and checkouts.
 *
 * `@aws-sdk/*` stays external: the Lambda Node.js runtime ships SDK v3, which keeps bundles small; the
 * bench measures the init time of both choices.
 */
export function lambdaBundle(handler: string, entry = 'index.ts'): string {
  // A second entry point of a handler folder (e.g. `worker.ts`) gets a sibling output folder of its own, so each
  // asset holds exactly one function's bundle.
  const key = entry === 'index.ts' ? handler : `${handler}.${entry.replace(/\.ts$/, '')}`;
  const cached = bundled.get(key);
  if (cached) return cached;
  const outdir = join(LAMBDA_BUNDLE_DIR, key);
  mkdirSync(outdir, { recursive: true });
  buildSync({
    entryPoints: [join(LAMBDA_SOURCE_DIR, handler, entry)],
    outfile: join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: LAMBDA_NODE_TARGET,
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    // Relative source paths in the map keep the bundle identical on every checkout.
    sourceRoot: '',
    external: ['@aws-sdk/*'],
    legalComments: 'none',
    logLevel: 'error',
  });
  bundled.set(key, outdir);
  return outdir;
}
