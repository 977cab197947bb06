/**
 * Secrets of every handler, through Powertools Parameters (SecretsProvider): cached per warm function for
 * `maxAgeMs`, so a warm function makes one call per period and picks a rotated value up within it, and read again
 * at once after `invalidate` (the remote side rejected the value: it may have just been rotated). The client is
 * built with awsClientConfig, so a read gives up within the function's outbound limits. Values never reach a log.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { awsClientConfig } from './aws-clients';

export class SecretCache {
  /** Built at the first read, not at cold start (a handler may read no secret before its first event). */
  private provider: SecretsProvider | undefined;
  /** Secrets to read again at their next use, whatever their age in the cache. */
  private readonly stale = new Set<string>();

  constructor(
    private readonly client: SecretsManagerClient = new SecretsManagerClient(awsClientConfig()),
    private readonly maxAgeMs = 5 * 60 * 1000,
  ) {}

  async get(secretId: string): Promise<string> {
    this.provider ??= new SecretsProvider({ awsSdkV3Client: this.client });
    const value = await this.provider.get(secretId, { maxAge: Math.floor(this.maxAgeMs / 1000), forceFetch: this.stale.has(secretId) });
    if (typeof value !== 'string') throw new Error(`Secret ${secretId} has no string value`);
    // Only a successful read clears the mark: after a failed one the next use still reads the store.
    this.stale.delete(secretId);
    return value;
  }

  /** A JSON secret (e.g. `{"apiKeyId": "...", "apiKeySecret": "..."}`). */
  async getJson<T>(secretId: string): Promise<T> {
    return JSON.parse(await this.get(secretId)) as T;
  }

  /** Forget a value, e.g. after the remote side rejected it (the secret may have just been rotated). */
  invalidate(secretId: string): void {
    this.stale.add(secretId);
  }
}

/** One cache per warm function. */
export const secrets = new SecretCache();
