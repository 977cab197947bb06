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
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationContext, PolicyValidationPluginReport } from 'aws-cdk-lib';

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
 * `context` is the Stage's validation context; each run sees it with only its own template.
 */
export function runGuard(context: IPolicyValidationContext, runs: readonly GuardRun[]): PolicyValidationPluginReport {
  const checks = runs.map((run) => ({
    validator: new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: [...run.rules] }),
    context: { ...context, templatePaths: [run.templatePath] },
  }));
  const commandLines: string[][] = [];
  withExec(
    (commandLine) => {
      commandLines.push(commandLine);
      return []; // no results: this pass only learns the command line
    },
    () => checks.forEach((check) => check.validator.validate(check.context)),
  );
  const outcomes = new Map(runInParallel(commandLines).map((outcome, index) => [JSON.stringify(commandLines[index]), outcome]));
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

// Runs the command lines given as JSON on stdin, `parallel` at a time, and prints their outcomes as JSON.
const PARALLEL_RUNNER = `
const { spawn } = require('node:child_process');
const { commandLines, parallel } = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const outcomes = [];
let next = 0;
function start() {
  if (next >= commandLines.length) return Promise.resolve();
  const index = next++;
  const [command, ...args] = commandLines[index];
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = [];
    const stderr = [];
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    child.once('error', (error) => resolve({ status: null, signal: null, stdout: '', stderr: String(error) }));
    child.once('close', (status, signal) => resolve({ status, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }));
  }).then((outcome) => { outcomes[index] = outcome; return start(); });
}
Promise.all(Array.from({ length: parallel }, start)).then(() => process.stdout.write(JSON.stringify(outcomes)));
`;

function runInParallel(commandLines: readonly string[][]): Outcome[] {
  if (commandLines.length === 0) return [];
  const result = spawnSync(process.execPath, ['-e', PARALLEL_RUNNER], {
    input: JSON.stringify({ commandLines, parallel: Math.max(1, availableParallelism()) }),
    env: { ...process.env, NODE_OPTIONS: '' },
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
