/**
 * The payment records table (partition key `paymentId`). Final states are written with a condition on
 * `status = created`, so replays and concurrent notifications record once and never move a final state. The
 * `outbox` attribute (sparse GSI `outbox-index`: partition `outbox`, sort `updatedAt`) marks a final state whose
 * event is not queued yet; it is set in the same write as the state and removed once the event is queued.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type FinalPaymentStatus, OUTBOX_INDEX, type PaymentRecord } from './contract';

export { OUTBOX_INDEX };

export interface FinalDetails {
  readonly status: FinalPaymentStatus;
  readonly reason: string;
  readonly authorizationCode?: string;
  readonly at: string;
}

export class PaymentStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async get(paymentId: string): Promise<PaymentRecord | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { paymentId }, ConsistentRead: true }));
    return Item as PaymentRecord | undefined;
  }

  /** Moves a `created` record to its final state; undefined when it was not `created` any more (someone else won). */
  async finalise(paymentId: string, details: FinalDetails): Promise<PaymentRecord | undefined> {
    const values: Record<string, unknown> = { ':created': 'created', ':status': details.status, ':reason': details.reason, ':at': details.at, ':pending': 'pending' };
    let update = 'SET #status = :status, reason = :reason, updatedAt = :at, outbox = :pending';
    if (details.authorizationCode !== undefined) {
      update += ', authorizationCode = :code';
      values[':code'] = details.authorizationCode;
    }
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { paymentId },
          UpdateExpression: update,
          ConditionExpression: '#status = :created',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as PaymentRecord;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** The event of this record is queued. */
  async clearOutbox(paymentId: string): Promise<void> {
    await this.documents.send(new UpdateCommand({ TableName: this.tableName, Key: { paymentId }, UpdateExpression: 'REMOVE outbox' }));
  }

  /** Records whose event is still to be queued, last changed before `before` (so the in-line send had its chance). */
  async pendingEvents(before: string, limit: number): Promise<PaymentRecord[]> {
    const { Items } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: OUTBOX_INDEX,
        KeyConditionExpression: 'outbox = :pending AND updatedAt < :before',
        ExpressionAttributeValues: { ':pending': 'pending', ':before': before },
        Limit: limit,
      }),
    );
    return (Items ?? []) as PaymentRecord[];
  }
}
