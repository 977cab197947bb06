/**
 * Cognito pre token generation trigger (configure the pool's trigger with event version V2_0: V1 cannot touch the
 * access token). Environment: none beyond the logger's. IAM: none (Cognito invokes it; grant cognito-idp the
 * lambda:InvokeFunction permission, which the CDK user pool trigger does).
 */
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { logger, withLambdaContext } from '../shared/logger';
import { withModyoClaims } from './core';

export const handler = withLambdaContext(
  async (event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> => {
    if (event.version === '1') {
      // A V1 event expects another response shape; answering it with V2 fields would break sign-in, so add nothing.
      logger.error('Pre token generation trigger is configured with event version 1; Modyo claims not added', { triggerSource: event.triggerSource });
      return event;
    }
    const result = withModyoClaims(event);
    logger.debug('Token claims', { triggerSource: event.triggerSource, modyoClaimsAdded: result !== event });
    return result;
  },
);
