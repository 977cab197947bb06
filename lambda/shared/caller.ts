/**
 * Who calls a private route: the one place every handler behind the Cognito authorizer reads the caller from.
 *
 * API Gateway's COGNITO_USER_POOLS authorizer of a REST API verifies the token and hands its claims to a Lambda
 * proxy integration in `requestContext.authorizer.claims`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html). A handler
 * must not trust that the authorizer ran: a route deployed without it, a test invoke from the console, another
 * gateway or a direct invoke reach the function with no claims at all. So a request whose claims name nobody is
 * refused here with a 401 JSON error, whatever the gateway in front of the function.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { HttpError } from './http';

/** The Modyo claims pre token generation adds to a mirrored user's tokens (lambda/pre-token-generation). */
const MODYO_REALM_CLAIM = 'modyo_realm';
const MODYO_USER_ID_CLAIM = 'modyo_user_id';

/**
 * Who is calling, from the access token's claims that the Cognito authorizer passes in
 * `requestContext.authorizer.claims` (the routes require scopes, so it is always an access token):
 * - a machine client (client-credentials grant): Cognito issues no user, so the token has no `username` and its
 *   `sub` is the app client's id (`client_id`);
 * - a user (any sign-in through an app client): `username` is the user's, `sub` the user's id, and `client_id` the
 *   app client they signed in through, shared by every user of that client. A user mirrored from Modyo also carries
 *   `modyo_realm` and `modyo_user_id`.
 * https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
 */
export type Caller =
  | { readonly kind: 'machine'; readonly clientId: string }
  | { readonly kind: 'user'; readonly clientId: string; readonly userSub: string; readonly modyo?: { readonly realmUid: string; readonly userId: string } };

function claim(claims: Record<string, unknown> | null | undefined, name: string): string | undefined {
  const value = claims?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The caller, or undefined when the claims name nobody consistently (then the request is refused). */
export function callerOf(claims: Record<string, unknown> | null | undefined): Caller | undefined {
  const clientId = claim(claims, 'client_id');
  const sub = claim(claims, 'sub');
  const username = claim(claims, 'username');
  if (!clientId) return undefined;
  if (username === undefined) {
    // A token with neither a user nor sub = client_id is not one Cognito issues for a machine client.
    return sub === undefined || sub === clientId ? { kind: 'machine', clientId } : undefined;
  }
  if (!sub) return undefined;
  const realmUid = claim(claims, MODYO_REALM_CLAIM);
  const userId = claim(claims, MODYO_USER_ID_CLAIM);
  return { kind: 'user', clientId, userSub: sub, ...(realmUid && userId && { modyo: { realmUid, userId } }) };
}

/**
 * The id what a caller creates is recorded under (and that scopes its idempotency keys): the machine client's id;
 * for a user, the user's own id, never the app client's, which every user of that client shares.
 */
export function ownerIdOf(caller: Caller): string {
  return caller.kind === 'machine' ? caller.clientId : `user:${caller.userSub}`;
}

/** The authorizer's claims of a REST proxy event, when there are any (never trusted to be there). */
function authorizerClaims(event: Pick<APIGatewayProxyEvent, 'requestContext'>): Record<string, unknown> | undefined {
  const authorizer: unknown = (event as { requestContext?: { authorizer?: unknown } } | undefined)?.requestContext?.authorizer;
  const claims = typeof authorizer === 'object' && authorizer !== null ? (authorizer as { claims?: unknown }).claims : undefined;
  return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
}

/** The caller of a private route; a request whose claims name nobody is a 401 (HttpError). */
export function requireCaller(event: Pick<APIGatewayProxyEvent, 'requestContext'>): Caller {
  const caller = callerOf(authorizerClaims(event));
  if (!caller) throw new HttpError(401, 'unauthenticated', 'The request carries no caller identity (no verified token claims)');
  return caller;
}
