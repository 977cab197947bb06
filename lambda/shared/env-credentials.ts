/**
 * What the bundles use in place of `@aws-sdk/credential-provider-node` (esbuild `alias` in
 * lib/constructs/lambda-bundles.ts): every SDK client's default credentials come from the environment only.
 *
 * Lambda gives every function its execution role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN ("Defined runtime environment variables",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime), the first
 * source of the SDK's default chain, so the rest of the chain (profiles, SSO, process, web identity, container and
 * instance metadata, and @aws-sdk/nested-clients for them) never runs there: bundled, it cost every handler ~10 ms
 * of cold init (webhook receiver 708 → 560 KB). Handler tests run the sources with the real chain; local mode loads
 * the SDK from node_modules (packages external) and passes credentials in the environment too.
 *
 * Without them a client fails at construction (cold start), naming the variables, instead of at its first call.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const MISSING_CREDENTIALS =
  'No AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): Lambda sets them from the function role; this bundle reads credentials from nowhere else';

/** The SDK's `credentialDefaultProvider`: the environment's credentials, read at each call as the SDK's fromEnv does. */
export function defaultProvider(init: Parameters<typeof fromEnv>[0] = {}): ReturnType<typeof fromEnv> {
  if (!process.env.AWS_ACCESS_KEY_ID || !process.env.AWS_SECRET_ACCESS_KEY) throw new Error(MISSING_CREDENTIALS);
  const fromEnvironment = fromEnv(init);
  return async () => {
    try {
      return await fromEnvironment();
    } catch (error) {
      throw new Error(MISSING_CREDENTIALS, { cause: error });
    }
  };
}
