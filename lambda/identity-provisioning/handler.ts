import type { SQSRecord } from 'aws-lambda';
import { logger } from '../shared/logger';
import type { AppliedEvents } from './applied-events';
import type { CognitoUsers } from './cognito-users';
import { aspectOf, newerApplied, parseMessage, plan, type ProvisioningOptions, shouldRecord } from './core';

/** A message that can never succeed; reported as a batch failure so that it ends in the DLQ. */
export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError';
}

export interface ProvisionerDependencies {
  readonly users: CognitoUsers;
  readonly appliedEvents: AppliedEvents;
  readonly options: ProvisioningOptions;
}

/** Applies one queued Modyo event to the user pool. Throws to have the message retried (and, in the end, DLQ'd). */
export function createRecordHandler({ users, appliedEvents, options }: ProvisionerDependencies) {
  return async (record: SQSRecord): Promise<void> => {
    const messageId = record.messageId;
    const message = parseMessage(record.body);
    if (message.kind === 'malformed') {
      logger.error('Malformed identity event', { messageId, reason: message.reason });
      throw new MalformedMessageError(`message ${messageId}: ${message.reason}`);
    }
    if (message.kind === 'ignored') {
      logger.info('Event ignored: not a user lifecycle event', { messageId, eventId: message.eventId, type: message.type });
      return;
    }

    const { event, username } = message;
    const context = { messageId, eventId: event.eventId, type: event.type, username };
    const newer = newerApplied(event, await appliedEvents.state(event.user.id));
    if (newer) {
      logger.info('Event skipped: older than the last applied one of its kind', { ...context, newerEventId: newer.eventId, newerAspect: newer.aspect });
      return;
    }

    try {
      const decision = plan(event, await users.find(username), options);
      for (const action of decision.actions) await users.apply(username, action);

      if (shouldRecord(event, decision.outcome)) {
        const recorded = await appliedEvents.record(event.user.id, aspectOf(event.type), { atMs: Date.parse(event.occurredAt), eventId: event.eventId });
        if (!recorded) logger.warn('A newer event for this user was applied concurrently', context);
      }
      logger.info('Identity event applied', { ...context, outcome: decision.outcome, actions: decision.actions.map((action) => action.kind) });
    } catch (error) {
      // The error's name and status only: AWS error messages can echo attribute values.
      const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      logger.error('Identity event failed; the message will be retried', { ...context, error: name, httpStatusCode: $metadata?.httpStatusCode });
      throw error;
    }
  };
}
