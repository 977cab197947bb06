import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareAssemblies } from '../scripts/compare-templates';

/** A one-environment cloud assembly holding one stack `dev/Integrations` with these resources. */
function assembly(resources: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'connect-compare-'));
  mkdirSync(join(dir, 'assembly-dev'));
  writeFileSync(join(dir, 'assembly-dev', 'manifest.json'), JSON.stringify({ artifacts: { devIntegrations: { type: 'aws:cloudformation:stack', displayName: 'dev/Integrations', properties: { templateFile: 'devIntegrations.template.json' } } } }));
  writeFileSync(join(dir, 'assembly-dev', 'devIntegrations.template.json'), JSON.stringify({ Resources: resources }));
  return dir;
}

const hash = 'a'.repeat(64);
const before = assembly({
  EventsQueueAAAA1111: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 60 } },
  WorkerBBBB2222: { Type: 'AWS::Lambda::Function', Properties: { Code: { S3Key: `${hash}.zip` }, Environment: { Variables: { QUEUE_URL: { Ref: 'EventsQueueAAAA1111' } } } }, DependsOn: ['EventsQueueAAAA1111'] },
});

test('resources moved to new logical ids, with new asset hashes, are the same resources', () => {
  const after = assembly({
    WebhooksEventsQueueCCCC3333: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 60 } },
    WebhooksWorkerDDDD4444: { Type: 'AWS::Lambda::Function', Properties: { Code: { S3Key: `${'b'.repeat(64)}.zip` }, Environment: { Variables: { QUEUE_URL: { Ref: 'WebhooksEventsQueueCCCC3333' } } } }, DependsOn: 'WebhooksEventsQueueCCCC3333' },
  });
  expect(compareAssemblies(before, after)).toEqual([{ environment: 'dev', stack: 'Integrations', matched: 2, onlyOld: [], onlyNew: [] }]);
});

test('a changed property, a lost resource and a new one are each reported', () => {
  const after = assembly({
    EventsQueueAAAA1111: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 30 } },
    TopicEEEE5555: { Type: 'AWS::SNS::Topic', Properties: {} },
  });
  const [result] = compareAssemblies(before, after);
  expect(result.matched).toBe(0);
  expect(result.onlyOld.map((r) => r.id).sort()).toEqual(['EventsQueueAAAA1111', 'WorkerBBBB2222']);
  expect(result.onlyNew.map((r) => r.id).sort()).toEqual(['EventsQueueAAAA1111', 'TopicEEEE5555']);
});
