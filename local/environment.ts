/**
 * What local mode runs, read from the environment's own synthesized templates.
 *
 * Decision: local mode synthesizes the environment (the same ConnectStage `cdk synth -c env=<name>` builds) and reads
 * its templates, rather than re-deriving the resources from config, the route table and the contracts' env schemas.
 * The templates are what gets deployed: every function's environment variables exactly as its construct fills them,
 * the queues with their redrive policies and visibility timeouts, the event source mappings (batch size, partial batch
 * responses), the schedules, the tables with their keys, indexes and TTL, the user pool with its resource server and
 * app clients, the secrets. A second derivation would drift from the constructs with every change. Two things are left
 * out, because they only cost time here and change nothing local mode reads: Lambda bundling (the context
 * `aws:cdk:bundling-stacks` is empty, so ConnectFunction skips esbuild; local/functions.ts bundles the handlers once
 * its own way) and the compliance gate (buildConnectApp applies it; local mode builds the Stage alone). Measured on
 * a 2-core machine shared with other work (load 11-17): 3.2 s of CPU and 5-9 s of wall time for the dev environment
 * (import of aws-cdk-lib, construction, synth), against 22 s of wall time for construction alone with bundling;
 * that fits the 15 s start budget with the local servers starting alongside.
 *
 * The templates' intrinsics (Ref, Fn::GetAtt, Fn::Join, Fn::GetStackOutput, ...) are resolved to the local
 * resources' names, URLs and ARNs by `resolveValue`, once the local servers say what those are.
 * Longer than 300 lines because the reading of each resource type and the resolver belong together: one place
 * knows how the templates are shaped.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiHandlerKey } from '../lib/api/routes';
import type { EnvironmentConfig } from '../lib/config/schema';

type Json = any; // CloudFormation template fragments

export interface TemplateStack {
  /** Stack id in the Stage: `Integrations`, `Identity`, ... */
  readonly id: string;
  /** The deployed stack name, e.g. `dev-Integrations` (what Fn::GetStackOutput names). */
  readonly stackName: string;
  readonly resources: Record<string, Json>;
  readonly outputs: Record<string, Json>;
}

/** A resource of the environment: its stack and logical id. */
export interface ResourceRef {
  readonly stack: string;
  readonly logicalId: string;
}

export interface LocalFunctionSpec extends ResourceRef {
  /** The function's folder under lambda/ (ConnectFunction's `handler`, also POWERTOOLS_SERVICE_NAME). */
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Raw CloudFormation values: resolved by resolveValue once the local resources exist. */
  readonly environment: Record<string, Json>;
}

export interface LocalQueueSpec extends ResourceRef {
  readonly name: string;
  readonly fifo: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly contentBasedDeduplication: boolean;
  readonly redrive?: { readonly deadLetter: ResourceRef; readonly maxReceiveCount: number };
}

export interface LocalEventSourceSpec {
  readonly functionId: string;
  readonly queue: ResourceRef;
  readonly batchSize: number;
  readonly reportBatchItemFailures: boolean;
  readonly maximumConcurrency?: number;
}

export interface LocalScheduleSpec {
  readonly functionId: string;
  readonly expression: string;
  readonly everySeconds: number;
  readonly description?: string;
}

export interface LocalTableSpec extends ResourceRef {
  readonly name: string;
  readonly properties: Json;
}

export interface LocalSecretSpec extends ResourceRef {
  readonly name: string;
  readonly description?: string;
  /** The key CloudFormation generates a value for (GenerateSecretString.GenerateStringKey). */
  readonly generatedKey?: string;
}

export interface LocalAppClientSpec extends ResourceRef {
  readonly name: string;
  readonly flows: readonly string[];
  /** Full scope strings (`connect/customers.write`) and OIDC scopes. */
  readonly scopes: readonly string[];
  readonly accessTokenMinutes: number;
  readonly generateSecret: boolean;
}

export interface LocalIdentitySpec {
  readonly userPool: ResourceRef;
  readonly resourceServer: { readonly identifier: string; readonly scopes: ReadonlyArray<{ name: string; description: string }> };
  readonly clients: readonly LocalAppClientSpec[];
  /** The pre token generation trigger (V2) function, when the pool has one. */
  readonly preTokenFunctionId?: string;
}

export interface LocalEnvironment {
  readonly config: EnvironmentConfig;
  readonly stacks: readonly TemplateStack[];
  /** Function specs by logical id (logical ids are unique across an environment's stacks). */
  readonly functions: ReadonlyMap<string, LocalFunctionSpec>;
  readonly queues: readonly LocalQueueSpec[];
  readonly eventSources: readonly LocalEventSourceSpec[];
  readonly schedules: readonly LocalScheduleSpec[];
  readonly tables: readonly LocalTableSpec[];
  readonly buckets: readonly (ResourceRef & { name: string })[];
  readonly secrets: readonly LocalSecretSpec[];
  readonly identity: LocalIdentitySpec;
  /** The function behind each API handler key of the route table. */
  readonly apiHandlers: Readonly<Partial<Record<ApiHandlerKey, string>>>;
  /** Milliseconds spent synthesizing. */
  readonly synthMs: number;
}

const byType = (stack: TemplateStack, type: string) => Object.entries(stack.resources).filter(([, resource]) => resource.Type === type);

/** A name CloudFormation would generate, made deterministic: `<stack>-<logicalId>` (S3: lower case). */
function generatedName(stack: TemplateStack, logicalId: string, maxLength = 80): string {
  return `${stack.stackName}-${logicalId}`.slice(0, maxLength);
}

/** `rate(5 minutes)` → 300; cron expressions are run every minute locally (stated where printed). */
export function scheduleSeconds(expression: string): number {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!rate) return 60;
  const unit = rate[2].startsWith('minute') ? 60 : rate[2].startsWith('hour') ? 3600 : 86400;
  return Number(rate[1]) * unit;
}

/** The logical id a Ref / Fn::GetAtt points at, or undefined for anything else. */
function targetOf(value: Json): string | undefined {
  if (value && typeof value === 'object') {
    if (typeof value.Ref === 'string') return value.Ref;
    if (Array.isArray(value['Fn::GetAtt'])) return value['Fn::GetAtt'][0];
  }
  return undefined;
}

/**
 * Synthesizes `config`'s Stage with no bundling and no compliance gate, in this process, into a temp folder, and
 * reads the resources local mode needs.
 */
export function synthesizeEnvironment(config: EnvironmentConfig): LocalEnvironment {
  const started = performance.now();
  // CDK's WASM template check repeats what `cdk synth` checks; local mode only reads the templates.
  process.env.CDK_VALIDATION = 'false';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { App, Stack } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ConnectStage } = require('../lib/stage/connect-stage') as typeof import('../lib/stage/connect-stage');
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const outdir = mkdtempSync(join(tmpdir(), 'connect-local-synth-'));
  try {
    const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
    const stage = new ConnectStage(app, config.name, { config });
    const assembly = app.synth();
    const nested = assembly.getNestedAssembly(`assembly-${config.name}`);
    const stacks: TemplateStack[] = nested.stacks.map((artifact) => ({
      id: artifact.hierarchicalId.split('/').pop() as string,
      stackName: artifact.stackName,
      resources: (artifact.template as Json).Resources ?? {},
      outputs: (artifact.template as Json).Outputs ?? {},
    }));
    const apiHandlers: Partial<Record<ApiHandlerKey, string>> = {};
    for (const [key, fn] of Object.entries(stage.integrations.apiHandlers)) {
      if (fn) apiHandlers[key as ApiHandlerKey] = Stack.of(fn).getLogicalId(fn.node.defaultChild as import('aws-cdk-lib').CfnElement);
    }
    return { ...readResources(config, stacks), apiHandlers, synthMs: Math.round(performance.now() - started) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The resources local mode serves, from the templates of one environment. */
export function readResources(config: EnvironmentConfig, stacks: TemplateStack[]): Omit<LocalEnvironment, 'apiHandlers' | 'synthMs'> {
  const functions = new Map<string, LocalFunctionSpec>();
  const queues: LocalQueueSpec[] = [];
  const eventSources: LocalEventSourceSpec[] = [];
  const schedules: LocalScheduleSpec[] = [];
  const tables: LocalTableSpec[] = [];
  const buckets: Array<ResourceRef & { name: string }> = [];
  const secrets: LocalSecretSpec[] = [];
  let identity: LocalIdentitySpec | undefined;

  for (const stack of stacks) {
    for (const [logicalId, resource] of byType(stack, 'AWS::Lambda::Function')) {
      const variables = resource.Properties?.Environment?.Variables ?? {};
      const handler = variables.POWERTOOLS_SERVICE_NAME;
      // Only ConnectFunctions (handlers of lambda/) run locally; CDK's own helper functions (custom resources) do not.
      if (typeof handler !== 'string') continue;
      functions.set(logicalId, {
        stack: stack.id,
        logicalId,
        handler,
        timeoutSeconds: resource.Properties.Timeout ?? 3,
        memoryMb: resource.Properties.MemorySize ?? 128,
        environment: variables,
      });
    }
    for (const [logicalId, resource] of byType(stack, 'AWS::SQS::Queue')) {
      const p = resource.Properties ?? {};
      const fifo = p.FifoQueue === true;
      const base = typeof p.QueueName === 'string' ? p.QueueName.replace(/\.fifo$/, '') : generatedName(stack, logicalId, 75);
      const deadLetter = targetOf(p.RedrivePolicy?.deadLetterTargetArn);
      queues.push({
        stack: stack.id,
        logicalId,
        name: fifo ? `${base}.fifo` : base,
        fifo,
        contentBasedDeduplication: p.ContentBasedDeduplication === true,
        visibilityTimeoutSeconds: p.VisibilityTimeout ?? 30,
        redrive: deadLetter ? { deadLetter: { stack: stack.id, logicalId: deadLetter }, maxReceiveCount: p.RedrivePolicy.maxReceiveCount } : undefined,
      });
    }
    for (const [, resource] of byType(stack, 'AWS::Lambda::EventSourceMapping')) {
      const p = resource.Properties;
      const functionId = targetOf(p.FunctionName);
      const queueId = targetOf(p.EventSourceArn);
      if (!functionId || !queueId) continue;
      eventSources.push({
        functionId,
        queue: { stack: stack.id, logicalId: queueId },
        batchSize: p.BatchSize ?? 10,
        reportBatchItemFailures: (p.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
        maximumConcurrency: p.ScalingConfig?.MaximumConcurrency,
      });
    }
    for (const [, resource] of byType(stack, 'AWS::Events::Rule')) {
      const p = resource.Properties;
      if (typeof p.ScheduleExpression !== 'string' || p.State === 'DISABLED') continue;
      for (const target of p.Targets ?? []) {
        const functionId = targetOf(target.Arn);
        if (functionId && stack.resources[functionId]?.Type === 'AWS::Lambda::Function') {
          schedules.push({ functionId, expression: p.ScheduleExpression, everySeconds: scheduleSeconds(p.ScheduleExpression), description: p.Description });
        }
      }
    }
    for (const [logicalId, resource] of byType(stack, 'AWS::DynamoDB::Table')) {
      tables.push({ stack: stack.id, logicalId, name: resource.Properties.TableName ?? generatedName(stack, logicalId), properties: resource.Properties });
    }
    for (const [logicalId, resource] of byType(stack, 'AWS::S3::Bucket')) {
      buckets.push({ stack: stack.id, logicalId, name: (resource.Properties?.BucketName ?? generatedName(stack, logicalId, 63)).toLowerCase() });
    }
    for (const [logicalId, resource] of byType(stack, 'AWS::SecretsManager::Secret')) {
      const p = resource.Properties ?? {};
      secrets.push({ stack: stack.id, logicalId, name: p.Name ?? generatedName(stack, logicalId), description: p.Description, generatedKey: p.GenerateSecretString?.GenerateStringKey });
    }
    const [pool] = byType(stack, 'AWS::Cognito::UserPool');
    if (pool) {
      const [, server] = byType(stack, 'AWS::Cognito::UserPoolResourceServer')[0] ?? [];
      const identifier: string = server?.Properties.Identifier ?? 'connect';
      const scopeString = (value: Json): string => {
        if (typeof value === 'string') return value;
        // `Fn::Join ["", [{Ref: ResourceServer}, "/name"]]`: the resource server's Ref is its identifier.
        const parts = value?.['Fn::Join']?.[1] as Json[] | undefined;
        return (parts ?? []).map((part) => (typeof part === 'string' ? part : identifier)).join('');
      };
      identity = {
        userPool: { stack: stack.id, logicalId: pool[0] },
        resourceServer: { identifier, scopes: (server?.Properties.Scopes ?? []).map((s: Json) => ({ name: s.ScopeName, description: s.ScopeDescription })) },
        clients: byType(stack, 'AWS::Cognito::UserPoolClient').map(([logicalId, client]) => ({
          stack: stack.id,
          logicalId,
          name: client.Properties.ClientName ?? logicalId,
          flows: client.Properties.AllowedOAuthFlows ?? [],
          scopes: (client.Properties.AllowedOAuthScopes ?? []).map(scopeString),
          accessTokenMinutes: client.Properties.TokenValidityUnits?.AccessToken === 'minutes' ? (client.Properties.AccessTokenValidity ?? 60) : 60,
          generateSecret: client.Properties.GenerateSecret === true,
        })),
        preTokenFunctionId: targetOf(pool[1].Properties.LambdaConfig?.PreTokenGenerationConfig?.LambdaArn ?? pool[1].Properties.LambdaConfig?.PreTokenGeneration),
      };
    }
  }
  if (!identity) throw new Error(`${config.name}: no Cognito user pool in the synthesized environment`);
  return { config, stacks, functions, queues, eventSources, schedules, tables, buckets, secrets, identity };
}

/** What each local resource is called and addressed as, for resolving the templates' intrinsics. */
export interface LocalAddresses {
  readonly region: string;
  readonly account: string;
  /** `Ref` and `Fn::GetAtt` values by `<stack>/<logicalId>`: `{ Ref: ..., Arn: ..., ... }`. */
  readonly attributes: Map<string, Record<string, string>>;
}

/**
 * A template value with its intrinsics resolved against the local resources. Anything that cannot be resolved (a
 * resource local mode does not run, e.g. a KMS key) becomes `local-unresolved:<what>` so it is visible, not silent.
 */
export function resolveValue(value: Json, stack: TemplateStack, env: { stacks: readonly TemplateStack[] }, addresses: LocalAddresses): Json {
  const recurse = (v: Json, s: TemplateStack): Json => {
    if (typeof v !== 'object' || v === null) return v;
    if (Array.isArray(v)) return v.map((item) => recurse(item, s));
    const keys = Object.keys(v);
    if (keys.length !== 1) return Object.fromEntries(keys.map((k) => [k, recurse(v[k], s)]));
    const [key] = keys;
    const arg = v[key];
    switch (key) {
      case 'Ref': {
        if (arg === 'AWS::Region') return addresses.region;
        if (arg === 'AWS::AccountId') return addresses.account;
        if (arg === 'AWS::Partition') return 'aws';
        if (arg === 'AWS::URLSuffix') return 'amazonaws.com';
        if (arg === 'AWS::StackName') return s.stackName;
        return addresses.attributes.get(`${s.id}/${arg}`)?.Ref ?? `local-unresolved:${s.id}/${arg}`;
      }
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
        return addresses.attributes.get(`${s.id}/${id}`)?.[attribute] ?? `local-unresolved:${s.id}/${id}.${attribute}`;
      }
      case 'Fn::Join':
        return (recurse(arg[1], s) as Json[]).join(arg[0]);
      case 'Fn::Select':
        return (recurse(arg[1], s) as Json[])[Number(recurse(arg[0], s))];
      case 'Fn::Split':
        return String(recurse(arg[1], s)).split(arg[0]);
      case 'Fn::GetStackOutput':
      case 'Fn::ImportValue': {
        const other = key === 'Fn::GetStackOutput' ? env.stacks.find((candidate) => candidate.stackName === arg.StackName) : undefined;
        if (other) {
          const output = other.outputs[arg.OutputName];
          if (output) return recurse(output.Value, other);
        }
        if (key === 'Fn::ImportValue') {
          const name = recurse(arg, s);
          for (const candidate of env.stacks) {
            for (const output of Object.values(candidate.outputs) as Json[]) if (output.Export && recurse(output.Export.Name, candidate) === name) return recurse(output.Value, candidate);
          }
        }
        return `local-unresolved:${JSON.stringify(arg)}`;
      }
      default:
        return Object.fromEntries(keys.map((k) => [k, recurse(v[k], s)]));
    }
  };
  return recurse(value, stack);
}

/** The stack of a stack id. */
export function stackOf(env: { stacks: readonly TemplateStack[] }, id: string): TemplateStack {
  const stack = env.stacks.find((candidate) => candidate.id === id);
  if (!stack) throw new Error(`no stack ${id}`);
  return stack;
}
