import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSvg, toDot } from '../lib/diagram/dot';
import { DIAGRAMS_DIR, environmentDot } from '../lib/diagram/files';
import { buildGraph } from '../lib/diagram/graph';
import type { EnvironmentStack } from '../lib/preflight/assembly';
import { ENVIRONMENTS, environmentJson } from './support/assembly';

const stacksOf = (environment: string): EnvironmentStack[] => Object.entries(environmentJson(environment)).map(([id, template]) => ({ stackName: `${environment}-${id}`, template }));

describe('architecture graph', () => {
  // Two stacks: a function that sends to a queue of the other stack (cross-stack output), a consumer triggered by
  // that queue, a reader whose role names a managed policy on a bucket, a web ACL on the API's stage, an API method
  // calling the sender, and a key everything uses.
  const stacks: EnvironmentStack[] = [
    {
      stackName: 't-Data',
      template: {
        Resources: {
          Queue1A2B3C4D: { Type: 'AWS::SQS::Queue' },
          KeyDEADBEEF: { Type: 'AWS::KMS::Key' },
          Bucket99887766: { Type: 'AWS::S3::Bucket' },
          tDataJobsSecret7E29D1CD3fdaad7efa858a3daf9490cf0a702aeb: { Type: 'AWS::SecretsManager::Secret' },
        },
        Outputs: { QueueArnOut: { Value: { 'Fn::GetAtt': ['Queue1A2B3C4D', 'Arn'] } }, BucketArnOut: { Value: { 'Fn::GetAtt': ['Bucket99887766', 'Arn'] } } },
      } as any,
    },
    {
      stackName: 't-App',
      template: {
        Resources: {
          SenderRole: { Type: 'AWS::IAM::Role' },
          Sender0000AAAA: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['SenderRole', 'Arn'] } } },
          SenderPolicy: {
            Type: 'AWS::IAM::Policy',
            Properties: {
              Roles: [{ Ref: 'SenderRole' }],
              PolicyDocument: {
                Statement: [
                  { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetStackOutput': { StackName: 't-Data', OutputName: 'QueueArnOut' } } },
                  { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: { 'Fn::GetAtt': ['KeyDEADBEEF', 'Arn'] } },
                ],
              },
            },
          },
          WorkerRole: { Type: 'AWS::IAM::Role' },
          Worker1111BBBB: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['WorkerRole', 'Arn'] } } },
          WorkerPolicy: {
            Type: 'AWS::IAM::Policy',
            Properties: { Roles: [{ Ref: 'WorkerRole' }], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'], Resource: { 'Fn::GetStackOutput': { StackName: 't-Data', OutputName: 'QueueArnOut' } } }] } },
          },
          ReaderRole: { Type: 'AWS::IAM::Role', Properties: { ManagedPolicyArns: [{ Ref: 'ReadPolicy' }] } },
          Reader2222CCCC: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['ReaderRole', 'Arn'] } } },
          ReadPolicy: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetStackOutput': { StackName: 't-Data', OutputName: 'BucketArnOut' } }, '/*']] } }] } } },
          Trigger: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: { 'Fn::GetStackOutput': { StackName: 't-Data', OutputName: 'QueueArnOut' } }, FunctionName: { Ref: 'Worker1111BBBB' } } },
          ApiCAFEBABE: { Type: 'AWS::ApiGateway::RestApi' },
          Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: { Ref: 'ApiCAFEBABE' } } },
          Post: { Type: 'AWS::ApiGateway::Method', Properties: { RestApiId: { Ref: 'ApiCAFEBABE' }, Integration: { Type: 'AWS_PROXY', Uri: { 'Fn::Join': ['', ['arn:...', { 'Fn::GetAtt': ['Sender0000AAAA', 'Arn'] }]] } } } },
          Invoke: { Type: 'AWS::Lambda::Permission', Properties: { FunctionName: { Ref: 'Sender0000AAAA' }, SourceArn: { Ref: 'ApiCAFEBABE' } } },
          Acl12345678: { Type: 'AWS::WAFv2::WebACL' },
          Association: { Type: 'AWS::WAFv2::WebACLAssociation', Properties: { WebACLArn: { 'Fn::GetAtt': ['Acl12345678', 'Arn'] }, ResourceArn: { 'Fn::Join': ['', [{ Ref: 'ApiCAFEBABE' }, '/stages/', { Ref: 'Stage' }]] } } },
        },
      } as any,
    },
  ];
  const graph = buildGraph('t', stacks);

  test('stacks become clusters and main resources nodes named by logical id, without hashes', () => {
    expect(graph.stacks).toEqual(['App', 'Data']);
    expect(graph.nodes.map((n) => `${n.id} | ${n.kind}`)).toEqual([
      'App/Acl | WAF web ACL',
      'App/Api | REST API',
      'App/Reader | Lambda',
      'App/Sender | Lambda',
      'App/Worker | Lambda',
      'Data/Bucket | S3 bucket',
      'Data/JobsSecret | secret',
      'Data/Key | KMS key',
      'Data/Queue | SQS queue',
    ]);
  });

  test('edges follow references and the flows AWS wires; keys, permissions and consume-only grants draw none', () => {
    expect(graph.edges).toEqual([
      { from: 'App/Acl', to: 'App/Api', label: 'protects' },
      { from: 'App/Api', to: 'App/Sender' },
      { from: 'App/Reader', to: 'Data/Bucket' },
      { from: 'App/Sender', to: 'Data/Queue' },
      { from: 'Data/Queue', to: 'App/Worker', label: 'triggers' },
    ]);
    const dot = toDot(graph);
    expect(dot).toContain('"App/Sender" -> "Data/Queue";');
    expect(dot).not.toMatch(/[0-9A-F]{8}/);
    // Deterministic: the same templates in another order give the same DOT.
    expect(toDot(buildGraph('t', [...stacks].reverse()))).toBe(dot);
  });
});

describe('committed diagrams (docs/diagrams)', () => {
  test.each(ENVIRONMENTS)('%s.dot is the diagram of the synthesized environment (if not: npm run diagram, and commit docs/diagrams)', (environment) => {
    const committed = readFileSync(join(DIAGRAMS_DIR, `${environment}.dot`), 'utf8');
    const dot = environmentDot(environment, stacksOf(environment));
    // No hash or asset id in a node (a label that changes with every hash would make the diagram churn).
    expect(dot.split('\n').filter((line) => /\[label=/.test(line) && /[0-9a-f]{16}|[0-9A-F]{8}/.test(line))).toEqual([]);
    expect(dot).toBe(committed);
  });

  test('prod.svg is the rendering of prod.dot (Graphviz in WebAssembly)', async () => {
    const dot = readFileSync(join(DIAGRAMS_DIR, 'prod.dot'), 'utf8');
    expect(await renderSvg(dot)).toBe(readFileSync(join(DIAGRAMS_DIR, 'prod.svg'), 'utf8'));
  });
});
