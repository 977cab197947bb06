/**
 * Forwards Modyo user events (normalised by the webhook receiver) to the CRM/CDP, once per event id.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '../../shared/logger';
import { NormalisedModyoEvent } from '../../shared/modyo-events';
import { jsonBody, processQueueBatch } from '../../shared/batch';
import { failureReason } from '../failures';
import { type CrmUserEvent, forwardDecision, PermanentFailure } from '../core';
import type { CrmClient } from '../crm-client';

export interface ForwarderDependencies {
  readonly crm: Pick<CrmClient, 'send'>;
  readonly persistenceStore: BasePersistenceLayer;
}

export function forwarderHandler(deps: ForwarderDependencies) {
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'eventId' });
  const sendOnce = makeIdempotent(
    async (event: CrmUserEvent) => {
      await deps.crm.send(event);
      return { forwarded: true };
    },
    { persistenceStore: deps.persistenceStore, config },
  );

  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const parsed = NormalisedModyoEvent.safeParse(jsonBody(record));
    if (!parsed.success) throw new PermanentFailure('invalid_message');
    const decision = forwardDecision(parsed.data);
    if (decision.kind === 'fail') throw new PermanentFailure(decision.reason);
    if (decision.kind === 'skip') {
      logger.info('event not forwarded: not a user lifecycle event', { messageId: record.messageId, eventId: parsed.data.eventId, type: parsed.data.type });
      return;
    }
    const outbound = decision.event;
    await sendOnce(outbound);
    logger.info('event forwarded to the CRM', { messageId: record.messageId, eventId: outbound.eventId, type: outbound.type });
  };

  return async (event: SQSEvent, context: Context) => {
    config.registerLambdaContext(context);
    return processQueueBatch(event, context, handleRecord, { describeFailure: failureReason });
  };
}
