/**
 * `npm run preflight -- staging` end to end: the script in its own process, its SDK clients pointed at the local
 * control plane by AWS_ENDPOINT_URL, against a ready and an unready account. The environment is read from the
 * suite's synthesized assembly (`--assembly`) rather than synthesized again (20-40 s), to keep the suite fast.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadEnvironmentConfigs } from '../lib/config/load';
import type { EnvironmentConfig } from '../lib/config/schema';
import { type EnvironmentAssembly, readEnvironmentAssembly } from '../lib/preflight/assembly';
import { environmentJson, TEST_ASSEMBLY_ENV } from './support/assembly';
import { readyAccount, startFakeControlPlane, unreadyAccount } from './support/fake-aws-control-plane';

const ROOT = join(__dirname, '..');
const staging = loadEnvironmentConfigs(join(ROOT, 'config')).find((c) => c.name === 'staging') as EnvironmentConfig;

let plane: Awaited<ReturnType<typeof startFakeControlPlane>>;
let assemblyDir: string;
let assembly: EnvironmentAssembly;

beforeAll(async () => {
  environmentJson('staging'); // waits for the global setup's synth
  assemblyDir = process.env[TEST_ASSEMBLY_ENV] as string;
  assembly = readEnvironmentAssembly(assemblyDir, 'staging');
  plane = await startFakeControlPlane(readyAccount(staging, assembly, { deployed: true }));
});

afterAll(async () => {
  await plane?.stop();
});

/**
 * Runs the script as `npm run preflight` does, or (`direct`) the same script in one Node process with tsx's
 * CommonJS loader: `npm run` starts npm, a shell, tsx's CLI and then the script's Node, ~0.5 s of CPU more per run;
 * one test runs through npm, so package.json's script is covered once. (tsx/cjs rather than `--import tsx`: the
 * script is CommonJS, and the ESM hooks' worker cost a usage error 0.26 s of CPU against 0.08 s.)
 */
function preflight(args: string[], how: 'npm' | 'direct' = 'direct'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const [command, commandArgs] =
      how === 'npm' ? ['npm', ['run', '--silent', 'preflight', '--', ...args]] : [process.execPath, ['--require', 'tsx/cjs', join(ROOT, 'scripts', 'preflight.ts'), ...args]];
    const child = spawn(command, commandArgs, {
      cwd: ROOT,
      // Only the control plane: no service-specific endpoint another suite may have set.
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_ENDPOINT_URL'))), ...plane.env, AWS_REGION: 'us-east-1', NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('ready account: exit 0 and the table of every check', async () => {
  plane.state = readyAccount(staging, assembly, { deployed: true });
  const { code, stdout, stderr } = await preflight(['staging', '--assembly', assemblyDir], 'npm');
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout).toMatch(/^check\s+result\s+found \/ what to do$/m);
  for (const check of ['credentials', 'CDK bootstrap', 'Lambda concurrency', 'secrets', 'service images', 'e-mail subscriptions']) expect(stdout).toMatch(new RegExp(`^${check}\\s+PASS`, 'm'));
  expect(stdout).toMatch(/^chat \(AWS Chatbot\)\s+SKIP/m);
  expect(stdout).toContain('preflight staging: ready to deploy');
}, 60_000);

test('unready account: exit 1 and each failure named with what to do', async () => {
  plane.state = unreadyAccount(staging, assembly);
  const { code, stdout } = await preflight(['staging', '--assembly', assemblyDir, '--trusted-account', '444455556666']);
  expect(code).toBe(1);
  // The unready account's zone is another domain's: a failure wherever the config names a zone.
  const failed = ['CDK bootstrap', 'Lambda concurrency', ...(staging.api.customDomain?.hostedZoneId ? ['hosted zone'] : []), 'secrets', 'service images', 'e-mail subscriptions'];
  expect(stdout).toContain(`preflight staging: ${failed.length} check(s) failed: ${failed.join(', ')}`);
  for (const check of failed) expect(stdout).toMatch(new RegExp(`^${check}\\s+FAIL`, 'm'));
  expect(stdout).toContain('FAIL bootstrap version 5, the templates require 6');
  expect(stdout).toContain('FAIL does not trust delivery account 444455556666');
  expect(stdout).toContain('FAIL connect/staging/modyo-admin-token: still holds the placeholder the deploy generated');
  expect(stdout).toContain('FAIL accounts: no image tagged 1.4.2 in connect/staging/accounts');
  expect(stdout).toContain('FAIL critical: platform-team@example.com has not confirmed its subscription');
  expect(stdout).toMatch(/→ request a Lambda "Concurrent executions" quota of at least \d+/);
}, 60_000);

test('bad usage exits 2 with the usage line', async () => {
  const { code, stderr } = await preflight(['staging', '--trusted-account', 'nope']);
  expect(code).toBe(2);
  expect(stderr).toContain('usage: npm run preflight -- <env>');
}, 60_000);
