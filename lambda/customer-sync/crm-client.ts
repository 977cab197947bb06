/**
 * The outbound adapter to the organisation's CRM/CDP: a generic HTTPS endpoint that takes one JSON event per POST,
 * with an `Idempotency-Key` per event, credentials from a Secrets Manager JSON secret, and the shared retry rules.
 */
import { fetchWithRetry, HttpTransportError, isRetryableStatus, type RetryPolicy } from '../shared/http-retry';
import { crmAuthHeaders, type CrmUserEvent } from './core';
import type { CrmCredentials } from './contract';

/** A CRM call that failed; `status` 0 when no response came. */
export class CrmError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'CrmError';
  }
}

export class CrmClient {
  constructor(
    private readonly endpointUrl: string,
    /** `refresh: true` after a 401/403: the secret may have been rotated. */
    private readonly credentials: (options?: { refresh?: boolean }) => Promise<CrmCredentials>,
    private readonly policy: RetryPolicy,
  ) {}

  async send(event: CrmUserEvent): Promise<void> {
    let status = await this.post(event, await this.credentials());
    if (status === 401 || status === 403) status = await this.post(event, await this.credentials({ refresh: true }));
    if (status >= 200 && status < 300) return;
    throw new CrmError(`CRM answered ${status} for event ${event.eventId}`, status, isRetryableStatus(status));
  }

  private async post(event: CrmUserEvent, credentials: CrmCredentials): Promise<number> {
    const body = JSON.stringify(event);
    try {
      const result = await fetchWithRetry(
        {
          url: this.endpointUrl,
          init: () => ({
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': event.eventId, ...crmAuthHeaders(credentials) },
            body,
          }),
        },
        this.policy,
      );
      return result.status;
    } catch (error) {
      if (error instanceof HttpTransportError) throw new CrmError(`CRM: ${error.message}`, 0, error.retryable);
      throw error;
    }
  }
}
