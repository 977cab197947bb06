/**
 * Starts and stops one environment in local mode (local/main.ts is the command line around it). The start runs in
 * this order, overlapping what can overlap on two cores: the local AWS servers start (cognito-local in its own
 * process) while the environment is synthesized; then the handlers are bundled while the queues, tables, buckets,
 * secrets, user pool and stand-ins are created; then the function processes start (not awaited: an invocation waits
 * for its function's cold start) and the gateway, pollers and schedules go live.
 * The file is long because it is the one place that wires the pieces; each piece lives in its own module.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type ApiRoute, apiRoutes, routeKey } from '../lib/api/routes';
import { openApiDocument } from '../lib/api/openapi';
import { loadEnvironmentConfigs } from '../lib/config/load';
import { LOCAL_REGION, startCognito, startDynamoDb, startS3, startSecretsManager, startSqs } from './aws-servers';
import { renderDocs } from './docs';
import { type LocalAddresses, type LocalEnvironment, resolveValue, stackOf, synthesizeEnvironment } from './environment';
import { QueuePoller, Scheduler } from './event-sources';
import { bundleHandlers, handlerFolders, LocalFunction, lambdaRuntimeVariables } from './functions';
import { INTEGRATION_TIMEOUT_MS, LocalGateway, STAGE } from './gateway';
import { LocalIdentity } from './identity';
import { sampleCalls } from './samples';
import { type StandIns, startStandIns } from './stand-ins';

const ROOT = resolve(__dirname, '..');
/** The account local ARNs name (local-aws-sqs's own). */
const LOCAL_ACCOUNT = '123456789012';
const WEBHOOK_SECRET_VARIABLE = 'WEBHOOK_SECRET_ID';

export interface LocalModeOptions {
  readonly environment: string;
  readonly port: number;
  readonly dataDir: string;
  readonly keepData: boolean;
  readonly scheduleEverySeconds?: number;
  readonly serviceUrls: Readonly<Record<string, string>>;
  readonly log: (line: string) => void;
}

export interface LocalMode {
  readonly baseUrl: string;
  readonly apiUrl: string;
  readonly environment: LocalEnvironment;
  readonly identity: LocalIdentity;
  readonly standIns: StandIns;
  readonly webhookSecret: string;
  readonly timings: Record<string, number>;
  banner(): string;
  stop(): Promise<void>;
}

const tableArn = (name: string) => `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`;

export async function startLocalMode(options: LocalModeOptions): Promise<LocalMode> {
  const timings: Record<string, number> = {};
  const mark = (name: string, since: number) => (timings[name] = Math.round(performance.now() - since));
  const stops: Array<() => Promise<unknown> | unknown> = [];
  // Each step in reverse order of start, bounded, so one stuck server cannot keep the others (or the shell) waiting.
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      const started = performance.now();
      await Promise.race([Promise.resolve().then(stop).catch(() => undefined), new Promise((resolveStep) => setTimeout(resolveStep, 5000).unref())]);
      if (performance.now() - started > 4900) options.log(`stop: a step took over 5 s and was left: ${String(stop).slice(0, 80)}`);
    }
    for (const last of lastStops.splice(0)) last();
  };
  /** Run after every stop step (the exit safety net stays until everything else has been stopped). */
  const lastStops: Array<() => void> = [];
  try {
    const configs = loadEnvironmentConfigs(join(ROOT, 'config'));
    const config = configs.find((candidate) => candidate.name === options.environment);
    if (!config) throw new Error(`no environment "${options.environment}": expected one of ${configs.map((c) => c.name).join(', ')} (config/<env>.json)`);

    // Servers first (cognito-local boots in its own process while this one synthesizes).
    let t = performance.now();
    // cognito-local is a process of its own that takes a few seconds of CPU to boot: on a busy machine, up to a minute.
    const cognitoStarting = startCognito({ directory: join(options.dataDir, 'cognito'), startTimeoutMs: 60_000 });
    cognitoStarting.catch(() => undefined); // awaited below; a failure to start must not end the process unhandled
    stops.push(async () => (await cognitoStarting).stop());
    const sqsServer = await startSqs();
    stops.push(() => sqsServer.stop());
    const dynamoServer = await startDynamoDb(options.keepData ? { path: join(options.dataDir, 'dynamodb') } : {});
    stops.push(() => dynamoServer.stop());
    const s3Server = await startS3([], { directory: join(options.dataDir, 's3') });
    stops.push(() => s3Server.stop());
    mark('serversMs', t);

    // Every handler folder is bundled in esbuild's own process while this one synthesizes (the environment's
    // functions are known only after the synth; one it names that was not bundled yet is bundled then).
    t = performance.now();
    const functionsDir = join(options.dataDir, 'functions');
    const prebundling = bundleHandlers(handlerFolders(), functionsDir);
    prebundling.catch(() => undefined); // awaited below
    const environment = synthesizeEnvironment(config);
    mark('synthMs', t);

    t = performance.now();
    const handlers = [...new Set([...environment.functions.values()].map((fn) => fn.handler))];
    const bundling = prebundling.then((built) => (handlers.every((handler) => built.bundles.has(handler)) ? built : bundleHandlers(handlers, functionsDir)));

    const sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const dynamo = new DynamoDBClient({ endpoint: dynamoServer.endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const s3 = new S3Client(s3Server.clientConfig);
    stops.push(() => {
      sqs.destroy();
      dynamo.destroy();
      s3.destroy();
    });
    const addresses: LocalAddresses = { region: LOCAL_REGION, account: LOCAL_ACCOUNT, attributes: new Map() };
    const key = (stack: string, logicalId: string) => `${stack}/${logicalId}`;

    // Queues: dead-letter queues first, so each queue's redrive policy can name its DLQ's local ARN.
    const ordered = [...environment.queues].sort((a, b) => Number(a.redrive !== undefined) - Number(b.redrive !== undefined));
    for (const queue of ordered) {
      const attributes: Record<string, string> = { VisibilityTimeout: String(queue.visibilityTimeoutSeconds) };
      if (queue.fifo) attributes.FifoQueue = 'true';
      if (queue.contentBasedDeduplication) attributes.ContentBasedDeduplication = 'true';
      if (queue.redrive) {
        const dlq = addresses.attributes.get(key(queue.redrive.deadLetter.stack, queue.redrive.deadLetter.logicalId));
        attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: dlq?.Arn, maxReceiveCount: queue.redrive.maxReceiveCount });
      }
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queue.name, Attributes: attributes }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      addresses.attributes.set(key(queue.stack, queue.logicalId), { Ref: QueueUrl as string, Arn: Attributes?.QueueArn as string, QueueName: queue.name, QueueUrl: QueueUrl as string });
    }
    // Tables with their keys, indexes and TTL (kept across runs with --data).
    for (const table of environment.tables) {
      const p = table.properties;
      try {
        await dynamo.send(
          new CreateTableCommand({
            TableName: table.name,
            AttributeDefinitions: p.AttributeDefinitions,
            KeySchema: p.KeySchema,
            BillingMode: 'PAY_PER_REQUEST',
            GlobalSecondaryIndexes: p.GlobalSecondaryIndexes?.map((index: any) => ({ IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection })),
          }),
        );
        if (p.TimeToLiveSpecification?.Enabled) await dynamo.send(new UpdateTimeToLiveCommand({ TableName: table.name, TimeToLiveSpecification: p.TimeToLiveSpecification })).catch(() => undefined);
      } catch (error) {
        if ((error as Error).name !== 'ResourceInUseException') throw error;
      }
      addresses.attributes.set(key(table.stack, table.logicalId), { Ref: table.name, Arn: tableArn(table.name), StreamArn: `${tableArn(table.name)}/stream/local` });
    }
    for (const bucket of environment.buckets) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket.name })).catch((error: Error) => {
        if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(error.name)) throw error;
      });
      addresses.attributes.set(key(bucket.stack, bucket.logicalId), { Ref: bucket.name, Arn: `arn:aws:s3:::${bucket.name}`, DomainName: `${bucket.name}.s3.amazonaws.com`, RegionalDomainName: `${bucket.name}.s3.${LOCAL_REGION}.amazonaws.com` });
    }
    for (const secret of environment.secrets) {
      const arn = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${secret.name}-local`;
      addresses.attributes.set(key(secret.stack, secret.logicalId), { Ref: arn, Arn: arn, Id: arn });
    }
    for (const [logicalId, fn] of environment.functions) {
      const name = `${stackOf(environment, fn.stack).stackName}-${logicalId}`.slice(0, 64);
      addresses.attributes.set(key(fn.stack, logicalId), { Ref: name, Arn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}` });
    }

    // The stand-ins, given the values the payments adapters will send them.
    const literal: Record<string, string> = {};
    for (const fn of environment.functions.values()) for (const [name, value] of Object.entries(fn.environment)) if (typeof value === 'string') literal[name] ??= value;
    const standIns = await startStandIns(config, literal);
    stops.push(() => standIns.stop());

    // The user pool: its Ref is the local pool id.
    const cognitoServer = await cognitoStarting;
    const poolKey = key(environment.identity.userPool.stack, environment.identity.userPool.logicalId);
    mark('resourcesMs', t);

    // Secrets: the value of each is what its stand-in expects, found by the function variable that names the secret.
    const webhookSecret = `local-webhook-${randomBytes(12).toString('hex')}`;
    const secretValues: Record<string, string> = {};
    for (const secret of environment.secrets) {
      const ref = addresses.attributes.get(key(secret.stack, secret.logicalId))?.Ref as string;
      let variable: string | undefined;
      for (const fn of environment.functions.values()) {
        for (const [name, value] of Object.entries(fn.environment)) if (value?.Ref === secret.logicalId && fn.stack === secret.stack) variable = name;
      }
      const value =
        variable === WEBHOOK_SECRET_VARIABLE
          ? JSON.stringify({ sharedSecret: webhookSecret })
          : (variable && standIns.secretValues[variable]) ?? JSON.stringify({ [secret.generatedKey ?? 'value']: `local-${randomBytes(12).toString('hex')}` });
      secretValues[ref] = value;
      secretValues[secret.name] = value;
    }
    const secretsServer = await startSecretsManager(secretValues);
    stops.push(() => secretsServer.stop());

    // Functions, each with its template's environment resolved to the local resources.
    const waited = performance.now();
    const { bundles, runtime } = await bundling;
    mark('bundleWaitMs', waited);
    const functions = new Map<string, LocalFunction>();
    const identityHolder: { identity?: LocalIdentity } = {};
    const functionEnvironment = (logicalId: string): Record<string, string> => {
      const fn = environment.functions.get(logicalId)!;
      const resolved: Record<string, string> = {};
      for (const [name, value] of Object.entries(fn.environment)) {
        const v = resolveValue(value, stackOf(environment, fn.stack), environment, addresses);
        resolved[name] = typeof v === 'string' ? v : JSON.stringify(v);
      }
      for (const [name, value] of Object.entries(standIns.variableOverrides)) if (name in resolved) resolved[name] = value;
      // The local emulators on a loaded machine answer far slower than AWS: the AWS call limits are raised to what
      // the handler tests use (test/support/aws-env.js), never lowered.
      const raise = (name: string, floor: number) => {
        if (name in resolved) resolved[name] = String(Math.max(Number(resolved[name]) || 0, floor));
      };
      raise('AWS_CONNECTION_TIMEOUT_MS', 5000);
      raise('AWS_REQUEST_TIMEOUT_MS', 10000);
      const name = addresses.attributes.get(key(fn.stack, logicalId))?.Ref as string;
      return {
        ...lambdaRuntimeVariables(name, fn.memoryMb, LOCAL_REGION),
        // s3rver insists on these credentials; the other local servers take any.
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
        AWS_ENDPOINT_URL_SQS: sqsServer.endpoint,
        AWS_ENDPOINT_URL_S3: s3Server.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: dynamoServer.endpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsServer.endpoint,
        AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: cognitoServer.endpoint,
        ...resolved,
      };
    };
    const logDir = join(options.dataDir, 'logs');
    mkdirSync(logDir, { recursive: true });
    // Started at once: what the API, the queues, the schedules and the token endpoint invoke. Any other function (e.g.
    // the services' deployment hook) starts on its first invocation, if one ever comes.
    const invoked = new Set<string>([
      ...Object.values(environment.apiHandlers),
      ...environment.eventSources.map((source) => source.functionId),
      ...environment.schedules.map((schedule) => schedule.functionId),
      ...(environment.identity.preTokenFunctionId ? [environment.identity.preTokenFunctionId] : []),
    ]);
    const startFunctions = () => {
      for (const [logicalId, fn] of environment.functions) {
        const local = new LocalFunction({
          name: logicalId,
          handler: fn.handler,
          timeoutSeconds: fn.timeoutSeconds,
          memoryMb: fn.memoryMb,
          environment: functionEnvironment(logicalId),
          bundle: bundles.get(fn.handler) as string,
          runtime,
          logFile: join(logDir, `${logicalId}.log`),
        });
        functions.set(logicalId, local);
        if (invoked.has(logicalId)) void local.start();
      }
    };
    stops.push(() => Promise.all([...functions.values()].map((fn) => fn.stop())));

    // The gateway (its port is the token issuer's domain), then the pool and its clients.
    const routes = apiRoutes(config);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { requestModelSchema } = require('../lib/constructs/api/route-methods') as typeof import('../lib/constructs/api/route-methods');
    const models = new Map<ApiRoute, Record<string, unknown> | undefined>();
    const modelOf = (route: ApiRoute) => {
      if (!models.has(route)) {
        const body = route.body;
        models.set(route, body?.schema && body.modelName && body.contentType === 'application/json' ? (requestModelSchema(body.schema) as Record<string, unknown>) : undefined);
      }
      return models.get(route);
    };
    let scheduler: Scheduler | undefined;
    const gateway: LocalGateway = new LocalGateway({
      routes,
      apiStack: stackOf(environment, 'Api'),
      corsOrigins: config.api.corsOrigins,
      modelOf,
      scope: (name) => identityHolder.identity?.scope(name) ?? name,
      verifyToken: async (token) => identityHolder.identity?.verify(token),
      invoke: async (route, event) => {
        const logicalId = route.target.kind === 'handler' ? environment.apiHandlers[route.target.handler] : undefined;
        const fn = logicalId ? functions.get(logicalId) : undefined;
        if (!fn) return { ok: false, error: { errorType: 'Local.NoFunction', errorMessage: `no function behind ${routeKey(route)}` } };
        return fn.invoke(event);
      },
      serviceUrls: options.serviceUrls,
      other: (request, body, response) => other(request, body, response),
      log: options.log,
    });
    const baseUrl = await gateway.listen(options.port);
    stops.push(() => gateway.close());
    const apiUrl = `${baseUrl}/${STAGE}`;

    const preTokenId = environment.identity.preTokenFunctionId;
    const identity = new LocalIdentity(cognitoServer.endpoint, environment.identity, baseUrl, preTokenId ? async (event) => {
      const outcome = await functions.get(preTokenId)?.invoke(event);
      if (!outcome?.ok) throw new Error(`pre token generation failed: ${outcome ? outcome.error.errorMessage : 'no function'}`);
      return outcome.result;
    } : undefined);
    identityHolder.identity = identity;
    // Last resort if this process dies without stopping (an uncaught error): no child outlives it.
    const killChildren = () => {
      for (const pid of [cognitoServer.pid, ...[...functions.values()].flatMap((fn) => fn.pids)]) {
        try {
          if (pid) process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    process.once('exit', killChildren);
    lastStops.push(() => process.off('exit', killChildren));
    stops.push(() => identity.destroy());
    t = performance.now();
    await identity.setUp(`connect-${config.name}`);
    addresses.attributes.set(poolKey, { Ref: identity.userPoolId, Arn: `arn:aws:cognito-idp:${LOCAL_REGION}:${LOCAL_ACCOUNT}:userpool/${identity.userPoolId}`, ProviderName: `cognito-idp.${LOCAL_REGION}.amazonaws.com/${identity.userPoolId}` });
    for (const user of identity.realmUsers) {
      // The realm user exists in Modyo too (the stand-in), with the id its token's modyo_user_id names.
      standIns.modyo.users.push({ id: Number(user.modyoUserId), realm_uid: user.realm, email: `${user.username}@example.com`, username: user.username, custom_fields: {}, active: true });
    }
    mark('identityMs', t);
    startFunctions();

    // Event source mappings and schedules.
    for (const source of environment.eventSources) {
      const queue = addresses.attributes.get(key(source.queue.stack, source.queue.logicalId));
      const fn = functions.get(source.functionId);
      if (!queue || !fn) continue;
      const poller = new QueuePoller({
        sqs,
        queue: { url: queue.Ref, arn: queue.Arn },
        functionName: source.functionId,
        batchSize: source.batchSize,
        reportBatchItemFailures: source.reportBatchItemFailures,
        concurrency: Math.min(2, source.maximumConcurrency ?? 2),
        region: LOCAL_REGION,
        invoke: (event) => fn.invoke(event),
        log: options.log,
      });
      poller.start();
      stops.push(() => poller.stop());
    }
    scheduler = new Scheduler(
      environment.schedules.map((schedule) => ({
        functionName: schedule.functionId,
        expression: schedule.expression,
        everySeconds: options.scheduleEverySeconds ?? schedule.everySeconds,
        ruleArn: `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${schedule.functionId}`,
      })),
      async (functionId, event) => functions.get(functionId)?.invoke(event) ?? { ok: false, error: { errorType: 'Local.NoFunction', errorMessage: functionId } },
      LOCAL_REGION,
      options.log,
    );
    scheduler.start();
    stops.push(() => scheduler?.stop());

    const document = () => {
      const doc = openApiDocument(config, (name) => identity.scope(name), 'local');
      doc.servers = [{ url: apiUrl, description: `${config.name}, local mode` }];
      for (const flow of Object.values(doc.components.securitySchemes.cognito.flows) as Array<Record<string, string>>) {
        flow.tokenUrl = `${baseUrl}/oauth2/token`;
        if (flow.authorizationUrl) flow.authorizationUrl = `${baseUrl}/oauth2/authorize`;
      }
      return doc;
    };

    /** Root routes: the token endpoint, the documents and the local controls (never under the stage path). */
    async function other(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<boolean> {
      const url = new URL(request.url ?? '/', 'http://local');
      const send = (status: number, payload: unknown, type = 'application/json') => {
        response.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
        response.end(typeof payload === 'string' ? payload : JSON.stringify(payload, null, 2));
        return true;
      };
      if (request.method === 'POST' && url.pathname === '/oauth2/token') {
        const answer = await identity.token(new URLSearchParams(body.toString('utf8')), request.headers.authorization);
        return send(answer.status, answer.body);
      }
      if (request.method === 'GET' && url.pathname === '/openapi.json') return send(200, document());
      if (request.method === 'GET' && (url.pathname === '/docs' || url.pathname === '/')) return send(200, renderDocs(document(), apiUrl), 'text/html; charset=utf-8');
      if (request.method === 'GET' && url.pathname === '/_local') return send(200, summary());
      const run = /^\/_local\/schedules\/([\w-]+)$/.exec(url.pathname);
      if (request.method === 'POST' && run) {
        const outcome = await scheduler?.runNow(run[1]);
        return outcome ? send(outcome.ok ? 200 : 502, outcome) : send(404, { error: `no schedule of ${run[1]}` });
      }
      const pay = /^\/_local\/payments\/(bancard|khipu|webpay)\/([\w-]+)\/pay$/.exec(url.pathname);
      if (request.method === 'POST' && pay && standIns.payments[pay[1]]) return send(200, await buyerPays(pay[1], pay[2]));
      return false;
    }

    /**
     * The buyer pays at the provider, which then tells the API as it would: Bancard posts its confirmation to the URL
     * registered in its portal; Khipu posts its notification to notify_url; Transbank sends the buyer back to the
     * WebPay return URL with token_ws. The provider's id of the payment is the record's providerPaymentId.
     */
    async function buyerPays(provider: string, paymentId: string): Promise<unknown> {
      const double = standIns.payments[provider];
      if (provider === 'bancard') {
        if (!double.buy(paymentId)) return { error: `Bancard has no buy ${paymentId}` };
        double.pay(paymentId, { approve: true });
        return { deliveries: await double.deliverConfirmation(`${apiUrl}/payments/bancard/confirm`, paymentId, 3) };
      }
      const table = environment.tables.find((candidate) => candidate.properties.KeySchema?.[0]?.AttributeName === 'paymentId');
      const record = table ? await dynamo.send(new GetItemCommand({ TableName: table.name, Key: { paymentId: { S: paymentId } } })) : undefined;
      const providerPaymentId = record?.Item?.providerPaymentId?.S;
      if (!providerPaymentId) return { error: `no ${provider} payment ${paymentId} with a provider id` };
      // The local gateway answers within its integration timeout; this only bounds a gateway that stopped.
      const signal = AbortSignal.timeout(INTEGRATION_TIMEOUT_MS + 5000);
      const answer =
        provider === 'khipu'
          ? (double.setStatus(providerPaymentId, 'done'),
            await fetch(`${apiUrl}/payments/khipu/notify`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({ notification_token: double.notificationToken(providerPaymentId), api_version: '1.3' }).toString(),
              signal,
            }))
          : await fetch(`${apiUrl}/payments/webpay/return?token_ws=${encodeURIComponent(providerPaymentId)}`, { redirect: 'manual', signal });
      return { status: answer.status, location: answer.headers.get('location') ?? undefined };
    }

    const summary = () => ({
      environment: config.name,
      apiUrl,
      tokenUrl: `${baseUrl}/oauth2/token`,
      docs: `${baseUrl}/docs`,
      openapi: `${baseUrl}/openapi.json`,
      dataDir: options.dataDir,
      webhookSecretHeader: routes.map((r) => r.authentication).find((a) => a.type === 'shared-secret')?.header,
      webhookSecret,
      machineClients: identity.clients.filter((c) => c.flows.includes('client_credentials')).map((c) => ({ name: c.name, clientId: c.clientId, clientSecret: c.clientSecret, scopes: c.scopes })),
      realmUsers: identity.realmUsers,
      standIns: standIns.summary,
      functions: Object.fromEntries([...environment.functions.values()].map((fn) => [fn.logicalId, { handler: fn.handler, log: join(logDir, `${fn.logicalId}.log`) }])),
      schedules: environment.schedules.map((s) => ({ function: s.functionId, expression: s.expression, everySeconds: options.scheduleEverySeconds ?? s.everySeconds })),
      timings,
      servers: { sqs: sqsServer.endpoint, dynamodb: dynamoServer.endpoint, s3: s3Server.endpoint, secretsManager: secretsServer.endpoint, cognito: cognitoServer.endpoint },
      processes: [process.pid, cognitoServer.pid, ...[...functions.values()].flatMap((fn) => fn.pids)].filter((pid) => pid !== undefined),
      modyoDeliveries: standIns.modyoRequests.filter((r) => r.method === 'POST' && /messaging\/deliveries$/.test(r.url)).length,
      modyoUsers: standIns.modyo.users.map((user) => ({ id: user.id, realm: user.realm_uid, email: user.email })),
      crmEvents: standIns.crm.requests.filter((r) => r.method === 'POST').length,
    });

    return {
      baseUrl,
      apiUrl,
      environment,
      identity,
      standIns,
      webhookSecret,
      timings,
      banner: () => banner(summary(), routes, modelOf),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function banner(summary: any, routes: readonly ApiRoute[], modelOf: (route: ApiRoute) => Record<string, unknown> | undefined): string {
  const machine = summary.machineClients as Array<{ name: string; clientId: string; clientSecret: string; scopes: string[] }>;
  const users = summary.realmUsers as Array<{ realm: string; clientId: string; username: string; password: string }>;
  const lines = [
    '',
    `Connect ${summary.environment}: local mode`,
    `  API          ${summary.apiUrl}`,
    `  docs         ${summary.docs}   (OpenAPI: ${summary.openapi})`,
    `  data         ${summary.dataDir}   (function logs in logs/)`,
    '',
    'Machine token (client-credentials grant):',
    ...machine.map((c) => `  # ${c.name}: ${c.scopes.join(' ')}\n  curl -s -u '${c.clientId}:${c.clientSecret}' -d grant_type=client_credentials ${summary.tokenUrl}`),
    '',
    'Realm-user token (LOCAL ONLY password grant; deployed, Widgets sign in through the Modyo realm with code + PKCE):',
    ...users.map((u) => `  # ${u.realm}\n  curl -s -d grant_type=password -d client_id=${u.clientId} -d username=${u.username} -d 'password=${u.password}' ${summary.tokenUrl}`),
    '',
    `  TOKEN=$(curl -s -u '${machine[0]?.clientId}:${machine[0]?.clientSecret}' -d grant_type=client_credentials ${summary.tokenUrl} | sed -E 's/.*"access_token": *"([^"]+)".*/\\1/')`,
    '',
    'A call per route:',
    ...sampleCalls(summary.apiUrl, routes, modelOf, summary.webhookSecret).map((line) => `  ${line}`),
    `  # The buyer pays a checkout at the provider's stand-in, which then tells the API as the provider does:`,
    `  curl -X POST ${summary.apiUrl.replace(/\/v1$/, '')}/_local/payments/<bancard|khipu|webpay>/<paymentId>/pay`,
    '',
    'Stand-ins:',
    ...(summary.standIns as string[]).map((line) => `  ${line}`),
    ...(summary.schedules.length > 0 ? ['', 'Schedules:', ...summary.schedules.map((s: any) => `  ${s.function}: ${s.expression}, locally every ${s.everySeconds} s (run now: curl -X POST ${summary.apiUrl.replace(/\/v1$/, '')}/_local/schedules/${s.function})`)] : []),
    '',
    `Everything above as JSON: curl ${summary.apiUrl.replace(/\/v1$/, '')}/_local   Stop: Ctrl-C`,
  ];
  return lines.join('\n');
}
