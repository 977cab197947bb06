import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, type IConstruct } from 'constructs';
import { z } from 'zod';
import { type ApiHandlerKey, type ApiRoute, routeKey } from '../../api/routes';
import type { EnvironmentConfig } from '../../config/schema';

/** Headers a browser Widget may send on the private routes. */
const CORS_ALLOW_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Amz-Date', 'X-Amz-Security-Token'];

/** The request model of a zod schema: API Gateway validates JSON Schema draft 4. */
export function requestModelSchema(schema: z.ZodType): apigw.JsonSchema {
  return z.toJSONSchema(schema, { target: 'draft-4' }) as apigw.JsonSchema;
}

/** What a service route needs of its ECS service (ServicesStack's ServiceApiTarget provides it). */
export interface ServiceRouteTarget {
  readonly name: string;
  /** VPC link v2 to the services' internal ALB. */
  readonly vpcLink: { readonly vpcLinkId: string };
  /** The ALB's ARN: the integration's IntegrationTarget. */
  readonly integrationTarget: string;
  /** The integration URI base, e.g. `https://services-internal.<zone>:443/accounts` (`/{proxy}` is appended). */
  readonly uri: string;
}

/** The API's Cognito user pool authorizer: the Authorization header's access token, results cached 5 minutes. */
export function cognitoAuthorizer(scope: Construct, id: string, userPool: cognito.IUserPool): apigw.CognitoUserPoolsAuthorizer {
  return new apigw.CognitoUserPoolsAuthorizer(scope, id, {
    cognitoUserPools: [userPool],
    identitySource: apigw.IdentitySource.header('Authorization'),
    resultsCacheTtl: Duration.minutes(5),
  });
}

export interface ApiRouteMethodsProps {
  readonly config: EnvironmentConfig;
  readonly api: apigw.RestApi;
  /** The route table of the environment (apiRoutes). */
  readonly routes: readonly ApiRoute[];
  /** The Cognito authorizer every private route uses (cognitoAuthorizer). */
  readonly authorizer: apigw.IAuthorizer;
  /** Full scope string of a short scope name, e.g. `customers.write` → `connect/customers.write` (IdentityStack.scope). */
  readonly scope: (name: string) => string;
  /** The Lambda handlers of the integration routes (IntegrationsStack.apiHandlers). */
  readonly handlers: Readonly<Partial<Record<ApiHandlerKey, lambda.IFunction>>>;
  /** The ECS services (ServicesStack.apiTargets); one per entry of config.services. */
  readonly services: readonly ServiceRouteTarget[];
}

/**
 * The API's methods, one per route of the table (lib/api/routes.ts): the Cognito authorizer with each private
 * route's scopes, request validation (JSON models from the handlers' zod schemas, required parameters), the Lambda
 * or VPC-link integration, and CORS preflights for the configured Widget origins. The private-route guard fails
 * synth on any method of the API that is not a route with exactly its authentication.
 */
export class ApiRouteMethods extends Construct {
  constructor(scope: Construct, id: string, props: ApiRouteMethodsProps) {
    super(scope, id);
    const { config, api, routes, authorizer } = props;

    const bodyAndParams = api.addRequestValidator('BodyAndParams', { validateRequestBody: true, validateRequestParameters: true });
    const paramsOnly = api.addRequestValidator('ParamsOnly', { validateRequestBody: false, validateRequestParameters: true });
    const models = new Map<string, apigw.Model>();

    const functions = new Map<ApiHandlerKey, lambda.IFunction>();
    const handlerFunction = (key: ApiHandlerKey): lambda.IFunction => {
      const given = props.handlers[key];
      if (!given) throw new Error(`ApiRouteMethods: no handler "${key}" for the routes of ${config.name}`);
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
    for (const route of routes) {
      const resource = api.root.resourceForPath(route.path);
      const requestParameters = Object.fromEntries(route.parameters.map((p) => [`method.request.${p.in === 'query' ? 'querystring' : p.in}.${p.name}`, p.required]));
      const jsonBody = route.body?.schema && route.body.contentType === 'application/json' ? route.body : undefined;
      let requestModels: Record<string, apigw.IModel> | undefined;
      if (jsonBody?.schema && jsonBody.modelName) {
        let model = models.get(jsonBody.modelName);
        if (!model) {
          model = api.addModel(jsonBody.modelName, { modelName: jsonBody.modelName, contentType: jsonBody.contentType, schema: requestModelSchema(jsonBody.schema) });
          models.set(jsonBody.modelName, model);
        }
        requestModels = { [jsonBody.contentType]: model };
      }
      const hasRequiredParameters = route.parameters.some((p) => p.required);
      const requestValidator = requestModels ? bodyAndParams : hasRequiredParameters ? paramsOnly : undefined;
      const service = route.target.kind === 'service' ? servicesByName.get(route.target.service) : undefined;
      if (route.target.kind === 'service' && !service) throw new Error(`ApiRouteMethods: no private integration for service "${route.target.service}" (config.services)`);
      const integration =
        route.target.kind === 'handler'
          ? new apigw.LambdaIntegration(handlerFunction(route.target.handler), { allowTestInvoke: false })
          : route.target.kind === 'health'
            ? healthIntegration()
            : serviceIntegration(service as ServiceRouteTarget);

      const auth = route.authentication;
      const method = resource.addMethod(route.method, integration, {
        requestParameters: Object.keys(requestParameters).length > 0 ? requestParameters : undefined,
        requestModels,
        requestValidator,
        methodResponses: route.target.kind === 'health' ? [{ statusCode: '200' }] : undefined,
        ...(auth.type === 'cognito'
          ? { authorizationType: apigw.AuthorizationType.COGNITO, authorizer, authorizationScopes: auth.scopes.map(props.scope) }
          : { authorizationType: apigw.AuthorizationType.NONE }),
      });
      if (service) connectThroughVpcLink(method, service);
      // Control Tower CT.LAMBDA.PR.2 accepts a service principal's permission only with a literal SourceArn or a
      // SourceAccount; the execute-api SourceArn is built from the API id, so the account is stated too.
      for (const child of method.node.findAll()) if (child instanceof lambda.CfnPermission) child.sourceAccount = Stack.of(this).account;
      if (auth.type !== 'cognito') {
        const reason =
          auth.type === 'shared-secret'
            ? `Modyo webhooks cannot send a Cognito token: the handler authenticates every delivery by the shared secret in the ${auth.header} header (and the HMAC signature when configured).`
            : auth.type === 'public'
              ? auth.reason
              : `Called by the payment provider ${auth.provider} (or the buyer's browser on its behalf), which cannot send a Cognito token: the handler verifies every notification with the provider's API before anything is recorded.`;
        Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason }, { id: 'AwsSolutions-COG4', reason });
      }
      // Browser Widgets call the private routes; the public ones are server-to-server or top-level navigations.
      if (auth.type === 'cognito' && corsOrigins.length > 0 && !preflighted.has(resource)) {
        preflighted.add(resource);
        const options = resource.addCorsPreflight({
          allowOrigins: corsOrigins,
          allowHeaders: CORS_ALLOW_HEADERS,
          allowMethods: route.method === 'ANY' ? apigw.Cors.ALL_METHODS : routes.filter((r) => r.path === route.path).map((r) => r.method),
          maxAge: Duration.minutes(10),
        });
        const reason = 'CORS preflight: browsers send OPTIONS without credentials; the mock integration answers only the CORS headers for the configured origins.';
        Validations.of(options).acknowledge({ id: 'AwsSolutions-APIG4', reason }, { id: 'AwsSolutions-COG4', reason });
      }
    }

    this.node.addValidation({ validate: () => privateRouteViolations(api, routes, props.scope) });
  }
}

/** The health route's answer, from API Gateway itself: a constant 200 `{"status":"ok"}`, no backend. */
function healthIntegration(): apigw.Integration {
  return new apigw.MockIntegration({
    requestTemplates: { 'application/json': '{"statusCode": 200}' },
    passthroughBehavior: apigw.PassthroughBehavior.NEVER,
    integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '{"status":"ok"}' }, responseParameters: {} }],
  });
}

function serviceIntegration(service: ServiceRouteTarget): apigw.Integration {
  return new apigw.Integration({
    type: apigw.IntegrationType.HTTP_PROXY,
    integrationHttpMethod: 'ANY',
    uri: `${service.uri}/{proxy}`,
    options: {
      requestParameters: { 'integration.request.path.proxy': 'method.request.path.proxy' },
      timeout: Duration.seconds(29),
    },
  });
}

/**
 * The L2 models only VPC links v1 (NLB, and insists on one for VPC_LINK): the connection through the services'
 * VPC link v2 to their internal ALB is set on the method itself.
 */
function connectThroughVpcLink(method: apigw.Method, service: ServiceRouteTarget): void {
  const cfn = method.node.defaultChild as apigw.CfnMethod;
  cfn.addPropertyOverride('Integration.ConnectionType', apigw.ConnectionType.VPC_LINK);
  cfn.addPropertyOverride('Integration.ConnectionId', service.vpcLink.vpcLinkId);
  cfn.addPropertyOverride('Integration.IntegrationTarget', service.integrationTarget);
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
