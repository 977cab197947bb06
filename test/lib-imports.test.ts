/**
 * Nothing under lib/ loads a handler's runtime at synth: building the app (every stack, the route table, OpenAPI)
 * loads no AWS SDK and no Powertools module, and of lambda/ only the handlers' contracts and the pure shared modules
 * they are built from. Checked in a fresh process (jest's own module registry would hide what Node loads).
 */
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');
/** The lambda/ files lib/ may load: each handler's contract.ts and the pure shared modules contracts use (zod, lazy). */
const ALLOWED_LAMBDA = /^lambda\/([a-z-]+\/contract|shared\/(env|outbound-limits|modyo-routes|modyo-events|lazy))\.ts$/;

function modulesLoadedBy(modules: string[]): string[] {
  const script = `${modules.map((m) => `require(${JSON.stringify(m)});`).join('')}process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  if (result.status !== 0) throw new Error(`node exited ${result.status}: ${result.stderr}`);
  return (JSON.parse(result.stdout) as string[]).map((path) => relative(ROOT, path));
}

describe('building the app', () => {
  const loaded = modulesLoadedBy(['./lib/app', './lib/api/openapi', './lib/config/load']);

  test('loads the app itself (the check sees what Node loaded)', () => {
    expect(loaded).toContain('lib/app.ts');
    expect(loaded.some((path) => path.startsWith('lib/stacks/'))).toBe(true);
  });

  test('loads no AWS SDK and no Powertools module', () => {
    expect(loaded.filter((path) => /node_modules\/@aws-(sdk|lambda-powertools)\//.test(path))).toEqual([]);
  });

  test('loads of lambda/ only the handlers\' contracts and the pure shared modules', () => {
    expect(loaded.filter((path) => path.startsWith('lambda/') && !ALLOWED_LAMBDA.test(path))).toEqual([]);
  });
});
