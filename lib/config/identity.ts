import { z } from 'zod';
import { acmCertificateArn, domainName, httpsUrl, name, scope, secretArn } from './fields';
import { crossAreaRule, duplicates, type Issue, issueOf } from './rules';

/** The user pool (`identity`): its domain, scopes, app clients and federated providers. */

const OidcProvider = z.strictObject({
  type: z.literal('oidc'),
  name: z.string().regex(/^[A-Za-z0-9_-]{3,32}$/, { message: 'expected a provider name of 3-32 letters, digits, - or _' }),
  issuerUrl: httpsUrl,
  clientId: z.string().min(1),
  /** The client secret stays in Secrets Manager; the template only references it. */
  clientSecretArn: secretArn,
  scopes: z.array(z.string()).default(['openid', 'email', 'profile']),
  /** Who signs in through it: end users (the realm client) or administrators. */
  audience: z.enum(['users', 'admins']).default('users'),
});

const SamlProvider = z.strictObject({
  type: z.literal('saml'),
  name: z.string().regex(/^[A-Za-z0-9_-]{3,32}$/, { message: 'expected a provider name of 3-32 letters, digits, - or _' }),
  metadataUrl: httpsUrl,
  audience: z.enum(['users', 'admins']).default('users'),
});

const TokenValidity = z.strictObject({
  accessTokenMinutes: z.number().int().min(5).max(1440).default(60),
  idTokenMinutes: z.number().int().min(5).max(1440).default(60),
  refreshTokenDays: z.number().int().min(1).max(3650).default(30),
});

const RealmClient = z.strictObject({
  /** Modyo realm uid; the client's callback is `<modyo.accountUrl>/realms/<realm>/auth/openidc/callback`. */
  realm: name,
  scopes: z.array(scope).min(1),
  tokenValidity: TokenValidity.default(TokenValidity.parse({})),
  /** Where Cognito may send the browser after sign-out; defaults to the realm's address `<modyo.accountUrl>/realms/<realm>`. */
  logoutUrls: z.array(httpsUrl).min(1).optional(),
});

/** The app client administrators sign in through (providers with audience `admins`), e.g. a back-office console. */
const AdminClient = z.strictObject({
  callbackUrls: z.array(httpsUrl).min(1, { message: 'expected at least one https:// callback URL of the administrators\' application' }),
  logoutUrls: z.array(httpsUrl).default([]),
  /** API scopes administrators' tokens carry, besides openid, email and profile. */
  scopes: z.array(scope).default([]),
  tokenValidity: TokenValidity.default(TokenValidity.parse({})),
});

const MachineClient = z.strictObject({
  name,
  description: z.string().optional(),
  scopes: z.array(scope).min(1),
  accessTokenMinutes: z.number().int().min(5).max(1440).default(60),
});

export const IdentityConfig = z
  .strictObject({
    /** Cognito hosted-domain prefix (used when no custom domain is set); unique per region. */
    domainPrefix: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'expected a lower-case domain prefix' }),
    customDomain: z.strictObject({ domainName, certificateArn: acmCertificateArn }).optional(),
    mfa: z.enum(['OFF', 'OPTIONAL', 'REQUIRED']).default('OPTIONAL'),
    /**
     * How users mirrored from Modyo first sign in (README "First sign-in of mirrored users"). Off (default): each is
     * confirmed with a random password nobody knows and sets their own through "Forgot your password?" (a code to
     * their verified e-mail). On: Cognito e-mails an invitation with a temporary password, valid for the pool's
     * temporary password validity (3 days); users without an address are confirmed as with off.
     */
    sendInvitations: z.boolean().default(false),
    /** Scopes of the API's resource server, e.g. `customers.write`. */
    scopes: z.array(z.strictObject({ name: scope, description: z.string().min(1) })).min(1),
    realmClients: z.array(RealmClient).default([]),
    machineClients: z.array(MachineClient).default([]),
    federation: z.array(z.discriminatedUnion('type', [OidcProvider, SamlProvider])).default([]),
    /** Required when a federation provider has audience `admins`. */
    adminClient: AdminClient.optional(),
  })
  .superRefine((identity, ctx) => {
    const issue = issueOf(ctx);
    identity.realmClients.forEach((client, i) => checkScopesDeclared(identity, client.scopes, ['realmClients', i, 'scopes'], issue));
    identity.machineClients.forEach((client, i) => checkScopesDeclared(identity, client.scopes, ['machineClients', i, 'scopes'], issue));
    if (identity.adminClient) checkScopesDeclared(identity, identity.adminClient.scopes, ['adminClient', 'scopes'], issue);
    const adminProviders = identity.federation.filter((provider) => provider.audience === 'admins');
    if (adminProviders.length > 0 && !identity.adminClient) {
      issue(['adminClient'], `expected an adminClient with the administrators' callback URLs: federation provider(s) ${adminProviders.map((p) => `"${p.name}"`).join(', ')} have audience "admins"`);
    }
    duplicates(identity.federation.map((p) => p.name)).forEach((i) => issue(['federation', i, 'name'], 'expected a unique provider name'));
    duplicates(identity.realmClients.map((c) => c.realm)).forEach((i) => issue(['realmClients', i, 'realm'], 'expected each realm once'));
    // Cognito serves custom domains through CloudFront, which takes certificates from us-east-1 only.
    const domainCertificate = identity.customDomain?.certificateArn;
    if (domainCertificate && domainCertificate.split(':')[3] !== 'us-east-1') {
      issue(['customDomain', 'certificateArn'], 'expected an ACM certificate in us-east-1 (Cognito custom domains are served through CloudFront)');
    }
    duplicates(identity.scopes.map((s) => s.name)).forEach((i) => issue(['scopes', i, 'name'], 'expected a unique scope name'));
    duplicates(identity.machineClients.map((c) => c.name)).forEach((i) => issue(['machineClients', i, 'name'], 'expected a unique machine client name'));
  });

export type IdentityConfig = z.infer<typeof IdentityConfig>;

/** Reports each scope of `scopes` (at `path`) that identity.scopes does not declare. */
export function checkScopesDeclared(identity: Pick<IdentityConfig, 'scopes'>, scopes: readonly string[], path: (string | number)[], issue: Issue): void {
  const declared = new Set(identity.scopes.map((s) => s.name));
  scopes.forEach((s, i) => {
    if (!declared.has(s)) issue([...path, i], `expected a scope declared in identity.scopes (${[...declared].join(', ')}); got "${s}"`);
  });
}

/** Whether the environment's user pool gets a domain (managed login): a prefix domain, or a custom domain. */
export function userPoolHasDomain(identity: Pick<IdentityConfig, 'domainPrefix' | 'customDomain'>): boolean {
  return identity.customDomain !== undefined || identity.domainPrefix.length > 0;
}

export const IDENTITY_RULES = [
  crossAreaRule(['kind', 'identity'], (config, issue) => {
    if (config.kind === 'production' && config.identity.mfa !== 'REQUIRED') {
      issue(['identity', 'mfa'], 'expected "REQUIRED" in production: with OPTIONAL, managed login never asks users to enrol, so nobody would have MFA');
    }
  }),
];
