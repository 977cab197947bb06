import { Duration } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { IdentityProvisioningEnv, PROVISIONING_COGNITO_ACTIONS } from '../../lambda/identity-provisioning/contract';
import type { AwsCallLimits } from '../../lambda/shared/outbound-limits';
import type { FunctionConcurrency } from '../lambda-concurrency';
import { ConnectFunction, contractEnvironment } from './connect-function';
import { ConnectTable } from './connect-table';
import { QueueWithDlq } from './queue-with-dlq';

export interface IdentityProvisioningProps {
  readonly userPool: cognito.UserPool;
  readonly vpc: ec2.IVpc;
  readonly dataKey: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** Let Cognito e-mail an invitation when a Modyo user is first mirrored. */
  readonly sendInvitations: boolean;
  /** Production keeps the applied-events table (and its deletion protection) when the stack goes. */
  readonly production: boolean;
  /**
   * Concurrent batches (config `lambdaConcurrency.functions.identityProvisioning`, default 5): keeps Cognito's admin
   * API (per-account rate limits shared with sign-in) far from throttling. `reserved` is undefined when the
   * environment reserves no concurrency; the event source stays capped at `limit` either way.
   */
  readonly concurrency: FunctionConcurrency;
}

/** The provisioning function's timeout; the queue's visibility timeout is six times it (AWS guidance for Lambda event sources). */
const FUNCTION_TIMEOUT = Duration.seconds(30);
/**
 * Its AWS calls (Cognito's admin API, DynamoDB): 2 s to connect, 5 s to answer, 3 attempts; the slowest call,
 * 3 x 7 s + backoff = 21.6 s, gives up within the function's timeout (checked by ConnectFunction), and the handler
 * also aborts whatever still runs 2 s before it.
 */
const PROVISIONING_AWS_CALLS: AwsCallLimits = { connectionTimeoutMs: 2_000, requestTimeoutMs: 5_000, maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 };

export { PROVISIONING_COGNITO_ACTIONS };

/**
 * Mirrors Modyo realm user lifecycle events into the user pool: a FIFO queue (the webhook receiver sends with
 * MessageGroupId = Modyo user id, so one user's events stay in order while users proceed in parallel) with its DLQ,
 * the applied-events table that makes replays and out-of-order redrives harmless, and the consumer function with
 * partial batch responses and exactly the permissions its adapters use.
 */
export class IdentityProvisioning extends Construct {
  readonly queue: QueueWithDlq;
  readonly appliedEvents: ConnectTable;
  readonly function: ConnectFunction;

  constructor(scope: Construct, id: string, props: IdentityProvisioningProps) {
    super(scope, id);

    this.queue = new QueueWithDlq(this, 'Queue', { encryptionKey: props.dataKey, visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6), fifo: true });

    this.appliedEvents = new ConnectTable(this, 'AppliedEvents', {
      partitionKey: { name: 'modyoUserId', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
      encryptionKey: props.dataKey,
      retain: props.production,
    });

    this.function = new ConnectFunction(this, 'Function', {
      handler: 'identity-provisioning',
      description: 'Mirrors Modyo realm user lifecycle events into the Cognito user pool',
      invokedBy: 'sqs',
      vpc: props.vpc,
      logRetention: props.logRetention,
      logsKey: props.logsKey,
      timeout: FUNCTION_TIMEOUT,
      reservedConcurrency: props.concurrency.reserved,
      outboundCalls: { aws: PROVISIONING_AWS_CALLS },
      environment: contractEnvironment(IdentityProvisioningEnv, {
        USER_POOL_ID: props.userPool.userPoolId,
        APPLIED_EVENTS_TABLE_NAME: this.appliedEvents.tableName,
        SEND_INVITATIONS: props.sendInvitations ? 'true' : 'false',
      }),
    });
    this.function.addEventSource(
      new SqsEventSource(this.queue.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        // At most the reserved concurrency: the poller never receives batches it cannot hand to the function.
        maxConcurrency: props.concurrency.limit,
      }),
    );

    props.userPool.grant(this.function, ...PROVISIONING_COGNITO_ACTIONS);
    this.appliedEvents.grantItemActions(this.function, 'dynamodb:GetItem', 'dynamodb:PutItem');
  }
}
