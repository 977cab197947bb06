/**
 * Real local servers that speak the AWS APIs our handlers use: the handler tests' adapters run over real HTTP
 * against them, and local mode (`npm run local`, local/main.ts) serves an environment on them.
 * Each binds 127.0.0.1 on a free port, keeps its data in a fresh temp folder (or the `directory` it is given, which
 * it then keeps) and is stopped by `stop()`, so suites can run twice in a row and in parallel workers (TOOLCHAIN.md).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  stop(): Promise<void>;
}

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `connect-${prefix}-`));
}

/** local-aws-sqs, in process. Queue URLs are `<endpoint>/123456789012/<name>`. */
export async function startSqs(): Promise<LocalServer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createSqsServer } = require('local-aws-sqs');
  const server = await createSqsServer({ port: 0, hostname: '127.0.0.1', emulateQueueCreationLifecycle: false });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** s3rver, in process. Clients need credentials S3RVER/S3RVER, forcePathStyle and checksums only when required. */
export async function startS3(buckets: string[] = [], options: { directory?: string } = {}): Promise<LocalServer & { clientConfig: Record<string, unknown> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver');
  const directory = options.directory ?? tempDir('s3');
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    clientConfig: {
      endpoint,
      region: LOCAL_REGION,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    },
    stop: async () => {
      await server.close();
      if (!options.directory) rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** The environment's idempotency table as the stacks define it (partition key `id`), on a local DynamoDB. */
export async function createIdempotencyTable(endpoint: string, tableName: string): Promise<void> {
  const { CreateTableCommand, DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const dynamo = new DynamoDBClient({ endpoint, region: LOCAL_REGION });
  await dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  dynamo.destroy();
}

/** dynalite, in memory (or in a LevelDB folder at `path`), tables ACTIVE at once. No TransactWriteItems. */
export async function startDynamoDb(options: { path?: string } = {}): Promise<LocalServer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * cognito-local in a child process (it keeps its data in `./.cognito` of its working directory, so it runs in a
 * temp folder). Usernames are not forced to be e-mail addresses.
 */
/** `node -e` preamble: exit when stdin (a pipe from the parent) ends, then run the script named by the next argument. */
const EXIT_WITH_PARENT = "process.stdin.on('end', () => process.exit(0)).resume(); require(process.argv[1]);";

export async function startCognito(
  options: { directory?: string; config?: Record<string, unknown>; startTimeoutMs?: number } = {},
): Promise<LocalServer & { pid: number | undefined; lastCodeSentTo(username: string): string | undefined }> {
  const cwd = options.directory ?? tempDir('cognito');
  mkdirSync(join(cwd, '.cognito'), { recursive: true });
  writeFileSync(join(cwd, '.cognito', 'config.json'), JSON.stringify({ UserPoolDefaults: { UsernameAttributes: [] }, ...options.config }));
  // cognito-local ends with this process however it ends (even SIGKILL, which runs no exit handler): its stdin is a
  // pipe from here that the OS closes when this process is gone, and the preamble exits on its end. No orphan keeps
  // the port and the data folder.
  const child: ChildProcess = spawn(process.execPath, ['-e', EXIT_WITH_PARENT, require.resolve('cognito-local/lib/bin/start.js')], {
    cwd,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Everything cognito-local prints: it "delivers" codes (ForgotPassword, invitations) by logging them in a box.
  let output = '';
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cognito-local did not start: ${output}`));
    }, options.startTimeoutMs ?? 15000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // biome-ignore lint: the ANSI escape is the point
      const match = /running on (http:\/\/[\d.]+:\d+)/.exec(output.replace(/\u001b\[[0-9;]*m/g, ''));
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`cognito-local exited with ${code}: ${output}`)));
  });
  return {
    endpoint,
    pid: child.pid,
    lastCodeSentTo: (username: string) => {
      // biome-ignore lint: the ANSI escape is the point
      const deliveries = output.replace(/\u001b\[[0-9;]*m/g, '').split('Confirmation Code Delivery').slice(1);
      const codes = deliveries.flatMap((box) => {
        const user = /Username:\s+(\S+)/.exec(box)?.[1];
        const code = /Code:\s+(\S+)/.exec(box)?.[1];
        return user === username && code ? [code] : [];
      });
      return codes.at(-1);
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        // Seen once on a loaded machine: cognito-local not exiting on SIGTERM. It holds nothing worth a clean exit.
        const force = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(force);
      }
      if (!options.directory) rmSync(cwd, { recursive: true, force: true });
    },
  };
}

/**
 * A loopback HTTP server running `handle` for each request, with the body already read. The base for the
 * local servers that follow the documented contracts of Modyo, Khipu and WebPay.
 */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: import('node:http').IncomingHttpHeaders;
  readonly body: string;
}
export type RequestHandler = (
  request: RecordedRequest,
) => { status: number; body?: unknown; headers?: Record<string, string> } | 'reset' | 'hang' | Promise<{ status: number; body?: unknown; headers?: Record<string, string> } | 'reset' | 'hang'>;

export async function startHttpServer(handle: RequestHandler): Promise<LocalServer & { requests: RecordedRequest[] }> {
  const { createServer } = await import('node:http');
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const request = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(request);
      const outcome = await handle(request);
      if (outcome === 'reset') {
        req.socket.destroy();
        return;
      }
      if (outcome === 'hang') return; // never answers: the client's timeout must fire
      const payload = outcome.body === undefined ? '' : typeof outcome.body === 'string' ? outcome.body : JSON.stringify(outcome.body);
      res.writeHead(outcome.status, { 'content-type': 'application/json', ...outcome.headers });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A Secrets Manager endpoint for GetSecretValue (the only call handlers make), following the AWS JSON 1.1
 * protocol. `secrets` is live: change a value to simulate a rotation.
 */
export async function startSecretsManager(secrets: Record<string, string>): Promise<LocalServer & { secrets: Record<string, string>; calls: () => number }> {
  let calls = 0;
  const server = await startHttpServer((request) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (target !== 'secretsmanager.GetSecretValue') return { status: 400, body: { __type: 'InvalidRequestException', message: `unsupported ${target}` } };
    calls += 1;
    const { SecretId } = JSON.parse(request.body) as { SecretId: string };
    const value = secrets[SecretId];
    if (value === undefined) return { status: 400, body: { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." } };
    return { status: 200, body: { ARN: SecretId, Name: SecretId, SecretString: value, VersionId: 'v1' }, headers: { 'content-type': 'application/x-amz-json-1.1' } };
  });
  return { ...server, secrets, calls: () => calls };
}

/**
 * Points the AWS SDK clients of the code under test at local servers, through the SDK's standard
 * service-specific endpoint variables (read lazily on the first request).
 */
export function useLocalEndpoints(endpoints: Partial<Record<'SQS' | 'S3' | 'DYNAMODB' | 'COGNITO_IDENTITY_PROVIDER' | 'SECRETS_MANAGER', string>>): void {
  for (const [service, endpoint] of Object.entries(endpoints)) process.env[`AWS_ENDPOINT_URL_${service}`] = endpoint;
}
