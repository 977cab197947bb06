/**
 * The parallel cfn-guard of the compliance gate (lib/compliance-guard.ts) against the real cfn-guard binary: the same
 * findings as the plugin run alone, a failed run fails the guard, a runner that died is noticed, nothing left behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationContext, Stage } from 'aws-cdk-lib';
import { GuardSession, hasEnded, PARALLEL_RUNNER } from '../lib/compliance-guard';

const s3Rule = join(__dirname, '..', 'node_modules/@cdklabs/cdk-validator-cfnguard/rules/control-tower/cfn-guard/s3/ct-s3-pr-1.guard');

let work: string;
let previousTmp: string | undefined;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'guard-test-'));
  // The session's runner folder goes under TMPDIR: a folder of its own shows what is left behind.
  previousTmp = process.env.TMPDIR;
  process.env.TMPDIR = join(work, 'tmp');
  mkdirSync(process.env.TMPDIR);
});
afterEach(() => {
  if (previousTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmp;
  rmSync(work, { recursive: true, force: true });
});

/** A Stage's assembly folder with one template of an S3 bucket open to public access (fails ct-s3-pr-1). */
function stageWithBucket(name: string): { stage: Stage; context: IPolicyValidationContext } {
  const outdir = join(work, name);
  mkdirSync(outdir);
  const templatePath = join(outdir, 'Data.template.json');
  writeFileSync(templatePath, JSON.stringify({ Resources: { Archive: { Type: 'AWS::S3::Bucket', Properties: {} } } }));
  const context = { templatePaths: [templatePath], stackTemplates: [] } as unknown as IPolicyValidationContext;
  return { stage: { outdir } as Stage, context };
}

test('each Stage gets the findings the plugin alone gives, a second validation runs again, no folder is left', () => {
  const session = new GuardSession();
  const first = stageWithBucket('first');
  const second = stageWithBucket('second');
  const rulesFor = () => [s3Rule];
  session.register(first.stage, rulesFor);
  session.register(second.stage, rulesFor);

  for (const { context } of [first, second]) {
    const alone = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: [s3Rule] }).validate(context);
    expect(alone.success).toBe(false);
    expect(session.validate(context, rulesFor)).toEqual(alone);
  }
  expect(readdirSync(process.env.TMPDIR as string)).toEqual([]);
  // Every outcome was read and its folder removed: validating again runs cfn-guard here rather than wait.
  expect(session.validate(first.context, rulesFor).violations.length).toBeGreaterThan(0);
});

test('a cfn-guard run that fails fails the guard', () => {
  const session = new GuardSession();
  const { stage, context } = stageWithBucket('broken');
  // Not UTF-8: cfn-guard exits 255.
  const badRule = join(work, 'ct-bad-pr-1.guard');
  writeFileSync(badRule, Buffer.from([0xff, 0xfe, 0x00, 0x62]));
  session.register(stage, () => [badRule]);
  expect(() => session.validate(context, () => [badRule])).toThrow(/status 255/);
});

test('hasEnded tells a running child from one that exited and was not reaped', async () => {
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  const quick = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  try {
    // Block as synth does (the event loop cannot reap `quick`) until it has exited.
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const deadline = Date.now() + 10000;
    while (!hasEnded(quick.pid) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 20);
    expect(hasEnded(quick.pid)).toBe(true);
    expect(hasEnded(sleeper.pid)).toBe(false);
    expect(hasEnded(undefined)).toBe(true);
  } finally {
    sleeper.kill();
    await new Promise((resolve) => sleeper.once('exit', resolve));
  }
});

test.each([
  ['still running', [['sleep', '30']]],
  ['done, its outcomes never read', [['true']]],
])('a runner whose synth was killed (runs %s) stops its runs and removes its folder', async (_, commandLines) => {
  const dir = join(work, 'runs');
  mkdirSync(dir);
  writeFileSync(join(dir, 'commands.json'), JSON.stringify({ commandLines, parallel: 1 }));
  // The shell stands for the synth: it starts the runner and ends a second later without cleaning up.
  const synth = spawn('sh', ['-c', 'GUARD_PARENT_PID=$$ node -e "$0" "$1" "$2" & sleep 1; exit 0', PARALLEL_RUNNER, join(dir, 'commands.json'), dir], { stdio: 'ignore' });
  await new Promise((resolve) => synth.once('exit', resolve));
  const deadline = Date.now() + 10000;
  while (existsSync(dir) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(existsSync(dir)).toBe(false);
});
