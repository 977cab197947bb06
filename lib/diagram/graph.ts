/**
 * The architecture graph of one environment, read from its synthesized templates: each stack a cluster, its main
 * resources nodes (MAIN_TYPES), and an edge wherever one main resource uses another. Uses are found from the
 * references the templates hold (Ref, Fn::GetAtt, Fn::GetStackOutput, Fn::ImportValue), after resolving the
 * resources that only wire things (an API's methods belong to the API, a listener to its load balancer, a role's
 * policy to the function or service that assumes the role), plus the flows AWS wires through a resource of its
 * own: a queue triggers a function (event source mapping), a web ACL protects an API stage, a topic delivers to a
 * subscriber. Names are the logical ids less their hashes, so no hash or asset id reaches a label; output is sorted.
 */
import type { EnvironmentStack } from '../preflight/assembly';

type Resources = Readonly<Record<string, { readonly Type: string; readonly Properties?: Record<string, any>; readonly Metadata?: Record<string, any> }>>;

export interface DiagramNode {
  /** Stable id: `<stack>/<construct path below the stack>`. */
  readonly id: string;
  readonly stack: string;
  readonly kind: string;
  readonly name: string;
  readonly category: Category;
}

export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly label?: string;
}

export interface DiagramGraph {
  readonly environment: string;
  readonly stacks: readonly string[];
  readonly nodes: readonly DiagramNode[];
  readonly edges: readonly DiagramEdge[];
}

export type Category = 'edge' | 'compute' | 'data' | 'messaging' | 'network' | 'security' | 'observability';

/** The resources drawn, with the kind shown on the node. */
export const MAIN_TYPES: Readonly<Record<string, { readonly kind: string; readonly category: Category }>> = {
  'AWS::EC2::VPC': { kind: 'VPC', category: 'network' },
  'AWS::EC2::NatGateway': { kind: 'NAT gateway', category: 'network' },
  'AWS::EC2::VPNConnection': { kind: 'Site-to-Site VPN', category: 'network' },
  'AWS::EC2::TransitGatewayAttachment': { kind: 'transit gateway attachment', category: 'network' },
  'AWS::EC2::TransitGatewayVpcAttachment': { kind: 'transit gateway attachment', category: 'network' },
  'AWS::EC2::ClientVpnEndpoint': { kind: 'Client VPN', category: 'network' },
  'AWS::Route53Resolver::ResolverEndpoint': { kind: 'Resolver endpoint', category: 'network' },
  'AWS::WAFv2::WebACL': { kind: 'WAF web ACL', category: 'edge' },
  'AWS::ApiGateway::RestApi': { kind: 'REST API', category: 'edge' },
  'AWS::ApiGatewayV2::VpcLink': { kind: 'VPC link', category: 'edge' },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': { kind: 'load balancer', category: 'edge' },
  'AWS::CloudFront::Distribution': { kind: 'CloudFront', category: 'edge' },
  'AWS::Cognito::UserPool': { kind: 'Cognito user pool', category: 'security' },
  'AWS::KMS::Key': { kind: 'KMS key', category: 'security' },
  'AWS::SecretsManager::Secret': { kind: 'secret', category: 'security' },
  'AWS::Lambda::Function': { kind: 'Lambda', category: 'compute' },
  'AWS::ECS::Service': { kind: 'Fargate service', category: 'compute' },
  'AWS::StepFunctions::StateMachine': { kind: 'state machine', category: 'compute' },
  'AWS::ECR::Repository': { kind: 'ECR repository', category: 'data' },
  'AWS::SQS::Queue': { kind: 'SQS queue', category: 'messaging' },
  'AWS::SNS::Topic': { kind: 'SNS topic', category: 'messaging' },
  'AWS::Events::Rule': { kind: 'EventBridge rule', category: 'messaging' },
  'AWS::KinesisFirehose::DeliveryStream': { kind: 'Firehose stream', category: 'messaging' },
  'AWS::S3::Bucket': { kind: 'S3 bucket', category: 'data' },
  'AWS::DynamoDB::Table': { kind: 'DynamoDB table', category: 'data' },
  'AWS::RDS::DBCluster': { kind: 'Aurora cluster', category: 'data' },
  'AWS::RDS::DBProxy': { kind: 'RDS Proxy', category: 'data' },
  'AWS::ElastiCache::ServerlessCache': { kind: 'ElastiCache', category: 'data' },
  'AWS::ElastiCache::ReplicationGroup': { kind: 'ElastiCache', category: 'data' },
  'AWS::Glue::Table': { kind: 'Glue table', category: 'data' },
  'AWS::Athena::WorkGroup': { kind: 'Athena workgroup', category: 'observability' },
  'AWS::CloudWatch::Dashboard': { kind: 'dashboard', category: 'observability' },
  'AWS::Synthetics::Canary': { kind: 'canary', category: 'observability' },
  'AWS::RUM::AppMonitor': { kind: 'RUM app monitor', category: 'observability' },
  'AWS::Budgets::Budget': { kind: 'budget', category: 'observability' },
  'AWS::Chatbot::SlackChannelConfiguration': { kind: 'Slack channel', category: 'messaging' },
  'AWS::Chatbot::MicrosoftTeamsChannelConfiguration': { kind: 'Teams channel', category: 'messaging' },
};

/** Drawn, but what they reference is not an edge: they read everything (metrics) or everything uses them (keys). */
const NO_OUTGOING = new Set(['AWS::CloudWatch::Dashboard', 'AWS::Budgets::Budget']);
const NO_INCOMING = new Set(['AWS::KMS::Key']);
/** Wiring whose references say nothing about the flow (a permission's SourceArn points back at the caller). */
const IGNORED = new Set(['AWS::Lambda::Permission', 'AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm', 'AWS::Logs::LogGroup', 'AWS::CDK::Metadata', 'AWS::KMS::Alias']);
/** SQS actions a consumer needs to be triggered by its event source mapping: the mapping draws that edge. */
const CONSUME_ONLY = /^sqs:(ReceiveMessage|DeleteMessage|GetQueueAttributes|GetQueueUrl|ChangeMessageVisibility)$/;

const isInternal = (logicalId: string, path: string) => /CustomResourceProvider|Provider\/framework|AWS679f53fac002430cb0da5b7982bd2287|LogRetention|BucketNotificationsHandler/.test(`${logicalId} ${path}`);

interface Located {
  readonly stack: string;
  readonly logicalId: string;
}
const key = (l: Located) => `${l.stack} ${l.logicalId}`;

export function buildGraph(environment: string, stacks: readonly EnvironmentStack[]): DiagramGraph {
  const stackId = (stackName: string) => (stackName.startsWith(`${environment}-`) ? stackName.slice(environment.length + 1) : stackName);
  const byName = new Map(stacks.map((s) => [s.stackName, s]));
  const resources = (stackName: string): Resources => (byName.get(stackName)?.template.Resources ?? {}) as Resources;
  const all = stacks.flatMap((s) => Object.entries(resources(s.stackName)).map(([logicalId, resource]) => ({ stack: s.stackName, logicalId, resource })));
  const find = (l: Located) => resources(l.stack)[l.logicalId];

  // Nodes: main resources, named by their construct path below the stack.
  const nodes = new Map<string, DiagramNode>();
  for (const { stack, logicalId, resource } of all) {
    const main = MAIN_TYPES[resource.Type];
    const path = String(resource.Metadata?.['aws:cdk:path'] ?? '');
    if (!main || isInternal(logicalId, path)) continue;
    const name = displayName(logicalId, `${environment}${stackId(stack)}`);
    nodes.set(key({ stack, logicalId }), { id: `${stackId(stack)}/${name}`, stack: stackId(stack), kind: main.kind, name, category: main.category });
  }
  // Two ids that differ only in their hashes keep their full logical ids.
  const ids = [...nodes.values()].map((n) => n.id);
  for (const [k, node] of nodes) {
    if (ids.indexOf(node.id) !== ids.lastIndexOf(node.id)) nodes.set(k, { ...node, id: `${node.stack}/${toLocated(k).logicalId}`, name: toLocated(k).logicalId });
  }

  // Every reference a value holds, resolved across stacks (a cross-stack reference names the producer's output).
  const referencesIn = (value: unknown, stack: string, out: Located[] = [], depth = 0): Located[] => {
    if (depth > 6 || value === null || typeof value !== 'object') return out;
    if (Array.isArray(value)) {
      for (const item of value) referencesIn(item, stack, out, depth);
      return out;
    }
    const v = value as Record<string, any>;
    if (typeof v.Ref === 'string' && !v.Ref.startsWith('AWS::')) out.push({ stack, logicalId: v.Ref });
    else if (v['Fn::GetAtt']) out.push({ stack, logicalId: Array.isArray(v['Fn::GetAtt']) ? String(v['Fn::GetAtt'][0]) : String(v['Fn::GetAtt']).split('.')[0] });
    else if (v['Fn::GetStackOutput']) {
      const { StackName, OutputName } = v['Fn::GetStackOutput'];
      const output = (byName.get(StackName)?.template as any)?.Outputs?.[OutputName];
      if (output) referencesIn(output.Value, StackName, out, depth + 1);
    } else if (typeof v['Fn::ImportValue'] === 'string') {
      for (const s of stacks) {
        for (const output of Object.values<any>((s.template as any).Outputs ?? {})) if (output?.Export?.Name === v['Fn::ImportValue']) referencesIn(output.Value, s.stackName, out, depth + 1);
      }
    } else for (const item of Object.values(v)) referencesIn(item, stack, out, depth);
    return out;
  };

  // Owners: which main resource a wiring resource belongs to.
  const owners = new Map<string, string[]>();
  const own = (wiring: Located, owner: string) => owners.set(key(wiring), [...new Set([...(owners.get(key(wiring)) ?? []), owner])]);
  const ownersOf = (l: Located, seen = new Set<string>()): string[] => {
    if (nodes.has(key(l))) return [key(l)];
    if (seen.has(key(l))) return [];
    seen.add(key(l));
    return (owners.get(key(l)) ?? []).flatMap((o) => (nodes.has(o) ? [o] : ownersOf(toLocated(o), seen)));
  };
  const firstRef = (value: unknown, stack: string) => referencesIn(value, stack)[0];
  for (const { stack, logicalId, resource } of all) {
    const p = resource.Properties ?? {};
    const self = { stack, logicalId };
    const ownedBy = (value: unknown) => {
      const target = firstRef(value, stack);
      if (target) own(self, key(target));
    };
    if (resource.Type.startsWith('AWS::ApiGateway::') && p.RestApiId) ownedBy(p.RestApiId);
    if (resource.Type === 'AWS::ElasticLoadBalancingV2::Listener') ownedBy(p.LoadBalancerArn);
    if (resource.Type === 'AWS::RDS::DBProxyTargetGroup') ownedBy(p.DBProxyName);
    if (resource.Type === 'AWS::RDS::DBInstance') ownedBy(p.DBClusterIdentifier);
    if (resource.Type === 'AWS::ElasticLoadBalancingV2::ListenerRule') ownedBy(p.ListenerArn);
    if (resource.Type === 'AWS::Lambda::Function' && nodes.has(key(self))) for (const role of referencesIn(p.Role, stack)) own(role, key(self));
    if (resource.Type === 'AWS::ECS::Service' && nodes.has(key(self))) {
      for (const taskDefinition of referencesIn(p.TaskDefinition, stack)) {
        own(taskDefinition, key(self));
        const tp = find(taskDefinition)?.Properties ?? {};
        for (const role of referencesIn([tp.TaskRoleArn, tp.ExecutionRoleArn], taskDefinition.stack)) own(role, key(self));
      }
      const targetGroups = (p.LoadBalancers ?? []).flatMap((lb: any) => [lb.TargetGroupArn, lb.AdvancedConfiguration?.AlternateTargetGroupArn]);
      for (const targetGroup of referencesIn(targetGroups, stack)) own(targetGroup, key(self));
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') for (const role of referencesIn(p.Roles, stack)) own(self, key(role));
    // A role may instead name its managed policies (e.g. one another stack keeps next to the database it opens).
    if (resource.Type === 'AWS::IAM::Role') for (const policy of referencesIn(p.ManagedPolicyArns, stack)) own(policy, key(self));
  }

  // Edges.
  const edges = new Map<string, DiagramEdge>();
  const connect = (fromOwners: string[], to: Located[], label?: string) => {
    for (const from of fromOwners) {
      for (const target of to.flatMap((t) => ownersOf(t))) {
        if (from === target) continue;
        const a = nodes.get(from)!;
        const b = nodes.get(target)!;
        if (NO_OUTGOING.has(find(toLocated(from))?.Type ?? '') || NO_INCOMING.has(find(toLocated(target))?.Type ?? '')) continue;
        const id = `${a.id} -> ${b.id}`;
        const existing = edges.get(id);
        if (!existing || (!existing.label && label)) edges.set(id, { from: a.id, to: b.id, ...(label ? { label } : {}) });
      }
    }
  };
  for (const { stack, logicalId, resource } of all) {
    if (IGNORED.has(resource.Type) || isInternal(logicalId, String(resource.Metadata?.['aws:cdk:path'] ?? ''))) continue;
    const p = resource.Properties ?? {};
    const self = { stack, logicalId };
    switch (resource.Type) {
      case 'AWS::Lambda::EventSourceMapping':
        connect(referencesIn(p.EventSourceArn, stack).flatMap((s) => ownersOf(s)), referencesIn(p.FunctionName, stack), 'triggers');
        continue;
      case 'AWS::WAFv2::WebACLAssociation':
        connect(referencesIn(p.WebACLArn, stack).flatMap((s) => ownersOf(s)), referencesIn(p.ResourceArn, stack), 'protects');
        continue;
      case 'AWS::Chatbot::SlackChannelConfiguration':
      case 'AWS::Chatbot::MicrosoftTeamsChannelConfiguration':
        connect(referencesIn(p.SnsTopicArns, stack).flatMap((s) => ownersOf(s)), [self], 'notifies');
        continue;
      case 'AWS::SNS::Subscription':
        connect(referencesIn(p.TopicArn, stack).flatMap((s) => ownersOf(s)), referencesIn(p.Endpoint, stack), 'delivers');
        continue;
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy': {
        const statements = [p.PolicyDocument?.Statement].flat().filter((s: any) => s && s.Effect === 'Allow');
        for (const statement of statements) {
          const actions = [statement.Action].flat().map(String);
          if (actions.length > 0 && actions.every((action) => CONSUME_ONLY.test(action))) continue;
          connect(ownersOf(self), referencesIn(statement.Resource, stack));
        }
        continue;
      }
      case 'AWS::ElasticLoadBalancingV2::Listener':
      case 'AWS::ElasticLoadBalancingV2::ListenerRule':
        connect(ownersOf(self), referencesIn(p.DefaultActions ?? p.Actions, stack), 'routes');
        continue;
      case 'AWS::ApiGateway::Method': {
        // A private integration goes through a VPC link to its load balancer; any other integration is the API's.
        const integration = p.Integration ?? {};
        if (integration.ConnectionType === 'VPC_LINK' && integration.ConnectionId) {
          const links = referencesIn(integration.ConnectionId, stack);
          connect(ownersOf(self), links);
          connect(links.flatMap((l) => ownersOf(l)), referencesIn(integration.IntegrationTarget ?? integration.Uri, stack), 'routes');
        } else connect(ownersOf(self), referencesIn(integration, stack));
        continue;
      }
      case 'AWS::ECS::Service':
        // The service's own uses are its lifecycle hooks (smoke tests); the load balancer's listeners route to it,
        // and its target groups, subnets and rollback alarms are wiring.
        connect(ownersOf(self), referencesIn((p.DeploymentConfiguration?.LifecycleHooks ?? []).map((hook: any) => hook.HookTargetArn), stack), 'hook');
        continue;
      case 'AWS::IAM::Role':
      case 'AWS::ECS::TaskDefinition':
      case 'AWS::ElasticLoadBalancingV2::TargetGroup':
        continue; // their policies, the task's service and the listeners draw the edges
      default: {
        const from = ownersOf(self);
        if (from.length > 0) connect(from, referencesIn(p, stack));
      }
    }
  }

  const nodeList = [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id));
  return {
    environment,
    stacks: [...new Set(nodeList.map((n) => n.stack))].sort(),
    nodes: nodeList,
    edges: [...edges.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
  };
}

function toLocated(k: string): Located {
  const space = k.indexOf(' ');
  return { stack: k.slice(0, space), logicalId: k.slice(space + 1) };
}

/**
 * A node's name: its logical id less the 8-character hash CDK appends (`WebhookReceiver037EED6D` → `WebhookReceiver`),
 * and less a generated id's 32-character hash and `<stage><stack>` prefix.
 * Logical ids are in every assembly; construct paths (aws:cdk:path) only where the CLI asked for them, and the
 * committed diagrams must read the same from `npm run diagram` and the test suite's synth.
 */
export function displayName(logicalId: string, prefix = ''): string {
  // Some generated ids (a cluster's secret) also carry a 32-character hash and start with the stage and stack names.
  const name = logicalId.replace(/[0-9a-f]{32}$/, '').replace(/[0-9A-F]{8}$/, '');
  return (prefix && name.startsWith(prefix) && name.length > prefix.length ? name.slice(prefix.length) : name) || logicalId;
}
