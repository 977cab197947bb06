import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger of every handler. Service name and log level come from the environment that the
 * ConnectFunction construct sets (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL), so handlers never configure it.
 * Never log secrets, tokens or personal data: log ids, types and outcomes.
 */
export const logger = new Logger();
