/**
 * Identity provisioning: mirrors Modyo realm user lifecycle events (NormalisedModyoEvent, from the webhook
 * receiver's queue) into the Cognito user pool.
 *
 * Environment:
 * - USER_POOL_ID: the pool users are mirrored into (custom attributes `modyo_user_id`, `modyo_realm` declared).
 * - APPLIED_EVENTS_TABLE_NAME: last applied event per user (partition key `modyoUserId` S, TTL `expiration`).
 * - SEND_INVITATIONS: `true` to let Cognito e-mail an invitation on creation; anything else suppresses it and
 *   confirms the user with a random password they replace through "Forgot your password?" (see core.ts).
 * - MARK_EMAIL_VERIFIED: `false` to leave mirrored addresses unverified; verified otherwise.
 * - TOMBSTONE_TTL_DAYS: how long a deleted user's tombstone is kept (default 30).
 * - COGNITO_MAX_ATTEMPTS: SDK attempts per Cognito call, throttling and 5xx included (default 3).
 * - REQUEST_TIMEOUT_MS: how long one attempt of an AWS call may wait for its response (default 5000); with the
 *   attempts it stays below the function's timeout, and the invocation's deadline aborts whatever is left.
 * IAM: cognito-idp:AdminGetUser, AdminCreateUser, AdminSetUserPassword, AdminUpdateUserAttributes, AdminDisableUser,
 * AdminEnableUser, AdminDeleteUser on the pool; dynamodb:GetItem, PutItem on the table (no UpdateItem: a record
 * replaces the item, conditioned on its version); the SQS event source permissions.
 */
import { BatchProcessor, EventType, processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '../shared/logger';
import { requiredEnv } from '../shared/secrets';
import { AppliedEvents } from './applied-events';
import { CognitoUsers } from './cognito-users';
import { InvocationDeadline } from './deadline';
import { envelopeProblem } from './envelope';
import { createRecordHandler } from './provisioner';

// Every attempt of every AWS call is bounded: a hung connection fails the record (it is retried from the queue)
// instead of holding the batch until the function times out. `throwOnRequestTimeout`: without it this SDK only
// logs a warning when requestTimeout passes and keeps waiting (see @smithy/types NodeHttpHandlerOptions).
const requestHandler = { connectionTimeout: 2000, requestTimeout: Number(process.env.REQUEST_TIMEOUT_MS ?? 5000), throwOnRequestTimeout: true };
/** Calls still running this close to the function's timeout are aborted, so the batch response is always returned. */
const DEADLINE_MARGIN_MS = 2000;
const deadline = new InvocationDeadline();
const signal = () => deadline.signal;

const recordHandler = createRecordHandler({
  users: new CognitoUsers(
    new CognitoIdentityProviderClient({ maxAttempts: Number(process.env.COGNITO_MAX_ATTEMPTS ?? 3), requestHandler }),
    requiredEnv('USER_POOL_ID'),
    signal,
  ),
  appliedEvents: new AppliedEvents(
    DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 3, requestHandler })),
    requiredEnv('APPLIED_EVENTS_TABLE_NAME'),
    Number(process.env.TOMBSTONE_TTL_DAYS ?? 30) * 24 * 60 * 60,
    Date.now,
    signal,
  ),
  options: { sendInvitations: process.env.SEND_INVITATIONS === 'true', markEmailVerified: process.env.MARK_EMAIL_VERIFIED !== 'false' },
});

// One user's events are applied in order: a FIFO queue's groups are kept in order (a failed message skips the
// rest of its group only), a standard queue's batch is processed one record at a time.
const standardProcessor = new BatchProcessor(EventType.SQS);
const fifoProcessor = new SqsFifoPartialProcessorAsync();

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const records: readonly SQSRecord[] = Array.isArray(event?.Records) ? event.Records : [];
  // A record with no id cannot be reported on its own, and acknowledging the batch would delete it unprocessed:
  // only failing the whole batch keeps it (SQS never sends one; this is the contract's last guard).
  if (records.some((record) => typeof record?.messageId !== 'string' || record.messageId === '')) {
    logger.error('Batch holds a record without messageId; the whole batch is retried');
    throw new Error('SQS record without messageId');
  }

  const source = records.find((record) => typeof record.eventSourceARN === 'string')?.eventSourceARN;
  const fifo = source?.endsWith('.fifo') ?? false;

  // Records whose SQS envelope is broken fail alone, before the batch processor (which reads the envelope) sees
  // them; on a FIFO queue the later records of their message group fail with them, to keep the group's order.
  const failed = new Set<string>();
  const brokenGroups = new Set<string>();
  const processable: SQSRecord[] = [];
  for (const record of records) {
    const group = fifo ? (record.attributes as Partial<SQSRecord['attributes']> | undefined)?.MessageGroupId : undefined;
    const problem = envelopeProblem(record, fifo);
    if (problem || (group !== undefined && brokenGroups.has(group))) {
      failed.add(record.messageId);
      if (group !== undefined) brokenGroups.add(group);
      logger.error(problem ? 'Malformed SQS record' : 'Record held back: an earlier record of its message group failed', { messageId: record.messageId, reason: problem });
      continue;
    }
    processable.push(record);
  }

  deadline.start(typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS : undefined);
  try {
    // A batch that fails entirely is reported like any other (every id listed), not thrown: same effect on the
    // queue, and one shape for callers and tests.
    const response =
      processable.length === 0
        ? { batchItemFailures: [] }
        : fifo
          ? await processPartialResponse({ Records: processable }, recordHandler, fifoProcessor, { context, skipGroupOnError: true, throwOnFullBatchFailure: false })
          : await processPartialResponse({ Records: processable }, recordHandler, standardProcessor, { context, processInParallel: false, throwOnFullBatchFailure: false });
    for (const failure of response.batchItemFailures) failed.add(failure.itemIdentifier);
  } finally {
    deadline.stop();
  }
  // In the batch's order, like the processor's own report.
  const batchItemFailures: SQSBatchItemFailure[] = records.filter((record) => failed.has(record.messageId)).map((record) => ({ itemIdentifier: record.messageId }));
  return { batchItemFailures };
};
