import { Duration, SecretValue } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';

/** Scopes every interactive (browser) client asks for besides its API scopes. */
const OIDC_SCOPES = [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE];

export interface IdentityClientsProps {
  readonly config: EnvironmentConfig;
  readonly userPool: cognito.UserPool;
  /** The OAuth scopes of API scope names (the resource server's). */
  readonly oauthScopes: (names: readonly string[]) => cognito.OAuthScope[];
}

/**
 * The user pool's app clients and federation:
 * - Modyo realm (one per configured realm): authorization code + PKCE, WITH a client secret. Modyo's realm OIDC
 *   integration is a server-side relying party: the Modyo platform, not the browser, redeems the code and posts
 *   the client id and secret, so the client is confidential; PKCE (S256, enabled on the Modyo side) still binds
 *   the code to the sign-in that asked for it. The secret is read from Cognito by the SRE who configures the
 *   realm; it never appears in a template or an output.
 * - Machine clients (CRM, CDP, back office): client credentials with a generated secret and only their scopes.
 * - Administrators: only when a federated provider has audience `admins`; signs in through those providers only.
 * - Federated IdPs (OIDC, SAML) from config, their secrets only as dynamic references to Secrets Manager.
 */
export class IdentityClients extends Construct {
  readonly realmClients: Readonly<Record<string, cognito.UserPoolClient>>;
  readonly machineClients: Readonly<Record<string, cognito.UserPoolClient>>;
  readonly adminClient?: cognito.UserPoolClient;
  private readonly userPool: cognito.UserPool;

  constructor(scope: Construct, id: string, props: IdentityClientsProps) {
    super(scope, id);
    const { config, oauthScopes } = props;
    const identity = config.identity;
    this.userPool = props.userPool;

    // Federation: secrets only as CloudFormation dynamic references to Secrets Manager (resolved at deploy time).
    const providers = identity.federation.map((provider) => {
      const idp =
        provider.type === 'oidc'
          ? new cognito.UserPoolIdentityProviderOidc(this, `Oidc-${provider.name}`, {
              userPool: props.userPool,
              name: provider.name,
              issuerUrl: provider.issuerUrl,
              clientId: provider.clientId,
              // The secret's value is the client secret itself (a plain-text secret).
              clientSecret: SecretValue.secretsManager(provider.clientSecretArn).unsafeUnwrap(),
              scopes: provider.scopes,
              attributeRequestMethod: cognito.OidcAttributeRequestMethod.GET,
              attributeMapping: { email: cognito.ProviderAttribute.other('email'), givenName: cognito.ProviderAttribute.other('given_name'), familyName: cognito.ProviderAttribute.other('family_name') },
            })
          : new cognito.UserPoolIdentityProviderSaml(this, `Saml-${provider.name}`, {
              userPool: props.userPool,
              name: provider.name,
              metadata: cognito.UserPoolIdentityProviderSamlMetadata.url(provider.metadataUrl),
              idpSignout: true,
              attributeMapping: { email: cognito.ProviderAttribute.other('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress') },
            });
      return { audience: provider.audience, idp };
    });
    const providersFor = (audience: 'users' | 'admins') => providers.filter((p) => p.audience === audience).map((p) => p.idp);

    const userProviders = providersFor('users');
    this.realmClients = Object.fromEntries(
      identity.realmClients.map((realmClient) => {
        const realmUrl = `${config.modyo.accountUrl.replace(/\/+$/, '')}/realms/${realmClient.realm}`;
        const client = this.interactiveClient(`Realm-${realmClient.realm}`, {
          name: `modyo-realm-${realmClient.realm}`,
          callbackUrls: [`${realmUrl}/auth/openidc/callback`],
          logoutUrls: realmClient.logoutUrls ?? [realmUrl],
          scopes: [...OIDC_SCOPES, ...oauthScopes(realmClient.scopes)],
          tokenValidity: realmClient.tokenValidity,
          identityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO, ...userProviders.map((p) => cognito.UserPoolClientIdentityProvider.custom(p.providerName))],
        });
        userProviders.forEach((p) => client.node.addDependency(p));
        return [realmClient.realm, client];
      }),
    );

    const adminProviders = providersFor('admins');
    if (adminProviders.length > 0 && identity.adminClient) {
      const adminClient = this.interactiveClient('Admins', {
        name: 'admins',
        callbackUrls: identity.adminClient.callbackUrls,
        logoutUrls: identity.adminClient.logoutUrls,
        scopes: [...OIDC_SCOPES, ...oauthScopes(identity.adminClient.scopes)],
        tokenValidity: identity.adminClient.tokenValidity,
        // Administrators sign in only through their organisation's IdP, never with a pool password.
        identityProviders: adminProviders.map((p) => cognito.UserPoolClientIdentityProvider.custom(p.providerName)),
      });
      adminProviders.forEach((p) => adminClient.node.addDependency(p));
      this.adminClient = adminClient;
    }

    this.machineClients = Object.fromEntries(
      identity.machineClients.map((machine) => [
        machine.name,
        props.userPool.addClient(`Machine-${machine.name}`, {
          userPoolClientName: `machine-${machine.name}`,
          generateSecret: true,
          oAuth: { flows: { clientCredentials: true }, scopes: oauthScopes(machine.scopes) },
          // Client credentials only: no user sign-in flows, no refresh tokens to steal.
          authFlows: { userSrp: false },
          supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
          accessTokenValidity: Duration.minutes(machine.accessTokenMinutes),
          enableTokenRevocation: true,
          preventUserExistenceErrors: true,
        }),
      ]),
    );
  }

  /** A browser sign-in client: authorization code (+ PKCE on the caller's side), secret, managed login branding. */
  private interactiveClient(
    id: string,
    options: {
      name: string;
      callbackUrls: string[];
      logoutUrls: string[];
      scopes: cognito.OAuthScope[];
      tokenValidity: { accessTokenMinutes: number; idTokenMinutes: number; refreshTokenDays: number };
      identityProviders: cognito.UserPoolClientIdentityProvider[];
    },
  ): cognito.UserPoolClient {
    const client = this.userPool.addClient(id, {
      userPoolClientName: options.name,
      generateSecret: true,
      oAuth: {
        flows: { authorizationCodeGrant: true },
        callbackUrls: options.callbackUrls,
        logoutUrls: options.logoutUrls,
        scopes: options.scopes,
      },
      // Sign-in happens on the managed login pages only; the client itself just redeems codes and refresh tokens.
      authFlows: { userSrp: false },
      supportedIdentityProviders: options.identityProviders,
      accessTokenValidity: Duration.minutes(options.tokenValidity.accessTokenMinutes),
      idTokenValidity: Duration.minutes(options.tokenValidity.idTokenMinutes),
      refreshTokenValidity: Duration.days(options.tokenValidity.refreshTokenDays),
      authSessionValidity: Duration.minutes(3),
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });
    // Managed login (v2) shows a client's pages only once the client has a branding style.
    new cognito.CfnManagedLoginBranding(this, `${id}Branding`, {
      userPoolId: this.userPool.userPoolId,
      clientId: client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    return client;
  }
}
