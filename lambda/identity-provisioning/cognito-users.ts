import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Action, CognitoUserState } from './core';

function isUserNotFound(error: unknown): boolean {
  return (error as { name?: string })?.name === 'UserNotFoundException';
}

/**
 * The users of one Cognito user pool, as the provisioning core sees them. Throttling and 5xx are retried by the
 * SDK client (its `maxAttempts`); what still fails is thrown, so the message goes back to the queue.
 */
export class CognitoUsers {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
  ) {}

  async find(username: string): Promise<CognitoUserState> {
    try {
      const user = await this.client.send(new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: username }));
      const attributes = Object.fromEntries((user.UserAttributes ?? []).map((attribute) => [attribute.Name ?? '', attribute.Value ?? '']));
      return { enabled: user.Enabled ?? true, attributes };
    } catch (error) {
      if (isUserNotFound(error)) return undefined;
      throw error;
    }
  }

  async apply(username: string, action: Action): Promise<void> {
    const target = { UserPoolId: this.userPoolId, Username: username };
    try {
      switch (action.kind) {
        case 'create':
          await this.client.send(
            new AdminCreateUserCommand({
              ...target,
              UserAttributes: action.attributes,
              ...(action.sendInvitation ? { DesiredDeliveryMediums: ['EMAIL'] } : { MessageAction: 'SUPPRESS' }),
            }),
          );
          return;
        case 'update':
          await this.client.send(new AdminUpdateUserAttributesCommand({ ...target, UserAttributes: action.attributes }));
          return;
        case 'disable':
          await this.client.send(new AdminDisableUserCommand(target));
          return;
        case 'enable':
          await this.client.send(new AdminEnableUserCommand(target));
          return;
        case 'delete':
          await this.client.send(new AdminDeleteUserCommand(target));
          return;
      }
    } catch (error) {
      // Gone between our read and this call (a concurrent delete): for a delete that is the goal reached, and a
      // disable/enable of a deleted user has nothing left to do. Create and update still fail and are retried.
      if (isUserNotFound(error) && (action.kind === 'delete' || action.kind === 'disable' || action.kind === 'enable')) return;
      throw error;
    }
  }
}
