import { HttpError } from '../shared/http';
import type { SecretCache } from '../shared/secrets';
import { WebhookSecret } from './contract';

/**
 * The webhook secret from Secrets Manager, through the shared SecretCache. After a rotation the cached value is
 * stale until it expires, so a failed check may ask for a fresh read: at most one per `minRefreshIntervalMs`, so
 * a flood of bad secrets cannot turn into a flood of Secrets Manager calls.
 */
export class WebhookSecretSource {
  private lastRefresh = Number.NEGATIVE_INFINITY;
  /** The last valid secret text read and what it parses to: every event reads the (cached) text, parsed once. */
  private parsed?: { readonly text: string; readonly secret: WebhookSecret };

  constructor(
    private readonly cache: SecretCache,
    private readonly secretId: string,
    private readonly minRefreshIntervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  current(): Promise<WebhookSecret> {
    return this.read();
  }

  /** A fresh read, or undefined when one was made too recently to be worth another. */
  async refreshed(): Promise<WebhookSecret | undefined> {
    if (this.now() - this.lastRefresh < this.minRefreshIntervalMs) return undefined;
    this.lastRefresh = this.now();
    this.cache.invalidate(this.secretId);
    return this.read();
  }

  private async read(): Promise<WebhookSecret> {
    let text: string;
    try {
      text = await this.cache.get(this.secretId);
    } catch {
      // Secrets Manager unreachable or throttling: the sender should retry.
      throw new HttpError(503, 'temporarily_unavailable', 'The webhook secret could not be read; retry later');
    }
    if (this.parsed?.text === text) return this.parsed.secret;
    // A broken secret is our fault, not the sender's: 500, and never the value in the message. It is not kept,
    // so the fix is picked up by the next request.
    const result = WebhookSecret.safeParse(parseOrUndefined(text));
    if (!result.success) {
      this.cache.invalidate(this.secretId);
      throw new HttpError(500, 'misconfigured', 'The webhook secret is not in the expected shape');
    }
    this.parsed = { text, secret: result.data };
    return result.data;
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
