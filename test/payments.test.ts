/**
 * The payments infrastructure as synthesized for every environment (the global test assembly): the checkout and
 * expiry functions, their grants and schedule, the owner index, each provider's secret, Lambda's environment size
 * quota, the Cognito scopes of checkout and my payments, and the provider callbacks' WAF source allow-lists.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { apiRoutes, routeKey } from '../lib/api/routes';
import { configuredPaymentProviders } from '../lib/config/payments';
import { ENVIRONMENTS, stackTemplate } from './support/assembly';
import { apiTemplateJson, environmentConfig, resourcesOfType, synthesizedMethods } from './support/api-template';
import { evaluateWebAcl, ipSetResolver } from './support/waf-eval';

type Resources = Record<string, { Type: string; Properties: any }>;

/**
 * "Total size of all environment variables: 4 KB" (Lambda quotas,
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). A reference counts at its longest
 * deployed form: a secret ARN of this app is under 100 characters, a queue URL under 120.
 */
const ENVIRONMENT_QUOTA_BYTES = 4096;
const REFERENCE_BYTES = 120;

describe.each(ENVIRONMENTS)('%s payments', (environment) => {
  const config = environmentConfig(environment);
  const template = stackTemplate(environment, 'Integrations');
  const resources = template.toJSON().Resources as Resources;
  const fn = (prefix: string) => {
    const found = Object.entries(resources).filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id));
    expect(found).toHaveLength(1);
    return { id: found[0][0], props: found[0][1].Properties };
  };
  const policyActions = (prefix: string): string[] => {
    const role = fn(prefix).props.Role['Fn::GetAtt'][0];
    return Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((ref: { Ref: string }) => ref.Ref === role))
      .flatMap((r) => r.Properties.PolicyDocument.Statement.flatMap((statement: { Action: string | string[]; Resource: unknown }) => [statement.Action].flat().map((action) => `${action} ${JSON.stringify(statement.Resource)}`)));
  };

  test('all six gateways are configured, each with its own secret that the API, checkout and expiry functions read', () => {
    expect(configuredPaymentProviders(config.integrations).sort()).toEqual(['bancard', 'khipu', 'payme', 'payu', 'tigo-money', 'webpay']);
    for (const name of configuredPaymentProviders(config.integrations)) {
      template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: `connect/${environment}/${name}`, GenerateSecretString: Match.objectLike({ GenerateStringKey: 'placeholder' }) });
    }
    const variables = fn('PaymentsCheckout').props.Environment.Variables;
    for (const name of ['KHIPU', 'WEBPAY', 'BANCARD', 'PAYU', 'PAYME', 'TIGO']) expect(variables[`${name}_SECRET_ID`]).toEqual({ Ref: expect.any(String) });
    expect(variables.PAYU_MERCHANT_ID).toBe(config.integrations.payu?.merchantId);
    expect(variables.PAYME_PUBLIC_KEY_PEM).toBe(config.integrations.payme?.publicKeyPem);
    expect(variables.PAYMENT_RESULT_URL).toBe(config.integrations.paymentResultUrl);
  });

  test('every payments function stays inside Lambda\'s 4 KB environment quota', () => {
    for (const prefix of ['PaymentsApi', 'PaymentsCheckout', 'PaymentsExpiry', 'PaymentsOutbox']) {
      const variables = fn(prefix).props.Environment.Variables as Record<string, unknown>;
      const bytes = Object.entries(variables).reduce((sum, [name, value]) => sum + name.length + (typeof value === 'string' ? Buffer.byteLength(value) : REFERENCE_BYTES), 0);
      expect([prefix, bytes < ENVIRONMENT_QUOTA_BYTES]).toEqual([prefix, true]);
    }
  });

  test('checkout writes records and reads its owner index only; the expiry job reads the work index; both read the idempotency table or nothing else', () => {
    const checkout = policyActions('PaymentsCheckout').filter((a) => a.startsWith('dynamodb:'));
    expect(checkout.some((a) => a.startsWith('dynamodb:Query') && a.includes('/index/owner-index'))).toBe(true);
    expect(checkout.some((a) => a.startsWith('dynamodb:Query') && a.includes('outbox-index'))).toBe(false);
    expect(checkout.some((a) => a.startsWith('dynamodb:PutItem'))).toBe(true);
    const expiry = policyActions('PaymentsExpiry').filter((a) => a.startsWith('dynamodb:'));
    expect(expiry.some((a) => a.startsWith('dynamodb:Query') && a.includes('/index/outbox-index'))).toBe(true);
    expect(expiry.some((a) => a.startsWith('dynamodb:PutItem') || a.startsWith('dynamodb:DeleteItem'))).toBe(false);
  });

  test('the expiry job runs on its configured schedule, one run at a time, without retrying stale ticks (its error alarm: test/alarm-coverage.test.ts)', () => {
    const expiry = fn('PaymentsExpiry');
    const minutes = config.integrations.payments.expiry.everyMinutes;
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: `rate(${minutes} minute${minutes === 1 ? '' : 's'})`,
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [expiry.id, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    expect(expiry.props.ReservedConcurrentExecutions).toBe(1);
    expect(expiry.props.Environment.Variables.EXPIRY_BATCH_LIMIT).toBe(String(config.integrations.payments.expiry.batchLimit));
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: expiry.id }, MaximumRetryAttempts: 0 });
  });

  test('checkout and my payments require a Cognito token with the payments scopes; realm users hold them', () => {
    const routes = apiRoutes(config);
    const scopes = Object.fromEntries(routes.filter((r) => r.path === '/payments' || r.path === '/payments/{id}').map((r) => [routeKey(r), r.authentication]));
    expect(scopes).toEqual({
      'POST /payments': { type: 'cognito', scopes: ['payments.create'] },
      'GET /payments': { type: 'cognito', scopes: ['payments.read'] },
      'GET /payments/{id}': { type: 'cognito', scopes: ['payments.read'] },
    });
    for (const method of synthesizedMethods(environment).filter((m) => m.path === '/payments' || m.path === '/payments/{id}')) {
      if (method.httpMethod === 'OPTIONS') continue;
      expect([method.httpMethod, method.path, method.properties.AuthorizationType]).toEqual([method.httpMethod, method.path, 'COGNITO_USER_POOLS']);
    }
    expect(config.identity.realmClients[0].scopes).toEqual(expect.arrayContaining(['payments.create', 'payments.read']));
    // The deployed request model requires what the handler requires, no more (`buyer` is optional).
    const [, model] = resourcesOfType(environment, 'AWS::ApiGateway::Model').find(([, m]) => m.Properties.Name === 'CheckoutRequest')!;
    expect([...model.Properties.Schema.required].sort()).toEqual(['amount', 'currency', 'description', 'provider']);
  });

  test('the providers\' JSON callback models accept fields beyond the ones the adapters read (providers send more)', () => {
    const models = resourcesOfType(environment, 'AWS::ApiGateway::Model').map(([, m]) => m.Properties);
    for (const name of ['BancardConfirmation', 'PaymeNotification', 'TigoMoneyCallback']) {
      const schema = models.find((m) => m.Name === name)!.Schema;
      const closed = JSON.stringify(schema).includes('"additionalProperties":false');
      expect([name, closed]).toEqual([name, false]);
    }
  });

  test('PayU confirmations are accepted only from the source IPs configured for its route; other callbacks are not restricted by source', () => {
    const [, aclResource] = resourcesOfType(environment, 'AWS::WAFv2::WebACL')[0];
    const evaluate = (sourceIp: string, uriPath: string) => evaluateWebAcl(aclResource.Properties, { method: 'POST', uriPath, sourceIp }, ipSetResolver(apiTemplateJson(environment).Resources));
    const allowed = config.api.waf.routes['POST /payments/payu/confirm']?.allowedSourceCidrs ?? [];
    // PayU's published confirmation sources (sandbox for pre-production, production for prod):
    // https://developers.payulatam.com/latam/en/docs/integrations/webcheckout-integration/confirmation-page.html
    expect(allowed).toEqual(config.kind === 'production' ? ['198.61.156.98/32', '190.216.203.233/32', '34.233.144.154/32'] : ['50.56.9.170/32', '74.205.10.14/32', '54.158.171.129/32']);
    for (const cidr of allowed) {
      expect(evaluate(cidr.split('/')[0], '/payments/payu/confirm').action).toBe('ALLOW');
      expect(evaluate(cidr.split('/')[0], '/v1/payments/payu/confirm').action).toBe('ALLOW');
    }
    expect(evaluate('100.64.7.7', '/payments/payu/confirm')).toMatchObject({ action: 'BLOCK', terminatingRule: 'SourceAllowList-POST-payments-payu-confirm' });
    for (const path of ['/payments/bancard/confirm', '/payments/payme/notify', '/payments/tigo-money/notify', '/payments/khipu/notify']) expect(evaluate('100.64.7.7', path).action).toBe('ALLOW');
  });
});
