/**
 * The payment notification entry point (createPaymentHandler with the real PaymentStore and PaymentEventQueue) on
 * the local DynamoDB and SQS, behind real HTTP (apigw-http.ts), so a provider double can push its callback to a URL
 * and the test reads what was recorded and queued. One harness per test file; `stop()` in afterAll.
 */
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createPaymentHandler } from '../../../lambda/payments/api/handler';
import { OUTBOX_INDEX, OWNER_INDEX, type PaymentEvent, type PaymentRecord } from '../../../lambda/payments/contract';
import { PaymentEventQueue } from '../../../lambda/payments/events';
import type { PaymentProvider } from '../../../lambda/payments/provider';
import { PaymentStore } from '../../../lambda/payments/store';
import { startApiGatewayHttp } from '../apigw-http';
import { LOCAL_REGION, type LocalServer, startDynamoDb, startSqs } from '../local-aws';
import { receiveHeld } from '../sqs-receive';

export interface PaymentHarness {
  /** Base URL of the payments API on loopback: `${endpoint}${provider.route.path}` is a provider's route. */
  readonly endpoint: string;
  /** The handler itself (events built by the test). */
  readonly handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  seed(record: Partial<PaymentRecord> & Pick<PaymentRecord, 'paymentId' | 'provider' | 'amount' | 'currency'>): Promise<void>;
  read(paymentId: string): Promise<PaymentRecord | undefined>;
  /** Every payment event queued since the last drain. */
  drain(): Promise<PaymentEvent[]>;
  stop(): Promise<void>;
}

const TABLE = 'payments';

/** The payments table as the Payments construct builds it (key, outbox and owner indexes) on the local DynamoDB. */
export async function createPaymentsTable(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  const index = (name: string, hash: string, range: string) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: hash, KeyType: 'HASH' as const },
      { AttributeName: range, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  await dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['paymentId', 'outbox', 'updatedAt', 'owner', 'createdAt'].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
      KeySchema: [{ AttributeName: 'paymentId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [index(OUTBOX_INDEX, 'outbox', 'updatedAt'), index(OWNER_INDEX, 'owner', 'createdAt')],
    }),
  );
}

/** Every message on the local queue now, parsed from JSON and deleted (a test reads what it queued, and only that). */
export async function receiveAll<T>(sqs: SQSClient, queueUrl: string): Promise<T[]> {
  const bodies: T[] = [];
  for (;;) {
    const Messages = await receiveHeld(sqs, { QueueUrl: queueUrl, MaxNumberOfMessages: 10 });
    if (Messages.length === 0) return bodies;
    for (const message of Messages) {
      bodies.push(JSON.parse(message.Body!));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}

export async function startPaymentHarness(providers: readonly PaymentProvider[]): Promise<PaymentHarness> {
  const [db, queue] = await Promise.all([startDynamoDb(), startSqs()]);
  const dynamo = new DynamoDBClient({ region: LOCAL_REGION, endpoint: db.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const sqs = new SQSClient({ region: LOCAL_REGION, endpoint: queue.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createPaymentsTable(dynamo, TABLE);
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'payment-events' }))).QueueUrl!;
  const handler = createPaymentHandler({
    providers,
    store: new PaymentStore(dynamo, TABLE),
    events: new PaymentEventQueue(sqs, queueUrl),
    verifyOnce: ({ provider, reference }) => providers.find((candidate) => candidate.name === provider)!.verify(reference),
    now: () => new Date(),
  });
  // API Gateway names the matched resource; behind the loopback server it is the request path.
  const gateway: LocalServer = await startApiGatewayHttp((event) => handler({ ...event, resource: event.path }));

  return {
    endpoint: gateway.endpoint,
    handler,
    async seed(record) {
      const item: PaymentRecord = { status: 'created', createdAt: new Date().toISOString(), ...record };
      await dynamo.send(new PutItemCommand({ TableName: TABLE, Item: marshall(item, { removeUndefinedValues: true }) }));
    },
    async read(paymentId) {
      const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
      const { Item } = await dynamo.send(new GetItemCommand({ TableName: TABLE, Key: marshall({ paymentId }), ConsistentRead: true }));
      return Item ? (unmarshall(Item) as PaymentRecord) : undefined;
    },
    drain: () => receiveAll<PaymentEvent>(sqs, queueUrl),
    async stop() {
      dynamo.destroy();
      sqs.destroy();
      await Promise.all([gateway.stop(), db.stop(), queue.stop()]);
    },
  };
}
