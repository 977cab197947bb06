/**
 * Lambda entry point: the payment expiry job, run on a schedule (EventBridge). Environment and IAM: contract.ts
 * (PaymentsExpiryEnv).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { awsClientConfig } from '../../shared/aws-clients';
import { parseEnv } from '../../shared/env';
import { retryPolicyFromEnv } from '../../shared/http-retry';
import { withLambdaContext } from '../../shared/logger';
import { PaymentsExpiryEnv } from '../contract';
import { PaymentEventQueue, paymentPublisher, segmentationFrom } from '../events';
import { createSettler } from '../settle';
import { invocationDeadlineFrom, withProviderDeadline } from '../provider';
import { PaymentStore } from '../store';
import { configuredProviders } from '../wiring';
import { createExpiryJob } from './handler';

const env = parseEnv(PaymentsExpiryEnv);
const { timeoutMs } = retryPolicyFromEnv({ timeoutMs: 8000 });
const store = new PaymentStore(new DynamoDBClient(awsClientConfig()), env.PAYMENTS_TABLE_NAME);
const sqs = new SQSClient(awsClientConfig());
const now = () => new Date();
const publish = paymentPublisher({
  events: new PaymentEventQueue(sqs, env.PAYMENT_EVENTS_QUEUE_URL),
  store,
  segmentation: segmentationFrom(sqs, env.PROFILE_UPDATES_QUEUE_URL, env.PAYMENT_SEGMENTATION_FIELDS),
});

const run = createExpiryJob({
  providers: configuredProviders(env, timeoutMs),
  store,
  settle: createSettler({ store, publish, now }),
  now,
  batchLimit: env.EXPIRY_BATCH_LIMIT,
  defaultAfterSeconds: env.EXPIRY_DEFAULT_AFTER_SECONDS,
  timeoutMs,
});

// The run stops taking payments while time is short (handler.ts); the deadline also ends a chain of provider calls
// (a refused token asked again) while there is time to record what was learned.
export const handler = withLambdaContext((_event: unknown, context: Context) => {
  const deadline = invocationDeadlineFrom(context, 2000);
  const job = () => run(() => context.getRemainingTimeInMillis());
  return deadline === undefined ? job() : withProviderDeadline(deadline, job);
});
