import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { USER_LIFECYCLE_TYPES, type UserLifecycleType } from '../shared/modyo-events';
import { type AppliedAspect, type AppliedState, type Aspect, aspectOf } from './core';

const ASPECTS: readonly Aspect[] = ['attributes', 'enabled', 'deleted'];

/** Optimistic-concurrency rounds of `record` before giving up (the message is then retried). */
const MAX_RECORD_ATTEMPTS = 5;

/**
 * The newest event applied per aspect of each Modyo user (table: partition key `modyoUserId` (S), TTL attribute
 * `expiration`): `<aspect>AtMs` and `<aspect>EventId` for `attributes`, `enabled` and `deleted`, and a `version`
 * that every write increments (the function may only GetItem and PutItem, so a write replaces the item and is
 * conditioned on the version it read). Live users' items never expire; an item whose newest event is the delete is a
 * tombstone that expires after `tombstoneTtlSeconds`, which must outlast the queue's retention plus any DLQ redrive
 * window.
 *
 * Items written before per-aspect tracking hold one `occurredAtMs` / `eventId` / `type` for the last event of any
 * kind; they are read as that event's aspect, and rewritten in the new form on the next record.
 */
export class AppliedEvents {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly tombstoneTtlSeconds: number,
    private readonly now: () => number = Date.now,
    /** Aborts every call when the invocation's deadline passes. */
    private readonly signal: () => AbortSignal | undefined = () => undefined,
  ) {}

  async state(modyoUserId: string): Promise<AppliedState | undefined> {
    return (await this.read(modyoUserId))?.state;
  }

  /**
   * Remembers `applied` as the newest event of its aspect unless a newer one of that aspect was recorded meanwhile
   * (a concurrent consumer); the other aspects are kept as they are. Returns whether it was recorded.
   */
  async record(modyoUserId: string, aspect: Aspect, applied: AppliedAspect): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.read(modyoUserId);
      const existing = current?.state[aspect];
      if (existing !== undefined && existing.atMs > applied.atMs) return false;
      const state: AppliedState = { ...current?.state, [aspect]: applied };
      const version = (current?.version ?? 0) + 1;
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { modyoUserId, version, ...this.attributesOf(state) },
            ...(current?.version === undefined
              ? { ConditionExpression: 'attribute_not_exists(version)' }
              : { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': current.version } }),
          }),
          { abortSignal: this.signal() },
        );
        return true;
      } catch (error) {
        if ((error as { name?: string })?.name !== 'ConditionalCheckFailedException' || attempt >= MAX_RECORD_ATTEMPTS) throw error;
      }
    }
  }

  private attributesOf(state: AppliedState): Record<string, unknown> {
    const item: Record<string, unknown> = {};
    for (const aspect of ASPECTS) {
      const applied = state[aspect];
      if (applied) Object.assign(item, { [`${aspect}AtMs`]: applied.atMs, [`${aspect}EventId`]: applied.eventId });
    }
    const deleted = state.deleted;
    if (deleted && ASPECTS.every((aspect) => (state[aspect]?.atMs ?? -Infinity) <= deleted.atMs)) {
      item.expiration = Math.floor(this.now() / 1000) + this.tombstoneTtlSeconds;
    }
    return item;
  }

  private async read(modyoUserId: string): Promise<{ state: AppliedState; version?: number } | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { modyoUserId }, ConsistentRead: true }), { abortSignal: this.signal() });
    if (!Item) return undefined;
    const state: Partial<Record<Aspect, AppliedAspect>> = {};
    for (const aspect of ASPECTS) {
      const atMs = Item[`${aspect}AtMs`];
      if (typeof atMs === 'number') state[aspect] = { atMs, eventId: String(Item[`${aspect}EventId`]) };
    }
    // A legacy item: the last event of any kind, counted for its own aspect.
    if (typeof Item.occurredAtMs === 'number' && (USER_LIFECYCLE_TYPES as readonly string[]).includes(Item.type as string)) {
      const aspect = aspectOf(Item.type as UserLifecycleType);
      const current = state[aspect];
      if (current === undefined || current.atMs < Item.occurredAtMs) state[aspect] = { atMs: Item.occurredAtMs, eventId: String(Item.eventId) };
    }
    return { state, version: typeof Item.version === 'number' ? Item.version : undefined };
  }
}
