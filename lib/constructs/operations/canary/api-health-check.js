/**
 * The API canary's script, run by CloudWatch Synthetics (runtime syn-nodejs-puppeteer-13.0: Node.js 22, global fetch)
 * from outside the environment's network: GET the URL in CANARY_URL and fail the run unless it answers 2xx within
 * CANARY_TIMEOUT_MS. A run fails by throwing; Synthetics then publishes it as a failed run (SuccessPercent, Failed),
 * which the alarm reads. Plain CommonJS with no dependencies, so the same file is the canary's inline code and runs in
 * the tests against a local HTTP server (test/operations-canary.test.ts).
 */
const DEFAULT_TIMEOUT_MS = 10000;

/** GETs `url`; resolves with the status and latency of a 2xx answer, rejects with what went wrong otherwise. */
async function checkEndpoint(url, options) {
  const timeoutMs = (options && options.timeoutMs) || DEFAULT_TIMEOUT_MS;
  const started = Date.now();
  let response;
  try {
    response = await fetch(url, {
      method: 'GET',
      headers: { accept: 'application/json', 'user-agent': 'connect-api-canary' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const reason = error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `${error && error.name}: ${error && error.message}`;
    throw new Error(`GET ${url} failed: ${reason}`);
  }
  // Read the body so the connection is released (and its time counted), but never log it.
  await response.arrayBuffer().catch(() => undefined);
  const latencyMs = Date.now() - started;
  if (response.status < 200 || response.status > 299) throw new Error(`GET ${url} answered ${response.status} in ${latencyMs} ms; expected 2xx`);
  return { status: response.status, latencyMs };
}

/** The canary's entry point (handler `index.handler`). */
async function handler() {
  const url = process.env.CANARY_URL;
  if (!url) throw new Error('CANARY_URL is not set: the canary has nothing to check');
  const timeoutMs = Number(process.env.CANARY_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS;
  const result = await checkEndpoint(url, { timeoutMs });
  console.log(JSON.stringify({ message: 'API health check passed', url, status: result.status, latencyMs: result.latencyMs }));
  return result;
}

module.exports = { checkEndpoint, handler, DEFAULT_TIMEOUT_MS };
