/**
 * The pre token generation trigger's contract: Cognito's V2_0 event (types from aws-lambda), no environment beyond
 * the logger's, no IAM (Cognito invokes it through the user pool trigger's permission).
 */
import * as z from 'zod';

export const PreTokenGenerationEnv = z.object({});
