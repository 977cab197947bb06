import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type ApiHandlerKey, type ApiRoute, WEBHOOK_SECRET_HEADER, WEBHOOK_SIGNATURE_HEADER, apiRoutes, calledByServers, routeKey } from '../api/routes';
import type { EnvironmentConfig } from '../config/schema';
import { ApiCustomDomain } from '../constructs/api/custom-domain';
import { API_STAGE_NAME, ConnectRestApi } from '../constructs/api/rest-api';
import { ApiRouteMethods, cognitoAuthorizer } from '../constructs/api/route-methods';
import { RegionalWebAcl } from '../constructs/web-acl';
import type { ServiceApiTarget } from './services-stack';

export { API_STAGE_NAME };

export interface ApiStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly userPool: cognito.IUserPool;
  /** Full scope string of a short scope name, e.g. `customers.write` → `connect/customers.write` (IdentityStack.scope). */
  readonly scope: (name: string) => string;
  /** The Lambda handlers of the integration routes (IntegrationsStack.apiHandlers). */
  readonly handlers: Readonly<Partial<Record<ApiHandlerKey, lambda.IFunction>>>;
  /** The ECS services (ServicesStack.apiTargets); one per entry of config.services. */
  readonly services: readonly ServiceApiTarget[];
}

/**
 * The API edge of an environment: a regional REST API built from the route table (lib/api/routes.ts), a Cognito
 * authorizer with each private route's scopes, request validation, JSON errors, CORS for the configured Widget
 * origins only, access and execution logs, X-Ray, throttling, a WAF web ACL and, when configured, a custom domain.
 */
export class ApiStack extends Stack {
  /** The REST API (construct id `Api`: the API alarms are named after its stage's path). */
  readonly api: ConnectRestApi;
  readonly stage: apigw.Stage;
  /** The web ACL in front of the stage (`webAcl.webAcl` is the CfnWebACL), its log group and association. */
  readonly webAcl: RegionalWebAcl;
  readonly routes: readonly ApiRoute[];
  readonly domainName?: apigw.DomainName;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.routes = apiRoutes(config);

    this.api = new ConnectRestApi(this, 'Api', { config, routes: this.routes, logsKey: props.logsKey, logRetention: props.logRetention });
    this.stage = this.api.deploymentStage;
    new ApiRouteMethods(this, 'Routes', {
      config,
      api: this.api,
      routes: this.routes,
      // At the stack's root: the authorizer's name is derived from its construct path.
      authorizer: cognitoAuthorizer(this, 'Authorizer', props.userPool),
      scope: props.scope,
      handlers: props.handlers,
      services: props.services,
    });

    this.webAcl = new RegionalWebAcl(this, 'WebAcl', {
      name: `connect-${config.name}-api`,
      rateLimitPer5Minutes: config.api.waf.rateLimitPer5Minutes,
      allowIpCidrs: config.api.waf.allowIpCidrs,
      denyIpCidrs: config.api.waf.denyIpCidrs,
      bodyLimits: this.routes.flatMap((route) => (route.body ? [{ path: route.path, maxBytes: route.body.maxBytes }] : [])).filter((limit, i, all) => all.findIndex((l) => l.path === limit.path) === i),
      routes: this.routes.map((route) => ({
        key: routeKey(route),
        method: route.method,
        path: route.path,
        calledByServers: calledByServers(route, config.identity),
        ...config.api.waf.routes[routeKey(route)],
      })),
      // WAF sees the URI path the client sent: behind the stage on the execute-api endpoint, behind the base path
      // mapping's path on the custom domain (the mapping has none). Both are accepted either way: the execute-api
      // endpoint is off when there is a custom domain, and nothing else lives under /v1.
      pathPrefixes: ['', `/${API_STAGE_NAME}`],
      corsOrigins: config.api.corsOrigins,
      redactedHeaders: ['authorization', WEBHOOK_SECRET_HEADER, WEBHOOK_SIGNATURE_HEADER],
      logRetention: props.logRetention,
      logsKey: props.logsKey,
      retainLogs: config.kind === 'production',
    });
    this.webAcl.associate(this.stage);

    const domain = config.api.customDomain;
    if (domain) this.domainName = new ApiCustomDomain(this, 'CustomDomain', { domain, api: this.api, stage: this.stage }).domainName;
    new CfnOutput(this, 'ApiUrl', { value: domain ? `https://${domain.domainName}/` : this.api.url });
  }
}
