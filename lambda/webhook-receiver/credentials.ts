import { HttpError } from '../shared/http';
import type { SecretCache } from '../shared/secrets';
import { WebhookSecret } from './schema';

/**
 * The webhook secret from Secrets Manager, through the shared SecretCache. After a rotation the cached value is
 * stale until it expires, so a failed check may ask for a fresh read: at most one per `minRefreshIntervalMs`, so
 * a flood of bad secrets cannot turn into a flood of Secrets Manager calls.
 */
export class WebhookSecretSource {
  private lastRefresh = Number.NEGATIVE_INFINITY;

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
    const result = WebhookSecret.safeParse(await this.cache.getJson<unknown>(this.secretId).catch(() => undefined));
    // A broken secret is our fault, not the sender's: 500, and never the value in the message.
    if (!result.success) throw new HttpError(500, 'misconfigured', 'The webhook secret is missing or not in the expected shape');
    return result.data;
  }
}
