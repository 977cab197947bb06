/**
 * The one client of the Modyo admin API (`https://<account>.modyo.cloud/api/admin/...`): bearer token, retries with
 * backoff (lambda/shared/http-retry.ts), `{"errors": [...]}` mapped to ModyoApiError, page/per_page pagination.
 * Every route lives in ModyoAdminRoutes, as configuration.
 */
import { fetchWithRetry, HttpTransportError, isRetryableStatus, type RetryPolicy, retryPolicy } from './http-retry';
import type { SecretCache } from './secrets';

export { DEFAULT_MODYO_ADMIN_ROUTES, type ModyoAdminRoutes, modyoAdminRoutes } from './modyo-routes';

/** Fills `{realm_uid}`-style placeholders, each value URL-encoded; a missing value is a programming error. */
export function expandPath(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`No value for {${name}} in ${template}`);
    return encodeURIComponent(String(value));
  });
}

export type ModyoError = string | { field: string; messages: string[] };

/**
 * A failed admin API call. `status` is the HTTP status, or 0 when no response came (timeout, connection reset).
 * 409 is Modyo's status for a failed operation: not retryable, like every 4xx; 429, 5xx and no response are.
 */
export class ModyoApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errors: ModyoError[],
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ModyoApiError';
  }
}

/** Reads Modyo's `{"errors": [...]}` (also the `{"errors": {field: [..]}}` and `{"error": "..."}` forms). */
export function modyoErrors(body: string): ModyoError[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const { errors, error } = parsed as { errors?: unknown; error?: unknown };
  if (Array.isArray(errors)) return errors.flatMap(toModyoError);
  if (typeof errors === 'object' && errors !== null) {
    return Object.entries(errors).map(([field, messages]) => ({ field, messages: ([] as unknown[]).concat(messages).map(String) }));
  }
  if (typeof errors === 'string') return [errors];
  if (typeof error === 'string') return [error];
  return [];
}

function toModyoError(item: unknown): ModyoError[] {
  if (typeof item === 'string') return [item];
  if (typeof item === 'object' && item !== null && 'field' in item) {
    const { field, messages, message } = item as { field: unknown; messages?: unknown; message?: unknown };
    return [{ field: String(field), messages: ([] as unknown[]).concat(messages ?? message ?? []).map(String) }];
  }
  return [];
}

/** Gives the admin API token; `refresh: true` after a 401, so a rotated token is read again. */
export type ModyoTokenSource = (options?: { refresh?: boolean }) => Promise<string>;

/**
 * A token source over Secrets Manager. The secret is the token itself, or a JSON object `{"token": "..."}`.
 */
export function tokenFromSecret(cache: SecretCache, secretId: string): ModyoTokenSource {
  return async (options) => {
    if (options?.refresh) cache.invalidate(secretId);
    const value = await cache.get(secretId);
    if (value.trimStart().startsWith('{')) {
      const token = (JSON.parse(value) as { token?: unknown }).token;
      if (typeof token !== 'string' || token === '') throw new Error(`Secret ${secretId} has no "token" string`);
      return token;
    }
    return value.trim();
  };
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ModyoAdminClientOptions {
  /** Account URL, e.g. `https://example.modyo.cloud`. */
  readonly baseUrl: string;
  readonly token: ModyoTokenSource;
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export interface PageMeta {
  readonly total_entries: number;
  readonly per_page: number;
  readonly current_page: number;
  readonly total_pages: number;
}

/** Modyo caps `per_page` at 100. */
export const MAX_PER_PAGE = 100;

export class ModyoAdminClient {
  private readonly baseUrl: string;
  private readonly policy: RetryPolicy;

  constructor(private readonly options: ModyoAdminClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.policy = retryPolicy({
      timeoutMs: options.timeoutMs,
      maxAttempts: options.maxAttempts,
      baseDelayMs: options.baseDelayMs,
      maxDelayMs: options.maxDelayMs,
      sleep: options.sleep,
      random: options.random,
    });
  }

  /**
   * One call, retried on 429 / 5xx / timeout / reset. A 401 refreshes the token once (it may have been rotated),
   * then fails. Resolves with the parsed JSON body (undefined when empty); rejects with ModyoApiError.
   */
  async request<T>(method: HttpMethod, path: string, options: { query?: Record<string, string | number>; body?: unknown } = {}): Promise<T> {
    const url = this.url(path, options.query);
    let result = await this.send(method, url, await this.options.token(), options.body, path);
    if (result.status === 401) result = await this.send(method, url, await this.options.token({ refresh: true }), options.body, path);
    if (result.status >= 200 && result.status < 300) {
      if (result.body.trim() === '') return undefined as T;
      try {
        return JSON.parse(result.body) as T;
      } catch {
        throw new ModyoApiError(`Modyo admin API ${method} ${path} answered ${result.status} with a body that is not JSON`, result.status, [], false);
      }
    }
    throw new ModyoApiError(`Modyo admin API ${method} ${path} answered ${result.status}`, result.status, modyoErrors(result.body), isRetryableStatus(result.status));
  }

  /** Every item of a paginated list, page after page (`per_page` defaults to and is capped at 100). */
  async *paginate<T>(path: string, itemsKey: string, query: Record<string, string | number> = {}): AsyncIterable<T> {
    const perPage = Math.min(MAX_PER_PAGE, Number(query.per_page ?? MAX_PER_PAGE));
    for (let page = 1; ; page += 1) {
      const body = await this.request<Record<string, unknown>>('GET', path, { query: { ...query, page, per_page: perPage } });
      const items = body?.[itemsKey];
      if (!Array.isArray(items)) throw new ModyoApiError(`Modyo admin API GET ${path} has no "${itemsKey}" array`, 200, [], false);
      yield* items as T[];
      const meta = body.meta as Partial<PageMeta> | undefined;
      const totalPages = meta?.total_pages ?? page;
      if (items.length === 0 || page >= totalPages) return;
    }
  }

  private url(path: string, query: Record<string, string | number> = {}): string {
    const url = new URL(this.baseUrl + (path.startsWith('/') ? path : `/${path}`));
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
    return url.toString();
  }

  private async send(method: HttpMethod, url: string, token: string, body: unknown, path: string) {
    try {
      return await fetchWithRetry(
        {
          url,
          init: () => ({
            method,
            headers: {
              authorization: `Bearer ${token}`,
              accept: 'application/json',
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
          }),
        },
        this.policy,
      );
    } catch (error) {
      if (error instanceof HttpTransportError) {
        throw new ModyoApiError(`Modyo admin API ${method} ${path}: ${error.message}`, 0, [error.code], error.retryable);
      }
      throw error;
    }
  }
}
