/**
 * The webhook receiver end to end on loopback, run as its own process (it sets the handler's environment and the
 * SDK endpoints): real HTTP → API Gateway proxy event → the real handler → local S3, SQS, DynamoDB (in a child
 * process, so they do not share the handler's event loop) and Secrets Manager. Reuses the receiver's test support.
 * Prints one JSON line: per concurrency level, accepted events/s, p50/p99, and the exactly-once check.
 */
import { runBoundedLoad, startApiGatewayHttp } from '../test/support/apigw-http';
import { generatedPayload, SECRET_HEADER, startWebhookEnvironment } from '../lambda/webhook-receiver/test-support';

// The credentials s3rver insists on; a handler log line per event would measure the terminal, not the handler.
Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED', POWERTOOLS_LOG_LEVEL: 'SILENT' });
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;

const LEVELS = [
  { concurrency: 1, count: 400 },
  { concurrency: 20, count: 2000 },
];
const MAX_DURATION_MS = 25_000;

export interface LoadLevelResult {
  readonly concurrency: number;
  readonly sent: number;
  readonly accepted: number;
  readonly acceptedPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Every accepted event archived once and queued once, and nothing else archived or queued. */
  readonly exactlyOnce: boolean;
  readonly archived: number;
  readonly queued: number;
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
      const archivedNow = await env.archivedKeys();
      const archivedIds = archivedNow.filter((key) => !archivedBefore.has(key)).map((key) => key.slice(key.lastIndexOf('/') + 1, -'.json'.length));
      archivedBefore = new Set(archivedNow);
      const queuedIds = (await env.drain(env.eventsQueueUrl)).map((event) => event.eventId as string);
      await env.drain(env.identityQueueUrl);
      const accepted = new Set(acceptedIds);
      const sameSet = (ids: string[]) => ids.length === accepted.size && ids.every((id) => accepted.has(id));
      results.push({
        concurrency,
        sent: load.statuses.filter((status) => status !== undefined).length,
        accepted: acceptedIds.length,
        acceptedPerSecond: load.acceptedPerSecond,
        p50Ms: load.p50Ms,
        p99Ms: load.p99Ms,
        exactlyOnce: accepted.size === acceptedIds.length && sameSet(archivedIds) && sameSet(queuedIds) && new Set(queuedIds).size === queuedIds.length,
        archived: archivedIds.length,
        queued: queuedIds.length,
      });
    }
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
