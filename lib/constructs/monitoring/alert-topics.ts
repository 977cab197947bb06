import { Stack, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';

export type AlertSeverity = 'critical' | 'warning';

/**
 * The physical name of an environment's alert topic. Alarms in other stacks build the topic ARN from this plain
 * name (see `alertTopicFromName`), so no stack imports an export of the Alerting stack and it can be updated freely.
 */
export function alertTopicName(environment: string, severity: AlertSeverity): string {
  return `connect-${environment}-alerts-${severity}`;
}

/** The alert topic of this environment, referenced by ARN in the stack of `scope` (same account and region). */
export function alertTopicFromName(scope: Construct, id: string, environment: string, severity: AlertSeverity): sns.ITopic {
  const arn = Stack.of(scope).formatArn({ service: 'sns', resource: alertTopicName(environment, severity) });
  return sns.Topic.fromTopicArn(scope, id, arn);
}

export interface AlertTopicsProps {
  readonly environment: string;
  readonly alarms: EnvironmentConfig['alarms'];
  /** The Security stack's alerts key; its policy lets cloudwatch.amazonaws.com encrypt to it. */
  readonly alertsKey: kms.IKey;
}

/**
 * The two topics alarms publish to: critical (pages the on-call `alarms.emails`) and warning (to `warningEmails`,
 * else the same people). Both encrypted with the alerts key, TLS-only, publishable by CloudWatch alarms of this
 * account only; optionally relayed to a Slack or Teams channel through AWS Chatbot.
 */
export class AlertTopics extends Construct {
  readonly critical: sns.Topic;
  readonly warning: sns.Topic;
  readonly chatChannel?: chatbot.CfnSlackChannelConfiguration | chatbot.CfnMicrosoftTeamsChannelConfiguration;

  constructor(scope: Construct, id: string, props: AlertTopicsProps) {
    super(scope, id);
    const { environment, alarms } = props;
    const topic = (severity: AlertSeverity, emails: readonly string[]) => {
      const created = new sns.Topic(this, severity === 'critical' ? 'Critical' : 'Warning', {
        topicName: alertTopicName(environment, severity),
        displayName: `Connect ${environment} ${severity} alarms`,
        masterKey: props.alertsKey,
        enforceSSL: true,
      });
      // A topic policy replaces SNS's default one, so CloudWatch alarms of this account are allowed explicitly.
      created.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsOfThisAccountPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [created.topicArn],
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      );
      // AWS Budgets of this account publishes the environment's budget alerts to the warning topic
      // (https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html).
      if (severity === 'warning') {
        created.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: 'BudgetsOfThisAccountPublish',
            principals: [new iam.ServicePrincipal('budgets.amazonaws.com')],
            actions: ['sns:Publish'],
            resources: [created.topicArn],
            conditions: {
              StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
              ArnLike: { 'aws:SourceArn': `arn:${Stack.of(this).partition}:budgets::${Stack.of(this).account}:*` },
            },
          }),
        );
      }
      for (const address of emails) created.addSubscription(new subscriptions.EmailSubscription(address));
      return created;
    };
    this.critical = topic('critical', alarms.emails);
    this.warning = topic('warning', alarms.warningEmails ?? alarms.emails);

    if (alarms.chat) this.chatChannel = this.chat(environment, alarms.chat);
  }

  /**
   * The chat channel relays both topics. Its role may only read CloudWatch (to render alarm graphs in the channel),
   * and the ReadOnlyAccess guardrail caps what any channel member can run through Chatbot.
   */
  private chat(environment: string, chat: NonNullable<EnvironmentConfig['alarms']['chat']>) {
    const role = new iam.Role(this, 'ChatbotRole', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: `Connect ${environment}: AWS Chatbot reads CloudWatch alarms and metrics for the alert channel`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:Describe*', 'cloudwatch:Get*', 'cloudwatch:List*'],
        resources: ['*'],
      }),
    );
    const reason = 'CloudWatch Describe/Get/List actions do not support resource-level scoping; the role can only read alarm and metric data for the alert channel.';
    Validations.of(role).acknowledge(
      { id: 'AwsSolutions-IAM5[Resource::*]', reason },
      { id: 'AwsSolutions-IAM5[Action::cloudwatch:Describe*]', reason },
      { id: 'AwsSolutions-IAM5[Action::cloudwatch:Get*]', reason },
      { id: 'AwsSolutions-IAM5[Action::cloudwatch:List*]', reason },
      { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: 'The read-only CloudWatch policy belongs to this one Chatbot role and to nothing else.' },
      { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason: 'The read-only CloudWatch policy belongs to this one Chatbot role and to nothing else.' },
    );
    const common = {
      configurationName: `connect-${environment}-alerts`,
      iamRoleArn: role.roleArn,
      snsTopicArns: [this.critical.topicArn, this.warning.topicArn],
      guardrailPolicies: [`arn:${Stack.of(this).partition}:iam::aws:policy/ReadOnlyAccess`],
      loggingLevel: 'ERROR',
    };
    if (chat.type === 'slack') {
      return new chatbot.CfnSlackChannelConfiguration(this, 'SlackChannel', { ...common, slackWorkspaceId: chat.workspaceId, slackChannelId: chat.channelId });
    }
    return new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, 'TeamsChannel', {
      ...common,
      teamId: chat.teamId,
      teamsChannelId: chat.channelId,
      teamsTenantId: chat.tenantId,
    });
  }
}
