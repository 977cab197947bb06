/**
 * `npm run local [-- <env>] [--port <n>] [--data <dir>] [--schedule-every <s>] [--service <name>=<url>]`: one
 * environment's whole API on this machine, with no AWS and no Docker.
 *
 * 1. The environment is synthesized (local/environment.ts: no bundling, no compliance gate) while the local AWS
 *    servers start (local/aws-servers.ts: local-aws-sqs, s3rver, dynalite, cognito-local, a Secrets Manager endpoint).
 * 2. Its queues (with their DLQs and redrive), tables (keys, indexes), buckets, secrets (local development values),
 *    user pool, app clients and a sample user per realm client are created; the outside systems are played by their
 *    stand-ins (local/stand-ins/).
 * 3. Every function runs its real entry point in a process of its own with its template's environment resolved to
 *    the local resources (local/functions.ts); the event source mappings poll the queues and the schedules tick
 *    (local/event-sources.ts); the API edge serves the route table under /v1 (local/gateway.ts), with the token
 *    endpoint (local/identity.ts), /openapi.json and /docs.
 * Ctrl-C (SIGINT) or SIGTERM stops every server and process it started, and removes the data folder unless it was
 * given with --data.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalMode, type LocalMode } from './local-mode';

export interface CliOptions {
  readonly environment: string;
  readonly port: number;
  readonly dataDir?: string;
  readonly scheduleEverySeconds?: number;
  readonly serviceUrls: Record<string, string>;
}

export function parseArguments(argv: readonly string[]): CliOptions {
  let environment = 'dev';
  let port = 4000;
  let dataDir: string | undefined;
  let scheduleEverySeconds: number | undefined;
  const serviceUrls: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--port') port = Number(value());
    else if (arg === '--data') dataDir = resolve(value());
    else if (arg === '--schedule-every') scheduleEverySeconds = Number(value());
    else if (arg === '--service') {
      const [name, url] = value().split('=');
      serviceUrls[name] = url;
    } else if (arg === '--help' || arg === '-h') {
      console.log(readFileSync(__filename, 'utf8').split('*/')[0]);
      process.exit(0);
    } else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else environment = arg;
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port expects 0-65535');
  if (scheduleEverySeconds !== undefined && !(scheduleEverySeconds > 0)) throw new Error('--schedule-every expects seconds > 0');
  return { environment, port, dataDir, scheduleEverySeconds, serviceUrls };
}

async function main(): Promise<void> {
  const started = performance.now();
  const options = parseArguments(process.argv.slice(2));
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `connect-local-${options.environment}-`));
  mkdirSync(dataDir, { recursive: true });
  let mode: LocalMode | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping local mode...`);
    await mode?.stop();
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    console.log('Stopped: every server and function process is gone.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  try {
    mode = await startLocalMode({ ...options, dataDir, keepData: options.dataDir !== undefined, log: (line) => console.log(line) });
  } catch (error) {
    // startLocalMode has stopped what it started.
    console.error(`Local mode failed to start: ${(error as Error).stack ?? error}`);
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    process.exit(1);
  }
  if (stopping) return;
  console.log(mode.banner());
  const steps = Object.entries(mode.timings).map(([step, ms]) => `${step.replace(/Ms$/, '')} ${(ms / 1000).toFixed(1)} s`).join(', ');
  console.log(`Ready in ${((performance.now() - started) / 1000).toFixed(1)} s from process start (${steps}); functions finish their cold start in the background.`);
}

if (require.main === module) void main();
