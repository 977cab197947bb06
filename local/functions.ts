/**
 * Local Lambda functions: each function of the environment runs its real entry point (lambda/<handler>/index.ts) in
 * a Node process of its own, with the environment its template gives it (resolved to the local resources), as Lambda
 * runs each function in its own sandbox: entry points read their environment at import (parseEnv), so two functions
 * of one handler folder with different variables never share a module registry.
 *
 * - Bundled once per start with esbuild (one build for every handler, ~0.3 s) with packages external: the processes
 *   load the AWS SDK and Powertools from node_modules, the versions the deployed bundles are built from.
 * - A process starts at once but an invocation only waits for it when it arrives (Lambda's cold start); an init
 *   error is answered to that invocation and the next one starts a fresh process, as Lambda retries the init.
 * - The function's timeout is enforced: an invocation still running at its timeout fails with `Sandbox.Timedout`
 *   and the process is killed (Lambda ends the sandbox); the next invocation cold-starts.
 * - Unlike Lambda, one process serves a function's concurrent invocations (Node's event loop interleaves them), so
 *   module-level caches are shared between them; reserved concurrency is not enforced.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LAMBDA_BUILD_OPTIONS } from '../lib/constructs/lambda-bundles';

const ROOT = resolve(__dirname, '..');

export interface FunctionError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: string[];
}

export type InvokeOutcome = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: FunctionError };

export interface LocalFunctionOptions {
  /** A name for logs: the function's logical id. */
  readonly name: string;
  /** The handler folder under lambda/. */
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** The function's whole environment (Lambda gives it nothing else but its runtime variables). */
  readonly environment: Record<string, string>;
  /** The bundle of the handler (bundleHandlers). */
  readonly bundle: string;
  /** The runtime shim bundle (bundleHandlers). */
  readonly runtime: string;
  /** Where the process's stdout/stderr (the function's log lines) go. */
  readonly logFile: string;
}

/** Every handler folder under lambda/ (`webhook-receiver`, `customer-sync/worker`, ...): a folder with an index.ts. */
export function handlerFolders(): string[] {
  const lambdaDir = join(ROOT, 'lambda');
  const folders: string[] = [];
  for (const entry of readdirSync(lambdaDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === 'shared') continue;
    if (existsSync(join(lambdaDir, entry.name, 'index.ts'))) folders.push(entry.name);
    for (const sub of readdirSync(join(lambdaDir, entry.name), { withFileTypes: true })) {
      if (sub.isDirectory() && existsSync(join(lambdaDir, entry.name, sub.name, 'index.ts'))) folders.push(`${entry.name}/${sub.name}`);
    }
  }
  return folders;
}

/** Bundles the handlers' entry points and the runtime shim into `outdir`; returns each bundle's path by handler. */
export async function bundleHandlers(handlers: readonly string[], outdir: string): Promise<{ bundles: Map<string, string>; runtime: string }> {
  const { build } = await import('esbuild');
  const entryPoints: Record<string, string> = { '_runtime/lambda-runtime': join(__dirname, 'lambda-runtime.ts') };
  for (const handler of handlers) entryPoints[handler] = join(ROOT, 'lambda', handler, 'index.ts');
  await build({
    ...LAMBDA_BUILD_OPTIONS,
    entryPoints,
    outdir,
    // Readable stack traces in the local logs; the SDK and Powertools come from node_modules (NODE_PATH).
    minifyWhitespace: false,
    minifySyntax: false,
    packages: 'external',
    target: `node${process.versions.node.split('.')[0]}`,
  });
  return { bundles: new Map(handlers.map((handler) => [handler, join(outdir, `${handler}.js`)])), runtime: join(outdir, '_runtime', 'lambda-runtime.js') };
}

interface Pending {
  readonly resolve: (outcome: InvokeOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

export class LocalFunction {
  private child?: ChildProcess;
  private ready?: Promise<FunctionError | undefined>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped = false;
  /** Cold starts so far (a fresh process each). */
  coldStarts = 0;
  /** Every process started for this function (for the stop check). */
  readonly pids: number[] = [];

  constructor(readonly options: LocalFunctionOptions) {}

  /** Starts the process (a cold start) unless one is running or starting. */
  start(): Promise<FunctionError | undefined> {
    if (this.ready) return this.ready;
    this.coldStarts += 1;
    mkdirSync(join(this.options.logFile, '..'), { recursive: true });
    const log = openSync(this.options.logFile, 'a');
    const child = fork(this.options.runtime, [], {
      cwd: ROOT,
      env: { ...this.options.environment, LOCAL_HANDLER_MODULE: this.options.bundle },
      execArgv: [],
      stdio: ['ignore', log, log, 'ipc'],
      serialization: 'advanced',
    });
    closeSync(log);
    if (child.pid) this.pids.push(child.pid);
    this.child = child;
    this.ready = new Promise<FunctionError | undefined>((resolveReady) => {
      child.on('message', (message: any) => {
        if (message?.type === 'ready') resolveReady(undefined);
        else if (message?.type === 'init-error') resolveReady({ ...message.error, errorType: `Runtime.InitError: ${message.error.errorType}` });
        else if (message?.type === 'result' || message?.type === 'error') {
          const pending = this.pending.get(message.id);
          if (!pending) return;
          this.pending.delete(message.id);
          clearTimeout(pending.timer);
          pending.resolve(message.type === 'result' ? { ok: true, result: message.result } : { ok: false, error: message.error });
        }
      });
      child.once('exit', (code, signal) => {
        const error = { errorType: 'Runtime.ExitError', errorMessage: `RequestId: local Error: Runtime exited ${signal ? `with signal ${signal}` : `with error: exit status ${code}`}` };
        resolveReady(error);
        for (const [id, pending] of this.pending) {
          clearTimeout(pending.timer);
          pending.resolve({ ok: false, error });
          this.pending.delete(id);
        }
        if (this.child === child) {
          this.child = undefined;
          this.ready = undefined;
        }
      });
    });
    return this.ready;
  }

  /** Invokes the function with `event` (synchronously, as API Gateway, the event source mappings and schedules do). */
  async invoke(event: unknown): Promise<InvokeOutcome> {
    if (this.stopped) return { ok: false, error: { errorType: 'Local.Stopped', errorMessage: 'local mode is stopping' } };
    const initError = await this.start();
    const child = this.child;
    if (initError || !child) {
      // The next invocation tries a fresh init, as Lambda does.
      this.ready = undefined;
      return { ok: false, error: initError ?? { errorType: 'Runtime.Unknown', errorMessage: 'no runtime process' } };
    }
    const id = this.nextId++;
    const timeoutMs = this.options.timeoutSeconds * 1000;
    return new Promise<InvokeOutcome>((resolveInvoke) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolveInvoke({ ok: false, error: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${this.options.timeoutSeconds.toFixed(2)} seconds` } });
        // Lambda ends the sandbox of a timed-out invocation; whatever else ran in it fails with it.
        child.kill('SIGKILL');
      }, timeoutMs);
      this.pending.set(id, { resolve: resolveInvoke, timer });
      child.send({ type: 'invoke', id, event, requestId: randomUUID(), deadline: Date.now() + timeoutMs });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}

/** The variables Lambda's Node.js runtime sets in every function, for a function named `name`. */
export function lambdaRuntimeVariables(name: string, memoryMb: number, region: string): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs_local',
    TZ: 'UTC',
    NODE_PATH: join(ROOT, 'node_modules'),
    // The SDK warns once per process that Node 20 is past its support window; the functions run on 22 when deployed.
    NODE_NO_WARNINGS: '1',
    PATH: process.env.PATH ?? '',
  };
}
