import { isHealthy, type PathCheck, type ProbeOutcome, type SmokeTestConfig, urlFor } from './core';

/**
 * One GET, with the whole exchange (connect, headers, body) bounded by `timeoutMs`. Redirects are not followed:
 * a 3xx is an answer, and not a healthy one.
 */
export async function probe(url: string, timeoutMs: number): Promise<ProbeOutcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { signal, redirect: 'manual', headers: { 'user-agent': 'connect-deployment-smoke-test' } });
    await response.arrayBuffer(); // a body that never ends is a hang too
    return { status: response.status };
  } catch (error) {
    if (signal.aborted) return { failure: 'timeout' };
    const code = ((error as { cause?: { code?: unknown } }).cause?.code as string | undefined) ?? undefined;
    return code ? { failure: 'connection', code } : { failure: 'connection' };
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Tries a path up to `attempts` times, stopping at the first healthy answer. */
export async function checkPath(config: SmokeTestConfig, path: string, send: typeof probe = probe): Promise<PathCheck> {
  let last: ProbeOutcome = { failure: 'connection' };
  for (let attempt = 1; attempt <= config.attempts; attempt += 1) {
    if (attempt > 1) await sleep(config.retryDelayMs);
    last = await send(urlFor(config.baseUrl, path), config.timeoutMs);
    if (isHealthy(last)) return { path, healthy: true, attempts: attempt, last };
  }
  return { path, healthy: false, attempts: config.attempts, last };
}

/** All paths at once, so the hook takes about as long as its slowest path. */
export function checkAll(config: SmokeTestConfig, send: typeof probe = probe): Promise<PathCheck[]> {
  return Promise.all(config.paths.map((path) => checkPath(config, path, send)));
}
