import type { ProviderName } from '../contract';
import { ProviderError, callProvider } from '../provider';

/**
 * An OAuth client-credentials access token, cached per warm function (Pay-me, Tigo Money). One token request at a
 * time: concurrent callers share it. A token is reused until `marginSeconds` before the expiry the provider gave,
 * and dropped at once when the provider refuses it (a token revoked early, or the secret rotated), so the next use
 * asks for a new one. A failed token request is not cached.
 */

export interface IssuedToken {
  readonly accessToken: string;
  /** Seconds the provider says the token lives; undefined when it does not say (then `fallbackSeconds`). */
  readonly expiresInSeconds: number | undefined;
}

export interface TokenCacheOptions {
  /** Asks the provider for a token (throws ProviderError when it cannot). */
  readonly issue: () => Promise<IssuedToken>;
  /** Milliseconds since the epoch (injectable for tests). */
  readonly now?: () => number;
  /** Refresh this long before the stated expiry, so a token does not expire in flight. */
  readonly marginSeconds?: number;
  /** Lifetime assumed when the provider states none. */
  readonly fallbackSeconds?: number;
}

export class TokenCache {
  private cached: { token: string; expiresAt: number } | undefined;
  private inFlight: Promise<string> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: TokenCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A token valid for at least the margin. */
  async get(): Promise<string> {
    if (this.cached && this.cached.expiresAt > this.now()) return this.cached.token;
    this.inFlight ??= this.issue().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** The provider refused `token`: forget it (unless a newer one replaced it meanwhile). */
  drop(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async issue(): Promise<string> {
    const issued = await this.options.issue();
    const lifetime = issued.expiresInSeconds ?? this.options.fallbackSeconds ?? 300;
    const margin = Math.min(this.options.marginSeconds ?? 30, lifetime / 2);
    this.cached = { token: issued.accessToken, expiresAt: this.now() + (lifetime - margin) * 1000 };
    return issued.accessToken;
  }
}

/** `expires_in` / `expiresIn` as providers write it (a number, or digits in a string); anything else is unknown. */
export function lifetimeSeconds(value: unknown): number | undefined {
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/**
 * A call with the cached bearer token. 401: the token is dropped and the call made once more with a new one (a token
 * revoked before its stated expiry); refused again, or 403 (our client lacks the scope), the credentials are reported
 * rejected (the cached secret is read again next time) and the caller gets a retryable ProviderError. 429 is the
 * provider asking us to slow down: retryable too, so the provider (or the buyer) retries later.
 */
export async function bearerCall(
  provider: ProviderName,
  tokens: TokenCache,
  credentialsRejected: () => void,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  for (let attempt = 1; ; attempt += 1) {
    const token = await tokens.get();
    const answer = await callProvider(provider, url, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } }, timeoutMs);
    if (answer.status === 429) throw new ProviderError(provider, 'unavailable', `${init.method} answered 429`);
    if (answer.status !== 401 && answer.status !== 403) return answer;
    tokens.drop(token);
    if (answer.status === 403 || attempt === 2) {
      credentialsRejected();
      throw new ProviderError(provider, 'credentials_rejected', `${init.method} answered ${answer.status}`);
    }
  }
}
