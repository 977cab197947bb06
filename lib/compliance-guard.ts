/**
 * cfn-guard for the compliance gate (lib/compliance.ts), the same findings for less time: each template is checked
 * against only the Control Tower rule files of the resource types it holds, and the templates' cfn-guard processes
 * run at the same time, up to one per core.
 *
 * Measured on this app (prod, 11 templates, 2-core host): one cfn-guard over every template with the rules of every
 * type present in any of them, 10.2 s of CPU; the same rules split per template, 4.5 s. Each data file is a separate
 * document to cfn-guard and each Control Tower rule first selects `Resources.*[ Type == ... ]`, so a rule file can
 * only find something in a template that holds one of its types: the split drops no check.
 *
 * The plugin (@cdklabs/cdk-validator-cfnguard) runs cfn-guard synchronously, one process per validate(). To keep its
 * command line and its reading of cfn-guard's output (a reviver over several result shapes), each template still goes
 * through CfnGuardValidator.validate(): once with the plugin's exec() recording the command line, then, after every
 * command ran in parallel, once with exec() answering from the recorded output as the plugin's own exec() would. A
 * command line that was not run here goes to the plugin's exec() unchanged.
 *
 * CDK validates after the whole assembly is written, one plugin after another: the first Stage's guard, then CDK's
 * own template check over every template (in-process WASM, seconds of CPU), then the other Stages' guards, then the
 * cdk-nag packs. So the first guard of an app (GuardSession) starts cfn-guard for every Stage's templates at once, in
 * a runner process that writes each outcome to a file, and each Stage's guard waits only for its own: cfn-guard
 * runs on the other core while this process does CDK's check and the nag packs.
 *
 * A command line whose binary, rule files and template are byte-identical to an earlier run's is answered from the
 * validation cache (lib/compliance-cache.ts) instead of running cfn-guard again.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationContext, PolicyValidationPluginReport, Stage } from 'aws-cdk-lib';
import { fileContentHash } from './build-cache';
import { contentKey, readCached, validationCacheEnabled, writeCached } from './compliance-cache';

type Exec = (commandLine: string[], options?: { json?: boolean; maxBuffer?: number; verbose?: boolean }) => unknown;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const guardUtils: { exec: Exec } = require('@cdklabs/cdk-validator-cfnguard/lib/utils');

/** One template and the rule files to check it with. */
export interface GuardRun {
  readonly templatePath: string;
  readonly rules: readonly string[];
}

interface Outcome {
  readonly status: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the guard of every template (in parallel) and joins the reports.
 * `context` is the Stage's validation context; each run sees it with only its own template. `started` holds the
 * outcomes of command lines already running elsewhere (GuardSession): those are waited for, not run again.
 */
export function runGuard(context: IPolicyValidationContext, runs: readonly GuardRun[], started?: StartedRuns): PolicyValidationPluginReport {
  const checks = runs.map((run) => ({
    validator: new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: [...run.rules] }),
    context: { ...context, templatePaths: [run.templatePath] },
  }));
  const commandLines = checks.map((check) => commandLineOf(check.validator, check.context));
  const keys = commandLines.map((commandLine) => JSON.stringify(commandLine));
  const notStarted = commandLines.filter((_, index) => !started?.has(keys[index]));
  const ranHere = new Map<string, Outcome>();
  const toRun: string[][] = [];
  for (const commandLine of notStarted) {
    const cached = cachedOutcome(commandLine);
    if (cached) ranHere.set(JSON.stringify(commandLine), cached);
    else toRun.push(commandLine);
  }
  runInParallel(toRun).forEach((outcome, index) => {
    storeOutcome(toRun[index], outcome);
    ranHere.set(JSON.stringify(toRun[index]), outcome);
  });
  const outcomes = new Map(keys.map((key) => [key, ranHere.get(key) ?? (started as StartedRuns).outcome(key)]));
  const original = guardUtils.exec;
  const reports = withExec(
    (commandLine, options) => {
      const outcome = outcomes.get(JSON.stringify(commandLine));
      return outcome ? answer(outcome, options) : original(commandLine, options);
    },
    () => checks.map((check) => check.validator.validate(check.context)),
  );
  return mergeReports(reports);
}

/** The command line the plugin would run for this context (recorded, not run). */
function commandLineOf(validator: CfnGuardValidator, context: IPolicyValidationContext): string[] {
  let recorded: string[] = [];
  withExec(
    (commandLine) => {
      recorded = commandLine;
      return []; // no results: this pass only learns the command line
    },
    () => validator.validate(context),
  );
  return recorded;
}

/** Command lines running in a GuardSession's runner, by JSON key. */
interface StartedRuns {
  has(key: string): boolean;
  /** Waits for the run to end and returns its outcome. */
  outcome(key: string): Outcome;
}

/** One guard per Stage of an app, sharing a runner started by the first one to validate. */
export class GuardSession implements StartedRuns {
  private readonly stages: Array<{ readonly stage: Stage; readonly rulesFor: (templatePath: string) => readonly string[] }> = [];
  private started?: {
    readonly dir: string;
    readonly indexOf: ReadonlyMap<string, number>;
    readonly unread: Set<string>;
    /** Outcomes answered by the validation cache (lib/compliance-cache.ts), not run. */
    readonly cached: Map<string, Outcome>;
    readonly runnerPid?: number;
    done?: () => void;
  };

  /** `rulesFor` gives the rule files to check one of the Stage's templates with (none: not checked). */
  register(stage: Stage, rulesFor: (templatePath: string) => readonly string[]): void {
    this.stages.push({ stage, rulesFor });
  }

  /** The report of one Stage's guard, starting cfn-guard for every registered Stage first if nothing runs yet. */
  validate(context: IPolicyValidationContext, rulesFor: (templatePath: string) => readonly string[]): PolicyValidationPluginReport {
    this.start(context);
    const runs = context.templatePaths.map((templatePath) => ({ templatePath, rules: rulesFor(templatePath) })).filter((run) => run.rules.length > 0);
    return runGuard(context, runs, this);
  }

  /** Only an outcome not read yet: a read one's file may be gone (the folder goes once all are read), so a second
   * validation of the same template runs it again rather than wait for a file that will not come. */
  has(key: string): boolean {
    return (this.started?.unread.has(key) || this.started?.cached.has(key)) ?? false;
  }

  outcome(key: string): Outcome {
    const started = this.started as NonNullable<GuardSession['started']>;
    const cached = started.cached.get(key);
    if (cached) {
      started.cached.delete(key);
      return cached;
    }
    const { dir, indexOf, unread, runnerPid } = started;
    const file = join(dir, `${indexOf.get(key)}.json`);
    const pause = new Int32Array(new SharedArrayBuffer(4));
    let lastLook = Date.now();
    // Synth is synchronous: block between looks at the runner's output (it runs whatever this process does).
    while (!existsSync(file)) {
      // A runner that died (killed, out of memory, an error of its own) writes no more outcomes: fail the guard
      // (CDK reports a plugin that throws as failed) rather than wait for ever. The file is looked for once more
      // after the runner is seen ended, as it writes its last outcome just before it exits.
      if (Date.now() - lastLook >= 250) {
        lastLook = Date.now();
        if (hasEnded(runnerPid) && !existsSync(file)) {
          const log = existsSync(join(dir, 'runner.log')) ? readFileSync(join(dir, 'runner.log'), 'utf8') : '';
          throw new Error(`The cfn-guard runner ended without the outcome of ${key}${log ? `: ${log}` : ''}`);
        }
      }
      Atomics.wait(pause, 0, 0, 10);
    }
    const outcome = JSON.parse(readFileSync(file, 'utf8')) as Outcome;
    storeOutcome(JSON.parse(key) as string[], outcome);
    unread.delete(key);
    if (unread.size === 0) {
      // Every outcome read: the runner is done.
      rmSync(dir, { recursive: true, force: true });
      started.done?.();
    }
    return outcome;
  }

  private start(context: IPolicyValidationContext): void {
    if (this.started) return;
    const commandLines: string[][] = [];
    const cached = new Map<string, Outcome>();
    for (const { stage, rulesFor } of this.stages) {
      // The Stage's stack templates, as CDK lists them for its plugins (every template of its assembly folder).
      const templates = existsSync(stage.outdir) ? readdirSync(stage.outdir).filter((file) => file.endsWith('.template.json')) : [];
      for (const templatePath of templates.map((file) => resolve(stage.outdir, file))) {
        const rules = rulesFor(templatePath);
        if (rules.length === 0) continue;
        const validator = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: [...rules] });
        const commandLine = commandLineOf(validator, { ...context, templatePaths: [templatePath] });
        const outcome = cachedOutcome(commandLine);
        if (outcome) cached.set(JSON.stringify(commandLine), outcome);
        else commandLines.push(commandLine);
      }
    }
    const keys = commandLines.map((commandLine) => JSON.stringify(commandLine));
    const dir = mkdtempSync(join(tmpdir(), 'connect-guard-'));
    if (keys.length === 0) {
      this.started = { dir, indexOf: new Map(), unread: new Set(), cached };
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    writeFileSync(join(dir, 'commands.json'), JSON.stringify({ commandLines, parallel: Math.max(1, availableParallelism()) }));
    // The runner's own errors go to a file, for the error of a guard it could not answer.
    const log = openSync(join(dir, 'runner.log'), 'w');
    const runner = spawn(process.execPath, ['-e', PARALLEL_RUNNER, join(dir, 'commands.json'), dir], {
      stdio: ['ignore', 'ignore', log],
      env: { ...process.env, NODE_OPTIONS: '', GUARD_PARENT_PID: String(process.pid) },
    });
    closeSync(log);
    runner.unref();
    this.started = { dir, indexOf: new Map(keys.map((key, index) => [key, index])), unread: new Set(keys), cached, runnerPid: runner.pid };
    // A synth that ends before reading every outcome (it failed) stops the runner and removes its folder.
    const cleanUp = () => {
      if (runner.exitCode === null) runner.kill();
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', cleanUp);
    this.started.done = () => process.removeListener('exit', cleanUp);
  }
}

/**
 * Whether a child process has exited. While synth blocks, Node does not reap its children: an exited runner stays a
 * zombie, which still answers kill(pid, 0), so this reads the process state (Linux: /proc; elsewhere: ps).
 */
export function hasEnded(pid: number | undefined): boolean {
  if (pid === undefined) return true; // never started
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
    } catch {
      return true; // no such process
    }
  }
  const ps = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
  const state = ps.stdout?.trim() ?? '';
  return state === '' || state.startsWith('Z');
}

/**
 * The validation cache's key of a cfn-guard command line: the binary's and every file argument's content (the
 * template, the rule files), the other arguments as they are. The template's path is in the output (each result's
 * "name"), so it is kept there as a placeholder and put back on reading: the same template in another assembly
 * folder (each bench run, the test suite's) is the same check.
 */
function cacheKeyOf(commandLine: readonly string[]): { key: string; templatePath: string } | undefined {
  const data = commandLine.indexOf('--data');
  if (!validationCacheEnabled() || data < 0 || commandLine.lastIndexOf('--data') !== data) return undefined;
  const templatePath = commandLine[data + 1];
  try {
    // The binary by the plugin's version and its size (hashing its 10 MB cost ~45 ms per synth), every other file by content.
    const parts = commandLine.map((arg, index) => (index === 0 ? `${GUARD_PLUGIN_VERSION}:${statSync(arg).size}` : index === data + 1 || commandLine[index - 1] === '--rules' ? fileContentHash(arg) : arg));
    return { key: contentKey(['cfn-guard', ...parts]), templatePath };
  } catch {
    return undefined; // a rules folder, a file that is gone: run it
  }
}

const GUARD_PLUGIN_VERSION = (require('@cdklabs/cdk-validator-cfnguard/package.json') as { version: string }).version;
const TEMPLATE_PATH_PLACEHOLDER = '<connect-validation-cache:template-path>';
const jsonText = (text: string) => JSON.stringify(text).slice(1, -1);

function cachedOutcome(commandLine: readonly string[]): Outcome | undefined {
  const entry = cacheKeyOf(commandLine);
  const outcome = entry && readCached<Outcome>('cfn-guard', entry.key);
  if (!entry || !outcome) return undefined;
  return { ...outcome, stdout: outcome.stdout.replaceAll(TEMPLATE_PATH_PLACEHOLDER, jsonText(entry.templatePath)) };
}

/** Keeps an outcome of cfn-guard that completed (0, or 5 / 19: violations found). */
function storeOutcome(commandLine: readonly string[], outcome: Outcome): void {
  if (outcome.status !== 0 && outcome.status !== 5 && outcome.status !== 19) return;
  const entry = cacheKeyOf(commandLine);
  if (!entry || outcome.stdout.includes(TEMPLATE_PATH_PLACEHOLDER)) return;
  writeCached('cfn-guard', entry.key, { ...outcome, stdout: outcome.stdout.replaceAll(jsonText(entry.templatePath), TEMPLATE_PATH_PLACEHOLDER) });
}

function withExec<T>(exec: Exec, run: () => T): T {
  const original = guardUtils.exec;
  guardUtils.exec = exec;
  try {
    return run();
  } finally {
    guardUtils.exec = original;
  }
}

/** What the plugin's exec() returns for this outcome: cfn-guard exits 5 or 19 when it found violations. */
function answer(outcome: Outcome, options: { json?: boolean } = {}): unknown {
  if (outcome.status !== 0 && outcome.status !== 5 && outcome.status !== 19) {
    process.stderr.write(outcome.stderr);
    throw new Error(`Command exited with ${outcome.status ? `status ${outcome.status}` : `signal ${outcome.signal}`}`);
  }
  const output = outcome.stdout.trim();
  if (!options.json) return output;
  return output.length === 0 ? {} : JSON.parse(output);
}

// Runs the command lines of a JSON file (argv[1]) or of stdin, `parallel` at a time. With an output folder (argv[2])
// it writes each outcome to <folder>/<index>.json as it ends (written whole, then renamed), else prints them all.
// With a folder it stays until the folder is gone (the synth read every outcome) or it is orphaned (the synth was
// killed, so its 'exit' clean-up never ran: a test run's teardown stops a synth no test waits for); orphaned, it stops
// its cfn-guard processes and removes the folder. Its parent is named in GUARD_PARENT_PID.
export const PARALLEL_RUNNER = `
const { spawn } = require('node:child_process');
const { existsSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const [input, outdir] = process.argv.slice(1);
const { commandLines, parallel } = JSON.parse(readFileSync(input ?? 0, 'utf8'));
const outcomes = [];
const running = new Set();
const parent = Number(process.env.GUARD_PARENT_PID);
const watch = setInterval(() => {
  if (outdir && !existsSync(outdir)) process.exit(0);
  if (process.ppid === parent) return;
  for (const child of running) child.kill();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
  process.exit(1);
}, 250);
if (!outdir) watch.unref();
let next = 0;
function start() {
  if (next >= commandLines.length) return Promise.resolve();
  const index = next++;
  const [command, ...args] = commandLines[index];
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('close', () => running.delete(child));
    const stdout = [];
    const stderr = [];
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    child.once('error', (error) => resolve({ status: null, signal: null, stdout: '', stderr: String(error) }));
    child.once('close', (status, signal) => resolve({ status, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }));
  }).then((outcome) => {
    if (outdir) {
      writeFileSync(outdir + '/' + index + '.tmp', JSON.stringify(outcome));
      renameSync(outdir + '/' + index + '.tmp', outdir + '/' + index + '.json');
    } else outcomes[index] = outcome;
    return start();
  });
}
Promise.all(Array.from({ length: parallel }, start)).then(() => outdir || process.stdout.write(JSON.stringify(outcomes)));
`;

function runInParallel(commandLines: readonly string[][]): Outcome[] {
  if (commandLines.length === 0) return [];
  const result = spawnSync(process.execPath, ['-e', PARALLEL_RUNNER], {
    input: JSON.stringify({ commandLines, parallel: Math.max(1, availableParallelism()) }),
    env: { ...process.env, NODE_OPTIONS: '', GUARD_PARENT_PID: String(process.pid) },
    maxBuffer: 1024 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`cfn-guard runner failed: ${result.error ?? result.stderr}`);
  return JSON.parse(result.stdout) as Outcome[];
}

/** One report, as one cfn-guard run over every template gives it: the plugin reports a violation per check and template. */
function mergeReports(reports: readonly PolicyValidationPluginReport[]): PolicyValidationPluginReport {
  return { success: reports.every((report) => report.success), violations: reports.flatMap((report) => report.violations) };
}
