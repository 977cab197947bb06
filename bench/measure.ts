/** Small helpers shared by the bench sections: child processes with a time limit, medians, template walks. */
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
}

/** Runs a command to completion (killed after `timeoutMs`) and measures its wall time from spawn to exit. */
export function runChild(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs: number; cwd?: string }): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
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
      if (exit) resolve({ ...exit, stdout, stderr, timedOut });
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
