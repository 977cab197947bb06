/**
 * Preflight's AWS reads: small adapters that turn read-only API answers into the observations lib/preflight/
 * decisions/ decides on. Only Describe/Get/List calls; never a secret's value. Endpoints come from the SDK's
 * standard resolution, so AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> point the same code at a local server.
 */
import { ChatbotClient, DescribeSlackWorkspacesCommand, ListMicrosoftTeamsConfiguredTeamsCommand } from '@aws-sdk/client-chatbot';
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { GetAccountSettingsCommand, GetFunctionConcurrencyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { EnvironmentConfig } from '../config/schema';
import type {
  CallerObservation,
  ChatObservation,
  ConcurrencyObservation,
  HostedZoneObservation,
  ImageObservation,
  ImageReference,
  SecretObservation,
  SubscriptionObservation,
  ToolkitStackObservation,
} from './decisions';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

type ClientConfig = ReturnType<typeof clientConfig>;

function clientConfig(region: string | undefined, requestTimeoutMs: number) {
  return {
    ...(region ? { region } : {}),
    maxAttempts: 3,
    // Recent @smithy/node-http-handler only warns on requestTimeout unless told to throw.
    requestHandler: { requestTimeout: requestTimeoutMs, connectionTimeout: Math.min(requestTimeoutMs, 5_000), throwOnRequestTimeout: true },
  };
}

/**
 * The SDK clients of one preflight run: one per service and region, made at first use, all with the same per-request
 * timeout (a hung endpoint fails its check instead of holding preflight) and bounded retries. A client made per read
 * resolved its configuration and credentials, and derived its signing key, again: a dozen clients per run.
 */
export class AwsClients {
  private readonly made = new Map<unknown, Map<string | undefined, unknown>>();

  constructor(readonly requestTimeoutMs: number) {}

  /** `region` undefined: the region the SDK's own configuration resolves (AWS_REGION, the profile). */
  of<T>(Client: new (config: ClientConfig) => T, region: string | undefined): T {
    let byRegion = this.made.get(Client);
    if (!byRegion) this.made.set(Client, (byRegion = new Map()));
    if (!byRegion.has(region)) byRegion.set(region, new Client(clientConfig(region, this.requestTimeoutMs)));
    return byRegion.get(region) as T;
  }
}

function errorName(error: unknown): string {
  return (error as { name?: string }).name ?? '';
}

/** The account of the credentials (GetCallerIdentity) and the region their configuration resolves to. */
export async function readCaller(fallbackRegion: string, clients: AwsClients): Promise<CallerObservation> {
  let region: string | undefined;
  try {
    region = await clients.of(STSClient, undefined).config.region();
  } catch {
    region = undefined; // no AWS_REGION, no profile region: reported by the check
  }
  const identity = await clients.of(STSClient, region ?? fallbackRegion).send(new GetCallerIdentityCommand({}));
  return { account: identity.Account ?? '', arn: identity.Arn ?? '', region };
}

/** The bootstrap version parameter (what the templates' CheckBootstrapVersion rule reads); undefined when absent. */
export async function readBootstrapVersion(region: string, ssmParameter: string, clients: AwsClients): Promise<number | undefined> {
  try {
    const { Parameter } = await clients.of(SSMClient, region).send(new GetParameterCommand({ Name: ssmParameter }));
    return Number(Parameter?.Value);
  } catch (error) {
    if (errorName(error) === 'ParameterNotFound') return undefined;
    throw error;
  }
}

function stackMissing(error: unknown): boolean {
  return errorName(error) === 'ValidationError' && /does not exist/.test((error as Error).message);
}

/** The bootstrap stack's status and parameters (Qualifier, TrustedAccounts); undefined when there is none. */
export async function readToolkitStack(region: string, stackName: string, clients: AwsClients): Promise<ToolkitStackObservation | undefined> {
  try {
    const { Stacks } = await clients.of(CloudFormationClient, region).send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    if (!stack) return undefined;
    return { status: stack.StackStatus ?? 'UNKNOWN', parameters: Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? ''])) };
  } catch (error) {
    if (stackMissing(error)) return undefined;
    throw error;
  }
}

/**
 * The account's Lambda quota and unreserved figure, and the reservations this environment's deployed functions
 * hold today: the functions are found through the environment's stacks (ListStackResources; none before the
 * first deploy) and each one's reservation read with GetFunctionConcurrency. ListFunctions would not do: it
 * does not return reservations, and the generated function names do not say which environment they belong to.
 */
export async function readConcurrency(region: string, stackNames: readonly string[], clients: AwsClients): Promise<ConcurrencyObservation> {
  const lambda = clients.of(LambdaClient, region);
  const cloudformation = clients.of(CloudFormationClient, region);
  const { AccountLimit } = await lambda.send(new GetAccountSettingsCommand({}));
  const functions: string[] = [];
  for (const stackName of stackNames) {
    let NextToken: string | undefined;
    try {
      do {
        const page = await cloudformation.send(new ListStackResourcesCommand({ StackName: stackName, NextToken }));
        for (const resource of page.StackResourceSummaries ?? []) {
          if (resource.ResourceType === 'AWS::Lambda::Function' && resource.PhysicalResourceId && resource.ResourceStatus !== 'DELETE_COMPLETE') functions.push(resource.PhysicalResourceId);
        }
        NextToken = page.NextToken;
      } while (NextToken);
    } catch (error) {
      if (!stackMissing(error)) throw error;
    }
  }
  let reserved = 0;
  for (const name of functions) {
    try {
      reserved += (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: name }))).ReservedConcurrentExecutions ?? 0;
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
    }
  }
  return { accountLimit: AccountLimit?.ConcurrentExecutions ?? 0, unreserved: AccountLimit?.UnreservedConcurrentExecutions ?? 0, reservedByDeployedFunctions: reserved };
}

/**
 * The AWS Chatbot API is served in a few regions only (us-east-2, us-west-2, ap-southeast-1, eu-west-1) and holds
 * the account's workspace authorizations in each: https://docs.aws.amazon.com/cli/latest/reference/chatbot/index.html
 */
export const CHATBOT_API_REGIONS = ['us-east-2', 'us-west-2', 'ap-southeast-1', 'eu-west-1'];

export function chatbotRegion(region: string): string {
  return CHATBOT_API_REGIONS.includes(region) ? region : 'us-east-2';
}

/** The Slack workspaces or Teams teams authorized in AWS Chatbot. */
export async function readChat(region: string, chat: NonNullable<EnvironmentConfig['alarms']['chat']>, clients: AwsClients): Promise<ChatObservation> {
  const client = clients.of(ChatbotClient, chatbotRegion(region));
  let NextToken: string | undefined;
  if (chat.type === 'slack') {
    const slackWorkspaceIds: string[] = [];
    do {
      const page = await client.send(new DescribeSlackWorkspacesCommand({ NextToken }));
      slackWorkspaceIds.push(...(page.SlackWorkspaces ?? []).map((w) => w.SlackTeamId ?? ''));
      NextToken = page.NextToken;
    } while (NextToken);
    return { slackWorkspaceIds };
  }
  const teams: { teamId: string; tenantId: string }[] = [];
  do {
    const page = await client.send(new ListMicrosoftTeamsConfiguredTeamsCommand({ NextToken }));
    teams.push(...(page.ConfiguredTeams ?? []).map((t) => ({ teamId: t.TeamId ?? '', tenantId: t.TenantId ?? '' })));
    NextToken = page.NextToken;
  } while (NextToken);
  return { teams };
}

/** Route 53 is global; its API is signed for us-east-1. Undefined when the zone does not exist. */
export async function readHostedZone(zoneId: string, clients: AwsClients): Promise<HostedZoneObservation | undefined> {
  try {
    const { HostedZone } = await clients.of(Route53Client, 'us-east-1').send(new GetHostedZoneCommand({ Id: zoneId }));
    return { name: HostedZone?.Name ?? '', privateZone: HostedZone?.Config?.PrivateZone ?? false };
  } catch (error) {
    if (errorName(error) === 'NoSuchHostedZone') return undefined;
    throw error;
  }
}

/** DescribeSecret per secret (metadata only: never GetSecretValue); undefined when it does not exist. */
export async function readSecrets(region: string, ids: readonly string[], clients: AwsClients): Promise<Map<string, SecretObservation | undefined>> {
  const client = clients.of(SecretsManagerClient, region);
  const observed = new Map<string, SecretObservation | undefined>();
  for (const id of ids) {
    try {
      const secret = await client.send(new DescribeSecretCommand({ SecretId: id }));
      observed.set(id, { versions: secret.VersionIdsToStages ?? {}, deletedDate: secret.DeletedDate });
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
      observed.set(id, undefined);
    }
  }
  return observed;
}

/** The value of each service's image-tag parameter (service → parameter name); undefined where there is none yet. */
export async function readImageTags(region: string, parameters: ReadonlyMap<string, string>, clients: AwsClients): Promise<Map<string, string | undefined>> {
  const client = clients.of(SSMClient, region);
  const observed = new Map<string, string | undefined>();
  for (const [service, name] of parameters) {
    try {
      const { Parameter } = await client.send(new GetParameterCommand({ Name: name }));
      observed.set(service, Parameter?.Value);
    } catch (error) {
      if (errorName(error) !== 'ParameterNotFound') throw error;
      observed.set(service, undefined);
    }
  }
  return observed;
}

/** DescribeImages by tag in each service's repository. */
export async function readImages(region: string, account: string, images: readonly ImageReference[], clients: AwsClients): Promise<Map<string, ImageObservation>> {
  const client = clients.of(ECRClient, region);
  const observed = new Map<string, ImageObservation>();
  for (const image of images) {
    try {
      const { imageDetails } = await client.send(new DescribeImagesCommand({ registryId: account, repositoryName: image.repository, imageIds: [{ imageTag: image.tag }] }));
      observed.set(image.service, (imageDetails ?? []).length > 0 ? 'present' : 'no-image');
    } catch (error) {
      const name = errorName(error);
      if (name === 'ImageNotFoundException') observed.set(image.service, 'no-image');
      else if (name === 'RepositoryNotFoundException') observed.set(image.service, 'no-repository');
      else throw error;
    }
  }
  return observed;
}

/** Every subscription of each topic; undefined for a topic that does not exist yet. */
export async function readSubscriptions(region: string, topicArns: readonly string[], clients: AwsClients): Promise<Map<string, SubscriptionObservation[] | undefined>> {
  const client = clients.of(SNSClient, region);
  const observed = new Map<string, SubscriptionObservation[] | undefined>();
  for (const arn of topicArns) {
    const subscriptions: SubscriptionObservation[] = [];
    try {
      let NextToken: string | undefined;
      do {
        const page = await client.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn, NextToken }));
        subscriptions.push(...(page.Subscriptions ?? []).map((s) => ({ protocol: s.Protocol ?? '', endpoint: s.Endpoint ?? '', subscriptionArn: s.SubscriptionArn ?? '' })));
        NextToken = page.NextToken;
      } while (NextToken);
      observed.set(arn, subscriptions);
    } catch (error) {
      if (errorName(error) !== 'NotFoundException') throw error;
      observed.set(arn, undefined);
    }
  }
  return observed;
}
