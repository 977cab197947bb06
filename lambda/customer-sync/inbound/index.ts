/**
 * POST /customer-sync/profile-updates (Cognito authorizer, machine client scope).
 * Environment: PROFILE_UPDATES_QUEUE_URL (FIFO recommended).
 * IAM: sqs:SendMessage on that queue (+ kms:GenerateDataKey / kms:Decrypt on its key).
 */
import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '../../shared/aws-clients';
import { requiredEnv } from '../../shared/secrets';
import { inboundHandler } from '../inbound-handler';
import { profileUpdateQueue } from '../queue';

export const handler = inboundHandler({
  enqueue: profileUpdateQueue(new SQSClient(awsClientConfig()), requiredEnv('PROFILE_UPDATES_QUEUE_URL')),
  newId: randomUUID,
  now: () => new Date(),
});
