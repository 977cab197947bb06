/**
 * The deployed artifact, not the sources: the webhook receiver's Lambda bundle as lambdaBundle() builds it for the
 * stacks (the SDK bundled with the source rewrites of lib/constructs/lambda-bundle-build.ts, credentials from the
 * environment only), run in its own Node process by local mode's runtime shim (as Lambda runs it: jest's module
 * sandbox cannot run the SDK's dynamic imports) against the local S3, SQS, DynamoDB and Secrets Manager. The other
 * suites test the handler's sources; this one proves the bundling choices made for cold start keep every AWS call
 * working: the secret read, the ledger's conditional put and completion, S3 PutObject, SQS SendMessage.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lambdaBundle } from '../../lib/constructs/lambda-bundles';
import { bundleHandlers, lambdaRuntimeVariables, LocalFunction } from '../../local/functions';
import { fullLogPayload, SECRET_HEADER, startWebhookEnvironment, type WebhookEnvironment, webhookRequest } from './test-support';

const workDir = mkdtempSync(join(tmpdir(), 'connect-webhook-bundle-'));
let env: WebhookEnvironment;
let receiver: LocalFunction;

beforeAll(async () => {
  const [bundleDir, { runtime }] = await Promise.all([lambdaBundle('webhook-receiver'), bundleHandlers([], join(workDir, 'runtime'))]);
  env = await startWebhookEnvironment(() => {
    // The environment the stack gives the function (set by startWebhookEnvironment) and the local endpoints, with
    // Lambda's runtime variables; no NODE_PATH: a deployed bundle brings everything it loads.
    const { NODE_PATH: _, ...runtimeVariables } = lambdaRuntimeVariables('webhook-receiver', 512, 'us-east-1');
    receiver = new LocalFunction({
      name: 'WebhookReceiver',
      handler: 'webhook-receiver',
      timeoutSeconds: 15,
      memoryMb: 512,
      environment: { ...(process.env as Record<string, string>), ...runtimeVariables, NODE_PATH: '' },
      bundle: join(bundleDir, 'index.js'),
      runtime,
      logFile: join(workDir, 'receiver.log'),
    });
    return {
      handler: async (event: APIGatewayProxyEvent) => {
        const outcome = await receiver.invoke(event);
        if (!outcome.ok) throw new Error(`${outcome.error.errorType}: ${outcome.error.errorMessage}\n${readFileSync(join(workDir, 'receiver.log'), 'utf8')}`);
        return outcome.result as APIGatewayProxyResult;
      },
    };
  });
}, 60_000);

afterAll(async () => {
  await receiver?.stop();
  await env?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

it('the bundled receiver archives and queues an event once, and answers its repeat as a duplicate', async () => {
  const body = JSON.stringify(fullLogPayload({ id: 777_001 }));
  const post = () => env.handler(webhookRequest(body, { 'Content-Type': 'application/json', [SECRET_HEADER]: env.sharedSecret }));

  const first = await post();
  expect({ status: first.statusCode, body: JSON.parse(first.body) }).toEqual({ status: 202, body: { eventId: 'modyo-full-777001', duplicate: false, queued: true } });
  const repeat = await post();
  expect({ status: repeat.statusCode, body: JSON.parse(repeat.body) }).toEqual({ status: 202, body: { eventId: 'modyo-full-777001', duplicate: true, queued: true } });

  const archived = (await env.archivedKeys()).filter((key) => key.endsWith('/modyo-full-777001.json'));
  expect(archived).toHaveLength(1);
  expect(await env.archivedBody(archived[0])).toBe(body);
  expect((await env.drain(env.eventsQueueUrl)).map((event) => event.eventId)).toEqual(['modyo-full-777001']);
  expect((await env.drain(env.identityQueueUrl)).map((event) => event.eventId)).toEqual(['modyo-full-777001']);
  expect(env.secretReads()).toBe(1);
  expect(receiver.coldStarts).toBe(1);
});
