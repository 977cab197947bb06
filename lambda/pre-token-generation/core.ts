/**
 * Pre token generation (event V2, also sent as V3 for machine clients): copies the user's Modyo realm and user id
 * from the custom attributes that identity provisioning sets into claims of the ID and access tokens, so the API
 * and the ECS services can authorise per realm from the token alone. Access-token claims need the V2 event (the
 * pool's Essentials or Plus feature plan).
 */
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';

export const MODYO_REALM_CLAIM = 'modyo_realm';
export const MODYO_USER_ID_CLAIM = 'modyo_user_id';

/** The claims a user's attributes support; a user without them (federated, machine client) gets none. */
export function modyoClaims(userAttributes: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const claims: Record<string, string> = {};
  const realm = userAttributes?.['custom:modyo_realm'];
  const userId = userAttributes?.['custom:modyo_user_id'];
  if (realm) claims[MODYO_REALM_CLAIM] = realm;
  if (userId) claims[MODYO_USER_ID_CLAIM] = userId;
  return claims;
}

/**
 * The event with the Modyo claims added to both tokens. Whatever the response already holds is kept (Cognito
 * passes it in, and another step may have filled it): our claims are merged in, nothing is dropped.
 */
export function withModyoClaims<E extends PreTokenGenerationV2TriggerEvent>(event: E): E {
  const claims = modyoClaims(event.request.userAttributes);
  if (Object.keys(claims).length === 0) return event;
  const details = event.response?.claimsAndScopeOverrideDetails ?? {};
  return {
    ...event,
    response: {
      ...event.response,
      claimsAndScopeOverrideDetails: {
        ...details,
        idTokenGeneration: { ...details.idTokenGeneration, claimsToAddOrOverride: { ...details.idTokenGeneration?.claimsToAddOrOverride, ...claims } },
        accessTokenGeneration: {
          ...details.accessTokenGeneration,
          claimsToAddOrOverride: { ...details.accessTokenGeneration?.claimsToAddOrOverride, ...claims },
        },
      },
    },
  };
}
