/**
 * The payment records table (partition key `paymentId`). Every move of the state machine (core.ts TRANSITIONS) is
 * one UpdateItem conditioned on the states it may come from, so replays and concurrent notifications record once
 * and a final state never moves back. The `outbox` attribute (sparse GSI `outbox-index`: partition `outbox`, sort
 * `updatedAt`) is `open` while a payment waits for its provider (the expiry job reads it) and `pending` while the
 * event of its latest final state is not queued (set in the same write as the state, removed once queued).
 * GSI `owner-index` (partition `owner`, sort `createdAt`) lists a caller's payments, newest first.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { sourcesOf } from './core';
import { type FinalPaymentStatus, OUTBOX_INDEX, OWNER_INDEX, type PaymentRecord } from './contract';

export { OUTBOX_INDEX, OWNER_INDEX };

export interface FinalDetails {
  readonly status: FinalPaymentStatus;
  readonly reason: string;
  readonly authorizationCode?: string;
  readonly at: string;
}

/** A page of records; `next` is the key to continue from (for callers, opaque: checkout encodes it as the cursor). */
export interface OwnerPage {
  readonly items: PaymentRecord[];
  readonly next?: Record<string, unknown>;
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

  /** Writes a new `created` record; false when the id is taken (ids are random: the caller draws another). */
  async create(record: PaymentRecord): Promise<boolean> {
    try {
      await this.documents.send(new PutCommand({ TableName: this.tableName, Item: record, ConditionExpression: 'attribute_not_exists(paymentId)' }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Stores the provider's id of a payment created there; only once, and only while the payment is open. */
  async setProviderPaymentId(paymentId: string, providerPaymentId: string): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { paymentId },
          UpdateExpression: 'SET providerPaymentId = :id',
          ConditionExpression: 'attribute_not_exists(providerPaymentId) AND #status IN (:created, :pending)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':id': providerPaymentId, ':created': 'created', ':pending': 'pending' },
        }),
      );
    } catch (error) {
      // Already set, or a notification closed it first (decide() compared the id then only if it was set).
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Moves a record to a final state, from the states core.ts allows (created/pending, or paid for a refund), and
   * marks its event owed; undefined when the record was not in one of them any more (someone else won).
   */
  async finalise(paymentId: string, details: FinalDetails): Promise<PaymentRecord | undefined> {
    const sources = sourcesOf(details.status);
    const values: Record<string, unknown> = { ':status': details.status, ':reason': details.reason, ':at': details.at, ':pending': 'pending' };
    sources.forEach((source, i) => (values[`:from${i}`] = source));
    let update = 'SET #status = :status, reason = :reason, updatedAt = :at, outbox = :pending';
    if (details.authorizationCode !== undefined) {
      update += ', authorizationCode = :code';
      values[':code'] = details.authorizationCode;
    }
    return this.conditionalUpdate(paymentId, update, `#status IN (${sources.map((_, i) => `:from${i}`).join(', ')})`, values);
  }

  /** `created` → `pending` (the provider has it, not finished); undefined when it was not `created`. */
  async markPending(paymentId: string, reason: string, at: string): Promise<PaymentRecord | undefined> {
    return this.conditionalUpdate(paymentId, 'SET #status = :status, reason = :reason, updatedAt = :at', '#status = :from', {
      ':status': 'pending',
      ':reason': reason,
      ':at': at,
      ':from': 'created',
    });
  }

  private async conditionalUpdate(paymentId: string, update: string, condition: string, values: Record<string, unknown>): Promise<PaymentRecord | undefined> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { paymentId },
          UpdateExpression: update,
          ConditionExpression: condition,
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

  /**
   * The event of this record, as last changed at `updatedAt`, is queued. Only a record still owing that event loses
   * its marker: an open marker is kept, and so is the marker of a later move (a refund written while the paid event
   * was being queued owes its own event).
   */
  async clearOutbox(paymentId: string, updatedAt: string | undefined): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { paymentId },
          UpdateExpression: 'REMOVE outbox',
          ConditionExpression: updatedAt === undefined ? 'outbox = :pending AND attribute_not_exists(updatedAt)' : 'outbox = :pending AND updatedAt = :at',
          ExpressionAttributeValues: { ':pending': 'pending', ...(updatedAt !== undefined && { ':at': updatedAt }) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Records whose event is still to be queued, last changed before `before` (so the in-line send had its chance). */
  async pendingEvents(before: string, limit: number): Promise<PaymentRecord[]> {
    return (await this.marked('pending', before, limit)).items;
  }

  /** A page of open payments (created / pending) last changed before `before`, oldest first: the expiry job's work. */
  async openPayments(before: string, limit: number, startKey?: Record<string, unknown>): Promise<OwnerPage> {
    return this.marked('open', before, limit, startKey);
  }

  private async marked(marker: 'pending' | 'open', before: string, limit: number, startKey?: Record<string, unknown>): Promise<OwnerPage> {
    const { Items, LastEvaluatedKey } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: OUTBOX_INDEX,
        KeyConditionExpression: 'outbox = :marker AND updatedAt < :before',
        ExpressionAttributeValues: { ':marker': marker, ':before': before },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return { items: (Items ?? []) as PaymentRecord[], ...(LastEvaluatedKey && { next: LastEvaluatedKey }) };
  }

  /** One page of an owner's payments, newest first. */
  async byOwner(owner: string, limit: number, startKey?: Record<string, unknown>): Promise<OwnerPage> {
    const { Items, LastEvaluatedKey } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: OWNER_INDEX,
        KeyConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': owner },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return { items: (Items ?? []) as PaymentRecord[], ...(LastEvaluatedKey && { next: LastEvaluatedKey }) };
  }
}
