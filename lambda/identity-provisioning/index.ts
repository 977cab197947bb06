/**
 * Identity provisioning: mirrors Modyo realm user lifecycle events (NormalisedModyoEvent, from the webhook
 * receiver's queue) into the Cognito user pool.
 *
 * Environment and IAM: contract.ts (IdentityProvisioningEnv). Every AWS call is bounded by the stack's outbound
 * limits (awsClientConfig: per-attempt connection and request timeouts, bounded attempts).
 */
import { BatchProcessor, EventType, processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '../shared/logger';
import { awsClientConfig } from '../shared/aws-clients';
import { parseEnv } from '../shared/env';
import { AppliedEvents } from './applied-events';
import { IdentityProvisioningEnv, MARK_EMAIL_VERIFIED, TOMBSTONE_TTL_DAYS } from './contract';
import { CognitoUsers } from './cognito-users';
import { InvocationDeadline } from './deadline';
import { envelopeProblem } from './envelope';
import { createRecordHandler } from './provisioner';

const env = parseEnv(IdentityProvisioningEnv);
/** Calls still running this close to the function's timeout are aborted, so the batch response is always returned. */
const DEADLINE_MARGIN_MS = 2000;
const deadline = new InvocationDeadline();
const signal = () => deadline.signal;

const recordHandler = createRecordHandler({
  users: new CognitoUsers(
    new CognitoIdentityProviderClient(awsClientConfig()),
    env.USER_POOL_ID,
    signal,
  ),
  appliedEvents: new AppliedEvents(
    DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig())),
    env.APPLIED_EVENTS_TABLE_NAME,
    TOMBSTONE_TTL_DAYS * 24 * 60 * 60,
    Date.now,
    signal,
  ),
  options: { sendInvitations: env.SEND_INVITATIONS, markEmailVerified: MARK_EMAIL_VERIFIED },
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
