/** POST /customer-sync/profile-updates (Cognito authorizer, machine client scope). Environment and IAM: ../contract.ts (InboundEnv). */
import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '../../shared/aws-clients';
import { parseEnv } from '../../shared/env';
import { withLambdaContext } from '../../shared/logger';
import { InboundEnv } from '../contract';
import { inboundHandler } from './handler';
import { profileUpdateQueue } from '../queue';

export const handler = withLambdaContext(
  inboundHandler({
    enqueue: profileUpdateQueue(new SQSClient(awsClientConfig()), parseEnv(InboundEnv).PROFILE_UPDATES_QUEUE_URL),
    newId: randomUUID,
    now: () => new Date(),
  }),
);
