/**
 * Identity provisioning: mirrors Modyo realm user lifecycle events (NormalisedModyoEvent, from the webhook
 * receiver's queue) into the Cognito user pool.
 *
 * Environment:
 * - USER_POOL_ID: the pool users are mirrored into (custom attributes `modyo_user_id`, `modyo_realm` declared).
 * - APPLIED_EVENTS_TABLE_NAME: last applied event per user (partition key `modyoUserId` S, TTL `expiration`).
 * - SEND_INVITATIONS: `true` to let Cognito e-mail an invitation on creation; anything else suppresses it.
 * - MARK_EMAIL_VERIFIED: `false` to leave mirrored addresses unverified; verified otherwise.
 * - TOMBSTONE_TTL_DAYS: how long a deleted user's tombstone is kept (default 30).
 * - COGNITO_MAX_ATTEMPTS: SDK attempts per Cognito call, throttling and 5xx included (default 5).
 * IAM: cognito-idp:AdminGetUser, AdminCreateUser, AdminUpdateUserAttributes, AdminDisableUser, AdminEnableUser,
 * AdminDeleteUser on the pool; dynamodb:GetItem, PutItem on the table (no UpdateItem: a record replaces the item, conditioned on its version); the SQS event source permissions.
 */
import { BatchProcessor, EventType, processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSHandler } from 'aws-lambda';
import { requiredEnv } from '../shared/secrets';
import { AppliedEvents } from './applied-events';
import { CognitoUsers } from './cognito-users';
import { createRecordHandler } from './provisioner';

const recordHandler = createRecordHandler({
  users: new CognitoUsers(new CognitoIdentityProviderClient({ maxAttempts: Number(process.env.COGNITO_MAX_ATTEMPTS ?? 5) }), requiredEnv('USER_POOL_ID')),
  appliedEvents: new AppliedEvents(
    DynamoDBDocumentClient.from(new DynamoDBClient({})),
    requiredEnv('APPLIED_EVENTS_TABLE_NAME'),
    Number(process.env.TOMBSTONE_TTL_DAYS ?? 30) * 24 * 60 * 60,
  ),
  options: { sendInvitations: process.env.SEND_INVITATIONS === 'true', markEmailVerified: process.env.MARK_EMAIL_VERIFIED !== 'false' },
});

// One user's events are applied in order: a FIFO queue's groups are kept in order (a failed message skips the
// rest of its group only), a standard queue's batch is processed one record at a time.
const standardProcessor = new BatchProcessor(EventType.SQS);
const fifoProcessor = new SqsFifoPartialProcessorAsync();

export const handler: SQSHandler = async (event, context) => {
  const fifo = event.Records[0]?.eventSourceARN.endsWith('.fifo') ?? false;
  // A batch that fails entirely is reported like any other (every id listed), not thrown: same effect on the
  // queue, and one shape for callers and tests.
  return fifo
    ? processPartialResponse(event, recordHandler, fifoProcessor, { context, skipGroupOnError: true, throwOnFullBatchFailure: false })
    : processPartialResponse(event, recordHandler, standardProcessor, { context, processInParallel: false, throwOnFullBatchFailure: false });
};
