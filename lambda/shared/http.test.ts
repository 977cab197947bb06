import type { APIGatewayProxyEvent } from 'aws-lambda';
import { NotificationsApiEnv } from '../notifications/contract';
import { parseEnv } from './env';
import { jsonResponse, withCors } from './http';

const event = (origin?: string) => ({ headers: origin ? { Origin: origin } : {} }) as unknown as APIGatewayProxyEvent;
const handler = withCors(async (_event: APIGatewayProxyEvent) => jsonResponse(404, { error: { code: 'not_found', message: 'no' } }), ['https://www.example.com']);

describe('withCors', () => {
  test('echoes an allowed origin on every answer, errors included, and varies on Origin', async () => {
    const response = await handler(event('https://www.example.com'));
    expect(response.statusCode).toBe(404);
    expect(response.headers).toMatchObject({ 'access-control-allow-origin': 'https://www.example.com', vary: 'Origin' });
  });

  test('adds nothing for another origin or no origin (never a wildcard)', async () => {
    for (const origin of ['https://evil.example.net', undefined]) {
      const response = await handler(event(origin));
      expect(response.headers?.['access-control-allow-origin']).toBeUndefined();
    }
  });

  test('reads the allowed origins the stack passes, and refuses a malformed value', () => {
    const origins = (value: string | undefined) => parseEnv(NotificationsApiEnv, { NOTIFICATIONS_TABLE_NAME: 't', DELIVERY_QUEUE_URL: 'q', CORS_ALLOWED_ORIGINS: value }).CORS_ALLOWED_ORIGINS;
    expect(origins('["https://a.example.com","https://b.example.com"]')).toEqual(['https://a.example.com', 'https://b.example.com']);
    expect(origins(undefined)).toEqual([]);
    expect(() => origins('"https://a.example.com"')).toThrow(/CORS_ALLOWED_ORIGINS/);
    expect(() => origins('not json')).toThrow(/CORS_ALLOWED_ORIGINS must be JSON/);
  });
});
