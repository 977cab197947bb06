/**
 * Customer sync's failure reasons for the shared SQS batch wiring (lambda/shared/batch.ts), so a message that ends
 * in the DLQ is never a silent one: every failure is logged with its message id and a log-safe reason.
 */
import type { FailureDescription } from '../shared/batch';
import { ModyoApiError } from '../shared/modyo-admin';
import { PermanentFailure } from './core';
import { CrmError } from './crm-client';

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
