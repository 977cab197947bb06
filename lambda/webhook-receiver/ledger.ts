import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

export type Claim = 'claimed' | 'completed' | 'in_progress';

/**
 * Which deliveries were already handled, on the environment's idempotency table (partition key `id`, TTL
 * attribute `expiration`, the layout Powertools idempotency uses, so they share it; ids are prefixed).
 *
 * A delivery is first claimed (`in_progress` with a lock that expires), then marked `completed` only after it was
 * archived and queued. A crash in between leaves an expired lock that the next retry takes over, so the event is
 * redone rather than lost; a failure releases the claim at once.
 */
export class DeliveryLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: { lockSeconds: number; retainSeconds: number; now?: () => number },
  ) {}

  async claim(eventId: string): Promise<Claim> {
    const now = this.nowSeconds();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { id: key(eventId), status: 'in_progress', lockExpiresAt: now + this.options.lockSeconds, expiration: now + this.options.retainSeconds },
          // New, or a crashed attempt's lock that has run out, or a record past its TTL that DynamoDB has not swept yet.
          ConditionExpression: 'attribute_not_exists(id) OR (#status = :inProgress AND lockExpiresAt < :now) OR expiration < :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'in_progress', ':now': now },
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { id: key(eventId) }, ConsistentRead: true }));
    return existing.Item?.status === 'completed' ? 'completed' : 'in_progress';
  }

  async complete(eventId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { id: key(eventId) },
        UpdateExpression: 'SET #status = :completed, expiration = :expiration REMOVE lockExpiresAt',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':completed': 'completed', ':expiration': this.nowSeconds() + this.options.retainSeconds },
      }),
    );
  }

  /** Gives a failed attempt's claim back so the sender's retry redoes the work at once. */
  async release(eventId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { id: key(eventId) },
        ConditionExpression: '#status = :inProgress',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':inProgress': 'in_progress' },
      }),
    );
  }

  private nowSeconds(): number {
    return Math.floor((this.options.now ?? Date.now)() / 1000);
  }
}

export function key(eventId: string): string {
  return `webhook-receiver#${eventId}`;
}
