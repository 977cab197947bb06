import * as z from 'zod';
import { jsonString, requiredString, wholeNumber } from '../shared/env';
import { ModyoAdminEnv } from '../shared/modyo-routes';

/**
 * The notifications contract (the only file of this feature lib/ imports): the notification request
 * (`POST /notifications`), the queued delivery message, and the limits and environment of the API and the worker.
 * Only zod is imported here: the CDK side turns `NotificationRequest` into the API Gateway request model and the
 * OpenAPI document.
 */

/** How long records and idempotency keys are kept. */
export const RETENTION_DAYS = 90;

/**
 * The API. IAM: dynamodb:PutItem, GetItem, UpdateItem, Query on the table; sqs:SendMessage on the delivery queue.
 */
export const NotificationsApiEnv = z.object({
  /** pk/sk (strings), TTL attribute `expiresAt`. */
  NOTIFICATIONS_TABLE_NAME: requiredString(),
  /** Standard queue of delivery messages. */
  DELIVERY_QUEUE_URL: requiredString(),
  /** JSON array of the Widget origins whose browser calls get CORS headers (API Gateway answers only the preflight). */
  CORS_ALLOWED_ORIGINS: jsonString(z.array(z.string())).default([]),
});

/**
 * The delivery worker: SQS consumer of the delivery queue. IAM: dynamodb:GetItem, UpdateItem on the table; the
 * Modyo token secret's read; the SQS event source's. Its one HTTP attempt per send (the POST is not idempotent:
 * retries are SQS redelivery and the lease) comes from the stack's outbound limits (HTTP_*).
 */
export const NotificationsWorkerEnv = ModyoAdminEnv.extend({
  NOTIFICATIONS_TABLE_NAME: requiredString(),
  /** A delivery attempt's lease: >= the function timeout, <= the queue's visibility timeout. */
  DELIVERY_LEASE_SECONDS: wholeNumber(1),
});

export const CHANNELS = ['email', 'sms', 'whatsapp', 'push', 'web_push', 'in_app'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Largest request body accepted, in bytes (the WAF body-size rule uses the same number). */
export const MAX_BODY_BYTES = 64 * 1024;
/** Recipients per request: each becomes one delivery, one record and one queued message. */
export const MAX_RECIPIENTS = 100;

/**
 * What each channel needs from inline content. `subject` is the e-mail subject or the push / web push title.
 * Body limits: SMS 1,600 characters (ten concatenated segments), WhatsApp's 4,096 for a text message,
 * push payloads are a few KB, e-mail and in-app are bounded by the request size.
 */
export const CHANNEL_CONTENT: Record<Channel, { subject: 'required' | 'optional' | 'forbidden'; maxBody: number; url: boolean }> = {
  email: { subject: 'required', maxBody: 60_000, url: false },
  sms: { subject: 'forbidden', maxBody: 1_600, url: false },
  whatsapp: { subject: 'forbidden', maxBody: 4_096, url: false },
  push: { subject: 'required', maxBody: 1_000, url: false },
  web_push: { subject: 'required', maxBody: 1_000, url: true },
  in_app: { subject: 'optional', maxBody: 10_000, url: true },
};

/** A Modyo realm user id (Modyo's ids are numeric; they travel as strings). */
export const ModyoUserId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a Modyo user id (1-64 letters, digits, _ or -)');

export const Template = z.strictObject({
  /** Id of a template defined in Modyo messaging. */
  id: z.string().min(1).max(128),
  /** Values for the template's placeholders. */
  variables: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), z.union([z.string().max(2_000), z.number(), z.boolean()])).optional(),
});
export type Template = z.infer<typeof Template>;

export const Content = z.strictObject({
  subject: z.string().min(1).max(255).optional(),
  body: z.string().min(1).max(60_000),
  /** Where a click on a web push or in-app message leads. */
  url: z.url({ protocol: /^https$/ }).optional(),
});
export type Content = z.infer<typeof Content>;

export const NotificationRequest = z
  .strictObject({
    realmUid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a Modyo realm uid'),
    channel: z.enum(CHANNELS),
    template: Template.optional(),
    content: Content.optional(),
    recipients: z.array(ModyoUserId).min(1).max(MAX_RECIPIENTS),
  })
  .superRefine((request, ctx) => {
    if ((request.template === undefined) === (request.content === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'give exactly one of template or content' });
    }
    if (new Set(request.recipients).size !== request.recipients.length) {
      ctx.addIssue({ code: 'custom', path: ['recipients'], message: 'recipients must not repeat' });
    }
    const content = request.content;
    if (content === undefined) return;
    const rules = CHANNEL_CONTENT[request.channel];
    if (rules.subject === 'required' && content.subject === undefined) {
      ctx.addIssue({ code: 'custom', path: ['content', 'subject'], message: `${request.channel} needs a subject` });
    }
    if (rules.subject === 'forbidden' && content.subject !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['content', 'subject'], message: `${request.channel} has no subject` });
    }
    if (content.body.length > rules.maxBody) {
      ctx.addIssue({ code: 'custom', path: ['content', 'body'], message: `${request.channel} body is at most ${rules.maxBody} characters` });
    }
    if (!rules.url && content.url !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['content', 'url'], message: `${request.channel} has no url` });
    }
  });
export type NotificationRequest = z.infer<typeof NotificationRequest>;

/** The SQS message the API queues for each delivery: ids only, the content stays in the table. */
export const DeliveryMessage = z.strictObject({
  schemaVersion: z.literal(1),
  notificationId: z.string().min(1),
  deliveryId: z.string().min(1),
});
export type DeliveryMessage = z.infer<typeof DeliveryMessage>;

/** Client idempotency key (`Idempotency-Key` header). */
export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 visible ASCII characters');
