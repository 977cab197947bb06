import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** An error a caller can act on: it becomes a JSON body `{ error: { code, message } }` with its 4xx status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(error: HttpError): APIGatewayProxyResult {
  const body: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.details !== undefined) body.details = error.details;
  return jsonResponse(error.status, { error: body });
}

/** Case-insensitive header lookup: API Gateway passes headers as the client sent them. */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** The raw request body as a Buffer, decoding API Gateway's base64 form when it used it. */
export function rawBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body == null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

export interface BodyLimits {
  /** Largest body accepted, in bytes; the WAF body-size rule uses the same number. */
  readonly maxBytes: number;
  /** Media types accepted (without parameters), e.g. `application/json`. */
  readonly contentTypes: readonly string[];
}

/** Checks content type and size, then returns the raw body. Throws HttpError 415 / 413 / 400. */
export function checkedBody(event: Pick<APIGatewayProxyEvent, 'headers' | 'body' | 'isBase64Encoded'>, limits: BodyLimits): Buffer {
  const contentType = (header(event, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (!limits.contentTypes.includes(contentType)) {
    throw new HttpError(415, 'unsupported_media_type', `Content-Type must be one of: ${limits.contentTypes.join(', ')}`);
  }
  const body = rawBody(event);
  if (body.length > limits.maxBytes) {
    throw new HttpError(413, 'payload_too_large', `Body is ${body.length} bytes; the limit is ${limits.maxBytes}`);
  }
  if (body.length === 0) throw new HttpError(400, 'empty_body', 'Request body is empty');
  return body;
}

/** Parses a JSON body; malformed JSON is the caller's error (400), not ours. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'malformed_json', 'Request body is not valid JSON');
  }
}

/** Validates input against a zod schema; a mismatch is a 400 naming each bad field. */
export function validated<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> } } }, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || '(body)', message: issue.message }));
  throw new HttpError(400, 'validation_failed', 'Request does not match the schema', fields);
}

/**
 * Wraps a Lambda proxy handler so its answers (successes and errors alike) carry CORS headers for a request from
 * an allowed origin: API Gateway answers the preflight, but a proxy integration's own response reaches the browser
 * as the handler wrote it. The origin is echoed only when allowed (never `*`), with `Vary: Origin` for caches.
 */
export function withCors<Event extends Pick<APIGatewayProxyEvent, 'headers'>, Rest extends unknown[]>(
  handler: (event: Event, ...rest: Rest) => Promise<APIGatewayProxyResult>,
  allowedOrigins: readonly string[],
): (event: Event, ...rest: Rest) => Promise<APIGatewayProxyResult> {
  return async (event, ...rest) => {
    const response = await handler(event, ...rest);
    const origin = header(event, 'origin');
    if (!origin || !allowedOrigins.includes(origin)) return response;
    return {
      ...response,
      headers: { ...response.headers, 'access-control-allow-origin': origin, 'access-control-expose-headers': 'idempotent-replayed', vary: 'Origin' },
    };
  };
}
