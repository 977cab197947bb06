/**
 * Khipu (API v2) adapter. Khipu POSTs `notification_token` and `api_version` to our notify_url; nothing in it is
 * trusted: the payment is fetched from Khipu with the token (`GET {base}/payments?notification_token=`,
 * header `x-api-key`) and judged by the core.
 */
import { jsonResponse, validated } from '../shared/http';
import { type VerifiedPayment, khipuVerdict } from './core';
import { type Notification, type Outcome, type PaymentProvider, type ProviderConnection, ProviderError, type ProviderRequest, callProvider, parseForm } from './provider';
import { KhipuNotification, KhipuPayment } from './contract';

export interface KhipuCredentials {
  readonly receiverId: string | number;
  readonly apiKey: string;
}

/** baseUrl e.g. `https://khipu.com/api/2.0` */
export type KhipuOptions = ProviderConnection<KhipuCredentials>;

export function khipuProvider(options: KhipuOptions): PaymentProvider {
  return {
    name: 'khipu',
    route: { path: '/payments/khipu/notify', methods: ['POST'] },
    verifyHasEffect: false,

    parseNotification(request: ProviderRequest): Notification {
      const notification = validated(KhipuNotification, parseForm(request));
      return { kind: 'verify', reference: notification.notification_token };
    },

    async verify(notificationToken: string): Promise<VerifiedPayment> {
      const { receiverId, apiKey } = await options.credentials();
      const url = `${options.baseUrl.replace(/\/$/, '')}/payments?notification_token=${encodeURIComponent(notificationToken)}`;
      const { status, body } = await callProvider('khipu', url, { method: 'GET', headers: { 'x-api-key': apiKey, accept: 'application/json' } }, options.timeoutMs);
      if (status === 401 || status === 403) {
        options.credentialsRejected();
        throw new ProviderError('khipu', 'credentials_rejected', `answered ${status}`);
      }
      if (status === 400 || status === 404) throw new ProviderError('khipu', 'unknown_reference', `answered ${status}`);
      if (status !== 200) throw new ProviderError('khipu', 'bad_response', `answered ${status}`);
      const payment = KhipuPayment.safeParse(body);
      if (!payment.success) throw new ProviderError('khipu', 'bad_response', 'payment does not match the API v2 shape');
      return khipuVerdict(payment.data, String(receiverId));
    },

    /**
     * 200 for every outcome Khipu cannot change by retrying (including "not done yet": Khipu notifies again when the
     * payment is conciliated, and retrying the same token would only repeat the same answer); 422 for a
     * notification that does not match our payment.
     */
    respond({ decision, paymentId }: Outcome) {
      switch (decision.kind) {
        case 'record':
        case 'already':
          return jsonResponse(200, { outcome: decision.status, paymentId, duplicate: decision.kind === 'already' });
        case 'not_final':
          return jsonResponse(200, { outcome: 'not_done', paymentId });
        case 'mismatch':
          return jsonResponse(422, { error: { code: 'verification_failed', message: 'The payment does not match the expected payment' } });
      }
    },
  };
}
