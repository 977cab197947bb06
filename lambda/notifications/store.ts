/**
 * The notification table (DynamoDB): one item per notification and one per delivery under the same partition,
 * so `GET /notifications/{id}` is one query.
 *   pk = `NOTIFICATION#<notificationId>`, sk = `NOTIFICATION` | `DELIVERY#<deliveryId>`; TTL attribute `expiresAt`.
 * Every state change is a conditional write: nothing is recorded twice and a final state is never overwritten.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '../shared/aws-clients';
import type { DeliveryError, DeliveryRecord, NotificationRecord } from './core';

const NOTIFICATION_SK = 'NOTIFICATION';
const DELIVERY_SK_PREFIX = 'DELIVERY#';

function keyOf(notificationId: string, sk: string) {
  return { pk: `NOTIFICATION#${notificationId}`, sk };
}

function withoutKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, ...record } = item;
  return record as T;
}

export class NotificationStore {
  private readonly db: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient(awsClientConfig()),
  ) {
    this.db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Writes a new notification; when its id is taken (a replay of an idempotency key) returns what is there. */
  async createNotification(notification: NotificationRecord): Promise<{ created: true } | { created: false; existing: NotificationRecord }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keyOf(notification.notificationId, NOTIFICATION_SK), ...notification },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { created: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await this.getNotification(notification.notificationId);
    // Taken a moment ago and gone now can only be the TTL; the caller retries.
    if (!existing) throw new Error(`Notification ${notification.notificationId} vanished while being replayed`);
    return { created: false, existing };
  }

  async getNotification(notificationId: string): Promise<NotificationRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keyOf(notificationId, NOTIFICATION_SK), ConsistentRead: true }));
    return Item ? withoutKeys<NotificationRecord>(Item) : undefined;
  }

  /**
   * Writes each delivery unless it exists already: on a resumed accept some may have been written, and one may
   * even be sent by now; a blind overwrite would set it back to `queued` and send it twice.
   */
  async createDeliveries(deliveries: readonly DeliveryRecord[]): Promise<void> {
    const chunkSize = 25;
    for (let start = 0; start < deliveries.length; start += chunkSize) {
      await Promise.all(
        deliveries.slice(start, start + chunkSize).map(async (delivery) => {
          try {
            await this.db.send(
              new PutCommand({
                TableName: this.tableName,
                Item: { ...keyOf(delivery.notificationId, DELIVERY_SK_PREFIX + delivery.deliveryId), ...delivery },
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            );
          } catch (error) {
            if (!(error instanceof ConditionalCheckFailedException)) throw error;
          }
        }),
      );
    }
  }

  async markAccepted(notificationId: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(notificationId, NOTIFICATION_SK),
        UpdateExpression: 'SET #status = :accepted',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':accepted': 'accepted' },
      }),
    );
  }

  /** The notification and its deliveries, in one consistent query (paged, though 100 deliveries fit one page). */
  async readNotification(notificationId: string): Promise<{ notification: NotificationRecord; deliveries: DeliveryRecord[] } | undefined> {
    let notification: NotificationRecord | undefined;
    const deliveries: DeliveryRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keyOf(notificationId, '').pk },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (item.sk === NOTIFICATION_SK) notification = withoutKeys<NotificationRecord>(item);
        else if (String(item.sk).startsWith(DELIVERY_SK_PREFIX)) deliveries.push(withoutKeys<DeliveryRecord>(item));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return notification ? { notification, deliveries } : undefined;
  }

  async getDelivery(notificationId: string, deliveryId: string): Promise<DeliveryRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(notificationId, DELIVERY_SK_PREFIX + deliveryId), ConsistentRead: true }),
    );
    return Item ? withoutKeys<DeliveryRecord>(Item) : undefined;
  }

  /**
   * Takes the delivery for one attempt: only from `queued`/`retrying` and only when no other attempt holds it.
   * Counts the attempt. Returns the claimed record, or undefined when the condition failed (already final, or in flight).
   */
  async claimDelivery(notificationId: string, deliveryId: string, now: Date, leaseMs: number): Promise<DeliveryRecord | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(notificationId, DELIVERY_SK_PREFIX + deliveryId),
          UpdateExpression: 'SET attempts = attempts + :one, leaseUntil = :leaseUntil, lastAttemptAt = :now, updatedAt = :now',
          ConditionExpression: '#status IN (:queued, :retrying) AND (attribute_not_exists(leaseUntil) OR leaseUntil <= :nowMs)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':leaseUntil': now.getTime() + leaseMs,
            ':now': now.toISOString(),
            ':nowMs': now.getTime(),
            ':queued': 'queued',
            ':retrying': 'retrying',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? withoutKeys<DeliveryRecord>(Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async recordSent(notificationId: string, deliveryId: string, now: Date, modyoMessageId: string | undefined): Promise<void> {
    await this.finish(notificationId, deliveryId, 'SET #status = :sent, sentAt = :now, updatedAt = :now' + (modyoMessageId ? ', modyoMessageId = :modyoId' : '') + ' REMOVE leaseUntil, lastError', {
      ':sent': 'sent',
      ':now': now.toISOString(),
      ...(modyoMessageId && { ':modyoId': modyoMessageId }),
    });
  }

  async recordFailed(notificationId: string, deliveryId: string, now: Date, error: DeliveryError): Promise<void> {
    await this.finish(notificationId, deliveryId, 'SET #status = :failed, failedAt = :now, updatedAt = :now, lastError = :error REMOVE leaseUntil', {
      ':failed': 'failed',
      ':now': now.toISOString(),
      ':error': error,
    });
  }

  /** A retryable failure: the lease is released so the next SQS delivery of the message can try again. */
  async recordRetry(notificationId: string, deliveryId: string, now: Date, error: DeliveryError): Promise<void> {
    await this.finish(notificationId, deliveryId, 'SET #status = :retrying, updatedAt = :now, lastError = :error REMOVE leaseUntil', {
      ':retrying': 'retrying',
      ':now': now.toISOString(),
      ':error': error,
    });
  }

  /** Updates a delivery that is not final yet (a final state is never overwritten). */
  private async finish(notificationId: string, deliveryId: string, update: string, values: Record<string, unknown>): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(notificationId, DELIVERY_SK_PREFIX + deliveryId),
        UpdateExpression: update,
        ConditionExpression: 'attribute_exists(pk) AND NOT #status IN (:sentState, :failedState)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ...values, ':sentState': 'sent', ':failedState': 'failed' },
      }),
    );
  }
}
