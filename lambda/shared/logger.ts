import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/**
 * The one logger of every handler. Service name and log level come from the environment that the
 * ConnectFunction construct sets (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL), so handlers never configure it.
 * Never log secrets, tokens or personal data: log ids, types and outcomes.
 */
export const logger = new Logger();

/**
 * Wraps an entry point so every line it logs carries the invocation's Lambda context (function_request_id,
 * cold_start, function name, memory, ARN): Powertools' addContext, per invocation. Every handler exports its entry
 * point through it. Without a context (a test calling the handler with an event only) nothing is added.
 */
export function withLambdaContext<Event, Result>(handler: (event: Event, context: Context) => Promise<Result>): (event: Event, context?: Context) => Promise<Result> {
  return (event, context) => {
    if (context && typeof context === 'object' && 'awsRequestId' in context) logger.addContext(context);
    return handler(event, context as Context);
  };
}
