/**
 * Applies queued profile updates to Modyo Customers. Each update runs once per request id (Powertools
 * idempotency): a replayed message answers from the record instead of calling Modyo again; a request id reused
 * with a different update is refused (a permanent failure, so it reaches the DLQ) rather than silently ignored.
 */
import { IdempotencyConfig, IdempotencyValidationError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '../../shared/logger';
import { jsonBody, processQueueBatch } from '../../shared/batch';
import { failureReason } from '../failures';
import { PermanentFailure } from '../core';
import { applyProfileUpdate, type RealmUsers } from '../modyo-customers';
import { QueuedProfileUpdate } from '../contract';

export interface WorkerDependencies {
  readonly users: RealmUsers;
  readonly persistenceStore: BasePersistenceLayer;
}

export function workerHandler(deps: WorkerDependencies) {
  // A reused request id with a different update is refused rather than silently ignored.
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'requestId', payloadValidationJmesPath: 'update' });
  const applyOnce = makeIdempotent((message: QueuedProfileUpdate) => applyProfileUpdate(deps.users, message.update), {
    persistenceStore: deps.persistenceStore,
    config,
  });

  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const parsed = QueuedProfileUpdate.safeParse(jsonBody(record));
    if (!parsed.success) throw new PermanentFailure('invalid_message');
    const { requestId, update } = parsed.data;
    const result = await applyOnce(parsed.data).catch((error: unknown) => {
      // The client reused its Idempotency-Key with another update: it can never apply, so it ends in the DLQ, logged.
      if (error instanceof IdempotencyValidationError) throw new PermanentFailure('idempotency_key_reused');
      throw error;
    });
    logger.info('profile update applied', { messageId: record.messageId, requestId, action: update.action, realmUid: update.realmUid, steps: result.steps });
  };

  return async (event: SQSEvent, context: Context) => {
    config.registerLambdaContext(context);
    return processQueueBatch(event, context, handleRecord, { describeFailure: failureReason });
  };
}
