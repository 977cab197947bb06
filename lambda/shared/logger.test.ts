import type { Context } from 'aws-lambda';

const context = (requestId: string) =>
  ({ awsRequestId: requestId, functionName: 'connect-test', functionVersion: '$LATEST', memoryLimitInMB: '512', invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:connect-test' }) as unknown as Context;

test("every line an entry point logs carries the invocation's request id and whether it was a cold start", async () => {
  // As in Lambda (on-demand), and loud: the test setup silences the logger (POWERTOOLS_LOG_LEVEL=SILENT).
  const saved = { type: process.env.AWS_LAMBDA_INITIALIZATION_TYPE, level: process.env.POWERTOOLS_LOG_LEVEL };
  Object.assign(process.env, { AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', POWERTOOLS_LOG_LEVEL: 'INFO' });
  let loaded!: typeof import('./logger');
  jest.isolateModules(() => {
    loaded = require('./logger');
  });
  const { logger, withLambdaContext } = loaded;
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    const handler = withLambdaContext(async (_event: unknown, _context: Context) => {
      logger.info('first line');
      logger.warn('second line');
      return 'done';
    });
    expect(await handler({}, context('request-1'))).toBe('done');
    expect(await handler({}, context('request-2'))).toBe('done');
  } finally {
    out.mockRestore();
    err.mockRestore();
    for (const [name, value] of [['AWS_LAMBDA_INITIALIZATION_TYPE', saved.type], ['POWERTOOLS_LOG_LEVEL', saved.level]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  const logged = lines.flatMap((chunk) => chunk.split('\n')).filter(Boolean).map((line) => JSON.parse(line));
  expect(logged.map((line) => [line.message, line.function_request_id, line.cold_start])).toEqual([
    ['first line', 'request-1', true],
    ['second line', 'request-1', true],
    ['first line', 'request-2', false],
    ['second line', 'request-2', false],
  ]);
});
