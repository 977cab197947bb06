import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * CloudWatch Logs Insights saved queries for the investigations an SRE runs most, each scoped to the log groups that
 * hold its answer and written with the field names those log groups carry: the handlers' Powertools JSON lines
 * (lambda/shared/logger.ts: `level`, `message`, and the keys each handler logs), the API access log's format
 * (lib/constructs/api/rest-api.ts) and WAF's log record (https://docs.aws.amazon.com/waf/latest/developerguide/logging-fields.html).
 * A saved query takes no parameters: the value to look for is a placeholder (`REPLACE-…`) to overwrite before running.
 */

/** Which log groups a saved query reads, by what they hold. */
export type SavedQuerySource = 'webhookEvents' | 'payments' | 'notifications' | 'apiAccess' | 'waf' | 'smokeTests';

export type SavedQueryLogGroups = Readonly<Record<SavedQuerySource, readonly logs.ILogGroup[]>>;

export interface SavedQuerySpec {
  /** The last part of its name: `connect/<env>/<id>` (the console shows `connect/<env>` as a folder). */
  readonly id: string;
  readonly source: SavedQuerySource;
  /** The field it looks a value up by (a key the handlers log), if it looks one up. */
  readonly lookupField?: string;
  readonly query: string;
}

export const SAVED_QUERIES: readonly SavedQuerySpec[] = [
  {
    id: 'webhook-by-event-id',
    source: 'webhookEvents',
    lookupField: 'eventId',
    // The receiver logs eventId/eventType/outcome; the CRM forwarder and identity provisioning log eventId/type.
    query: [
      'fields @timestamp, @log, level, message, eventId, eventType, type, outcome, messageId, function_request_id',
      '| filter eventId = "REPLACE-WITH-EVENT-ID" or newerEventId = "REPLACE-WITH-EVENT-ID"',
      '| sort @timestamp asc',
    ].join('\n'),
  },
  {
    id: 'payment-by-payment-id',
    source: 'payments',
    lookupField: 'paymentId',
    query: [
      'fields @timestamp, @log, level, message, provider, paymentId, outcome, status, providerStatus, problem, error',
      '| filter paymentId = "REPLACE-WITH-PAYMENT-ID"',
      '| sort @timestamp asc',
    ].join('\n'),
  },
  {
    id: 'notifications-of-user',
    source: 'notifications',
    lookupField: 'recipientId',
    // The delivery worker logs each delivery with its recipient (the Modyo user id).
    query: [
      'fields @timestamp, level, message, notificationId, deliveryId, channel, status, attempts',
      '| filter recipientId = "REPLACE-WITH-MODYO-USER-ID"',
      '| sort @timestamp desc',
      '| limit 200',
    ].join('\n'),
  },
  {
    id: 'api-5xx-by-route',
    source: 'apiAccess',
    query: ['filter status >= 500', '| stats count(*) as errors, max(responseLatency) as maxLatencyMs by httpMethod, resourcePath, status, errorType', '| sort errors desc'].join('\n'),
  },
  {
    id: 'waf-blocks-by-ip',
    source: 'waf',
    query: ['filter action = "BLOCK"', '| stats count(*) as blocked by httpRequest.clientIp, httpRequest.country, terminatingRuleId', '| sort blocked desc', '| limit 100'].join('\n'),
  },
  {
    id: 'smoke-test-of-deployment',
    source: 'smokeTests',
    lookupField: 'executionId',
    // The smoke-test hook logs one "Smoke test finished" line per deployment with its verdict and checks.
    query: [
      'fields @timestamp, level, message, hookStatus, lifecycleStage, serviceArn, targetServiceRevisionArn, reason',
      '| filter executionId = "REPLACE-WITH-DEPLOYMENT-EXECUTION-ID" or targetServiceRevisionArn like "REPLACE-WITH-DEPLOYMENT-EXECUTION-ID"',
      '| sort @timestamp asc',
    ].join('\n'),
  },
];

export interface SavedQueriesProps {
  readonly environment: string;
  readonly logGroups: SavedQueryLogGroups;
}

/** One AWS::Logs::QueryDefinition per saved query whose log groups exist in the environment (written whole, hence L1). */
export class SavedQueries extends Construct {
  readonly definitions: logs.CfnQueryDefinition[] = [];

  constructor(scope: Construct, id: string, props: SavedQueriesProps) {
    super(scope, id);
    for (const spec of SAVED_QUERIES) {
      const logGroups = props.logGroups[spec.source];
      if (logGroups.length === 0) continue;
      this.definitions.push(
        new logs.CfnQueryDefinition(this, spec.id, {
          name: `connect/${props.environment}/${spec.id}`,
          queryString: spec.query,
          logGroupNames: logGroups.map((group) => group.logGroupName),
        }),
      );
    }
  }
}
