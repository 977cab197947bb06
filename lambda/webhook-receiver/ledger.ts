import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';

export type Claim = 'claimed' | 'completed' | 'in_progress';

/** One delivery as the ledger knows it. */
export interface Delivery {
  /** The ledger key: the same on every retry of the delivery (Modyo's id, or the hash of the body). */
  readonly key: string;
  /** The event id to hand out when this claim starts a new record (an existing record keeps its own). */
  readonly eventId: string;
  /** How long a completed delivery is recognised as a duplicate. */
  readonly retainSeconds: number;
}

export interface ClaimResult {
  readonly status: Claim;
  /** The delivery's event id: the one proposed for a new record, else the one its record was first given. */
  readonly eventId: string;
}

/**
 * Which deliveries were already handled, on the environment's idempotency table (partition key `id`, TTL
 * attribute `expiration`, the layout Powertools idempotency uses, so they share it; ids are prefixed).
 *
 * A delivery is first claimed (`in_progress` with a lock that expires), then marked `completed` only after it was
 * archived and queued. A crash in between leaves an expired lock that the next retry takes over, so the event is
 * redone rather than lost; a failure gives the claim back at once. A record taken over keeps the event id it was
 * first given, so a redone delivery reaches the consumers under the same id.
 *
 * Written with DynamoDB's own attribute values rather than the document client: two of an event's four or five AWS
 * calls are these, and the document client's per-call marshalling middleware (which also rules out the client's
 * cached middleware) cost ~12 % of the calls' CPU (bench/webhook.ts).
 */
export class DeliveryLedger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: { lockSeconds: number; now?: () => number },
  ) {}

  async claim(delivery: Delivery): Promise<ClaimResult> {
    const now = this.nowSeconds();
    const lockExpiresAt = now + this.options.lockSeconds;
    // Never shorter than the lock, so an in-progress record cannot expire under a running attempt.
    const expiration = now + Math.max(delivery.retainSeconds, this.options.lockSeconds);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { id: { S: key(delivery.key) }, status: { S: 'in_progress' }, lockExpiresAt: number(lockExpiresAt), expiration: number(expiration), eventId: { S: delivery.eventId } },
          // New, or a record past its TTL that DynamoDB has not swept yet.
          ConditionExpression: 'attribute_not_exists(id) OR expiration < :now',
          ExpressionAttributeValues: { ':now': number(now) },
        }),
      );
      return { status: 'claimed', eventId: delivery.eventId };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    try {
      // A crashed or failed attempt's lock that has run out: take it over, keeping the record's event id.
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: itemKey(delivery),
          UpdateExpression: 'SET lockExpiresAt = :lock, expiration = :expiration, eventId = if_not_exists(eventId, :eventId)',
          ConditionExpression: '#status = :inProgress AND lockExpiresAt < :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':inProgress': { S: 'in_progress' },
            ':now': number(now),
            ':lock': number(lockExpiresAt),
            ':expiration': number(expiration),
            ':eventId': { S: delivery.eventId },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { status: 'claimed', eventId: Attributes?.eventId?.S ?? delivery.eventId };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: itemKey(delivery), ConsistentRead: true }));
    return {
      status: existing.Item?.status?.S === 'completed' ? 'completed' : 'in_progress',
      eventId: existing.Item?.eventId?.S ?? delivery.eventId,
    };
  }

  async complete(delivery: Delivery): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: itemKey(delivery),
        UpdateExpression: 'SET #status = :completed, expiration = :expiration REMOVE lockExpiresAt',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':completed': { S: 'completed' }, ':expiration': number(this.nowSeconds() + delivery.retainSeconds) },
      }),
    );
  }

  /**
   * Gives a failed attempt's claim back so the sender's retry redoes the work at once. A delivery whose event id
   * is its key (Modyo's id) is simply forgotten; one whose event id was minted at its first claim (a body hash)
   * keeps its record with the lock run out, so the retry takes it over under the same event id (part of the
   * work, the archive or one queue, may already have been done under it).
   */
  async release(delivery: Delivery): Promise<void> {
    const condition = {
      Key: itemKey(delivery),
      ConditionExpression: '#status = :inProgress',
      ExpressionAttributeNames: { '#status': 'status' },
    };
    if (delivery.eventId === delivery.key) {
      await this.client.send(new DeleteItemCommand({ TableName: this.tableName, ...condition, ExpressionAttributeValues: { ':inProgress': { S: 'in_progress' } } }));
      return;
    }
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        ...condition,
        UpdateExpression: 'SET lockExpiresAt = :expired',
        ExpressionAttributeValues: { ':inProgress': { S: 'in_progress' }, ':expired': number(0) },
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

/** The record's key attribute. */
function itemKey(delivery: Pick<Delivery, 'key'>) {
  return { id: { S: key(delivery.key) } };
}

/** A number attribute value (DynamoDB sends numbers as strings). */
function number(value: number) {
  return { N: String(value) };
}
