/**
 * The test suite's wall time as CI feels it: `npx jest` in a fresh process, once; and the CPU time of jest, its
 * workers, the synth child and the local servers (what a busy machine distorts far less).
 */
import { type Row, runChild, seconds } from './measure';

export const TEST_TARGET_MS = 30_000;

export async function benchTests(): Promise<{ rows: Row[]; result: Record<string, unknown> }> {
  const run = await runChild('npx', ['jest', '--ci'], { env: { ...process.env, CI: 'true' }, timeoutMs: 240_000, cpu: true });
  const summary = [/^Tests:.*$/m, /^Test Suites:.*$/m].map((pattern) => pattern.exec(run.stderr)?.[0] ?? '').filter(Boolean).join('; ');
  const passed = run.code === 0;
  // What failed, for results.json: jest's failure headlines, or the end of its output (a global setup error).
  const failures = passed ? [] : [...run.stderr.matchAll(/^\s*● .*$/gm)].map((match) => match[0].trim()).slice(0, 20);
  const failureOutput = passed || failures.length ? undefined : run.stderr.slice(-1500);
  const rows: Row[] = [
    { section: 'tests', metric: `npx jest wall time (${passed ? 'suite passed' : run.timedOut ? 'TIMED OUT' : 'SUITE FAILED'}; ${summary})`, target: `< ${seconds(TEST_TARGET_MS)}`, measured: `${seconds(run.wallMs)} (CPU ${seconds(run.cpuMs ?? Number.NaN)})`, pass: run.wallMs < TEST_TARGET_MS },
    { section: 'tests', metric: 'npx jest result', target: 'pass', measured: passed ? 'pass' : 'fail', pass: passed },
  ];
  return { rows, result: { wallMs: run.wallMs, cpuMs: run.cpuMs, passed, summary, failures, failureOutput } };
}
