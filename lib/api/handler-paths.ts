/**
 * The paths of the integration handlers' routes. The route table (routes.ts) declares each handler route with one
 * of these; they live apart from it so the config schema can reserve their first segments for the handlers
 * (lib/config/services.ts) without loading the handlers' contracts. test/config.test.ts checks the two agree.
 */
export const HANDLER_PATHS = {
  modyoWebhook: '/webhooks/modyo',
  profileUpdates: '/customer-sync/profile-updates',
  notifications: '/notifications',
  notification: '/notifications/{id}',
  payments: '/payments',
  payment: '/payments/{id}',
  khipuNotify: '/payments/khipu/notify',
  webpayReturn: '/payments/webpay/return',
  bancardConfirm: '/payments/bancard/confirm',
  payuConfirm: '/payments/payu/confirm',
  paymeNotify: '/payments/payme/notify',
  tigoMoneyNotify: '/payments/tigo-money/notify',
} as const;

/** First path segments of the handler routes, in route-table order: a service's apiPathPrefix may not use them. */
export const HANDLER_ROUTE_SEGMENTS: readonly string[] = [...new Set(Object.values(HANDLER_PATHS).map((path) => path.split('/')[1]))];
