/**
 * Runs bench/webhook-load.ts in its own process and turns its result into rows. The target is the handler's CPU time
 * per accepted event: events/s over loopback measures the local emulators as much as the handler (they are far
 * slower than AWS), so throughput and latency are reported beside it without a target.
 */
import type { LoadLevelResult } from './webhook-load';
import { ms, type Row, runChild } from './measure';

export const HANDLER_CPU_TARGET_MS = 2;

export async function benchWebhook(): Promise<{ rows: Row[]; results: LoadLevelResult[] }> {
  const run = await runChild('npx', ['tsx', 'bench/webhook-load.ts'], { timeoutMs: 180_000 });
  const line = /^BENCH_RESULT=(.*)$/m.exec(run.stdout)?.[1];
  if (run.code !== 0 || !line) throw new Error(`webhook load failed${run.timedOut ? ' (timed out)' : ''}:\n${run.stderr.slice(-2000)}`);
  const results: LoadLevelResult[] = JSON.parse(line);
  const rows = results.flatMap((level): Row[] => {
    const name = level.mode === 'direct' ? `handler invoked directly, concurrency ${level.concurrency}` : `HTTP, concurrency ${level.concurrency}`;
    return [
      ...(level.handlerCpuMsPerEvent === undefined
        ? []
        : [
            {
              section: 'webhook receiver',
              metric: `${name}: handler process CPU per accepted event (emulators in another process)`,
              target: `≤ ${ms(HANDLER_CPU_TARGET_MS)}`,
              measured: ms(level.handlerCpuMsPerEvent),
              pass: level.handlerCpuMsPerEvent <= HANDLER_CPU_TARGET_MS,
            },
          ]),
      { section: 'webhook receiver', metric: `${name}: accepted/s (${level.accepted}/${level.sent} accepted)`, measured: `${level.acceptedPerSecond.toFixed(0)}/s` },
      { section: 'webhook receiver', metric: `${name}: latency p50 / p99`, measured: `${ms(level.p50Ms)} / ${ms(level.p99Ms)}` },
      {
        section: 'webhook receiver',
        metric: `${name}: every accepted event archived once and queued once`,
        target: 'yes',
        measured: `${level.exactlyOnce ? 'yes' : 'NO'} (${level.archived} archived, ${level.queued} queued)`,
        pass: level.exactlyOnce,
      },
    ];
  });
  return { rows, results };
}
