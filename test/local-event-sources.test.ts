/**
 * What local mode's event source mapping deletes after an invocation (local/event-sources.ts handlesToDelete), as
 * Lambda's SQS event source does (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html):
 * the rest comes back after the visibility timeout and reaches the DLQ after maxReceiveCount.
 */
import type { Message } from '@aws-sdk/client-sqs';
import { handlesToDelete } from '../local/event-sources';

const batch: Message[] = ['a', 'b', 'c'].map((id) => ({ MessageId: id, ReceiptHandle: `handle-${id}`, Body: '{}' }));
const ok = (result: unknown) => ({ ok: true as const, result });

test('without ReportBatchItemFailures, a successful invocation deletes the whole batch', () => {
  expect(handlesToDelete(batch, ok({ batchItemFailures: [{ itemIdentifier: 'b' }] }), false)).toEqual(['handle-a', 'handle-b', 'handle-c']);
});

test('a function error deletes nothing', () => {
  expect(handlesToDelete(batch, { ok: false, error: { errorType: 'Error', errorMessage: 'boom' } }, true)).toEqual([]);
});

test('reported failures stay; an empty, null or missing list is full success', () => {
  expect(handlesToDelete(batch, ok({ batchItemFailures: [{ itemIdentifier: 'b' }] }), true)).toEqual(['handle-a', 'handle-c']);
  expect(handlesToDelete(batch, ok({ batchItemFailures: [] }), true)).toEqual(['handle-a', 'handle-b', 'handle-c']);
  expect(handlesToDelete(batch, ok(null), true)).toEqual(['handle-a', 'handle-b', 'handle-c']);
  expect(handlesToDelete(batch, ok({}), true)).toEqual(['handle-a', 'handle-b', 'handle-c']);
});

test('an identifier that is empty or names no message of the batch fails the whole batch', () => {
  expect(handlesToDelete(batch, ok({ batchItemFailures: [{ itemIdentifier: 'z' }] }), true)).toEqual([]);
  expect(handlesToDelete(batch, ok({ batchItemFailures: [{ itemIdentifier: '' }] }), true)).toEqual([]);
  expect(handlesToDelete(batch, ok({ batchItemFailures: [{}] }), true)).toEqual([]);
});
