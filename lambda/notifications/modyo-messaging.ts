/**
 * Sends one delivery through the Modyo messaging API, on the shared admin client. Modyo documents campaigns and
 * deliveries under `/api/admin/messaging/...` but publishes no "send one message" route, so the route is the
 * `messagingDeliveries` entry of MODYO_ADMIN_ROUTES (default `/api/admin/messaging/deliveries`, may hold
 * `{realm_uid}`): set it per account from its Swagger catalogue (`/api/admin/docs`).
 */
import { expandPath, type ModyoAdminClient } from '../shared/modyo-admin';
import { type DeliveryRecord, modyoMessageBody, modyoMessageIdOf, type NotificationRecord } from './core';

export class ModyoMessaging {
  constructor(
    private readonly client: Pick<ModyoAdminClient, 'request'>,
    private readonly routeTemplate: string,
  ) {}

  /** Resolves with Modyo's message id when its answer has one; rejects with ModyoApiError. */
  async send(notification: NotificationRecord, delivery: DeliveryRecord): Promise<{ modyoMessageId?: string }> {
    const path = expandPath(this.routeTemplate, { realm_uid: notification.realmUid });
    const response = await this.client.request<unknown>('POST', path, { body: modyoMessageBody(notification, delivery) });
    return { modyoMessageId: modyoMessageIdOf(response) };
  }
}
