/**
 * Local mode end to end (issue 18): `local/main.ts dev` started as `npm run local` starts it (one Node process),
 * then, over real HTTP: tokens from the local token endpoint, every route of the dev route table once, the gateway's
 * own answers (401, 403, 404, 400, 413, CORS), a notification delivered by the worker to the Modyo stand-in, a
 * Bancard checkout paid through the confirmation route, the documents; then SIGINT, after which no process it started
 * is alive and no port it opened answers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { apiRoutes, routeKey } from '../lib/api/routes';
import { loadEnvironmentConfigs } from '../lib/config/load';

const ROOT = join(__dirname, '..');
const START_TIMEOUT_MS = 90_000;

interface Summary {
  apiUrl: string;
  tokenUrl: string;
  webhookSecretHeader: string;
  webhookSecret: string;
  machineClients: Array<{ name: string; clientId: string; clientSecret: string; scopes: string[] }>;
  realmUsers: Array<{ realm: string; clientId: string; username: string; password: string; modyoUserId: string }>;
  standIns: string[];
  servers: Record<string, string>;
  processes: number[];
  modyoDeliveries: number;
  modyoUsers: Array<{ id: number; realm: string; email: string }>;
  crmEvents: number;
}

/** The local summary once `done` holds for it (the workers run asynchronously), or the last one after 30 s. */
async function eventually(done: (state: Summary) => boolean): Promise<Summary> {
  let state = summary;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 250))) {
    state = (await (await fetch(`${baseUrl}/_local`)).json()) as Summary;
    if (done(state)) break;
  }
  return state;
}

let child: ChildProcess | undefined;
let output = '';
let baseUrl = '';
let summary: Summary;
let startedInMs = 0;
/** Every route key the test called, to check that none was left out. */
const called = new Set<string>();

async function call(method: string, path: string, init: { token?: string; headers?: Record<string, string>; body?: string; json?: unknown; route?: string } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${summary.apiUrl}${path}`, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (init.route) called.add(init.route);
  return { status: response.status, headers: response.headers, body: parsed };
}

async function token(form: Record<string, string>, basic?: string): Promise<string> {
  const response = await fetch(summary.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(basic ? { authorization: `Basic ${Buffer.from(basic).toString('base64')}` } : {}) },
    body: new URLSearchParams(form).toString(),
  });
  const answer = (await response.json()) as { access_token?: string };
  if (!answer.access_token) throw new Error(`no token: ${JSON.stringify(answer)}`);
  return answer.access_token;
}

const machine = (name: string) => {
  const client = summary.machineClients.find((candidate) => candidate.name === `machine-${name}`);
  if (!client) throw new Error(`no machine client ${name}`);
  return token({ grant_type: 'client_credentials' }, `${client.clientId}:${client.clientSecret}`);
};

const gatewayError = (code: string) => ({ error: expect.objectContaining({ code, message: expect.any(String) }) });

beforeAll(async () => {
  const started = performance.now();
  child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'local', 'main.ts'), 'dev', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local mode did not start within ${START_TIMEOUT_MS / 1000} s:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const api = /API\s+(http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(output);
      if (api && output.includes('Ready in')) {
        clearTimeout(timer);
        resolve(api[1]);
      }
    };
    child?.stdout?.on('data', onData);
    child?.stderr?.on('data', onData);
    child?.once('exit', (code) => reject(new Error(`local mode exited with ${code}:\n${output}`)));
  });
  startedInMs = performance.now() - started;
  summary = (await (await fetch(`${baseUrl}/_local`)).json()) as Summary;
}, START_TIMEOUT_MS + 5000);

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

test('starts from the synthesized dev environment and says so', () => {
  // The 15 s budget is for a quiet 2-core machine (README); a loaded test machine only has to start it at all.
  console.log(`local mode started in ${(startedInMs / 1000).toFixed(1)} s`);
  expect(summary.apiUrl).toBe(`${baseUrl}/v1`);
  expect(summary.machineClients.map((client) => client.name).sort()).toEqual(['machine-backoffice', 'machine-crm']);
  expect(output).toContain(`curl -s -u '${summary.machineClients[0].clientId}:${summary.machineClients[0].clientSecret}' -d grant_type=client_credentials ${summary.tokenUrl}`);
  expect(output).toContain('# GET /notifications/{id}');
});

test('private routes: 401 without or with a forged token, 403 without the scope, 404 off the table, 400 off the model', async () => {
  expect(await call('POST', '/notifications', { json: {} })).toMatchObject({ status: 401, body: gatewayError('unauthorized') });
  const forged = (await machine('backoffice')).replace(/\.[^.]+$/, '.AAAA');
  expect(await call('POST', '/notifications', { token: forged, json: {} })).toMatchObject({ status: 401, body: gatewayError('unauthorized') });
  const crm = await machine('crm');
  expect(await call('POST', '/notifications', { token: crm, json: {} })).toMatchObject({ status: 403, body: gatewayError('forbidden') });
  expect(await call('GET', '/no-such-route')).toMatchObject({ status: 404, body: { error: { code: 'not_found', message: 'Missing Authentication Token' } } });
  expect(await call('DELETE', '/notifications')).toMatchObject({ status: 404, body: gatewayError('not_found') });
  const backoffice = await machine('backoffice');
  expect(await call('POST', '/notifications', { token: backoffice, json: { channel: 'email' } })).toMatchObject({ status: 400, body: gatewayError('invalid_body') });
  // The gateway's errors carry the configured CORS origin, as the API's gateway responses do.
  const error = await call('GET', '/no-such-route', { headers: { origin: 'https://dev.example.com' } });
  expect(error.headers.get('access-control-allow-origin')).toBe('https://dev.example.com');
  const preflight = await fetch(`${summary.apiUrl}/notifications`, { method: 'OPTIONS', headers: { origin: 'https://dev.example.com', 'access-control-request-method': 'POST' } });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
});

test('413: over API Gateway\'s 10 MB from the gateway, over the route\'s own limit from the handler', async () => {
  const huge = await call('POST', '/webhooks/modyo', { headers: { 'content-type': 'application/json' }, body: 'x'.repeat(10 * 1024 * 1024 + 1) });
  expect(huge).toMatchObject({ status: 413, body: gatewayError('payload_too_large') });
  const overRoute = await call('POST', '/payments/payu/confirm', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `x=${'a'.repeat(9000)}` });
  expect(overRoute).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
});

test('webhook with the shared secret is queued (FIFO) and forwarded to the CRM stand-in by the forwarder; without it, 401', async () => {
  const route = 'POST /webhooks/modyo';
  const payload = {
    id: 1001,
    log_type: 'user_created',
    trigger_entity: 'admin',
    trigger_uid: 'admin-7',
    loggeable_type: 'Realms::User',
    loggeable_id: 'user-42',
    created_at: new Date().toISOString(),
    options: { realm_uid: 'clientes', user: { email: 'ana@example.com', username: 'ana', first_name: 'Ana', last_name: 'Soto' } },
  };
  expect(await call('POST', '/webhooks/modyo', { json: payload, route })).toMatchObject({ status: 401 });
  expect(await call('POST', '/webhooks/modyo', { json: payload, headers: { [summary.webhookSecretHeader]: summary.webhookSecret }, route })).toMatchObject({ status: 202 });
  expect((await eventually((state) => state.crmEvents >= 1)).crmEvents).toBeGreaterThanOrEqual(1);
}, 40_000);

test('a customer update from the CRM is queued (FIFO) and applied to the Modyo stand-in by the worker', async () => {
  const crm = await machine('crm');
  const answer = await call('POST', '/customer-sync/profile-updates', {
    token: crm,
    json: { realmUid: 'clientes', action: 'upsert', user: { email: 'ana.local@example.com' }, profile: { firstName: 'Ana' } },
    route: 'POST /customer-sync/profile-updates',
  });
  expect(answer.status).toBe(202);
  const state = await eventually((s) => s.modyoUsers.some((user) => user.email === 'ana.local@example.com'));
  expect(state.modyoUsers).toContainEqual(expect.objectContaining({ realm: 'clientes', email: 'ana.local@example.com' }));
}, 40_000);

test('a notification is delivered by the worker to the Modyo stand-in, and its state says so', async () => {
  const backoffice = await machine('backoffice');
  const accepted = await call('POST', '/notifications', {
    token: backoffice,
    json: { realmUid: 'clientes', channel: 'email', content: { subject: 'Hola', body: 'Prueba local' }, recipients: [summary.realmUsers[0].modyoUserId] },
    route: 'POST /notifications',
  });
  expect(accepted.status).toBe(202);
  const id = accepted.body.notificationId as string;
  let state: any;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 250))) {
    state = await call('GET', `/notifications/${id}`, { token: backoffice, route: 'GET /notifications/{id}' });
    if (state.body.deliveries?.[0]?.status === 'sent') break;
  }
  expect(state).toMatchObject({ status: 200, body: { notificationId: id, deliveries: [{ status: 'sent', attempts: 1 }] } });
  const local = (await (await fetch(`${baseUrl}/_local`)).json()) as Summary;
  expect(local.modyoDeliveries).toBeGreaterThanOrEqual(1);
}, 40_000);

test('a realm user\'s Bancard checkout, paid through the confirmation route, reads paid', async () => {
  const user = summary.realmUsers[0];
  const userToken = await token({ grant_type: 'password', client_id: user.clientId, username: user.username, password: user.password });
  const claims = JSON.parse(Buffer.from(userToken.split('.')[1], 'base64url').toString('utf8'));
  // The environment's own pre token generation function added the Modyo claims.
  expect(claims).toMatchObject({ modyo_realm: user.realm, modyo_user_id: user.modyoUserId, token_use: 'access' });
  const created = await call('POST', '/payments', {
    token: userToken,
    json: { provider: 'bancard', amount: 10000, currency: 'PYG', description: 'Compra local', buyer: {} },
    route: 'POST /payments',
  });
  expect(created).toMatchObject({ status: 201, body: { provider: 'bancard', status: 'created', next: { kind: 'embedded' } } });
  const paymentId = created.body.paymentId as string;
  // The buyer pays in the iframe; the Bancard stand-in posts its confirmation to POST /payments/bancard/confirm.
  const paid = await fetch(`${baseUrl}/_local/payments/bancard/${paymentId}/pay`, { method: 'POST' });
  expect(await paid.json()).toEqual({ deliveries: [{ status: 200, accepted: true }] });
  called.add('POST /payments/bancard/confirm');
  expect(await call('GET', `/payments/${paymentId}`, { token: userToken, route: 'GET /payments/{id}' })).toMatchObject({ status: 200, body: { paymentId, status: 'paid' } });
  const mine = await call('GET', '/payments', { token: userToken, route: 'GET /payments' });
  expect(mine.body.items.map((item: { paymentId: string }) => item.paymentId)).toContain(paymentId);
}, 40_000);

test('every other route reaches its handler (or, for a service with no local container, the gateway says why)', async () => {
  const calls: Array<[string, string, { headers?: Record<string, string>; body?: string }]> = [
    ['POST', '/payments/khipu/notify', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'notification_token=unknown&api_version=1.3' }],
    ['GET', '/payments/webpay/return', {}],
    ['POST', '/payments/webpay/return', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'TBK_TOKEN=x' }],
    ['POST', '/payments/payu/confirm', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'merchant_id=1' }],
    ['POST', '/payments/payme/notify', { headers: { 'content-type': 'application/json', signature: 'bm90LXNpZ25lZA==' }, body: '{}' }],
    ['POST', '/payments/tigo-money/notify', { headers: { 'content-type': 'application/json' }, body: '{}' }],
    ['GET', '/payments/tigo-money/notify', {}],
  ];
  for (const [method, path, init] of calls) {
    const answer = await call(method, path, { ...init, route: `${method} ${path}` });
    // The handler's own refusal of an unverifiable notification (a 4xx in its format), never one of the answers the
    // gateway could give on these routes (they have no authorizer and no model; Pay-me's signature header is present).
    expect([path, answer.status < 500]).toEqual([path, true]);
    expect([path, answer.body?.error?.code]).not.toEqual([path, expect.stringMatching(/^(not_found|unauthorized|forbidden|invalid_parameters)$/)]);
  }
  expect(await call('GET', '/health', { route: 'GET /health' })).toEqual(expect.objectContaining({ status: 200, body: { status: 'ok' } }));
  const backoffice = await machine('backoffice');
  const user = summary.realmUsers[0];
  const userToken = await token({ grant_type: 'password', client_id: user.clientId, username: user.username, password: user.password });
  expect(await call('GET', '/accounts/ping', { token: backoffice })).toMatchObject({ status: 403 });
  expect(await call('GET', '/accounts/ping', { token: userToken, route: 'ANY /accounts/{proxy+}' })).toMatchObject({ status: 502, body: gatewayError('bad_gateway') });
  const config = loadEnvironmentConfigs(join(ROOT, 'config')).find((candidate) => candidate.name === 'dev');
  expect([...called].sort()).toEqual(apiRoutes(config as never).map(routeKey).sort());
}, 40_000);

test('serves the OpenAPI document and its page', async () => {
  const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as { servers: Array<{ url: string }>; paths: Record<string, unknown> };
  expect(document.servers[0].url).toBe(summary.apiUrl);
  expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/notifications', '/payments/{id}']));
  const page = await fetch(`${baseUrl}/docs`);
  expect(page.headers.get('content-type')).toContain('text/html');
  const html = await page.text();
  expect(html).toContain('/notifications/{id}');
  expect(html).not.toMatch(/<script|https:\/\/cdn/);
});

test('SIGINT stops every process it started and closes every port', async () => {
  const latest = (await (await fetch(`${baseUrl}/_local`)).json()) as Summary;
  const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
  child?.kill('SIGINT');
  expect(await exited).toBe(0);
  const alive = latest.processes.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  expect(alive).toEqual([]);
  const endpoints = [baseUrl, ...Object.values(latest.servers), ...latest.standIns.map((line) => /http:\/\/127\.0\.0\.1:\d+/.exec(line)?.[0] as string)];
  const answering: string[] = [];
  for (const endpoint of endpoints) {
    const refused = await fetch(endpoint, { signal: AbortSignal.timeout(2000) }).then(
      () => false,
      () => true,
    );
    if (!refused) answering.push(endpoint);
  }
  expect(answering).toEqual([]);
}, 30_000);
