import * as budgets from 'aws-cdk-lib/aws-budgets';
import { Construct } from 'constructs';
import type { OperationsConfig } from '../../config/operations';
import { alertTopicFromName } from '../monitoring/alert-topics';

export interface EnvironmentBudgetProps {
  readonly environment: string;
  readonly budget: OperationsConfig['budget'];
}

/** The cost allocation tag a tag-scoped budget filters on (set on every resource by the Stage). */
export const ENVIRONMENT_TAG = 'connect:environment';

/**
 * The environment's monthly cost budget: actual spend and the month's forecast alert the warning topic at the
 * configured percentages. The topic's policy lets budgets.amazonaws.com of this account publish and the alerts key
 * lets it encrypt (lib/constructs/monitoring/alert-topics.ts, lib/stacks/security-stack.ts). Scoped to the account, or
 * to the environment's cost allocation tag (`user:connect:environment$<env>`) where accounts are shared.
 */
export class EnvironmentBudget extends Construct {
  readonly budget: budgets.CfnBudget;

  constructor(scope: Construct, id: string, props: EnvironmentBudgetProps) {
    super(scope, id);
    const { budget, environment } = props;
    const topicArn = alertTopicFromName(this, 'WarningTopic', environment, 'warning').topicArn;
    const notification = (notificationType: 'ACTUAL' | 'FORECASTED', threshold: number): budgets.CfnBudget.NotificationWithSubscribersProperty => ({
      notification: { notificationType, comparisonOperator: 'GREATER_THAN', threshold, thresholdType: 'PERCENTAGE' },
      subscribers: [{ subscriptionType: 'SNS', address: topicArn }],
    });
    this.budget = new budgets.CfnBudget(this, 'Budget', {
      budget: {
        budgetName: `connect-${environment}-monthly`,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: budget.monthlyUsd, unit: 'USD' },
        costFilters: budget.scope === 'environment-tag' ? { TagKeyValue: [`user:${ENVIRONMENT_TAG}$${environment}`] } : undefined,
      },
      notificationsWithSubscribers: [...budget.actualPercent.map((p) => notification('ACTUAL', p)), ...budget.forecastPercent.map((p) => notification('FORECASTED', p))],
    });
  }
}
