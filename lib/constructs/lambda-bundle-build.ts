/**
 * One esbuild run of a Lambda bundle, synchronous (lambdaBundle() is called while constructs are built), with two
 * source rewrites of the AWS SDK that esbuild's synchronous API cannot do (it takes no plugins): the build runs in a
 * child Node process with esbuild's async API, and its metafile comes back on stdout. Each rewrite fails the build,
 * naming the file, when the SDK's code no longer has the shape it expects, so it is never silently lost.
 *
 * 1. @smithy/core's HttpProtocol loads its event-stream support with a dynamic `import("@smithy/core/event-streams")`.
 *    esbuild turns every module a dynamic import reaches, and everything those import, into a lazy `__esm`
 *    initialiser, which V8 parses twice (once to skip it, once when it runs): ~160 SDK modules of every bundle that
 *    calls AWS. Imported statically (the same module, loaded with the rest): webhook receiver cold init 71.3 → 66.9 ms
 *    CPU (median of 31 fresh processes, 838 → 803 KB).
 * 2. Each client's schemas (`@aws-sdk/client-<name>/dist-es/schemas/schemas_<n>.js`) describe every operation of the
 *    service as arrays whose objects use computed keys (`{ [_hH]: "x-amz-acl" }`, `_hH` a string constant of the same
 *    file). esbuild cannot prove such a key free of side effects, so it keeps every schema, used or not (all of S3's
 *    ~100 operations for one PutObject). With the constants written in place (`{ ["httpHeader"]: ... }`, the same
 *    object) it drops the unused ones: webhook receiver 803 → 708 KB, cold init 67.5 → 60.2 ms CPU (median of 21).
 */
import { type BuildOptions, type Metafile } from 'esbuild';
import { execFileSync } from 'node:child_process';

/** The rewrites (data for the child's plugin; part of every bundle's cache key). */
export const SOURCE_REWRITES = {
  /** Dynamic imports made static: in files matching `file`, `from` becomes the namespace `name` of `specifier`. */
  staticImports: [
    {
      file: '/@smithy/core/dist-es/submodules/protocols/HttpProtocol\\.js$',
      from: 'await import("@smithy/core/event-streams")',
      specifier: '@smithy/core/event-streams',
      name: '__smithyEventStreams',
    },
  ],
  /** Files whose computed keys naming a string constant of the file get the string itself. */
  constantKeys: '/@aws-sdk/client-[a-z0-9-]+/dist-es/schemas/schemas_\\d+\\.js$',
} as const;

// Runs in the child: reads { esbuild, options, rewrites } on stdin, builds, writes the metafile on stdout.
const BUILD_SCRIPT = `
const { readFileSync } = require('node:fs');
let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', async () => {
  const { esbuild, options, rewrites } = JSON.parse(input);
  const plugin = {
    name: 'sdk-rewrites',
    setup(build) {
      for (const rewrite of rewrites.staticImports) {
        build.onLoad({ filter: new RegExp(rewrite.file) }, (args) => {
          const source = readFileSync(args.path, 'utf8');
          if (!source.includes(rewrite.from)) throw new Error(args.path + ' no longer contains ' + rewrite.from + ': update SOURCE_REWRITES in lib/constructs/lambda-bundle-build.ts');
          return { contents: 'import * as ' + rewrite.name + ' from ' + JSON.stringify(rewrite.specifier) + ';\\n' + source.replace(rewrite.from, rewrite.name), loader: 'js' };
        });
      }
      build.onLoad({ filter: new RegExp(rewrites.constantKeys) }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const constants = new Map();
        for (const [, name, value] of source.matchAll(/^const (_[A-Za-z0-9_]+) = ("[^"\\\\\\n]*");$/gm)) constants.set(name, value);
        const contents = source.replace(/\\[(_[A-Za-z0-9_]+)\\]:/g, (key, name) => (constants.has(name) ? '[' + constants.get(name) + ']:' : key));
        if (/\\[_[A-Za-z0-9_]+\\]:/.test(contents)) throw new Error(args.path + ' has computed keys that are not string constants of the file: update SOURCE_REWRITES in lib/constructs/lambda-bundle-build.ts');
        return { contents, loader: 'js' };
      });
    },
  };
  const result = await require(esbuild).build({ ...options, metafile: true, plugins: [plugin] });
  process.stdout.write(JSON.stringify(result.metafile));
});`;

/** Builds with `options` (JSON-serialisable: no plugins) plus SOURCE_REWRITES; returns esbuild's metafile. */
export function buildLambdaSync(options: BuildOptions): Metafile {
  const esbuild = require.resolve('esbuild');
  try {
    const output = execFileSync(process.execPath, ['-e', BUILD_SCRIPT], {
      // Relative paths (the metafile's inputs among them) stay relative to this process's working directory.
      input: JSON.stringify({ esbuild, options: { absWorkingDir: process.cwd(), ...options }, rewrites: SOURCE_REWRITES }),
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
