/**
 * `npm run bench`: synth, tests, Lambda bundles and the webhook receiver under load, measured on this machine.
 * Prints a table (target, measured, pass/fail) and writes bench/results.json. A few minutes on 2 cores.
 *
 *   npm run bench                       every section
 *   npm run bench -- lambda webhook     only the named sections (synth, tests, lambda, webhook)
 *   BENCH_SYNTH_RUNS=3 BENCH_INIT_RUNS=7 set the runs per median; BENCH_SYNTH_BUDGET_S=240 bounds the synth rounds
 */
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { benchBundleOptions, benchBundles } from './lambda-bundles';
import { REPO_ROOT, type Row, seconds } from './measure';
import { benchSynth, newOutdir, synthesize } from './synth';
import { benchTests } from './tests';
import { benchWebhook } from './webhook';

const SECTIONS = ['synth', 'tests', 'lambda', 'webhook'] as const;
type Section = (typeof SECTIONS)[number];

function selectedSections(): Section[] {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`Unknown section(s) ${unknown.join(', ')}: expected any of ${SECTIONS.join(', ')}`);
  return asked.length ? (asked as Section[]) : [...SECTIONS];
}

function printTable(rows: readonly Row[]): void {
  const cells = rows.map((row) => [row.section, row.metric, row.target ?? '', row.measured, row.pass === undefined ? '' : row.pass ? 'PASS' : 'FAIL']);
  const header = ['section', 'metric', 'target', 'measured', 'result'];
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((cell) => cell[column].length)));
  const line = (cell: string[]) => cell.map((value, column) => value.padEnd(widths[column])).join(' │ ');
  console.log(`\n${line(header)}\n${widths.map((width) => '─'.repeat(width)).join('─┼─')}`);
  for (const cell of cells) console.log(line(cell));
}

async function main(): Promise<void> {
  const sections = selectedSections();
  const synthRuns = Number(process.env.BENCH_SYNTH_RUNS ?? 3);
  // Synth rounds stop early (at least one) when the next would end past this budget: a busy machine stays bounded.
  const synthBudgetMs = Number(process.env.BENCH_SYNTH_BUDGET_S ?? 240) * 1000;
  const initRuns = Number(process.env.BENCH_INIT_RUNS ?? 7);
  const started = performance.now();
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadAverageAtStart: loadavg().map((load) => Number(load.toFixed(2))) };
  console.log(`bench: ${sections.join(', ')} on ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')}`);

  const rows: Row[] = [];
  const results: Record<string, unknown> = {};
  let assemblyDir: string | undefined;
  // One section's failure is reported as a failed row; the others still run.
  async function section(name: string, run: () => Promise<{ rows: Row[] } & Record<string, unknown>>): Promise<void> {
    const sectionStarted = performance.now();
    console.log(`… ${name}`);
    try {
      const { rows: sectionRows, ...detail } = await run();
      rows.push(...sectionRows);
      results[name] = detail;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`${name} failed: ${message}`);
      rows.push({ section: name, metric: 'section ran', target: 'yes', measured: `error: ${message.split('\n')[0]}`, pass: false });
      results[name] = { error: message };
    }
    console.log(`  ${name} took ${seconds(performance.now() - sectionStarted)}`);
  }

  try {
    if (sections.includes('synth')) {
      await section('synth', async () => {
        const synth = await benchSynth(synthRuns, synthBudgetMs);
        assemblyDir = synth.assemblyDir;
        return { rows: synth.rows, results: synth.results };
      });
    }
    if (sections.includes('tests')) await section('tests', benchTests);
    if (sections.includes('lambda')) {
      await section('lambda', async () => {
        const notes: Row[] = [];
        if (!assemblyDir) {
          try {
            assemblyDir = newOutdir();
            await synthesize([], assemblyDir);
          } catch (error) {
            // Without an assembly every handler is still measured, bundled by lambdaBundle() as synth would.
            rmSync(assemblyDir as string, { recursive: true, force: true });
            assemblyDir = undefined;
            notes.push({ section: 'lambda init', metric: 'deployed functions read from a synthesized assembly', target: 'yes', measured: `no: ${String(error).split('\n')[0].slice(0, 80)}`, pass: false });
          }
        }
        const bundles = await benchBundles(assemblyDir, initRuns);
        const options = await benchBundleOptions(bundles.bundles, initRuns);
        return { rows: [...notes, ...bundles.rows, ...options.rows], bundles: bundles.results, bundleOptions: options.results };
      });
    }
    if (sections.includes('webhook')) await section('webhook', benchWebhook);
  } finally {
    if (assemblyDir) rmSync(assemblyDir, { recursive: true, force: true });
  }

  printTable(rows);
  const failed = rows.filter((row) => row.pass === false).length;
  const totalMs = performance.now() - started;
  console.log(`\n${failed ? `${failed} target(s) missed` : 'every target met'} · ${seconds(totalMs)} · load average now ${loadavg().map((load) => load.toFixed(2)).join(' ')}`);
  const output = join(REPO_ROOT, 'bench', 'results.json');
  writeFileSync(output, `${JSON.stringify({ date: new Date().toISOString(), machine, loadAverageAtEnd: loadavg(), totalMs, rows, results }, null, 2)}\n`);
  console.log(`wrote ${output}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
