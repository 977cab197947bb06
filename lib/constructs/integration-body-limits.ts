/**
 * The request body limits of the integration handlers, in bytes, read from the handlers' own constants so the
 * WAF body-size rule and the API request limits can never drift from what the handlers accept (413 above them).
 * The API stack imports these; nothing else should restate the numbers.
 */
import { MAX_BODY_BYTES as CUSTOMER_SYNC_MAX_BODY_BYTES } from '../../lambda/customer-sync/contract';
import { MAX_BODY_BYTES as NOTIFICATIONS_MAX_BODY_BYTES } from '../../lambda/notifications/contract';
import { FORM_LIMITS as PAYMENT_FORM_LIMITS } from '../../lambda/payments/contract';
import { WEBHOOK_MAX_BODY_BYTES } from '../../lambda/webhook-receiver/contract';

export { WEBHOOK_MAX_BODY_BYTES };

/** Largest body each integration route accepts. */
export const INTEGRATION_BODY_LIMITS = {
  webhookReceiver: WEBHOOK_MAX_BODY_BYTES,
  customerSyncInbound: CUSTOMER_SYNC_MAX_BODY_BYTES,
  notificationsApi: NOTIFICATIONS_MAX_BODY_BYTES,
  payments: PAYMENT_FORM_LIMITS.maxBytes,
} as const;

/** The largest body any integration handler accepts: the WAF body-size rule's limit for the integration routes. */
export const LARGEST_INTEGRATION_BODY_BYTES = Math.max(...Object.values(INTEGRATION_BODY_LIMITS));
