import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AppliedEvent } from './core';

/**
 * The last event applied per Modyo user (table: partition key `modyoUserId` (S), TTL attribute `expiration`).
 * Live users' items never expire; a deleted user's item is a tombstone that expires after `tombstoneTtlSeconds`,
 * which must outlast the queue's retention plus any DLQ redrive window.
 */
export class AppliedEvents {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly tombstoneTtlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async last(modyoUserId: string): Promise<AppliedEvent | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { modyoUserId }, ConsistentRead: true }));
    if (!Item) return undefined;
    return { occurredAtMs: Item.occurredAtMs as number, eventId: Item.eventId as string, type: Item.type as string };
  }

  /**
   * Remembers `applied` unless a newer event was recorded meanwhile (a concurrent consumer); returns whether it
   * was recorded.
   */
  async record(modyoUserId: string, applied: AppliedEvent): Promise<boolean> {
    const expiration = applied.type === 'user_deleted' ? Math.floor(this.now() / 1000) + this.tombstoneTtlSeconds : undefined;
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { modyoUserId, ...applied, ...(expiration === undefined ? {} : { expiration }) },
          ConditionExpression: 'attribute_not_exists(modyoUserId) OR occurredAtMs <= :occurredAtMs',
          ExpressionAttributeValues: { ':occurredAtMs': applied.occurredAtMs },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string })?.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
