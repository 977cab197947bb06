/**
 * Small helpers shared by the bench sections: child processes with a time limit (and, on request, the CPU time they
 * and their descendants used: what a busy machine distorts far less than wall time), medians, template walks.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..');

/** One row of the printed table; `pass` is undefined where a row has no target. */
export interface Row {
  readonly section: string;
  readonly metric: string;
  readonly target?: string;
  readonly measured: string;
  readonly pass?: boolean;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export interface ChildResult {
  readonly code: number | null;
  readonly wallMs: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** User + system CPU time of the command and every descendant it waited for (bash's `times`), when asked. */
  readonly cpuMs?: number;
}

/** `times` prints the shell's user/sys, then its children's: `0m1.234s 0m0.567s`. */
const TIMES_LINE = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/;

/** Runs the command under bash and prints its children's CPU times on stderr when it ends (`times`). */
function withCpuTimes(command: string, args: readonly string[]): [string, string[]] {
  return ['bash', ['-c', '"$@"; status=$?; times >&2; exit $status', 'bash', command, ...args]];
}

/** Removes the two `times` lines from stderr and returns the children's CPU milliseconds. */
function splitCpuTimes(stderr: string): { stderr: string; cpuMs?: number } {
  const lines = stderr.trimEnd().split('\n');
  const children = TIMES_LINE.exec(lines.at(-1) ?? '');
  if (!children || !TIMES_LINE.test(lines.at(-2) ?? '')) return { stderr };
  const cpuMs = (Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4])) * 1000;
  return { stderr: lines.slice(0, -2).join('\n'), cpuMs };
}

/**
 * Runs a command to completion (killed after `timeoutMs`) and measures its wall time from spawn to exit, and with
 * `cpu` its CPU time and its descendants'.
 */
export function runChild(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs: number; cwd?: string; cpu?: boolean }): Promise<ChildResult> {
  const [file, fileArgs] = options.cpu ? withCpuTimes(command, args) : [command, [...args]];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, fileArgs, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // The wall time ends when the process exits; its output is complete once its pipes close, which a grandchild
    // still holding them could delay, so wait for that at most a second.
    let exit: { code: number | null; wallMs: number } | undefined;
    const finish = () => {
      clearTimeout(timer);
      if (exit) resolve({ ...exit, stdout, timedOut, ...(options.cpu ? splitCpuTimes(stderr) : { stderr }) });
    };
    child.once('exit', (code) => {
      exit = { code, wallMs: performance.now() - started };
      setTimeout(finish, 1000).unref();
    });
    child.once('close', finish);
  });
}

/** Every `*.template.json` under a cloud assembly folder (Stages nest theirs in `assembly-<stage>/`). */
export function templateFiles(assemblyDir: string): string[] {
  return readdirSync(assemblyDir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.template.json'))
    .map((name) => join(assemblyDir, name));
}

/** The number of CloudFormation resources across every template of an assembly. */
export function countResources(assemblyDir: string): number {
  return templateFiles(assemblyDir).reduce((sum, file) => sum + Object.keys(JSON.parse(readFileSync(file, 'utf8')).Resources ?? {}).length, 0);
}

export const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;
export const seconds = (valueMs: number) => `${(valueMs / 1000).toFixed(1)} s`;
