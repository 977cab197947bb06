/**
 * Identity provisioning: mirrors Modyo realm user lifecycle events (NormalisedModyoEvent, from the webhook
 * receiver's queue) into the Cognito user pool.
 *
 * Environment and IAM: contract.ts (IdentityProvisioningEnv). Every AWS call is bounded by the stack's outbound
 * limits (awsClientConfig: per-attempt connection and request timeouts, bounded attempts).
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { awsClientConfig } from '../shared/aws-clients';
import { MalformedRecord, processQueueBatch } from '../shared/batch';
import { parseEnv } from '../shared/env';
import { withLambdaContext } from '../shared/logger';
import { AppliedEvents } from './applied-events';
import { CognitoUsers } from './cognito-users';
import { IdentityProvisioningEnv, MARK_EMAIL_VERIFIED, TOMBSTONE_TTL_DAYS } from './contract';
import { InvocationDeadline } from './deadline';
import { createRecordHandler, MalformedMessageError } from './handler';

const env = parseEnv(IdentityProvisioningEnv);
/** Calls still running this close to the function's timeout are aborted, so the batch response is always returned. */
const DEADLINE_MARGIN_MS = 2000;
const deadline = new InvocationDeadline();
const signal = () => deadline.signal;

const recordHandler = createRecordHandler({
  users: new CognitoUsers(new CognitoIdentityProviderClient(awsClientConfig()), env.USER_POOL_ID, signal),
  appliedEvents: new AppliedEvents(
    DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig())),
    env.APPLIED_EVENTS_TABLE_NAME,
    TOMBSTONE_TTL_DAYS * 24 * 60 * 60,
    Date.now,
    signal,
  ),
  options: { sendInvitations: env.SEND_INVITATIONS, markEmailVerified: MARK_EMAIL_VERIFIED },
});

// The shared batch wiring: a broken envelope or a malformed event fails alone; one user's events are applied in
// order (a FIFO queue's groups are kept in order and a failure holds back the rest of its group only; a standard
// queue's batch runs one record at a time); a batch with a record it cannot name is retried whole.
const options = {
  processInParallel: false,
  describeFailure: (error: unknown) =>
    error instanceof MalformedMessageError || error instanceof MalformedRecord
      ? { reason: 'malformed_identity_event', retryable: false }
      : { reason: error instanceof Error ? error.name : 'unknown_error', retryable: true },
};

export const handler = withLambdaContext(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  deadline.start(typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS : undefined);
  try {
    return await processQueueBatch(event, context, recordHandler, options);
  } finally {
    deadline.stop();
  }
});
