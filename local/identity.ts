/**
 * The environment's Cognito user pool, locally: the pool, its app clients and sample realm users live in
 * cognito-local; the hosted domain's token endpoint and the API's Cognito authorizer are played here.
 *
 * cognito-local has no client-credentials grant, no resource servers and puts no custom scopes in its access
 * tokens, so `POST /oauth2/token` is answered here from the synthesized resource server and app clients:
 * - `grant_type=client_credentials` (machine clients, as Cognito's token endpoint: HTTP Basic or form client id and
 *   secret, optional `scope`, which must be among the client's; https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html);
 * - `grant_type=password` (LOCAL ONLY: Cognito's token endpoint has no password grant; deployed, a Widget gets its
 *   token through the Modyo realm sign-in, authorization code + PKCE): a realm client id, a user's username and
 *   password checked by cognito-local (InitiateAuth USER_PASSWORD_AUTH), the client's scopes, and the claims the
 *   environment's real pre token generation function adds (invoked with a V2_0 event, as Cognito does).
 * Tokens are signed RS256 with cognito-local's own signing key (a published development key in its package), so the
 * pool's JWKS, which cognito-local serves, verifies every token, and the authorizer checks them against that JWKS.
 */
import { createPublicKey, createSign, randomUUID, verify as verifySignature, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  InitiateAuthCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { LocalAppClientSpec, LocalIdentitySpec } from './environment';

export interface LocalClient extends LocalAppClientSpec {
  readonly clientId: string;
  readonly clientSecret?: string;
}

export interface RealmUser {
  readonly realm: string;
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
  readonly modyoUserId: string;
}

export type Claims = Record<string, unknown>;

/** Invokes the pre token generation function with a V2_0 event and returns what it answers. */
export type PreTokenTrigger = (event: Record<string, unknown>) => Promise<any>;

const SIGNING_KEY_ID = 'CognitoLocal';

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

export class LocalIdentity {
  readonly clients: LocalClient[] = [];
  readonly realmUsers: RealmUser[] = [];
  private readonly cognito: CognitoIdentityProviderClient;
  private readonly privateKeyPem: string;
  private jwks?: Map<string, KeyObject>;
  userPoolId = '';

  constructor(
    private readonly cognitoEndpoint: string,
    private readonly spec: LocalIdentitySpec,
    /** The issuer domain: tokens name `<issuerDomain>/<userPoolId>`. */
    private readonly issuerDomain: string,
    private readonly preToken?: PreTokenTrigger,
  ) {
    this.cognito = new CognitoIdentityProviderClient({ endpoint: cognitoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    this.privateKeyPem = (JSON.parse(readFileSync(require.resolve('cognito-local/lib/keys/cognitoLocal.private.json'), 'utf8')) as { pem: string }).pem;
  }

  get issuer(): string {
    return `${this.issuerDomain}/${this.userPoolId}`;
  }

  /** Full scope string of a short name (`connect/customers.write`). */
  scope(name: string): string {
    return `${this.spec.resourceServer.identifier}/${name}`;
  }

  /** Creates (or, with a kept data folder, finds) the pool, its app clients and one sample user per realm client. */
  async setUp(poolName: string): Promise<void> {
    const pools = await this.cognito.send(new ListUserPoolsCommand({ MaxResults: 60 }));
    const existing = pools.UserPools?.find((pool) => pool.Name === poolName);
    this.userPoolId =
      existing?.Id ??
      ((await this.cognito.send(new CreateUserPoolCommand({ PoolName: poolName }))).UserPool?.Id as string);
    const listed = (await this.cognito.send(new ListUserPoolClientsCommand({ UserPoolId: this.userPoolId, MaxResults: 60 }))).UserPoolClients ?? [];
    for (const spec of this.spec.clients) {
      const found = listed.find((client) => client.ClientName === spec.name);
      const client = found
        ? (await this.cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: this.userPoolId, ClientId: found.ClientId }))).UserPoolClient
        : (
            await this.cognito.send(
              new CreateUserPoolClientCommand({
                UserPoolId: this.userPoolId,
                ClientName: spec.name,
                GenerateSecret: spec.generateSecret,
                AllowedOAuthFlows: [...spec.flows] as any,
                AllowedOAuthScopes: [...spec.scopes],
                AllowedOAuthFlowsUserPoolClient: true,
                ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
              }),
            )
          ).UserPoolClient;
      this.clients.push({ ...spec, clientId: client?.ClientId as string, clientSecret: client?.ClientSecret });
    }
    let modyoUserId = 1001;
    for (const client of this.clients.filter((c) => c.flows.includes('code'))) {
      const realm = client.name.replace(/^modyo-realm-/, '');
      const user = { realm, clientId: client.clientId, username: `local-${realm}-user`, password: 'Local-Passw0rd!', modyoUserId: String(modyoUserId++) };
      try {
        await this.cognito.send(
          new AdminCreateUserCommand({
            UserPoolId: this.userPoolId,
            Username: user.username,
            MessageAction: 'SUPPRESS',
            UserAttributes: [
              { Name: 'email', Value: `${user.username}@example.com` },
              { Name: 'email_verified', Value: 'true' },
              { Name: 'custom:modyo_realm', Value: realm },
              { Name: 'custom:modyo_user_id', Value: user.modyoUserId },
            ],
          }),
        );
      } catch (error) {
        if ((error as Error).name !== 'UsernameExistsException') throw error;
      }
      await this.cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: this.userPoolId, Username: user.username, Password: user.password, Permanent: true }));
      this.realmUsers.push(user);
    }
  }

  private sign(claims: Claims, lifetimeSeconds: number): string {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: SIGNING_KEY_ID }));
    const payload = base64url(JSON.stringify({ ...claims, iss: this.issuer, iat: now, auth_time: now, exp: now + lifetimeSeconds, jti: randomUUID(), version: 2 }));
    const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(this.privateKeyPem);
    return `${header}.${payload}.${base64url(signature)}`;
  }

  /** The token endpoint: `{status, body}` as Cognito answers (RFC 6749 errors). */
  async token(form: URLSearchParams, authorization: string | undefined): Promise<{ status: number; body: Record<string, unknown> }> {
    const fail = (error: string, description?: string) => ({ status: 400, body: { error, ...(description && { error_description: description }) } });
    let clientId = form.get('client_id') ?? undefined;
    let clientSecret = form.get('client_secret') ?? undefined;
    if (authorization?.startsWith('Basic ')) {
      const [id, secret] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id);
      clientSecret = decodeURIComponent(secret ?? '');
    }
    const client = this.clients.find((candidate) => candidate.clientId === clientId);
    if (!client) return fail('invalid_client');
    const requested = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
    if (requested.some((scope) => !client.scopes.includes(scope))) return fail('invalid_scope');
    const scopes = requested.length > 0 ? requested : [...client.scopes];
    const grant = form.get('grant_type');
    const lifetime = client.accessTokenMinutes * 60;
    if (grant === 'client_credentials') {
      if (!client.flows.includes('client_credentials')) return fail('unauthorized_client');
      if (!client.clientSecret || clientSecret !== client.clientSecret) return fail('invalid_client');
      const accessToken = this.sign({ sub: client.clientId, token_use: 'access', scope: scopes.join(' '), client_id: client.clientId }, lifetime);
      return { status: 200, body: { access_token: accessToken, expires_in: lifetime, token_type: 'Bearer' } };
    }
    if (grant === 'password') {
      if (!client.flows.includes('code')) return fail('unauthorized_client', 'local password grant: use a realm client (authorization code flow when deployed)');
      const username = form.get('username') ?? '';
      try {
        await this.cognito.send(new InitiateAuthCommand({ ClientId: client.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD: form.get('password') ?? '' } }));
      } catch {
        return fail('invalid_grant', 'Incorrect username or password.');
      }
      const user = await this.cognito.send(new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: username }));
      const attributes = Object.fromEntries((user.UserAttributes ?? []).map((attribute) => [attribute.Name as string, attribute.Value as string]));
      let added: Claims = {};
      if (this.preToken) {
        const answer = await this.preToken({
          version: '2',
          triggerSource: 'TokenGeneration_HostedAuth',
          region: 'us-east-1',
          userPoolId: this.userPoolId,
          userName: username,
          callerContext: { awsSdkVersion: 'local', clientId: client.clientId },
          request: { userAttributes: attributes, groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [] }, scopes },
          response: { claimsAndScopeOverrideDetails: null },
        });
        added = answer?.response?.claimsAndScopeOverrideDetails?.accessTokenGeneration?.claimsToAddOrOverride ?? {};
      }
      const accessToken = this.sign({ ...added, sub: attributes.sub ?? username, token_use: 'access', scope: scopes.join(' '), client_id: client.clientId, username }, lifetime);
      return { status: 200, body: { access_token: accessToken, expires_in: lifetime, token_type: 'Bearer' } };
    }
    return fail('unsupported_grant_type');
  }

  private async keys(): Promise<Map<string, KeyObject>> {
    if (!this.jwks) {
      const response = await fetch(`${this.cognitoEndpoint}/${this.userPoolId}/.well-known/jwks.json`, { signal: AbortSignal.timeout(5000) });
      const { keys } = (await response.json()) as { keys: Array<Record<string, string>> };
      this.jwks = new Map(keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk as any, format: 'jwk' })]));
    }
    return this.jwks;
  }

  /**
   * The Cognito authorizer's check of an access token (REST API, method with scopes): signature by a key of the
   * pool's JWKS, not expired, issued by the pool, an access token. Returns its claims, or undefined (a 401).
   */
  async verify(token: string): Promise<Claims | undefined> {
    const [headerPart, payloadPart, signaturePart] = token.split('.');
    if (!headerPart || !payloadPart || !signaturePart) return undefined;
    try {
      const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
      const key = header.alg === 'RS256' && header.kid ? (await this.keys()).get(header.kid) : undefined;
      if (!key || !verifySignature('RSA-SHA256', Buffer.from(`${headerPart}.${payloadPart}`), key, Buffer.from(signaturePart, 'base64url'))) return undefined;
      const claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as Claims;
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return undefined;
      if (claims.iss !== this.issuer || claims.token_use !== 'access') return undefined;
      return claims;
    } catch {
      return undefined;
    }
  }

  destroy(): void {
    this.cognito.destroy();
  }
}

/**
 * The claims as a REST API's Cognito authorizer hands them to a Lambda proxy integration: every value a string
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html shows
 * `requestContext.authorizer.claims`); `exp` and `iat` are rendered as dates, e.g. "Tue Dec 01 05:00:00 UTC 2026"
 * (as observed from API Gateway; uncertain, and no handler reads them).
 */
export function gatewayClaims(claims: Claims): Record<string, string> {
  const asDate = (seconds: number) => {
    const text = new Date(seconds * 1000).toUTCString(); // "Tue, 01 Dec 2026 05:00:00 GMT"
    const [, weekday, day, month, year, time] = /^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/.exec(text) ?? [];
    return weekday ? `${weekday} ${month} ${day} ${time} UTC ${year}` : String(seconds);
  };
  return Object.fromEntries(
    Object.entries(claims).map(([name, value]) => [name, (name === 'exp' || name === 'iat') && typeof value === 'number' ? asDate(value) : typeof value === 'string' ? value : JSON.stringify(value)]),
  );
}
