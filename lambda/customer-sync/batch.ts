/**
 * Customer sync's failure reasons for the shared SQS batch wiring (lambda/shared/batch.ts), so a message that ends
 * in the DLQ is never a silent one: every failure is logged with its message id and a log-safe reason.
 */
import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { type FailureDescription, processQueueBatch as processSharedQueueBatch } from '../shared/batch';
import { ModyoApiError } from '../shared/modyo-admin';
import { PermanentFailure } from './core';
import { CrmError } from './crm-client';

export { jsonBody } from '../shared/batch';

/** Why a message failed, without personal data: kinds, statuses and field names only. */
export function failureReason(error: unknown): FailureDescription {
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
export function processQueueBatch(event: { Records?: unknown }, context: Context, handle: (record: SQSRecord) => Promise<void>): Promise<SQSBatchResponse> {
  return processSharedQueueBatch(event, context, handle, { describeFailure: failureReason });
}
