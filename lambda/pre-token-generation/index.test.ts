import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { modyoClaims } from './core';
import { handler } from './index';

/** A V2 event as Cognito sends it on a hosted UI sign-in (the response starts as null). */
function signInEvent(userAttributes: Record<string, string>, overrides: Partial<PreTokenGenerationV2TriggerEvent> = {}): PreTokenGenerationV2TriggerEvent {
  return {
    version: '2',
    triggerSource: 'TokenGeneration_HostedAuth',
    region: 'us-east-1',
    userPoolId: 'us-east-1_AbCdEf123',
    userName: 'modyo-4211',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: '1example23456789' },
    request: {
      userAttributes: { sub: '5a0a5bd6-5b2e-4a5d-9d7e-2f0f0f6c1a11', 'cognito:user_status': 'CONFIRMED', email_verified: 'true', ...userAttributes },
      groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: undefined },
      scopes: ['openid', 'email', 'connect/payments.write'],
    },
    response: { claimsAndScopeOverrideDetails: null as unknown as PreTokenGenerationV2TriggerEvent['response']['claimsAndScopeOverrideDetails'] },
    ...overrides,
  } as PreTokenGenerationV2TriggerEvent;
}

const mirrored = { 'custom:modyo_realm': 'clientes', 'custom:modyo_user_id': '4211' };

describe('pre token generation', () => {
  it('adds the realm and user id claims to the ID and access tokens', async () => {
    const result = await handler(signInEvent(mirrored));
    expect(result.response.claimsAndScopeOverrideDetails).toEqual({
      idTokenGeneration: { claimsToAddOrOverride: { modyo_realm: 'clientes', modyo_user_id: '4211' } },
      accessTokenGeneration: { claimsToAddOrOverride: { modyo_realm: 'clientes', modyo_user_id: '4211' } },
    });
  });

  it('keeps what the response already holds', async () => {
    const event = signInEvent(mirrored, { triggerSource: 'TokenGeneration_RefreshTokens' });
    event.response.claimsAndScopeOverrideDetails = {
      accessTokenGeneration: { claimsToAddOrOverride: { tenant: 'acme' }, scopesToAdd: ['connect/extra'] },
      groupOverrideDetails: { groupsToOverride: ['customers'] },
    };
    const details = (await handler(event)).response.claimsAndScopeOverrideDetails;
    expect(details.accessTokenGeneration).toEqual({ claimsToAddOrOverride: { tenant: 'acme', modyo_realm: 'clientes', modyo_user_id: '4211' }, scopesToAdd: ['connect/extra'] });
    expect(details.groupOverrideDetails).toEqual({ groupsToOverride: ['customers'] });
    expect(details.idTokenGeneration?.claimsToAddOrOverride).toEqual({ modyo_realm: 'clientes', modyo_user_id: '4211' });
  });

  it('adds only the claims a user has attributes for', () => {
    expect(modyoClaims({ 'custom:modyo_user_id': '7' })).toEqual({ modyo_user_id: '7' });
    expect(modyoClaims({ 'custom:modyo_realm': '' })).toEqual({});
    expect(modyoClaims(undefined)).toEqual({});
  });

  it('leaves users without Modyo attributes (federated, machine clients) untouched', async () => {
    const federated = signInEvent({ identities: '[{"providerName":"Entra"}]' }, { userName: 'Entra_abc' });
    expect(await handler(federated)).toEqual(federated);
    const machine = { ...signInEvent({}), version: '3', triggerSource: 'TokenGeneration_ClientCredentials', request: { userAttributes: {}, groupConfiguration: {}, scopes: ['connect/crm.write'] } };
    expect(await handler(machine as unknown as PreTokenGenerationV2TriggerEvent)).toEqual(machine);
  });

  it('does not answer a V1 event with V2 fields', async () => {
    const v1 = signInEvent(mirrored, { version: '1' });
    expect(await handler(v1)).toEqual(v1);
  });
});
