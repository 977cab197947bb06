import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { HttpCallLimits } from '../../../lambda/shared/outbound-limits';
import type { IntegrationSecret } from '../integration-secret';
import { IntegrationFeature, type IntegrationFeatureProps, thirdPartyRotation } from './integration-feature';

/** Consumers that call Modyo or the CRM: three tries of 5 s with backoff per message, a few messages per batch. */
export const HTTP_WORKER_TIMEOUT = Duration.seconds(60);
/** Their Modyo admin API / CRM calls: 3 x 5 s + 2 x 3 s backoff = 21 s at most, well inside the 60 s (checked by ConnectFunction). */
export const HTTP_WORKER_CALLS: HttpCallLimits = { timeoutMs: 5_000, maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 3_000 };
export const HTTP_WORKER_BATCH = 5;

/**
 * The Modyo admin API as the integration functions reach it: the account's admin token (a secret Modyo issues) and
 * the environment every caller reads (ModyoAdminEnv: account URL, token secret, routes from config, checked at
 * synth by the handlers' own parser).
 *
 * Secret: connect/<env>/modyo-admin-token {"token"} (or the bare token).
 */
export class ModyoAdminAccess extends IntegrationFeature {
  readonly tokenSecret: IntegrationSecret;

  constructor(scope: Construct, id: string, props: IntegrationFeatureProps) {
    super(scope, id, props);
    this.tokenSecret = this.secret('Token', 'modyo-admin-token', {
      description: 'Modyo admin API token: {"token"} (or the bare token). Put the real value with put-secret-value.',
      generateKey: 'placeholder',
      rotation: thirdPartyRotation('the Modyo platform (an admin API token of the account)'),
    });
  }

  /** The variables of ModyoAdminEnv, for a caller's contractEnvironment. */
  get environment(): { MODYO_BASE_URL: string; MODYO_TOKEN_SECRET_ID: string; MODYO_ADMIN_ROUTES?: string } {
    const { modyo } = this.config;
    const routes = { ...modyo.adminApiRoutes, ...(modyo.messagingPath ? { messagingDeliveries: modyo.messagingPath } : {}) };
    return {
      MODYO_BASE_URL: modyo.accountUrl,
      MODYO_TOKEN_SECRET_ID: this.tokenSecret.secretArn,
      ...(Object.keys(routes).length > 0 ? { MODYO_ADMIN_ROUTES: JSON.stringify(routes) } : {}),
    };
  }

  /** Lets a caller read the token. */
  grantCall(grantee: iam.IGrantable): void {
    this.tokenSecret.grantRead(grantee);
  }
}
