/**
 * The child side of a local Lambda function (local/functions.ts): one Node process per function, with only that
 * function's environment, as Lambda gives each function its own sandbox. It loads the handler bundle named by
 * LOCAL_HANDLER_MODULE once (the cold start: the entry point parses its environment at import), says `ready`, then
 * runs each `invoke` message it gets over the IPC channel and answers the result or the error in Lambda's shape.
 */
import { randomUUID } from 'node:crypto';

interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  readonly event: unknown;
  readonly requestId: string;
  /** Epoch ms when the invocation times out (getRemainingTimeInMillis counts down to it). */
  readonly deadline: number;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

function send(message: unknown): void {
  process.send?.(message);
}

function lambdaError(error: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  const e = error instanceof Error ? error : new Error(String(error));
  return { errorType: e.name || 'Error', errorMessage: e.message, trace: (e.stack ?? '').split('\n') };
}

function main(): void {
  const modulePath = process.env.LOCAL_HANDLER_MODULE;
  if (!modulePath) throw new Error('LOCAL_HANDLER_MODULE is not set');
  let handler: Handler;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require(modulePath).handler as Handler;
    if (typeof handler !== 'function') throw new Error(`${modulePath} exports no handler function`);
  } catch (error) {
    // Lambda reports an init failure on the invocation (Runtime.ImportModuleError / the thrown error) and retries the
    // init on the next one; the parent does the same by starting a fresh process.
    send({ type: 'init-error', error: lambdaError(error) });
    setTimeout(() => process.exit(1), 50);
    return;
  }
  const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local';
  process.on('message', (message: InvokeMessage) => {
    if (message?.type !== 'invoke') return;
    const context = {
      awsRequestId: message.requestId || randomUUID(),
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '512',
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    Promise.resolve()
      .then(() => handler(message.event, context))
      .then(
        (result) => send({ type: 'result', id: message.id, result: result === undefined ? null : result }),
        (error: unknown) => send({ type: 'error', id: message.id, error: lambdaError(error) }),
      );
  });
  send({ type: 'ready' });
}

main();
