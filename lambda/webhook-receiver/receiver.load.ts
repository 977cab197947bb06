/**
 * Bounded load on loopback: 2,000 webhooks at concurrency 20 over real HTTP (a local server that hands API
 * Gateway proxy events to the real handler), then every event must be archived once and queued once.
 * Runs in `npm run test:load` (jest.load.config.js), which CI runs after `npm test`; each behaviour it loads is
 * covered once in the main suite (index.test.ts).
 */
import { runBoundedLoad, startApiGatewayHttp } from '../../test/support/apigw-http';
import type { LocalServer } from '../../test/support/local-aws';
import { generatedPayload, SECRET_HEADER, startWebhookEnvironment, type WebhookEnvironment } from './test-support';

const COUNT = 2000;
const CONCURRENCY = 20;

let env: WebhookEnvironment;
let api: LocalServer;

beforeAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  env = await startWebhookEnvironment(() => require('./index'), { serversInChildProcess: true });
  api = await startApiGatewayHttp(env.handler);
});
afterAll(async () => {
  await api?.stop();
  await env?.stop();
});

it(`accepts ${COUNT} webhooks at concurrency ${CONCURRENCY}, each archived and queued exactly once`, async () => {
  const bodies = Array.from({ length: COUNT }, (_, index) => JSON.stringify(generatedPayload(index, 'load')));
  const result = await runBoundedLoad({
    count: COUNT,
    concurrency: CONCURRENCY,
    // A safety stop only: the run takes ~15 s on an idle 2-core machine, longer when other suites share it.
    maxDurationMs: 60_000,
    request: (index) => ({
      url: `${api.endpoint}/webhooks/modyo`,
      init: { method: 'POST', headers: { 'content-type': 'application/json', [SECRET_HEADER]: env.sharedSecret }, body: bodies[index] },
    }),
  });
  // The measurement, for the report (jest prints it with the test output).
  console.log(
    `webhook load: ${COUNT} requests, concurrency ${CONCURRENCY}, ${(result.elapsedMs / 1000).toFixed(2)} s, ` +
      `${result.acceptedPerSecond.toFixed(0)} accepted/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms`,
  );

  expect(result.statuses.filter((status) => status === 202)).toHaveLength(COUNT);
  const eventIds = result.bodies.map((body) => JSON.parse(body).eventId as string);
  expect(new Set(eventIds).size).toBe(COUNT);

  const verifyStarted = performance.now();
  const [archived, queuedEvents, lifecycleEvents] = await Promise.all([env.archivedKeys(), env.drain(env.eventsQueueUrl), env.drain(env.identityQueueUrl)]);
  console.log(`webhook load: verified in ${((performance.now() - verifyStarted) / 1000).toFixed(2)} s`);
  expect(archived).toHaveLength(COUNT);
  expect(new Set(archived.map((key) => key.slice(key.lastIndexOf('/') + 1, -'.json'.length)))).toEqual(new Set(eventIds));

  const queued = queuedEvents.map((event) => event.eventId as string);
  expect(queued).toHaveLength(COUNT);
  expect(new Set(queued)).toEqual(new Set(eventIds));

  // user_created / user_updated are two of every five generated types.
  const lifecycle = lifecycleEvents.map((event) => event.eventId as string);
  expect(lifecycle).toHaveLength(bodies.filter((body) => /"(log_type|e_a)":"user_(created|updated)"/.test(body)).length);
  expect(new Set(lifecycle).size).toBe(lifecycle.length);
}, 90_000);
