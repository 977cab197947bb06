/**
 * The local AWS servers of local-aws.ts, run in a child process so that a load test's servers and the code under
 * test do not share one event loop (on a 2-core machine this roughly doubles what a loopback load test measures).
 *
 * As a script (`node --import tsx local-aws-process.ts '{"s3":["bucket"],"sqs":true,"dynamodb":true}'`) it starts
 * the servers asked for, prints their endpoints as one JSON line, and stops them when stdin closes or on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type LocalServer, startDynamoDb, startS3, startSqs } from './local-aws';

export interface ServerRequest {
  readonly s3?: string[];
  readonly sqs?: boolean;
  readonly dynamodb?: boolean;
}
export type ServerEndpoints = { s3?: string; sqs?: string; dynamodb?: string };

export async function startServersInChildProcess(request: ServerRequest): Promise<{ endpoints: ServerEndpoints; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, JSON.stringify(request)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    // s3rver keeps objects as files: on tmpfs when there is one, so the disk is not what a load test measures.
    env: { ...process.env, NODE_OPTIONS: '', ...(existsSync('/dev/shm') ? { TMPDIR: '/dev/shm' } : {}) },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoints = await new Promise<ServerEndpoints>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('local AWS servers did not start within 20 s')), 20_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as ServerEndpoints);
    });
    child.once('exit', (code) => reject(new Error(`local AWS server process exited with ${code}`)));
  });
  return {
    endpoints,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

async function main(request: ServerRequest): Promise<void> {
  const servers: Array<[keyof ServerEndpoints, LocalServer]> = [];
  if (request.s3) servers.push(['s3', await startS3(request.s3)]);
  if (request.sqs) servers.push(['sqs', await startSqs()]);
  if (request.dynamodb) servers.push(['dynamodb', await startDynamoDb()]);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all(servers.map(([, server]) => server.stop()));
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.stdin.once('end', stop).resume(); // the parent went away
  process.stdout.write(`${JSON.stringify(Object.fromEntries(servers.map(([name, server]) => [name, server.endpoint])))}\n`);
}

if (require.main === module) void main(JSON.parse(process.argv[2] ?? '{}') as ServerRequest);
