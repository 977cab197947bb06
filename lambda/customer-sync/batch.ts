/**
 * SQS batch plumbing shared by the worker and the forwarder: Powertools partial batch responses (FIFO-aware), and
 * a log-safe reason for every failure, so a message that ends in the DLQ is never a silent one.
 */
import { BatchProcessor, EventType, processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '../shared/logger';
import { ModyoApiError } from '../shared/modyo-admin';
import { PermanentFailure } from './core';
import { CrmError } from './crm-client';

/** Why a message failed, without personal data: kinds, statuses and field names only. */
export function failureReason(error: unknown): { reason: string; retryable: boolean; fields?: string[] } {
  if (error instanceof PermanentFailure) return { reason: error.reason, retryable: false };
  if (error instanceof ModyoApiError) {
    const fields = error.errors.flatMap((item) => (typeof item === 'string' ? [] : [item.field]));
    return { reason: error.status === 0 ? `modyo_${error.errors[0] ?? 'no_response'}` : `modyo_${error.status}`, retryable: error.retryable, ...(fields.length ? { fields } : {}) };
  }
  if (error instanceof CrmError) return { reason: `crm_${error.status || 'no_response'}`, retryable: error.retryable };
  return { reason: error instanceof Error ? error.name : 'unknown_error', retryable: true };
}

/**
 * Runs `handle` for each record and reports only the failed ones back to SQS, which retries them and moves them
 * to the DLQ after maxReceiveCount. On a FIFO queue a failure also holds back the later messages of its group,
 * so one user's updates never overtake each other.
 */
export async function processQueueBatch(event: SQSEvent, context: Context, handle: (record: SQSRecord) => Promise<void>): Promise<SQSBatchResponse> {
  const logged = async (record: SQSRecord) => {
    try {
      await handle(record);
    } catch (error) {
      const { reason, retryable, fields } = failureReason(error);
      const log = retryable ? logger.warn.bind(logger) : logger.error.bind(logger);
      log('message failed', { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, reason, retryable, fields });
      throw error;
    }
  };
  if (event.Records[0]?.attributes.MessageGroupId) {
    return processPartialResponse(event, logged, new SqsFifoPartialProcessorAsync(), { context, skipGroupOnError: true, throwOnFullBatchFailure: false });
  }
  return processPartialResponse(event, logged, new BatchProcessor(EventType.SQS), { context, throwOnFullBatchFailure: false });
}

/** The JSON body of a record, or undefined when it is not JSON. */
export function jsonBody(record: SQSRecord): unknown {
  try {
    return JSON.parse(record.body);
  } catch {
    return undefined;
  }
}
