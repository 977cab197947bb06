import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import type { Construct, IConstruct } from 'constructs';
import { z } from 'zod';
import type { EnvironmentConfig } from '../config/schema';
import { CORS_ORIGIN_HEADER, RegionalWebAcl } from '../constructs/web-acl';
import type { ServiceApiTarget } from './services-stack';
import { type ApiHandlerKey, type ApiRoute, WEBHOOK_SECRET_HEADER, WEBHOOK_SIGNATURE_HEADER, apiRoutes, calledByServers, routeKey } from '../api/routes';

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

export const API_STAGE_NAME = 'v1';

/** Headers a browser Widget may send on the private routes. */
const CORS_ALLOW_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Amz-Date', 'X-Amz-Security-Token'];

/** Gateway responses: every error API Gateway itself answers has the handlers' shape `{"error":{"code","message"}}`. */
const GATEWAY_ERRORS: ReadonlyArray<{ type: apigw.ResponseType; code: string; status?: string }> = [
  { type: apigw.ResponseType.DEFAULT_4XX, code: 'client_error' },
  { type: apigw.ResponseType.DEFAULT_5XX, code: 'server_error' },
  { type: apigw.ResponseType.UNAUTHORIZED, code: 'unauthorized', status: '401' },
  { type: apigw.ResponseType.ACCESS_DENIED, code: 'forbidden', status: '403' },
  // No route matches (API Gateway calls it a missing token): answer as the 404 it is.
  { type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, code: 'not_found', status: '404' },
  { type: apigw.ResponseType.THROTTLED, code: 'throttled', status: '429' },
  { type: apigw.ResponseType.QUOTA_EXCEEDED, code: 'throttled', status: '429' },
  { type: apigw.ResponseType.BAD_REQUEST_BODY, code: 'invalid_body', status: '400' },
  { type: apigw.ResponseType.BAD_REQUEST_PARAMETERS, code: 'invalid_parameters', status: '400' },
  { type: apigw.ResponseType.REQUEST_TOO_LARGE, code: 'payload_too_large', status: '413' },
  { type: apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE, code: 'unsupported_media_type', status: '415' },
  { type: apigw.ResponseType.WAF_FILTERED, code: 'blocked', status: '403' },
  { type: apigw.ResponseType.INTEGRATION_FAILURE, code: 'bad_gateway', status: '502' },
  { type: apigw.ResponseType.INTEGRATION_TIMEOUT, code: 'gateway_timeout', status: '504' },
];

/** The request model of a zod schema: API Gateway validates JSON Schema draft 4. */
export function requestModelSchema(schema: z.ZodType): apigw.JsonSchema {
  return z.toJSONSchema(schema, { target: 'draft-4' }) as apigw.JsonSchema;
}

/**
 * The API edge of an environment: a regional REST API built from the route table (lib/api/routes.ts), a Cognito
 * authorizer with each private route's scopes, request validation, JSON errors, CORS for the configured Widget
 * origins only, access and execution logs, X-Ray, throttling, a WAF web ACL and, when configured, a custom domain.
 */
export class ApiStack extends Stack {
  readonly api: apigw.RestApi;
  readonly stage: apigw.Stage;
  /** The web ACL in front of the stage (`webAcl.webAcl` is the CfnWebACL), its log group and association. */
  readonly webAcl: RegionalWebAcl;
  readonly routes: readonly ApiRoute[];
  readonly domainName?: apigw.DomainName;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    const production = config.kind === 'production';
    this.routes = apiRoutes(config);
    // The loader (lib/config/load.ts) has checked that every key of api.routeThrottling and api.waf.routes names a route.
    const routesByKey = new Map(this.routes.map((route) => [routeKey(route), route]));

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    // Execution logging (ERROR, no data trace) needs the account's API Gateway CloudWatch role.
    const methodLogging = { loggingLevel: apigw.MethodLoggingLevel.ERROR, dataTraceEnabled: false, metricsEnabled: true };
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: `connect-${config.name}`,
      description: `Connect ${config.name}: Modyo integration API`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // With a custom domain, clients use it; the execute-api endpoint would be a second door.
      disableExecuteApiEndpoint: config.api.customDomain !== undefined,
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: API_STAGE_NAME,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(),
        ...methodLogging,
        tracingEnabled: true,
        throttlingRateLimit: config.api.throttling.rateLimit,
        throttlingBurstLimit: config.api.throttling.burstLimit,
        methodOptions: Object.fromEntries(
          Object.entries(config.api.routeThrottling).map(([key, limits]) => {
            const route = routesByKey.get(key) as ApiRoute;
            return [`${route.path}/${route.method}`, { ...methodLogging, throttlingRateLimit: limits.rateLimit, throttlingBurstLimit: limits.burstLimit }];
          }),
        ),
      },
    });
    this.stage = this.api.deploymentStage;
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'The account-level role API Gateway uses to write execution logs; the AWS managed policy is the documented one and only allows CloudWatch Logs writes.',
    });
    // Execution logs go to a log group API Gateway names itself; creating it first sets retention and encryption.
    new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${API_STAGE_NAME}`,
      retention: props.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    const authorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [props.userPool],
      identitySource: apigw.IdentitySource.header('Authorization'),
      resultsCacheTtl: Duration.minutes(5),
    });

    const bodyAndParams = this.api.addRequestValidator('BodyAndParams', { validateRequestBody: true, validateRequestParameters: true });
    const paramsOnly = this.api.addRequestValidator('ParamsOnly', { validateRequestBody: false, validateRequestParameters: true });
    const models = new Map<string, apigw.Model>();

    const functions = new Map<ApiHandlerKey, lambda.IFunction>();
    const handlerFunction = (key: ApiHandlerKey): lambda.IFunction => {
      const given = props.handlers[key];
      if (!given) throw new Error(`ApiStack: no handler "${key}" for the routes of ${config.name}`);
      let fn = functions.get(key);
      if (!fn) {
        // Imported by ARN into this stack, so API Gateway's invoke permissions are created here, next to the API
        // they name; created in the integrations stack they would make the two stacks depend on each other.
        fn = lambda.Function.fromFunctionAttributes(this, `${key[0].toUpperCase()}${key.slice(1)}Function`, { functionArn: given.functionArn, sameEnvironment: true });
        functions.set(key, fn);
      }
      return fn;
    };
    const servicesByName = new Map(props.services.map((service) => [service.name, service]));

    const corsOrigins = config.api.corsOrigins;
    const preflighted = new Set<apigw.IResource>();
    for (const route of this.routes) {
      const resource = this.api.root.resourceForPath(route.path);
      const requestParameters = Object.fromEntries(route.parameters.map((p) => [`method.request.${p.in === 'query' ? 'querystring' : p.in}.${p.name}`, p.required]));
      const jsonBody = route.body?.schema && route.body.contentType === 'application/json' ? route.body : undefined;
      let requestModels: Record<string, apigw.IModel> | undefined;
      if (jsonBody?.schema && jsonBody.modelName) {
        let model = models.get(jsonBody.modelName);
        if (!model) {
          model = this.api.addModel(jsonBody.modelName, { modelName: jsonBody.modelName, contentType: jsonBody.contentType, schema: requestModelSchema(jsonBody.schema) });
          models.set(jsonBody.modelName, model);
        }
        requestModels = { [jsonBody.contentType]: model };
      }
      const hasRequiredParameters = route.parameters.some((p) => p.required);
      const requestValidator = requestModels ? bodyAndParams : hasRequiredParameters ? paramsOnly : undefined;
      const service = route.target.kind === 'service' ? servicesByName.get(route.target.service) : undefined;
      if (route.target.kind === 'service' && !service) throw new Error(`ApiStack: no private integration for service "${route.target.service}" (config.services)`);
      const integration = route.target.kind === 'handler' ? new apigw.LambdaIntegration(handlerFunction(route.target.handler), { allowTestInvoke: false }) : this.serviceIntegration(service as ServiceApiTarget);

      const auth = route.authentication;
      const method = resource.addMethod(route.method, integration, {
        requestParameters: Object.keys(requestParameters).length > 0 ? requestParameters : undefined,
        requestModels,
        requestValidator,
        ...(auth.type === 'cognito'
          ? { authorizationType: apigw.AuthorizationType.COGNITO, authorizer, authorizationScopes: auth.scopes.map(props.scope) }
          : { authorizationType: apigw.AuthorizationType.NONE }),
      });
      if (service) this.connectThroughVpcLink(method, service);
      // Control Tower CT.LAMBDA.PR.2 accepts a service principal's permission only with a literal SourceArn or a
      // SourceAccount; the execute-api SourceArn is built from the API id, so the account is stated too.
      for (const child of method.node.findAll()) if (child instanceof lambda.CfnPermission) child.sourceAccount = this.account;
      if (auth.type !== 'cognito') {
        const reason =
          auth.type === 'shared-secret'
            ? `Modyo webhooks cannot send a Cognito token: the handler authenticates every delivery by the shared secret in the ${auth.header} header (and the HMAC signature when configured).`
            : `Called by the payment provider ${auth.provider} (or the buyer's browser on its behalf), which cannot send a Cognito token: the handler verifies every notification with the provider's API before anything is recorded.`;
        Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason }, { id: 'AwsSolutions-COG4', reason });
      }
      // Browser Widgets call the private routes; the public ones are server-to-server or top-level navigations.
      if (auth.type === 'cognito' && corsOrigins.length > 0 && !preflighted.has(resource)) {
        preflighted.add(resource);
        const options = resource.addCorsPreflight({
          allowOrigins: corsOrigins,
          allowHeaders: CORS_ALLOW_HEADERS,
          allowMethods: route.method === 'ANY' ? apigw.Cors.ALL_METHODS : this.routes.filter((r) => r.path === route.path).map((r) => r.method),
          maxAge: Duration.minutes(10),
        });
        const reason = 'CORS preflight: browsers send OPTIONS without credentials; the mock integration answers only the CORS headers for the configured origins.';
        Validations.of(options).acknowledge({ id: 'AwsSolutions-APIG4', reason }, { id: 'AwsSolutions-COG4', reason });
      }
    }

    this.addGatewayResponses(corsOrigins);
    this.node.addValidation({ validate: () => privateRouteViolations(this.api, this.routes, props.scope) });

    const noCache = 'Responses are per caller (tokens, idempotency keys) and mostly to POSTs: caching would serve one client another\'s answer, so no cache exists to encrypt.';
    const noClientCert = 'Backends are Lambda proxy integrations (invoked through IAM, not HTTP) and ECS services reached through a private VPC link; there is no public HTTP backend for a client certificate to authenticate to.';
    Validations.of(this.stage).acknowledge(
      { id: 'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted', reason: noCache },
      { id: 'PCI.DSS.321-APIGWCacheEnabledAndEncrypted', reason: noCache },
      { id: 'NIST.800.53.R5-APIGWSSLEnabled', reason: noClientCert },
      { id: 'PCI.DSS.321-APIGWSSLEnabled', reason: noClientCert },
    );

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
      // mapping's path on the custom domain (the mapping below has none). Both are accepted either way: the
      // execute-api endpoint is off when there is a custom domain, and nothing else lives under /v1.
      pathPrefixes: ['', `/${API_STAGE_NAME}`],
      corsOrigins,
      redactedHeaders: ['authorization', WEBHOOK_SECRET_HEADER, WEBHOOK_SIGNATURE_HEADER],
      logRetention: props.logRetention,
      logsKey: props.logsKey,
      retainLogs: production,
    });
    this.webAcl.associate(this.stage);

    const domain = config.api.customDomain;
    if (domain) {
      const zone = domain.hostedZoneId ? route53.HostedZone.fromHostedZoneId(this, 'HostedZone', domain.hostedZoneId) : undefined;
      const certificate = domain.certificateArn
        ? acm.Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn)
        : new acm.Certificate(this, 'Certificate', {
            domainName: domain.domainName,
            // Without a hosted zone in config the SRE adds the validation record the deploy prints.
            validation: acm.CertificateValidation.fromDns(zone),
          });
      this.domainName = new apigw.DomainName(this, 'DomainName', {
        domainName: domain.domainName,
        certificate,
        endpointType: apigw.EndpointType.REGIONAL,
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      });
      this.domainName.addBasePathMapping(this.api, { stage: this.stage });
      if (zone) {
        new route53.ARecord(this, 'DomainAlias', { zone, recordName: `${domain.domainName}.`, target: route53.RecordTarget.fromAlias(new targets.ApiGatewayDomain(this.domainName)) });
      } else {
        new CfnOutput(this, 'DomainTarget', { description: `DNS: point ${domain.domainName} (CNAME or alias) here`, value: this.domainName.domainNameAliasDomainName });
      }
    }
    new CfnOutput(this, 'ApiUrl', { value: domain ? `https://${domain.domainName}/` : this.api.url });
  }

  private serviceIntegration(service: ServiceApiTarget): apigw.Integration {
    const integration = new apigw.Integration({
      type: apigw.IntegrationType.HTTP_PROXY,
      integrationHttpMethod: 'ANY',
      uri: `${service.uri}/{proxy}`,
      options: {
        requestParameters: { 'integration.request.path.proxy': 'method.request.path.proxy' },
        timeout: Duration.seconds(29),
      },
    });
    return integration;
  }

  /**
   * The L2 models only VPC links v1 (NLB, and insists on one for VPC_LINK): the connection through the services'
   * VPC link v2 to their internal ALB is set on the method itself.
   */
  private connectThroughVpcLink(method: apigw.Method, service: ServiceApiTarget): void {
    const cfn = method.node.defaultChild as apigw.CfnMethod;
    cfn.addPropertyOverride('Integration.ConnectionType', apigw.ConnectionType.VPC_LINK);
    cfn.addPropertyOverride('Integration.ConnectionId', service.vpcLink.vpcLinkId);
    cfn.addPropertyOverride('Integration.IntegrationTarget', service.integrationTarget);
  }

  private addGatewayResponses(corsOrigins: readonly string[]): void {
    // A gateway response cannot pick the origin itself: its template is not run through VTL and its headers map a
    // literal or a request value (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html,
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseTemplates.html),
    // and echoing the request's Origin would open error bodies to every site. One origin is stated. With several,
    // the web ACL inserts the request's Origin as CORS_ORIGIN_HEADER only when it is one of them (and refuses a
    // client that sends that header), so echoing that header answers an allowed page and nobody else.
    const corsHeaders: Record<string, string> =
      corsOrigins.length === 1
        ? { 'Access-Control-Allow-Origin': `'${corsOrigins[0]}'`, Vary: "'Origin'" }
        : corsOrigins.length > 1
          ? { 'Access-Control-Allow-Origin': `method.request.header.${CORS_ORIGIN_HEADER}`, Vary: "'Origin'" }
          : {};
    for (const { type, code, status } of GATEWAY_ERRORS) {
      this.api.addGatewayResponse(`Error${type.responseType}`, {
        type,
        statusCode: status,
        responseHeaders: { 'Content-Type': "'application/json'", 'Cache-Control': "'no-store'", ...corsHeaders },
        templates: { 'application/json': `{"error":{"code":"${code}","message":$context.error.messageString}}` },
      });
    }
  }
}

/** The JSON access log line: who, what, outcome and timings; no bodies, tokens or query strings. */
function accessLogFormat(): apigw.AccessLogFormat {
  return apigw.AccessLogFormat.custom(
    JSON.stringify({
      requestId: apigw.AccessLogField.contextRequestId(),
      extendedRequestId: apigw.AccessLogField.contextExtendedRequestId(),
      requestTime: apigw.AccessLogField.contextRequestTime(),
      ip: apigw.AccessLogField.contextIdentitySourceIp(),
      userAgent: apigw.AccessLogField.contextIdentityUserAgent(),
      httpMethod: apigw.AccessLogField.contextHttpMethod(),
      resourcePath: apigw.AccessLogField.contextResourcePath(),
      protocol: apigw.AccessLogField.contextProtocol(),
      status: apigw.AccessLogField.contextStatus(),
      responseLength: apigw.AccessLogField.contextResponseLength(),
      responseLatency: apigw.AccessLogField.contextResponseLatency(),
      integrationLatency: apigw.AccessLogField.contextIntegrationLatency(),
      integrationStatus: apigw.AccessLogField.contextIntegrationStatus(),
      clientId: apigw.AccessLogField.contextAuthorizerClaims('client_id'),
      authorizerError: '$context.authorizer.error',
      wafStatus: apigw.AccessLogField.contextWafResponseCode(),
      errorType: apigw.AccessLogField.contextErrorResponseType(),
      errorMessage: apigw.AccessLogField.contextErrorMessage(),
      xrayTraceId: apigw.AccessLogField.contextXrayTraceId(),
    }),
  );
}

/**
 * The guard that makes a private route without the authorizer impossible: every method of the API is either a
 * route of the table with exactly its authentication (Cognito with the route's scopes, or one of the explicitly
 * public routes), or a CORS preflight. Anything else — a method added by hand, a route that lost its authorizer
 * or scopes — fails synth.
 */
export function privateRouteViolations(api: apigw.RestApi, routes: readonly ApiRoute[], fullScope: (name: string) => string): string[] {
  const byKey = new Map(routes.map((route) => [routeKey(route), route]));
  const problems: string[] = [];
  const visit = (construct: IConstruct) => {
    if (construct instanceof apigw.Method) {
      const cfn = construct.node.defaultChild as apigw.CfnMethod;
      const key = `${construct.httpMethod} ${construct.resource.path}`;
      const route = byKey.get(key);
      const resolvedType = Stack.of(construct).resolve(cfn.authorizationType);
      if (construct.httpMethod === 'OPTIONS' && !route) {
        const integrationType = Stack.of(construct).resolve((cfn.integration as apigw.CfnMethod.IntegrationProperty | undefined)?.type);
        if (integrationType !== 'MOCK') problems.push(`${key}: an OPTIONS method that is not a CORS preflight (mock integration) must be a route of lib/api/routes.ts`);
      } else if (!route) {
        problems.push(`${key}: not in the route table (lib/api/routes.ts); add it there so it gets its authorizer, validation and documentation`);
      } else if (route.authentication.type === 'cognito') {
        const scopes = Stack.of(construct).resolve(cfn.authorizationScopes) as string[] | undefined;
        const expected = route.authentication.scopes.map(fullScope);
        if (resolvedType !== 'COGNITO_USER_POOLS' || !cfn.authorizerId) problems.push(`${key}: a private route must use the Cognito authorizer`);
        if (!scopes || scopes.length === 0 || [...scopes].sort().join(' ') !== [...expected].sort().join(' ')) {
          problems.push(`${key}: expected authorization scopes ${expected.join(', ')}; got ${scopes?.join(', ') || 'none'}`);
        }
      } else if (resolvedType !== 'NONE') {
        problems.push(`${key}: a ${route.authentication.type} route authenticates in its handler; expected authorization type NONE, got ${resolvedType}`);
      }
    }
    construct.node.children.forEach(visit);
  };
  visit(api);
  return problems;
}
