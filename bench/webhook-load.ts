/**
 * The webhook receiver end to end on loopback, run as its own process (it sets the handler's environment and the
 * SDK endpoints): real HTTP → API Gateway proxy event → the real handler → local S3, SQS, DynamoDB (in a child
 * process, so they do not share the handler's event loop) and Secrets Manager. Reuses the receiver's test support.
 * Then the handler's own cost: the same handler invoked directly with API Gateway events (no HTTP server or client
 * in this process), this process's CPU time over the run divided by the accepted events; the emulators' CPU is in
 * their own process. Prints one JSON line: per level, accepted events/s, p50/p99, handler CPU per accepted event
 * (direct level) and the exactly-once check.
 */
import { runBoundedLoad, startApiGatewayHttp } from '../test/support/apigw-http';
import { generatedPayload, SECRET_HEADER, startWebhookEnvironment, type WebhookEnvironment, webhookRequest } from '../lambda/webhook-receiver/test-support';

// The credentials s3rver insists on; a handler log line per event would measure the terminal, not the handler.
Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED', POWERTOOLS_LOG_LEVEL: 'SILENT' });
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;

const LEVELS = [
  { concurrency: 1, count: 400 },
  { concurrency: 20, count: 2000 },
];
/** Direct invocation, after WARM_UP events that are not measured (the first reads the secret, opens connections). */
const DIRECT_LEVEL = { concurrency: 20, count: 2000 };
const WARM_UP = 40;
const MAX_DURATION_MS = 25_000;

export interface LoadLevelResult {
  /** `http`: real HTTP through the API Gateway stand-in; `direct`: the handler called with the events. */
  readonly mode: 'http' | 'direct';
  readonly concurrency: number;
  readonly sent: number;
  readonly accepted: number;
  readonly acceptedPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Direct level: user + system CPU of this process over the run, per accepted event. */
  readonly handlerCpuMsPerEvent?: number;
  /** Every accepted event archived once and queued once, and nothing else archived or queued. */
  readonly exactlyOnce: boolean;
  readonly archived: number;
  readonly queued: number;
}

/** Every accepted event archived once (among the keys new since `archivedBefore`) and queued once, nothing else. */
async function exactlyOnce(env: WebhookEnvironment, acceptedIds: string[], archivedBefore: ReadonlySet<string>) {
  const archivedNow = await env.archivedKeys();
  const archivedIds = archivedNow.filter((key) => !archivedBefore.has(key)).map((key) => key.slice(key.lastIndexOf('/') + 1, -'.json'.length));
  const queuedIds = (await env.drain(env.eventsQueueUrl)).map((event) => event.eventId as string);
  await env.drain(env.identityQueueUrl);
  const accepted = new Set(acceptedIds);
  const sameSet = (ids: string[]) => ids.length === accepted.size && ids.every((id) => accepted.has(id));
  return {
    archivedNow: new Set(archivedNow),
    result: {
      exactlyOnce: accepted.size === acceptedIds.length && sameSet(archivedIds) && sameSet(queuedIds) && new Set(queuedIds).size === queuedIds.length,
      archived: archivedIds.length,
      queued: queuedIds.length,
    },
  };
}

/** The handler invoked directly, `DIRECT_LEVEL.concurrency` at a time; CPU of this process per accepted event. */
async function directLevel(env: WebhookEnvironment, archivedBefore: ReadonlySet<string>): Promise<LoadLevelResult> {
  const { concurrency, count } = DIRECT_LEVEL;
  const headers = { 'content-type': 'application/json', [SECRET_HEADER]: env.sharedSecret };
  const events = Array.from({ length: WARM_UP + count }, (_, index) => webhookRequest(JSON.stringify(generatedPayload(index, 'bench-direct')), headers));
  const acceptedIds: string[] = [];
  const latenciesMs: number[] = [];
  let statuses = 0;
  const invoke = async (index: number, timed: boolean) => {
    const sentAt = performance.now();
    const result = await env.handler(events[index]);
    if (timed) latenciesMs.push(performance.now() - sentAt);
    statuses += 1;
    if (result.statusCode === 202) acceptedIds.push(JSON.parse(result.body).eventId as string);
  };
  for (let index = 0; index < WARM_UP; index++) await invoke(index, false);
  const warmAccepted = acceptedIds.length;
  let next = WARM_UP;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events.length && performance.now() - started < MAX_DURATION_MS) await invoke(next++, true);
    }),
  );
  const cpu = process.cpuUsage(cpuStarted);
  const elapsedMs = performance.now() - started;
  const accepted = acceptedIds.length - warmAccepted;
  const sorted = latenciesMs.sort((a, b) => a - b);
  const percentile = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  const check = await exactlyOnce(env, acceptedIds, archivedBefore);
  return {
    mode: 'direct',
    concurrency,
    sent: statuses - WARM_UP,
    accepted,
    acceptedPerSecond: accepted / (elapsedMs / 1000),
    p50Ms: percentile(50),
    p99Ms: percentile(99),
    handlerCpuMsPerEvent: (cpu.user + cpu.system) / 1000 / accepted,
    ...check.result,
  };
}

async function main(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const env = await startWebhookEnvironment(() => require('../lambda/webhook-receiver/index'), { serversInChildProcess: true });
  const api = await startApiGatewayHttp(env.handler);
  const results: LoadLevelResult[] = [];
  try {
    let archivedBefore = new Set<string>();
    for (const { concurrency, count } of LEVELS) {
      const runId = `bench-c${concurrency}`;
      const bodies = Array.from({ length: count }, (_, index) => JSON.stringify(generatedPayload(index, runId)));
      const load = await runBoundedLoad({
        count,
        concurrency,
        maxDurationMs: MAX_DURATION_MS,
        request: (index) => ({
          url: `${api.endpoint}/webhooks/modyo`,
          init: { method: 'POST', headers: { 'content-type': 'application/json', [SECRET_HEADER]: env.sharedSecret }, body: bodies[index] },
        }),
      });
      const acceptedIds = load.bodies.filter((_, index) => load.statuses[index] === 202).map((body) => JSON.parse(body).eventId as string);
      const check = await exactlyOnce(env, acceptedIds, archivedBefore);
      archivedBefore = check.archivedNow;
      results.push({
        mode: 'http',
        concurrency,
        sent: load.statuses.filter((status) => status !== undefined).length,
        accepted: acceptedIds.length,
        acceptedPerSecond: load.acceptedPerSecond,
        p50Ms: load.p50Ms,
        p99Ms: load.p99Ms,
        ...check.result,
      });
    }
    results.push(await directLevel(env, archivedBefore));
  } finally {
    await api.stop();
    await env.stop();
  }
  console.log(`BENCH_RESULT=${JSON.stringify(results)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
