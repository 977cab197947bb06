/**
 * The payment notification entry point (createPaymentHandler with the real PaymentStore and PaymentEventQueue) on
 * the local DynamoDB and SQS, behind real HTTP (apigw-http.ts), so a provider double can push its callback to a URL
 * and the test reads what was recorded and queued. One harness per test file; `stop()` in afterAll.
 */
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createPaymentHandler } from '../../../lambda/payments/api/handler';
import type { PaymentEvent, PaymentRecord } from '../../../lambda/payments/contract';
import { PaymentEventQueue } from '../../../lambda/payments/events';
import type { PaymentProvider } from '../../../lambda/payments/provider';
import { PaymentStore } from '../../../lambda/payments/store';
import { startApiGatewayHttp } from '../apigw-http';
import { LOCAL_REGION, type LocalServer, startDynamoDb, startSqs } from '../local-aws';

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

export async function startPaymentHarness(providers: readonly PaymentProvider[]): Promise<PaymentHarness> {
  const [db, queue] = await Promise.all([startDynamoDb(), startSqs()]);
  const dynamo = new DynamoDBClient({ region: LOCAL_REGION, endpoint: db.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const sqs = new SQSClient({ region: LOCAL_REGION, endpoint: queue.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await dynamo.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'paymentId', AttributeType: 'S' },
        { AttributeName: 'outbox', AttributeType: 'S' },
        { AttributeName: 'updatedAt', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'paymentId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'outbox-index',
          KeySchema: [
            { AttributeName: 'outbox', KeyType: 'HASH' },
            { AttributeName: 'updatedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
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
    async drain() {
      const events: PaymentEvent[] = [];
      for (;;) {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
        if (Messages.length === 0) return events;
        for (const message of Messages) {
          events.push(JSON.parse(message.Body!));
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
        }
      }
    },
    async stop() {
      dynamo.destroy();
      sqs.destroy();
      await Promise.all([gateway.stop(), db.stop(), queue.stop()]);
    },
  };
}
