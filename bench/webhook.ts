/** Runs bench/webhook-load.ts in its own process and turns its result into rows. */
import type { LoadLevelResult } from './webhook-load';
import { ms, type Row, runChild } from './measure';

export const THROUGHPUT_TARGET = 1000;

export async function benchWebhook(): Promise<{ rows: Row[]; results: LoadLevelResult[] }> {
  const run = await runChild('npx', ['tsx', 'bench/webhook-load.ts'], { timeoutMs: 120_000 });
  const line = /^BENCH_RESULT=(.*)$/m.exec(run.stdout)?.[1];
  if (run.code !== 0 || !line) throw new Error(`webhook load failed${run.timedOut ? ' (timed out)' : ''}:\n${run.stderr.slice(-2000)}`);
  const results: LoadLevelResult[] = JSON.parse(line);
  const rows = results.flatMap((level): Row[] => [
    {
      section: 'webhook receiver',
      metric: `concurrency ${level.concurrency}: accepted/s (${level.accepted}/${level.sent} accepted)`,
      ...(level.concurrency === 20 ? { target: `≥ ${THROUGHPUT_TARGET}/s`, pass: level.acceptedPerSecond >= THROUGHPUT_TARGET } : {}),
      measured: `${level.acceptedPerSecond.toFixed(0)}/s`,
    },
    { section: 'webhook receiver', metric: `concurrency ${level.concurrency}: latency p50 / p99`, measured: `${ms(level.p50Ms)} / ${ms(level.p99Ms)}` },
    {
      section: 'webhook receiver',
      metric: `concurrency ${level.concurrency}: every accepted event archived once and queued once`,
      target: 'yes',
      measured: `${level.exactlyOnce ? 'yes' : 'NO'} (${level.archived} archived, ${level.queued} queued)`,
      pass: level.exactlyOnce,
    },
  ]);
  return { rows, results };
}
