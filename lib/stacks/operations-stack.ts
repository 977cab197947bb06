import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';
import type { MonitoredCanary } from '../constructs/monitoring/alarm-spec';
import { ApiCanary } from '../constructs/operations/api-canary';
import { EnvironmentBudget } from '../constructs/operations/environment-budget';
import { LogArchive } from '../constructs/operations/log-archive';
import { SavedQueries, type SavedQueryLogGroups } from '../constructs/operations/saved-queries';
import { WidgetsRum } from '../constructs/operations/widgets-rum';

export interface OperationsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** The API's base URL ending in "/" (what the canary calls). */
  readonly apiBaseUrl: string;
  /** The log groups each saved query reads. */
  readonly savedQueryLogGroups: SavedQueryLogGroups;
}

/**
 * The SRE's side of an environment: the log archive (every log group, Athena), saved Logs Insights queries, the
 * monthly budget, and the outside-in checks (API canary, the Widgets' real-user monitor).
 */
export class OperationsStack extends Stack {
  readonly logArchive: LogArchive;
  readonly savedQueries: SavedQueries;
  readonly budget: EnvironmentBudget;
  readonly apiCanary: ApiCanary;
  readonly rum?: WidgetsRum;
  /** What monitoring watches here. */
  readonly canaries: MonitoredCanary[];

  constructor(scope: Construct, id: string, props: OperationsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { operations } = config;
    this.logArchive = new LogArchive(this, 'LogArchive', { environment: config.name, kind: config.kind, archive: operations.logArchive, logsKey: props.logsKey, logRetention: props.logRetention });
    this.savedQueries = new SavedQueries(this, 'SavedQueries', { environment: config.name, logGroups: props.savedQueryLogGroups });
    this.budget = new EnvironmentBudget(this, 'Budget', { environment: config.name, budget: operations.budget });
    this.apiCanary = new ApiCanary(this, 'ApiCanary', {
      environment: config.name,
      canary: operations.canary,
      apiBaseUrl: props.apiBaseUrl,
      logsKey: props.logsKey,
      accessLogsBucket: this.logArchive.accessLogsBucket,
    });
    this.canaries = [this.apiCanary.monitored];
    if (operations.rum) this.rum = new WidgetsRum(this, 'Rum', { environment: config.name, rum: operations.rum });
  }
}
