import { buildSync } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAMBDA_BUILD_OPTIONS } from '../../lib/constructs/lambda-bundles';
import { defaultProvider, MISSING_CREDENTIALS } from './env-credentials';

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' };

describe('credentials from the environment only', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of Object.keys(CREDENTIALS)) delete process.env[name];
    Object.assign(process.env, saved);
  });

  test("gives the function role's credentials Lambda puts in the environment", async () => {
    Object.assign(process.env, CREDENTIALS);
    await expect(defaultProvider()()).resolves.toMatchObject({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });
  });

  test('without them a client fails when it is built, naming the variables; and at a call if they went away', async () => {
    for (const name of Object.keys(CREDENTIALS)) delete process.env[name];
    expect(() => defaultProvider()).toThrow(MISSING_CREDENTIALS);
    Object.assign(process.env, CREDENTIALS);
    const provider = defaultProvider();
    delete process.env.AWS_SECRET_ACCESS_KEY;
    await expect(provider()).rejects.toThrow(MISSING_CREDENTIALS);
  });

  test('a bundle built with the Lambda options uses it: no default chain inside, and no credentials fail its cold start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'connect-env-credentials-'));
    try {
      const source = "import { SQSClient } from '@aws-sdk/client-sqs'; const sqs = new SQSClient({ region: 'us-east-1' }); export const handler = () => sqs.config.credentials();";
      buildSync({ ...LAMBDA_BUILD_OPTIONS, stdin: { contents: source, resolveDir: __dirname, loader: 'ts' }, outfile: join(dir, 'index.js') });
      expect(readFileSync(join(dir, 'index.js'), 'utf8')).not.toMatch(/fromSSO|fromTokenFile|fromInstanceMetadata/);
      const load = (env: Record<string, string>) =>
        spawnSync(process.execPath, ['-e', 'require(process.argv[1]).handler().then((c) => console.log(c.accessKeyId))', join(dir, 'index.js')], {
          env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
          encoding: 'utf8',
        });
      const missing = load({});
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain(MISSING_CREDENTIALS);
      expect(load(CREDENTIALS).stdout.trim()).toBe('AKIDEXAMPLE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
