import { z } from 'zod';
import { httpsUrl } from './fields';
import { PAYMENT_PROVIDER_FIELDS, configuredPaymentProviders } from './payments';
import { issueOf } from './rules';

/** The integration handlers' outside parties (`integrations`): the CRM/CDP and the payment providers. */
export const IntegrationsConfig = z
  .strictObject({
    /** The CRM/CDP endpoint that receives Modyo user events (required: the webhook receiver queues every event for it). */
    crmEndpoint: httpsUrl,
    /** Days the raw Modyo events (personal data) are kept in the archive bucket. */
    archiveRetentionDays: z.number().int().min(30, { message: 'expected at least 30 days (Modyo redeliveries and investigations)' }).max(3653).default(365),
    khipu: z.strictObject({ apiBaseUrl: httpsUrl.default('https://khipu.com/api/2.0') }).optional(),
    /** WebPay Plus REST base: https://webpay3gint.transbank.cl for integration, https://webpay3g.transbank.cl for production. */
    webpay: z.strictObject({ apiBaseUrl: httpsUrl }).optional(),
    /** The page buyers return to after paying (any provider; `?paymentId=` and the outcome or provider are added). */
    paymentResultUrl: httpsUrl.optional(),
    /** Bancard, PayU, Pay-me, Tigo Money and the payments options: lib/config/payments.ts. */
    ...PAYMENT_PROVIDER_FIELDS,
  })
  .superRefine((integrations, ctx) => {
    if (integrations.webpay && !integrations.paymentResultUrl) {
      issueOf(ctx)(['paymentResultUrl'], 'expected the https:// page buyers return to after WebPay (required when integrations.webpay is set)');
    } else if (!integrations.paymentResultUrl && configuredPaymentProviders(integrations).length > 0) {
      issueOf(ctx)(['paymentResultUrl'], `expected the https:// page buyers return to after paying (required with a payment provider: ${configuredPaymentProviders(integrations).join(', ')})`);
    }
  });
