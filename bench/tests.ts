/** The test suite's wall time as CI feels it: `npx jest` in a fresh process, once. */
import { type Row, runChild, seconds } from './measure';

export const TEST_TARGET_MS = 30_000;

export async function benchTests(): Promise<{ rows: Row[]; result: { wallMs: number; passed: boolean; summary: string } }> {
  const run = await runChild('npx', ['jest', '--ci'], { env: { ...process.env, CI: 'true' }, timeoutMs: 240_000 });
  const summary = [/^Tests:.*$/m, /^Test Suites:.*$/m].map((pattern) => pattern.exec(run.stderr)?.[0] ?? '').filter(Boolean).join('; ');
  const passed = run.code === 0;
  const rows: Row[] = [
    { section: 'tests', metric: `npx jest wall time (${passed ? 'suite passed' : run.timedOut ? 'TIMED OUT' : 'SUITE FAILED'}; ${summary})`, target: `< ${seconds(TEST_TARGET_MS)}`, measured: seconds(run.wallMs), pass: run.wallMs < TEST_TARGET_MS },
    { section: 'tests', metric: 'npx jest result', target: 'pass', measured: passed ? 'pass' : 'fail', pass: passed },
  ];
  return { rows, result: { wallMs: run.wallMs, passed, summary } };
}
