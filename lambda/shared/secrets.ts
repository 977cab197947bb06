import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig } from './aws-clients';

/**
 * Reads a secret from Secrets Manager and keeps it for `maxAgeMs`, so a warm function makes one call per
 * period and picks a rotated value up within it. Values never reach a log.
 */
export class SecretCache {
  private readonly entries = new Map<string, { value: string; expires: number }>();

  constructor(
    private readonly client: SecretsManagerClient = new SecretsManagerClient(awsClientConfig()),
    private readonly maxAgeMs = 5 * 60 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(secretId: string): Promise<string> {
    const cached = this.entries.get(secretId);
    if (cached && cached.expires > this.now()) return cached.value;
    const result = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (result.SecretString === undefined) throw new Error(`Secret ${secretId} has no string value`);
    this.entries.set(secretId, { value: result.SecretString, expires: this.now() + this.maxAgeMs });
    return result.SecretString;
  }

  /** A JSON secret (e.g. `{"apiKeyId": "...", "apiKeySecret": "..."}`). */
  async getJson<T>(secretId: string): Promise<T> {
    return JSON.parse(await this.get(secretId)) as T;
  }

  /** Forget a value, e.g. after the remote side rejected it (the secret may have just been rotated). */
  invalidate(secretId: string): void {
    this.entries.delete(secretId);
  }
}

/** One cache per warm function. */
export const secrets = new SecretCache();
