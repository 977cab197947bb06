import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { randomBytes } from 'node:crypto';
import { type Action, type CognitoUserState, UNUSABLE_PASSWORD_LENGTH, unusablePassword } from './core';

function isUserNotFound(error: unknown): boolean {
  return (error as { name?: string })?.name === 'UserNotFoundException';
}

/**
 * The users of one Cognito user pool, as the provisioning core sees them. Throttling and 5xx are retried by the
 * SDK client (its `maxAttempts`, each attempt bounded by its request timeout); what still fails is thrown, so the
 * message goes back to the queue. `signal` aborts every call when the invocation's deadline passes.
 */
export class CognitoUsers {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
    private readonly signal: () => AbortSignal | undefined = () => undefined,
  ) {}

  async find(username: string): Promise<CognitoUserState> {
    try {
      const user = await this.client.send(new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: username }), { abortSignal: this.signal() });
      const attributes = Object.fromEntries((user.UserAttributes ?? []).map((attribute) => [attribute.Name ?? '', attribute.Value ?? '']));
      return { enabled: user.Enabled ?? true, status: user.UserStatus, attributes };
    } catch (error) {
      if (isUserNotFound(error)) return undefined;
      throw error;
    }
  }

  async apply(username: string, action: Action): Promise<void> {
    const target = { UserPoolId: this.userPoolId, Username: username };
    const options = { abortSignal: this.signal() };
    try {
      switch (action.kind) {
        case 'create':
          await this.client.send(
            new AdminCreateUserCommand({
              ...target,
              UserAttributes: action.attributes,
              ...(action.sendInvitation ? { DesiredDeliveryMediums: ['EMAIL'] } : { MessageAction: 'SUPPRESS' }),
            }),
            options,
          );
          return;
        case 'confirm':
          // The password goes into this one request and nowhere else (never a variable that outlives it, never a log).
          await this.client.send(
            new AdminSetUserPasswordCommand({ ...target, Password: unusablePassword(randomBytes(UNUSABLE_PASSWORD_LENGTH)), Permanent: true }),
            options,
          );
          return;
        case 'update':
          await this.client.send(new AdminUpdateUserAttributesCommand({ ...target, UserAttributes: action.attributes }), options);
          return;
        case 'disable':
          await this.client.send(new AdminDisableUserCommand(target), options);
          return;
        case 'enable':
          await this.client.send(new AdminEnableUserCommand(target), options);
          return;
        case 'delete':
          await this.client.send(new AdminDeleteUserCommand(target), options);
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
