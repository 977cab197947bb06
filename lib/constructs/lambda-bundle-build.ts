/**
 * One esbuild run of a Lambda bundle, synchronous (lambdaBundle() is called while constructs are built), with the
 * one source rewrite esbuild's synchronous API cannot do (it takes no plugins): the build runs in a child Node
 * process with esbuild's async API, and its metafile comes back on stdout.
 *
 * The rewrite: @smithy/core's HttpProtocol loads its event-stream support with a dynamic
 * `import("@smithy/core/event-streams")`. esbuild turns every module a dynamic import reaches, and everything those
 * import, into a lazy `__esm` initialiser, which V8 parses twice (once to skip it, once when it runs): ~160 SDK
 * modules of every bundle that calls AWS. Importing it statically instead (the same module, loaded with the rest)
 * takes the webhook receiver's cold init from 71.3 to 66.9 ms CPU (median of 31 fresh processes, 838 → 803 KB).
 * If the SDK changes that line, the build fails naming it, so the rewrite is never silently lost.
 */
import { type BuildOptions, type Metafile } from 'esbuild';
import { execFileSync } from 'node:child_process';

/** Dynamic imports made static: in files matching `file`, `from` becomes the namespace `name` of `specifier`. */
export const STATIC_IMPORTS = [
  {
    file: '/@smithy/core/dist-es/submodules/protocols/HttpProtocol\\.js$',
    from: 'await import("@smithy/core/event-streams")',
    specifier: '@smithy/core/event-streams',
    name: '__smithyEventStreams',
  },
] as const;

// Runs in the child: reads { esbuild, options, rewrites } on stdin, builds, writes the metafile on stdout.
const BUILD_SCRIPT = `
const { readFileSync } = require('node:fs');
let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', async () => {
  const { esbuild, options, rewrites } = JSON.parse(input);
  const staticImports = {
    name: 'static-imports',
    setup(build) {
      for (const rewrite of rewrites) {
        build.onLoad({ filter: new RegExp(rewrite.file) }, (args) => {
          const source = readFileSync(args.path, 'utf8');
          if (!source.includes(rewrite.from)) throw new Error(args.path + ' no longer contains ' + rewrite.from + ': update STATIC_IMPORTS in lib/constructs/lambda-bundle-build.ts');
          return { contents: 'import * as ' + rewrite.name + ' from ' + JSON.stringify(rewrite.specifier) + ';\\n' + source.replace(rewrite.from, rewrite.name), loader: 'js' };
        });
      }
    },
  };
  const result = await require(esbuild).build({ ...options, metafile: true, plugins: [staticImports] });
  process.stdout.write(JSON.stringify(result.metafile));
});`;

/** Builds with `options` (JSON-serialisable: no plugins) plus STATIC_IMPORTS; returns esbuild's metafile. */
export function buildLambdaSync(options: BuildOptions): Metafile {
  const esbuild = require.resolve('esbuild');
  try {
    const output = execFileSync(process.execPath, ['-e', BUILD_SCRIPT], {
      // Relative paths (the metafile's inputs among them) stay relative to this process's working directory.
      input: JSON.stringify({ esbuild, options: { absWorkingDir: process.cwd(), ...options }, rewrites: STATIC_IMPORTS }),
      maxBuffer: 256 * 1024 * 1024,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return JSON.parse(output) as Metafile;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    throw new Error(`esbuild failed for ${String(options.outfile ?? options.outdir)}:\n${stderr || (error as Error).message}`);
  }
}
