import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';
import { AlertTopics } from '../constructs/monitoring/alert-topics';

export interface AlertingStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly alertsKey: kms.IKey;
}

/**
 * Where the environment's alarms go: a critical and a warning SNS topic (e-mail, optional chat). Deployed right
 * after Security; every other stack's alarms address these topics by their fixed names, not by exports.
 */
export class AlertingStack extends Stack {
  readonly criticalTopic: sns.Topic;
  readonly warningTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertingStackProps) {
    super(scope, id, props);
    const topics = new AlertTopics(this, 'Alerts', { environment: props.config.name, alarms: props.config.alarms, alertsKey: props.alertsKey });
    this.criticalTopic = topics.critical;
    this.warningTopic = topics.warning;
  }
}
