import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type ApiRoute, routeKey } from '../../api/routes';
import type { EnvironmentConfig } from '../../config/schema';
import { CORS_ORIGIN_HEADER } from '../web-acl';

export const API_STAGE_NAME = 'v1';

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

export interface ConnectRestApiProps {
  readonly config: EnvironmentConfig;
  /** The route table (apiRoutes): api.routeThrottling names its routes. */
  readonly routes: readonly ApiRoute[];
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The environment's regional REST API and its one stage: JSON access logs and ERROR execution logs to encrypted log
 * groups, X-Ray, throttling (API-wide and per route from config), JSON gateway errors with the CORS origin, and no
 * execute-api endpoint when a custom domain is configured. Routes are added by ApiRouteMethods.
 */
export class ConnectRestApi extends apigw.RestApi {
  readonly accessLogs: logs.LogGroup;
  readonly executionLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ConnectRestApiProps) {
    const { config } = props;
    const logGroup = {
      retention: props.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: config.kind === 'production' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    };
    // The stage the RestApi constructor creates needs its access log group first, before `this` exists: the group is
    // made in the API's scope, beside it.
    const accessLogs = new logs.LogGroup(scope, 'AccessLogs', logGroup);
    // The loader (lib/config/load.ts) has checked that every key of api.routeThrottling names a route.
    const routesByKey = new Map(props.routes.map((route) => [routeKey(route), route]));
    // Execution logging (ERROR, no data trace) needs the account's API Gateway CloudWatch role.
    const methodLogging = { loggingLevel: apigw.MethodLoggingLevel.ERROR, dataTraceEnabled: false, metricsEnabled: true };
    super(scope, id, {
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
    this.accessLogs = accessLogs;
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'The account-level role API Gateway uses to write execution logs; the AWS managed policy is the documented one and only allows CloudWatch Logs writes.',
    });
    // Execution logs go to a log group API Gateway names itself; creating it first sets retention and encryption.
    this.executionLogs = new logs.LogGroup(this, 'ExecutionLogs', { logGroupName: `API-Gateway-Execution-Logs_${this.restApiId}/${API_STAGE_NAME}`, ...logGroup });

    const noCache = 'Responses are per caller (tokens, idempotency keys) and mostly to POSTs: caching would serve one client another\'s answer, so no cache exists to encrypt.';
    const noClientCert = 'Backends are Lambda proxy integrations (invoked through IAM, not HTTP) and ECS services reached through a private VPC link; there is no public HTTP backend for a client certificate to authenticate to.';
    Validations.of(this.deploymentStage).acknowledge(
      { id: 'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted', reason: noCache },
      { id: 'PCI.DSS.321-APIGWCacheEnabledAndEncrypted', reason: noCache },
      { id: 'NIST.800.53.R5-APIGWSSLEnabled', reason: noClientCert },
      { id: 'PCI.DSS.321-APIGWSSLEnabled', reason: noClientCert },
    );
    this.addGatewayErrors(config.api.corsOrigins);
  }

  private addGatewayErrors(corsOrigins: readonly string[]): void {
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
      this.addGatewayResponse(`Error${type.responseType}`, {
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
