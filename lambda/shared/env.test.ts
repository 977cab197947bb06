import { z } from 'zod';
import { booleanFlag, jsonString, parseEnv, requiredString, wholeNumber } from './env';
import { awsCallLimitsFromEnv, DEFAULT_AWS_CALL_LIMITS, httpCallLimitsFromEnv } from './outbound-limits';

const Contract = z.object({ QUEUE_URL: requiredString(), LEASE_SECONDS: wholeNumber(1), INVITE: booleanFlag(), ORIGINS: jsonString(z.array(z.string())) });

describe('parseEnv', () => {
  test('gives the typed values', () => {
    expect(parseEnv(Contract, { QUEUE_URL: 'q', LEASE_SECONDS: '60', INVITE: 'false', ORIGINS: '["https://a.example"]', OTHER: 'x' })).toEqual({
      QUEUE_URL: 'q',
      LEASE_SECONDS: 60,
      INVITE: false,
      ORIGINS: ['https://a.example'],
    });
  });

  test('names every missing or bad variable at once, never its value', () => {
    let message = '';
    try {
      parseEnv(Contract, { LEASE_SECONDS: '0', INVITE: 'yes', ORIGINS: 'secret-looking-value' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/QUEUE_URL must be set/);
    expect(message).toMatch(/LEASE_SECONDS must be at least 1/);
    expect(message).toMatch(/INVITE/);
    expect(message).toMatch(/ORIGINS must be JSON/);
    expect(message).not.toContain('secret-looking-value');
  });
});

describe('the outbound limits read back through the same parser', () => {
  test('AWS limits: defaults for what is unset, a bad or zero value refused', () => {
    expect(awsCallLimitsFromEnv({})).toEqual(DEFAULT_AWS_CALL_LIMITS);
    expect(awsCallLimitsFromEnv({ AWS_MAX_ATTEMPTS: '2', AWS_REQUEST_TIMEOUT_MS: '' })).toEqual({ ...DEFAULT_AWS_CALL_LIMITS, maxAttempts: 2 });
    expect(() => awsCallLimitsFromEnv({ AWS_MAX_ATTEMPTS: '0' })).toThrow(/AWS_MAX_ATTEMPTS must be at least 1/);
    expect(() => awsCallLimitsFromEnv({ AWS_REQUEST_TIMEOUT_MS: '1.5' })).toThrow(/AWS_REQUEST_TIMEOUT_MS must be a whole number/);
  });

  test('HTTP limits: only the variables set, for the caller to lay over its defaults', () => {
    expect(httpCallLimitsFromEnv({ HTTP_TIMEOUT_MS: '300', HTTP_BASE_DELAY_MS: '0' })).toEqual({ timeoutMs: 300, baseDelayMs: 0 });
    expect(() => httpCallLimitsFromEnv({ HTTP_MAX_ATTEMPTS: 'many' })).toThrow(/HTTP_MAX_ATTEMPTS must be a whole number/);
  });
});
