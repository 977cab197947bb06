/**
 * The one SQS batch wiring of every queue consumer: Powertools partial batch responses, FIFO-aware, where one bad
 * record fails only itself (and, on a FIFO queue, the later records of its own message group) and never the batch.
 *
 * Lambda retries a message reported in `batchItemFailures` and, after the queue's maxReceiveCount, moves it to the
 * DLQ; it treats the WHOLE batch as failed when the handler throws or reports an empty or null itemIdentifier
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting).
 * So nothing here reads a record's fields outside the per-record try: a record without `attributes` or
 * `eventSourceARN` (or with a body that is not a string) is reported failed on its own, by its messageId.
 */
import { BatchProcessor, EventType, processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { logger } from './logger';

/** Why a message failed, without personal data: kinds, statuses and field names only. */
export interface FailureDescription {
  readonly reason: string;
  /** False for a message that can never succeed as sent (it goes to the DLQ after maxReceiveCount anyway). */
  readonly retryable: boolean;
  readonly fields?: string[];
}

/** A record that is not an SQS record as Lambda's event source mapping delivers it: it can never be processed. */
export class MalformedRecord extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'MalformedRecord';
  }
}

export interface QueueBatchOptions {
  /** Names a handler's own errors for the log line; the default gives the error's name, retryable. */
  readonly describeFailure?: (error: unknown) => FailureDescription;
  /** Standard queues: records in parallel (default) or one after the other. FIFO batches always run in order. */
  readonly processInParallel?: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The messageId of a record, when it has a usable one (the only thing Lambda accepts as an itemIdentifier). */
function messageIdOf(record: unknown): string | undefined {
  const id = isObject(record) ? record.messageId : undefined;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * What is wrong with a record's envelope (the fields Lambda's SQS event documents and this wiring relies on), or
 * undefined when it is well formed. https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html (example event)
 */
export function envelopeProblem(record: unknown): string | undefined {
  if (!isObject(record)) return 'record_not_an_object';
  if (typeof record.body !== 'string') return 'record_body_not_a_string';
  if (!isObject(record.attributes)) return 'record_without_attributes';
  if (typeof record.eventSourceARN !== 'string' || record.eventSourceARN === '') return 'record_without_event_source_arn';
  // A FIFO message always has its group: without it, the record's place in its group's order is unknown.
  if (record.eventSourceARN.endsWith('.fifo') && typeof record.attributes.MessageGroupId !== 'string') return 'record_without_message_group_id';
  return undefined;
}

function isFifoRecord(record: unknown): boolean {
  if (!isObject(record)) return false;
  const groupId = isObject(record.attributes) ? record.attributes.MessageGroupId : undefined;
  return typeof groupId === 'string' || (typeof record.eventSourceARN === 'string' && record.eventSourceARN.endsWith('.fifo'));
}

const defaultDescription = (error: unknown): FailureDescription =>
  error instanceof MalformedRecord ? { reason: error.reason, retryable: false } : { reason: error instanceof Error ? error.name : 'unknown_error', retryable: true };

/**
 * Runs `handle` for each well-formed record and reports the failed ones (malformed envelopes included) back to SQS.
 * On a FIFO queue (any record with a MessageGroupId, or a `.fifo` source) a failure also holds back the later
 * records of its group, so one user's messages never overtake each other; a record whose group cannot be read
 * fails alone (SQS always names the group of a FIFO message, so no real group's order is at stake).
 *
 * Throws only when the event is not an SQS batch at all, or a record has no messageId: Lambda cannot be told which
 * message failed, so the batch is retried whole rather than any message being dropped.
 */
export async function processQueueBatch(
  event: { Records?: unknown },
  context: Context,
  handle: (record: SQSRecord) => Promise<void>,
  options: QueueBatchOptions = {},
): Promise<SQSBatchResponse> {
  const records = event?.Records;
  if (!Array.isArray(records)) throw new Error('Not an SQS event: no Records array');
  const unnamed = records.findIndex((record) => messageIdOf(record) === undefined);
  if (unnamed >= 0) throw new Error(`Record ${unnamed} of the batch has no messageId: the batch cannot be partially failed`);

  const describe = options.describeFailure ?? defaultDescription;
  const checked = async (record: SQSRecord): Promise<void> => {
    try {
      const problem = envelopeProblem(record);
      if (problem) throw new MalformedRecord(problem);
      await handle(record);
    } catch (error) {
      const { reason, retryable, fields } = error instanceof MalformedRecord ? defaultDescription(error) : describe(error);
      const log = retryable ? logger.warn.bind(logger) : logger.error.bind(logger);
      const receiveCount = isObject(record.attributes) ? record.attributes.ApproximateReceiveCount : undefined;
      log('message failed', { messageId: record.messageId, receiveCount, reason, retryable, ...(fields ? { fields } : {}) });
      throw error;
    }
  };
  const batch = { Records: records as SQSRecord[] };
  if (records.some(isFifoRecord)) {
    return processPartialResponse(batch, checked, new SqsFifoPartialProcessorAsync(), { context, skipGroupOnError: true, throwOnFullBatchFailure: false });
  }
  return processPartialResponse(batch, checked, new BatchProcessor(EventType.SQS), {
    context,
    throwOnFullBatchFailure: false,
    processInParallel: options.processInParallel ?? true,
  });
}

/** The JSON body of a record, or undefined when it is not JSON. */
export function jsonBody(record: Pick<SQSRecord, 'body'>): unknown {
  try {
    return JSON.parse(record.body);
  } catch {
    return undefined;
  }
}
