/**
 * A local AWS control plane for preflight: one HTTP server on 127.0.0.1 that answers the read-only calls preflight
 * makes, in each service's real wire protocol, from an account state a test sets up:
 *
 * - STS, CloudFormation, SNS: AWS query (form-encoded `Action=...`, XML `<ActionResponse><ActionResult>`, XML errors)
 * - Lambda, Chatbot: REST-JSON (method + path, JSON bodies, `x-amzn-errortype` errors)
 * - Route 53: REST-XML
 * - Secrets Manager, ECR, SSM: JSON 1.1 (`X-Amz-Target`, `__type` errors)
 *
 * Requests are routed by the service in the SigV4 credential scope of their Authorization header, as AWS routes
 * them by host; a request in the wrong protocol for its service is refused with 400 so a protocol mistake shows.
 * Point the SDK at it with AWS_ENDPOINT_URL. Every call is recorded (service, action, signing region).
 */
import type { EnvironmentConfig } from '../../lib/config/schema';
import type { EnvironmentAssembly } from '../../lib/preflight/assembly';
import { type LocalServer, type RecordedRequest, startHttpServer } from './local-aws';

export interface FakeSecret {
  /** Complete ARN; derived from the name when not given. */
  readonly arn?: string;
  /** VersionIdsToStages. */
  readonly versions: Record<string, string[]>;
  readonly deletedDate?: Date;
}

export interface FakeSubscription {
  readonly protocol: string;
  readonly endpoint: string;
  readonly confirmed: boolean;
}

export interface FakeAccountState {
  account: string;
  /** The region STS's credential scope must name is not checked: STS answers in every region. */
  callerArn: string;
  ssmParameters: Record<string, string>;
  stacks: Record<string, { status: string; parameters?: Record<string, string>; functions?: { logicalId: string; physicalId: string }[] }>;
  /** Lambda computes UnreservedConcurrentExecutions as the quota minus every reservation in the account. */
  lambda: { concurrentExecutions: number; reservations: Record<string, number> };
  slackWorkspaces: { id: string; name: string }[];
  teams: { teamId: string; tenantId: string; name: string }[];
  hostedZones: Record<string, { name: string; privateZone: boolean }>;
  /** Keyed by secret name. */
  secrets: Record<string, FakeSecret>;
  /** Repository name → pushed tags. */
  images: Record<string, string[]>;
  /** Topic ARN → subscriptions. */
  topics: Record<string, FakeSubscription[]>;
}

export interface FakeCall {
  readonly service: string;
  readonly action: string;
  readonly region: string;
}

export interface FakeControlPlane extends LocalServer {
  state: FakeAccountState;
  readonly calls: FakeCall[];
  /** Every endpoint variable the SDK reads, pointing at this server (merge into a child process's env). */
  readonly env: Record<string, string>;
  /** Makes every call to `service` (its signing name) hang, to prove the client timeouts. */
  hang(service: string): void;
}

type Reply = { status: number; body?: string | object; headers?: Record<string, string> } | 'hang';

const XML = { 'content-type': 'text/xml' };
const JSON_11 = { 'content-type': 'application/x-amz-json-1.1' };
const NAMESPACES: Record<string, string> = {
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  cloudformation: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
  sns: 'http://sns.amazonaws.com/doc/2010-03-31/',
};
const QUERY_VERSIONS: Record<string, string> = { sts: '2011-06-15', cloudformation: '2010-05-15', sns: '2010-03-31' };
const JSON_TARGETS: Record<string, string> = { secretsmanager: 'secretsmanager', ecr: 'AmazonEC2ContainerRegistry_V20150921', ssm: 'AmazonSSM' };

function esc(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function queryResult(service: string, action: string, inner: string): Reply {
  return { status: 200, headers: XML, body: `<${action}Response xmlns="${NAMESPACES[service]}"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></${action}Response>` };
}

function xmlError(status: number, code: string, message: string, namespace = ''): Reply {
  return { status, headers: XML, body: `<ErrorResponse${namespace ? ` xmlns="${namespace}"` : ''}><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>fake</RequestId></ErrorResponse>` };
}

function jsonError(status: number, type: string, message: string): Reply {
  return { status, headers: JSON_11, body: { __type: type, message } };
}

function restJsonError(status: number, type: string, message: string): Reply {
  return { status, headers: { 'content-type': 'application/json', 'x-amzn-errortype': type }, body: { Type: 'User', message } };
}

function members(items: string[]): string {
  return items.map((item) => `<member>${item}</member>`).join('');
}

function page<T>(items: T[], token: string | undefined, size: number): { items: T[]; next?: string } {
  const start = token ? Number(token) : 0;
  const next = start + size < items.length ? String(start + size) : undefined;
  return { items: items.slice(start, start + size), next };
}

export function secretArn(state: Pick<FakeAccountState, 'account'>, region: string, name: string, secret: FakeSecret): string {
  return secret.arn ?? `arn:aws:secretsmanager:${region}:${state.account}:secret:${name}-AbCdEf`;
}

/** Starts the control plane with a state the test may replace or change between runs (`server.state = ...`). */
export async function startFakeControlPlane(initial: FakeAccountState, options: { pageSize?: number } = {}): Promise<FakeControlPlane & { requests: RecordedRequest[] }> {
  const pageSize = options.pageSize ?? 100;
  const calls: FakeCall[] = [];
  // The object returned: a test that assigns its `state` changes what the next request reads.
  const plane = { state: initial } as FakeControlPlane;
  const hangs = new Set<string>();

  const handle = (request: RecordedRequest): Reply => {
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(request.headers.authorization ?? ''));
    if (!scope) return { status: 403, body: { message: 'missing SigV4 Authorization header' } };
    const [, region, service] = scope;
    const state = plane.state;
    const contentType = String(request.headers['content-type'] ?? '');
    const url = new URL(request.url, 'http://localhost');

    if (service in QUERY_VERSIONS) {
      if (request.method !== 'POST' || !contentType.startsWith('application/x-www-form-urlencoded')) return xmlError(400, 'InvalidRequest', `${service} speaks the AWS query protocol`);
      const form = new URLSearchParams(request.body);
      const action = form.get('Action') ?? '';
      calls.push({ service, action, region });
      if (hangs.has(service)) return 'hang';
      if (form.get('Version') !== QUERY_VERSIONS[service]) return xmlError(400, 'InvalidParameterValue', `expected Version ${QUERY_VERSIONS[service]}`);
      return query(service, action, form, state, region, pageSize);
    }
    if (service in JSON_TARGETS) {
      const target = String(request.headers['x-amz-target'] ?? '');
      const [prefix, action] = target.split('.');
      if (request.method !== 'POST' || contentType !== 'application/x-amz-json-1.1' || prefix !== JSON_TARGETS[service]) return jsonError(400, 'UnknownOperationException', `${service} speaks JSON 1.1 with X-Amz-Target ${JSON_TARGETS[service]}.<Action>`);
      calls.push({ service, action, region });
      if (hangs.has(service)) return 'hang';
      return json11(service, action, JSON.parse(request.body || '{}') as Record<string, unknown>, state, region);
    }
    if (service === 'lambda') {
      const concurrency = /^\/2019-09-30\/functions\/([^/]+)\/concurrency$/.exec(url.pathname);
      if (request.method === 'GET' && url.pathname === '/2016-08-19/account-settings') {
        calls.push({ service, action: 'GetAccountSettings', region });
        if (hangs.has(service)) return 'hang';
        const reserved = Object.values(state.lambda.reservations).reduce((a, b) => a + b, 0);
        return {
          status: 200,
          body: {
            AccountLimit: { TotalCodeSize: 80530636800, CodeSizeUnzipped: 262144000, CodeSizeZipped: 52428800, ConcurrentExecutions: state.lambda.concurrentExecutions, UnreservedConcurrentExecutions: state.lambda.concurrentExecutions - reserved },
            AccountUsage: { TotalCodeSize: 0, FunctionCount: Object.keys(state.lambda.reservations).length },
          },
        };
      }
      if (request.method === 'GET' && concurrency) {
        calls.push({ service, action: 'GetFunctionConcurrency', region });
        const name = decodeURIComponent(concurrency[1]);
        const deployed = Object.values(state.stacks).some((stack) => (stack.functions ?? []).some((f) => f.physicalId === name));
        if (!deployed) return restJsonError(404, 'ResourceNotFoundException', `Function not found: ${name}`);
        const reserved = state.lambda.reservations[name];
        return { status: 200, body: reserved === undefined ? {} : { ReservedConcurrentExecutions: reserved } };
      }
      return restJsonError(404, 'UnknownOperationException', `no Lambda operation ${request.method} ${url.pathname}`);
    }
    if (service === 'chatbot') {
      if (request.method !== 'POST') return restJsonError(404, 'UnknownOperationException', 'Chatbot operations are POST');
      const body = JSON.parse(request.body || '{}') as { NextToken?: string; MaxResults?: number };
      if (url.pathname === '/describe-slack-workspaces') {
        calls.push({ service, action: 'DescribeSlackWorkspaces', region });
        if (hangs.has(service)) return 'hang';
        const { items, next } = page(state.slackWorkspaces, body.NextToken, Math.min(body.MaxResults ?? pageSize, pageSize));
        return { status: 200, body: { SlackWorkspaces: items.map((w) => ({ SlackTeamId: w.id, SlackTeamName: w.name })), ...(next ? { NextToken: next } : {}) } };
      }
      if (url.pathname === '/list-ms-teams-configured-teams') {
        calls.push({ service, action: 'ListMicrosoftTeamsConfiguredTeams', region });
        const { items, next } = page(state.teams, body.NextToken, Math.min(body.MaxResults ?? pageSize, pageSize));
        return { status: 200, body: { ConfiguredTeams: items.map((t) => ({ TeamId: t.teamId, TenantId: t.tenantId, TeamName: t.name })), ...(next ? { NextToken: next } : {}) } };
      }
      return restJsonError(404, 'UnknownOperationException', `no Chatbot operation ${url.pathname}`);
    }
    if (service === 'route53') {
      const zone = /^\/2013-04-01\/hostedzone\/([^/]+)$/.exec(url.pathname);
      if (request.method !== 'GET' || !zone) return xmlError(404, 'UnknownOperation', `no Route 53 operation ${request.method} ${url.pathname}`);
      calls.push({ service, action: 'GetHostedZone', region });
      if (hangs.has(service)) return 'hang';
      const id = decodeURIComponent(zone[1]);
      const found = state.hostedZones[id];
      if (!found) return xmlError(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${id}`, 'https://route53.amazonaws.com/doc/2013-04-01/');
      return {
        status: 200,
        headers: XML,
        body: `<GetHostedZoneResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><HostedZone><Id>/hostedzone/${id}</Id><Name>${esc(found.name)}</Name><CallerReference>fake</CallerReference><Config><PrivateZone>${found.privateZone}</PrivateZone></Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone><DelegationSet><NameServers><NameServer>ns-1.awsdns-00.com</NameServer></NameServers></DelegationSet></GetHostedZoneResponse>`,
      };
    }
    return { status: 400, body: { message: `the fake control plane does not serve ${service}` } };
  };

  const server = await startHttpServer(handle);
  return Object.assign(plane, server, {
    calls,
    env: { AWS_ENDPOINT_URL: server.endpoint },
    hang(service: string) {
      hangs.add(service);
    },
  });
}

function query(service: string, action: string, form: URLSearchParams, state: FakeAccountState, region: string, pageSize: number): Reply {
  if (service === 'sts' && action === 'GetCallerIdentity') {
    return queryResult(service, action, `<Arn>${esc(state.callerArn)}</Arn><UserId>AIDAFAKE</UserId><Account>${state.account}</Account>`);
  }
  if (service === 'cloudformation' && (action === 'DescribeStacks' || action === 'ListStackResources')) {
    const name = form.get('StackName') ?? '';
    const stack = state.stacks[name];
    if (!stack) return xmlError(400, 'ValidationError', `Stack with id ${name} does not exist`, NAMESPACES.cloudformation);
    const stackId = `arn:aws:cloudformation:${region}:${state.account}:stack/${name}/00000000-0000-0000-0000-000000000000`;
    if (action === 'DescribeStacks') {
      const parameters = members(Object.entries(stack.parameters ?? {}).map(([k, v]) => `<ParameterKey>${esc(k)}</ParameterKey><ParameterValue>${esc(v)}</ParameterValue>`));
      return queryResult(service, action, `<Stacks><member><StackId>${stackId}</StackId><StackName>${esc(name)}</StackName><CreationTime>2026-11-01T00:00:00.000Z</CreationTime><StackStatus>${stack.status}</StackStatus><Parameters>${parameters}</Parameters></member></Stacks>`);
    }
    const { items, next } = page(stack.functions ?? [], form.get('NextToken') ?? undefined, pageSize);
    const summaries = members(
      items.map((f) => `<LogicalResourceId>${f.logicalId}</LogicalResourceId><PhysicalResourceId>${esc(f.physicalId)}</PhysicalResourceId><ResourceType>AWS::Lambda::Function</ResourceType><LastUpdatedTimestamp>2026-11-01T00:00:00.000Z</LastUpdatedTimestamp><ResourceStatus>CREATE_COMPLETE</ResourceStatus>`),
    );
    return queryResult(service, action, `<StackResourceSummaries>${summaries}</StackResourceSummaries>${next ? `<NextToken>${next}</NextToken>` : ''}`);
  }
  if (service === 'sns' && action === 'ListSubscriptionsByTopic') {
    const arn = form.get('TopicArn') ?? '';
    const subscriptions = state.topics[arn];
    if (!subscriptions) return xmlError(404, 'NotFound', 'Topic does not exist', NAMESPACES.sns);
    const { items, next } = page(subscriptions, form.get('NextToken') ?? undefined, pageSize);
    const rendered = members(
      items.map(
        (s, i) =>
          `<TopicArn>${esc(arn)}</TopicArn><Protocol>${s.protocol}</Protocol><SubscriptionArn>${s.confirmed ? `${esc(arn)}:0000000${i}-fake` : 'PendingConfirmation'}</SubscriptionArn><Owner>${state.account}</Owner><Endpoint>${esc(s.endpoint)}</Endpoint>`,
      ),
    );
    return queryResult(service, action, `<Subscriptions>${rendered}</Subscriptions>${next ? `<NextToken>${next}</NextToken>` : ''}`);
  }
  return xmlError(400, 'InvalidAction', `the fake ${service} does not serve ${action}`);
}

function json11(service: string, action: string, body: Record<string, unknown>, state: FakeAccountState, region: string): Reply {
  if (service === 'secretsmanager' && action === 'DescribeSecret') {
    const id = String(body.SecretId ?? '');
    const found = Object.entries(state.secrets).find(([name, secret]) => name === id || secretArn(state, region, name, secret) === id);
    if (!found) return jsonError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const [name, secret] = found;
    return {
      status: 200,
      headers: JSON_11,
      body: { ARN: secretArn(state, region, name, secret), Name: name, VersionIdsToStages: secret.versions, CreatedDate: 1793491200, ...(secret.deletedDate ? { DeletedDate: secret.deletedDate.getTime() / 1000 } : {}) },
    };
  }
  if (service === 'ecr' && action === 'DescribeImages') {
    const repository = String(body.repositoryName ?? '');
    if (body.registryId !== undefined && body.registryId !== state.account) return jsonError(400, 'RepositoryNotFoundException', `The repository with name '${repository}' does not exist in the registry with id '${String(body.registryId)}'`);
    const tags = state.images[repository];
    if (!tags) return jsonError(400, 'RepositoryNotFoundException', `The repository with name '${repository}' does not exist in the registry with id '${state.account}'`);
    const wanted = ((body.imageIds as { imageTag?: string }[] | undefined) ?? []).map((i) => i.imageTag);
    const missing = wanted.find((tag) => !tags.includes(tag ?? ''));
    if (missing) return jsonError(400, 'ImageNotFoundException', `The image with imageId {imageDigest:'null', imageTag:'${missing}'} does not exist within the repository with name '${repository}' in the registry with id '${state.account}'`);
    const shown = wanted.length > 0 ? wanted : tags;
    return { status: 200, headers: JSON_11, body: { imageDetails: shown.map((tag) => ({ registryId: state.account, repositoryName: repository, imageDigest: `sha256:${'0'.repeat(64)}`, imageTags: [tag], imagePushedAt: 1793491200 })) } };
  }
  if (service === 'ssm' && action === 'GetParameter') {
    const name = String(body.Name ?? '');
    const value = state.ssmParameters[name];
    if (value === undefined) return jsonError(400, 'ParameterNotFound', '');
    return { status: 200, headers: JSON_11, body: { Parameter: { Name: name, Type: 'String', Value: value, Version: 1, DataType: 'text', ARN: `arn:aws:ssm:${region}:${state.account}:parameter${name}` } } };
  }
  return jsonError(400, 'UnknownOperationException', `the fake ${service} does not serve ${action}`);
}

// --- account states -------------------------------------------------------------------------------------------

export interface AccountStateOptions {
  /** Whether the environment's stacks are deployed (a re-deploy) or not yet (the first deploy). */
  readonly deployed: boolean;
  readonly trustedAccounts?: string[];
  /** The account's Lambda quota (default 1,000). */
  readonly concurrentExecutions?: number;
}

const CONFIRMED_VERSIONS = { 'v-generated': ['AWSPREVIOUS'], 'v-put': ['AWSCURRENT'] };

/**
 * A ready account for `config`: bootstrapped (version 30), images pushed, chat authorized, zone in place, referenced
 * secrets with values; when deployed, its stacks hold their functions' reservations, created secrets hold real
 * values and every e-mail subscription is confirmed. Derived from the config and the synthesized templates by the
 * naming rules the stacks document, not through preflight's own helpers.
 */
export function readyAccount(config: EnvironmentConfig, assembly: EnvironmentAssembly, options: AccountStateOptions): FakeAccountState {
  const state: FakeAccountState = {
    account: config.account,
    callerArn: `arn:aws:sts::${config.account}:assumed-role/Deployer/sre`,
    // The bootstrap version, and each service's image-tag parameter recording its first image (docs/SERVICES.md).
    ssmParameters: { '/cdk-bootstrap/hnb659fds/version': '30', ...Object.fromEntries(config.services.map((s) => [`/connect/${config.name}/services/${s.name}/image-tag`, s.imageTag])) },
    stacks: { CDKToolkit: { status: 'UPDATE_COMPLETE', parameters: { Qualifier: 'hnb659fds', TrustedAccounts: (options.trustedAccounts ?? []).join(','), TrustedAccountsForLookup: '' } } },
    lambda: { concurrentExecutions: options.concurrentExecutions ?? 1000, reservations: {} },
    slackWorkspaces: config.alarms.chat?.type === 'slack' ? [{ id: config.alarms.chat.workspaceId, name: 'Example' }] : [],
    teams: config.alarms.chat?.type === 'teams' ? [{ teamId: config.alarms.chat.teamId, tenantId: config.alarms.chat.tenantId, name: 'Example' }] : [],
    hostedZones: {},
    secrets: {},
    images: Object.fromEntries(config.services.map((s) => [`connect/${config.name}/${s.name}`, ['0.9.0', s.imageTag]])),
    topics: {},
  };
  const domain = config.api.customDomain;
  const zoneName = (domain as { hostedZoneName?: string } | undefined)?.hostedZoneName ?? domain?.domainName.split('.').slice(1).join('.');
  if (domain?.hostedZoneId) state.hostedZones[domain.hostedZoneId] = { name: `${zoneName}.`, privateZone: false };
  const external = [...config.services.flatMap((s) => Object.values(s.secrets)), ...config.identity.federation.flatMap((p) => (p.type === 'oidc' ? [p.clientSecretArn] : []))];
  for (const reference of external) {
    const arn = reference.split(':').slice(0, 7).join(':');
    state.secrets[arn.split(':')[6].replace(/-[A-Za-z0-9]{6}$/, '')] = { arn, versions: { 'v-1': ['AWSCURRENT'] } };
  }
  if (options.deployed) {
    for (const { stackName, template } of assembly.stacks) {
      const functions: { logicalId: string; physicalId: string }[] = [];
      for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
        if (resource.Type === 'AWS::Lambda::Function') {
          const physicalId = `${stackName}-${logicalId}`.slice(0, 64);
          functions.push({ logicalId, physicalId });
          const reserved = resource.Properties?.ReservedConcurrentExecutions;
          if (typeof reserved === 'number') state.lambda.reservations[physicalId] = reserved;
        }
        if (resource.Type === 'AWS::SecretsManager::Secret' && typeof resource.Properties?.Name === 'string') state.secrets[resource.Properties.Name] = { versions: { ...CONFIRMED_VERSIONS } };
      }
      state.stacks[stackName] = { status: 'UPDATE_COMPLETE', functions };
    }
    const topic = (severity: string) => `arn:aws:sns:${config.region}:${config.account}:connect-${config.name}-alerts-${severity}`;
    state.topics[topic('critical')] = config.alarms.emails.map((endpoint) => ({ protocol: 'email', endpoint, confirmed: true }));
    state.topics[topic('warning')] = (config.alarms.warningEmails ?? config.alarms.emails).map((endpoint) => ({ protocol: 'email', endpoint, confirmed: true }));
  }
  return state;
}

/**
 * The account an SRE finds after a first `cdk deploy` that skipped the README's steps: the bootstrap is old and
 * trusts nobody, another workload reserved the Lambda concurrency, chat was never authorized, the zone is another domain's,
 * the referenced secrets are missing, the generated placeholders were never replaced, the image tags were never
 * pushed, and nobody confirmed an e-mail subscription.
 */
export function unreadyAccount(config: EnvironmentConfig, assembly: EnvironmentAssembly): FakeAccountState {
  const state = readyAccount(config, assembly, { deployed: true });
  state.ssmParameters['/cdk-bootstrap/hnb659fds/version'] = '5';
  // Another workload in the account reserved all but 50 of what this environment's functions do not hold.
  const environmentReserved = Object.values(state.lambda.reservations).reduce((a, b) => a + b, 0);
  state.lambda.reservations['other-workload'] = state.lambda.concurrentExecutions - environmentReserved - 50;
  state.slackWorkspaces = [];
  state.teams = [];
  for (const id of Object.keys(state.hostedZones)) state.hostedZones[id] = { name: 'other-domain.example.', privateZone: false };
  for (const [name, secret] of Object.entries(state.secrets)) {
    if (secret.arn) delete state.secrets[name];
    else state.secrets[name] = { versions: { 'v-generated': ['AWSCURRENT'] } };
  }
  for (const repository of Object.keys(state.images)) state.images[repository] = ['0.9.0'];
  for (const subscriptions of Object.values(state.topics)) subscriptions.forEach((s, i) => (subscriptions[i] = { ...s, confirmed: false }));
  return state;
}
