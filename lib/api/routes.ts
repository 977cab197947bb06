import type { z } from 'zod';
import type { EnvironmentConfig } from '../config/schema';
import { ProfileUpdateRequest } from '../../lambda/customer-sync/contract';
import { NotificationRequest } from '../../lambda/notifications/contract';
import {
  BANCARD_CONFIRMATION_LIMITS,
  bancardSchemas,
  CHECKOUT_MAX_BODY_BYTES,
  CheckoutAnswer,
  CheckoutBody,
  khipuSchemas,
  PAYME_NOTIFICATION_LIMITS,
  PAYMENTS_PAGE,
  PAYU_CONFIRMATION_LIMITS,
  paymeSchemas,
  PaymentPage,
  PaymentView,
  payuSchemas,
  TIGO_CALLBACK_LIMITS,
  tigoMoneySchemas,
  webpaySchemas,
} from '../../lambda/payments/contract';
import { configuredPaymentProviders } from '../config/payments';
import { ModyoWebhookPayload, WEBHOOK_HEADERS, WebhookAccepted } from '../../lambda/webhook-receiver/contract';
import { INTEGRATION_BODY_LIMITS } from '../constructs/integration-body-limits';
import { HANDLER_PATHS } from './handler-paths';

/**
 * THE route table of the Connect API. The API Gateway resources and methods, the Cognito authorizer scopes, the
 * request validators and models, the WAF body-size limits and the OpenAPI document are all built from it, so a
 * route is declared once and the four can never disagree.
 */

/** The Lambda handlers behind the API, by the key the integrations stack exposes them under (`apiHandlers`). */
export const API_HANDLER_KEYS = ['webhookReceiver', 'customerSyncInbound', 'notificationsApi', 'payments', 'paymentsCheckout'] as const;
export type ApiHandlerKey = (typeof API_HANDLER_KEYS)[number];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'ANY';

/** The header the webhook receiver reads the shared secret from (its contract's WEBHOOK_HEADERS). */
export const WEBHOOK_SECRET_HEADER = WEBHOOK_HEADERS.secret;
/** The optional HMAC signature header of a signed webhook delivery. */
export const WEBHOOK_SIGNATURE_HEADER = WEBHOOK_HEADERS.signature;

export type RouteAuthentication =
  /** A Cognito access token carrying at least one of `scopes` (short names from identity.scopes). */
  | { readonly type: 'cognito'; readonly scopes: readonly string[] }
  /** No token: the handler checks a shared secret sent in `header` (and a signature when configured). */
  | { readonly type: 'shared-secret'; readonly header: string }
  /** No token: the caller is a payment provider or its buyer's browser; the handler verifies every request with the provider's API. */
  | { readonly type: 'provider-verified'; readonly provider: string }
  /** No credentials and no data: anyone may call it (the health route, answered by API Gateway itself). */
  | { readonly type: 'public'; readonly reason: string };

export interface RouteBody {
  /** The body's zod schema: the request model for JSON bodies; for form bodies documentation only (API Gateway validates JSON alone). */
  readonly schema?: z.ZodType;
  /** Model name in API Gateway and the OpenAPI components. */
  readonly modelName?: string;
  readonly contentType: 'application/json' | 'application/x-www-form-urlencoded';
  /** The largest body the handler accepts (its exported constant); the WAF enforces the same number. */
  readonly maxBytes: number;
}

export interface RouteParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  readonly description: string;
}

export type RouteTarget =
  | { readonly kind: 'handler'; readonly handler: ApiHandlerKey }
  | { readonly kind: 'service'; readonly service: string }
  /** Answered by API Gateway itself (a mock integration): no backend is called. */
  | { readonly kind: 'health' };

export interface ApiRoute {
  readonly method: HttpMethod;
  /** API Gateway resource path, e.g. `/notifications/{id}`; handlers that route by `event.resource` see exactly this. */
  readonly path: string;
  readonly target: RouteTarget;
  readonly authentication: RouteAuthentication;
  readonly body?: RouteBody;
  readonly parameters: readonly RouteParameter[];
  readonly summary: string;
  readonly description?: string;
  /** The success answer: status and what it means. */
  readonly success: { readonly status: number; readonly description: string; readonly schema?: z.ZodType; readonly schemaName?: string };
  /** OpenAPI tag (the handler or service family). */
  readonly tag: string;
  /** Served only in environments where this holds (e.g. a payment provider is configured); always when absent. */
  readonly when?: (config: RouteConfig) => boolean;
}

/** The parts of an environment's config the route table depends on. */
export type RouteConfig = Pick<EnvironmentConfig, 'services' | 'integrations'>;

const idempotencyKey = (description: string): RouteParameter => ({ name: 'Idempotency-Key', in: 'header', required: false, description });

const anyPaymentProvider = (config: RouteConfig) => configuredPaymentProviders(config.integrations).length > 0;

/**
 * Checkout, "my payments" and the callbacks of Bancard, PayU, Pay-me and Tigo Money (Khipu's and WebPay's are in
 * HANDLER_ROUTES). JSON callbacks get their schema as the API Gateway model (Bancard's monitoring ping `{}` passes:
 * `operation` is optional); the adapters check them again and answer in the provider's own format.
 */
const PAYMENT_ROUTES: readonly ApiRoute[] = [
  {
    method: 'POST',
    path: HANDLER_PATHS.payments,
    target: { kind: 'handler', handler: 'paymentsCheckout' },
    authentication: { type: 'cognito', scopes: ['payments.create'] },
    when: anyPaymentProvider,
    body: { schema: CheckoutBody, modelName: 'CheckoutRequest', contentType: 'application/json', maxBytes: CHECKOUT_MAX_BODY_BYTES },
    parameters: [idempotencyKey('Retries with the same key and body answer the first checkout (8-128 letters, digits, "_", ".", ":" or "-").')],
    summary: 'Start a payment (checkout)',
    description:
      'Creates the payment record and the payment at the chosen provider, and answers what the browser does next: a redirect (Khipu, Tigo Money), a form post (WebPay `token_ws`, PayU WebCheckout) or an embedded checkout (Bancard iframe, Pay-me Flex). Amounts follow the provider\'s rules (PYG and CLP have no decimals; Bancard descriptions are at most 20 characters; Tigo Money needs `buyer.phone`); a request that breaks one is a 400 naming the field and nothing is recorded. A realm user\'s token (modyo_realm, modyo_user_id) makes the payment theirs; a machine client\'s makes it the client\'s.',
    success: { status: 201, description: 'Created: the payment (status `created`) and `next`; Location names it.', schema: CheckoutAnswer, schemaName: 'CheckoutAnswer' },
    tag: 'payments',
  },
  {
    method: 'GET',
    path: HANDLER_PATHS.payments,
    target: { kind: 'handler', handler: 'paymentsCheckout' },
    authentication: { type: 'cognito', scopes: ['payments.read'] },
    when: anyPaymentProvider,
    parameters: [
      { name: 'limit', in: 'query', required: false, description: `Page size, 1 to ${PAYMENTS_PAGE.max} (default ${PAYMENTS_PAGE.default}).` },
      { name: 'cursor', in: 'query', required: false, description: 'The `nextCursor` of the previous page.' },
    ],
    summary: 'My payments, newest first',
    description: 'A realm user sees the payments of their token\'s modyo_user_id; a machine client sees the payments it created.',
    success: { status: 200, description: 'A page of payments and, when there are more, `nextCursor`.', schema: PaymentPage, schemaName: 'PaymentPage' },
    tag: 'payments',
  },
  {
    method: 'GET',
    path: HANDLER_PATHS.payment,
    target: { kind: 'handler', handler: 'paymentsCheckout' },
    authentication: { type: 'cognito', scopes: ['payments.read'] },
    when: anyPaymentProvider,
    parameters: [{ name: 'id', in: 'path', required: true, description: 'The payment id checkout answered.' }],
    summary: 'One of my payments',
    description: 'Another owner\'s payment is answered 404, like an unknown id.',
    success: { status: 200, description: 'The payment and its state.', schema: PaymentView, schemaName: 'PaymentView' },
    tag: 'payments',
  },
  {
    method: 'POST',
    path: HANDLER_PATHS.bancardConfirm,
    target: { kind: 'handler', handler: 'payments' },
    authentication: { type: 'provider-verified', provider: 'bancard' },
    when: (config) => config.integrations.bancard !== undefined,
    body: { schema: bancardSchemas().BancardConfirmation, modelName: 'BancardConfirmation', contentType: 'application/json', maxBytes: BANCARD_CONFIRMATION_LIMITS.maxBytes },
    parameters: [],
    summary: 'Bancard vPOS confirmation (the confirmation URL registered in Bancard\'s portal)',
    description: 'The MD5 token is checked, then the outcome is read back with Bancard\'s confirmations query before anything is recorded; answered `{"status":"success"}`.',
    success: { status: 200, description: 'Confirmation processed.' },
    tag: 'payments',
  },
  {
    method: 'POST',
    path: HANDLER_PATHS.payuConfirm,
    target: { kind: 'handler', handler: 'payments' },
    authentication: { type: 'provider-verified', provider: 'payu' },
    when: (config) => config.integrations.payu !== undefined,
    body: { schema: payuSchemas().PayuConfirmation, modelName: 'PayuConfirmation', contentType: 'application/x-www-form-urlencoded', maxBytes: PAYU_CONFIRMATION_LIMITS.maxBytes },
    parameters: [],
    summary: 'PayU Latam confirmation (confirmationUrl)',
    description: 'The `sign` and merchant are checked, then the orders of the reference are read from PayU\'s reports API before anything is recorded; answered 200 with no body.',
    success: { status: 200, description: 'Confirmation processed.' },
    tag: 'payments',
  },
  {
    method: 'POST',
    path: HANDLER_PATHS.paymeNotify,
    target: { kind: 'handler', handler: 'payments' },
    authentication: { type: 'provider-verified', provider: 'payme' },
    when: (config) => config.integrations.payme !== undefined,
    body: { schema: paymeSchemas().PaymeNotification, modelName: 'PaymeNotification', contentType: 'application/json', maxBytes: PAYME_NOTIFICATION_LIMITS.maxBytes },
    parameters: [{ name: 'signature', in: 'header', required: true, description: 'Base64 RSA-SHA512 signature of the raw body by Alignet.' }],
    summary: 'Pay-me (Alignet) notification (callback_url)',
    description: 'The RSA-SHA512 signature is checked with Alignet\'s public key, then the charge is read back before anything is recorded.',
    success: { status: 200, description: 'Notification processed.' },
    tag: 'payments',
  },
  {
    method: 'POST',
    path: HANDLER_PATHS.tigoMoneyNotify,
    target: { kind: 'handler', handler: 'payments' },
    authentication: { type: 'provider-verified', provider: 'tigo-money' },
    when: (config) => config.integrations.tigoMoney !== undefined,
    body: { schema: tigoMoneySchemas().TigoMoneyCallback, modelName: 'TigoMoneyCallback', contentType: 'application/json', maxBytes: TIGO_CALLBACK_LIMITS.maxBytes },
    parameters: [],
    summary: 'Tigo Money callback (callbackUri)',
    description: 'Unsigned: the transaction is always read back from Tigo before anything is recorded.',
    success: { status: 200, description: 'Callback processed.' },
    tag: 'payments',
  },
  {
    method: 'GET',
    path: HANDLER_PATHS.tigoMoneyNotify,
    target: { kind: 'handler', handler: 'payments' },
    authentication: { type: 'provider-verified', provider: 'tigo-money' },
    when: (config) => config.integrations.tigoMoney !== undefined,
    parameters: [
      { name: 'merchantTransactionId', in: 'query', required: false, description: 'Our payment id.' },
      { name: 'mfsTransactionId', in: 'query', required: false, description: 'Tigo\'s transaction id.' },
      { name: 'transactionStatus', in: 'query', required: false, description: 'What Tigo says (never trusted).' },
    ],
    summary: 'Tigo Money buyer return (redirectUri)',
    description: 'The transaction is read back from Tigo, then the buyer is redirected to the result page of the outcome.',
    success: { status: 302, description: 'Redirect to the result page.' },
    tag: 'payments',
  },
];

/** The routes served by the integration Lambdas: the same in every environment. */
export const HANDLER_ROUTES: readonly ApiRoute[] = [
  {
    method: 'POST',
    path: HANDLER_PATHS.modyoWebhook,
    target: { kind: 'handler', handler: 'webhookReceiver' },
    authentication: { type: 'shared-secret', header: WEBHOOK_SECRET_HEADER },
    body: { schema: ModyoWebhookPayload, modelName: 'ModyoWebhookPayload', contentType: 'application/json', maxBytes: INTEGRATION_BODY_LIMITS.webhookReceiver },
    parameters: [
      { name: WEBHOOK_SIGNATURE_HEADER, in: 'header', required: false, description: 'Hex HMAC-SHA256 of `timestamp.body` (optionally prefixed `sha256=`); required when the webhook secret has a signing key.' },
      { name: WEBHOOK_HEADERS.timestamp, in: 'header', required: false, description: 'Unix seconds of the signature; required with the signature.' },
    ],
    summary: 'Receive a Modyo platform or realm webhook',
    description: 'Modyo webhooks (full log or compact form). The raw body is archived and the normalised event queued.',
    success: { status: 202, description: 'Accepted: archived and queued (or recognised as a duplicate).', schema: WebhookAccepted, schemaName: 'WebhookAccepted' },
    tag: 'webhooks',
  },
  {
    method: 'POST',
    path: HANDLER_PATHS.profileUpdates,
    target: { kind: 'handler', handler: 'customerSyncInbound' },
    authentication: { type: 'cognito', scopes: ['customers.write'] },
    body: { schema: ProfileUpdateRequest, modelName: 'ProfileUpdateRequest', contentType: 'application/json', maxBytes: INTEGRATION_BODY_LIMITS.customerSyncInbound },
    parameters: [idempotencyKey('Retries with the same key are applied once (8-128 letters, digits, "_", ".", ":" or "-").')],
    summary: 'Queue a profile update from the CRM/CDP for Modyo Customers',
    success: { status: 202, description: 'Accepted: queued; the answer carries the request id.' },
    tag: 'customer-sync',
  },
  {
    method: 'POST',
    path: HANDLER_PATHS.notifications,
    target: { kind: 'handler', handler: 'notificationsApi' },
    authentication: { type: 'cognito', scopes: ['notifications.send'] },
    body: { schema: NotificationRequest, modelName: 'NotificationRequest', contentType: 'application/json', maxBytes: INTEGRATION_BODY_LIMITS.notificationsApi },
    parameters: [idempotencyKey('Retries with the same key and body return the first answer (1-255 visible ASCII characters).')],
    summary: 'Request a notification to realm users',
    success: { status: 202, description: 'Accepted: one delivery per recipient is queued; Location names the notification.' },
    tag: 'notifications',
  },
  {
    method: 'GET',
    path: HANDLER_PATHS.notification,
    target: { kind: 'handler', handler: 'notificationsApi' },
    authentication: { type: 'cognito', scopes: ['notifications.read'] },
    parameters: [{ name: 'id', in: 'path', required: true, description: 'The notification id returned when it was accepted.' }],
    summary: 'Read a notification and the state of its deliveries',
    description:
      'A machine client reads the notifications it created. A realm user (a token with the modyo_realm and modyo_user_id claims) reads a notification addressed to them in their realm, with their own delivery only. Anything else is answered 404, like an unknown id.',
    success: { status: 200, description: 'The notification and its deliveries (for a realm user, their own delivery).' },
    tag: 'notifications',
  },
  {
    method: 'POST',
    path: HANDLER_PATHS.khipuNotify,
    target: { kind: 'handler', handler: 'payments' },
    authentication: { type: 'provider-verified', provider: 'khipu' },
    when: (config) => config.integrations.khipu !== undefined,
    body: { schema: khipuSchemas().KhipuNotification, modelName: 'KhipuNotification', contentType: 'application/x-www-form-urlencoded', maxBytes: INTEGRATION_BODY_LIMITS.payments },
    parameters: [],
    summary: 'Khipu payment notification (notify_url)',
    description: 'Form fields `notification_token` and `api_version`; the payment is fetched from Khipu before anything is recorded.',
    success: { status: 200, description: 'Notification processed.' },
    tag: 'payments',
  },
  {
    method: 'GET',
    path: HANDLER_PATHS.webpayReturn,
    target: { kind: 'handler', handler: 'payments' },
    authentication: { type: 'provider-verified', provider: 'webpay' },
    when: (config) => config.integrations.webpay !== undefined,
    parameters: [
      { name: 'token_ws', in: 'query', required: false, description: 'WebPay Plus transaction token (normal flow).' },
      { name: 'TBK_TOKEN', in: 'query', required: false, description: 'Token of an aborted payment.' },
      { name: 'TBK_ORDEN_COMPRA', in: 'query', required: false, description: 'Buy order (aborted or timed-out payment).' },
      { name: 'TBK_ID_SESION', in: 'query', required: false, description: 'Session id (aborted or timed-out payment).' },
    ],
    summary: 'WebPay Plus return (buyer redirected by Transbank)',
    description: 'The transaction is committed with Transbank before anything is recorded; the buyer is redirected to the page of the outcome.',
    success: { status: 302, description: 'Redirect to the page of the outcome.' },
    tag: 'payments',
  },
  {
    method: 'POST',
    path: HANDLER_PATHS.webpayReturn,
    target: { kind: 'handler', handler: 'payments' },
    authentication: { type: 'provider-verified', provider: 'webpay' },
    when: (config) => config.integrations.webpay !== undefined,
    body: { schema: webpaySchemas().WebpayReturn, modelName: 'WebpayReturn', contentType: 'application/x-www-form-urlencoded', maxBytes: INTEGRATION_BODY_LIMITS.payments },
    parameters: [],
    summary: 'WebPay Plus return (form post from Transbank)',
    description: 'Form fields `token_ws`, or `TBK_TOKEN` / `TBK_ORDEN_COMPRA` / `TBK_ID_SESION`; committed with Transbank before anything is recorded.',
    success: { status: 302, description: 'Redirect to the page of the outcome.' },
    tag: 'payments',
  },
  ...PAYMENT_ROUTES,
];

/** The path of the health route the outside-in canary calls (config operations.canary.path). */
export const HEALTH_PATH = '/health';

/**
 * `GET /health`: the API edge is up (DNS, TLS, WAF, API Gateway stage). API Gateway answers it itself, so it needs no
 * credentials, reveals nothing and calls no backend; the canary of every environment calls it from outside AWS's
 * network path of the API, and the handlers' and services' own alarms cover what lies behind the edge.
 */
export const HEALTH_ROUTE: ApiRoute = {
  method: 'GET',
  path: HEALTH_PATH,
  target: { kind: 'health' },
  authentication: { type: 'public', reason: 'The health route answers a constant `{"status":"ok"}` from a mock integration: no data, no backend, nothing to authorize; the outside-in canary calls it without credentials.' },
  parameters: [],
  summary: 'Health of the API edge',
  description: 'Answered by API Gateway itself (no backend): 200 `{"status":"ok"}` means DNS, TLS, the web ACL and the API stage serve requests.',
  success: { status: 200, description: 'The API edge serves requests.' },
  tag: 'health',
};

/** One `ANY <apiPathPrefix>/{proxy+}` route per configured ECS service, private with the service's scopes. */
export function serviceRoutes(services: EnvironmentConfig['services']): ApiRoute[] {
  return services.map((service) => ({
    method: 'ANY',
    path: `${service.apiPathPrefix}/{proxy+}`,
    target: { kind: 'service', service: service.name },
    authentication: { type: 'cognito', scopes: service.scopes },
    parameters: [{ name: 'proxy', in: 'path', required: true, description: `Path below ${service.apiPathPrefix}, passed to the ${service.name} service.` }],
    summary: `The ${service.name} service (any method below ${service.apiPathPrefix})`,
    success: { status: 200, description: `The ${service.name} service's answer.` },
    tag: service.name,
  }));
}

/** Every route of one environment. Throws when two routes claim the same method and path. */
export function apiRoutes(config: RouteConfig): ApiRoute[] {
  const routes = [...HANDLER_ROUTES.filter((route) => route.when?.(config) ?? true), HEALTH_ROUTE, ...serviceRoutes(config.services)];
  const seen = new Set<string>();
  for (const route of routes) {
    const key = routeKey(route);
    if (seen.has(key)) throw new Error(`Route ${key} is declared twice`);
    seen.add(key);
  }
  return routes;
}

/** `METHOD /path`: how config.api.routeThrottling names a route. */
export function routeKey(route: Pick<ApiRoute, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/**
 * Whether servers call the route, rather than only browsers: the webhook (Modyo's platform), the payment providers'
 * callbacks, and a private route when a machine client (a back-office system using the client-credentials grant)
 * holds one of its scopes. Servers call from hosting and cloud providers' addresses, which the WAF blocks only on the
 * routes browsers alone call.
 */
export function calledByServers(route: ApiRoute, identity: Pick<EnvironmentConfig['identity'], 'machineClients'>): boolean {
  const auth = route.authentication;
  if (auth.type !== 'cognito') return true;
  return identity.machineClients.some((client) => client.scopes.some((scope) => auth.scopes.includes(scope)));
}

export function isPrivate(route: ApiRoute): route is ApiRoute & { authentication: { type: 'cognito' } } {
  return route.authentication.type === 'cognito';
}
