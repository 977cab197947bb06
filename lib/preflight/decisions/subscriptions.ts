/** 8. e-mail subscriptions: every alert address is subscribed and confirmed. */
import type { EnvironmentConfig } from '../../config/schema';
import { alertTopicName, type AlertSeverity } from '../../constructs/monitoring/alert-topics';
import { CHECKS, type CheckResult, checkResult, type Finding } from './check';

export interface AlertTopicReference {
  readonly severity: AlertSeverity;
  readonly arn: string;
  readonly emails: readonly string[];
}

/** The alert topics and their e-mail addresses, named as lib/constructs/monitoring/alert-topics.ts names them. */
export function alertTopics(config: Pick<EnvironmentConfig, 'name' | 'account' | 'region' | 'alarms'>): AlertTopicReference[] {
  const arn = (severity: AlertSeverity) => `arn:aws:sns:${config.region}:${config.account}:${alertTopicName(config.name, severity)}`;
  return [
    { severity: 'critical', arn: arn('critical'), emails: config.alarms.emails },
    { severity: 'warning', arn: arn('warning'), emails: config.alarms.warningEmails ?? config.alarms.emails },
  ];
}

export interface SubscriptionObservation {
  readonly protocol: string;
  readonly endpoint: string;
  /** `PendingConfirmation` until the address confirms (ListSubscriptionsByTopic). */
  readonly subscriptionArn: string;
}

/**
 * ListSubscriptionsByTopic shows an e-mail subscription the address has not confirmed with SubscriptionArn
 * `PendingConfirmation` (https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html); such an
 * address receives no alarm. Before the first deploy the topics do not exist: each address gets its confirmation
 * e-mail when the deploy subscribes it.
 */
export function decideSubscriptions(topics: readonly AlertTopicReference[], observed: ReadonlyMap<string, readonly SubscriptionObservation[] | undefined>): CheckResult {
  const findings: Finding[] = [];
  for (const topic of topics) {
    const subscriptions = observed.get(topic.arn);
    if (!subscriptions) {
      findings.push({ ok: true, text: `${topic.severity}: topic created by the deploy; ${topic.emails.join(', ')} must confirm the e-mail AWS sends then` });
      continue;
    }
    for (const email of topic.emails) {
      const subscription = subscriptions.find((s) => s.protocol === 'email' && s.endpoint.toLowerCase() === email.toLowerCase());
      if (!subscription) findings.push({ ok: false, text: `${topic.severity}: ${email} is not subscribed (unsubscribed, or the confirmation expired)`, fix: `aws sns subscribe --topic-arn ${topic.arn} --protocol email --notification-endpoint ${email}, then confirm` });
      else if (subscription.subscriptionArn === 'PendingConfirmation') findings.push({ ok: false, text: `${topic.severity}: ${email} has not confirmed its subscription`, fix: `${email} opens "AWS Notification - Subscription Confirmation" and clicks Confirm subscription` });
      else findings.push({ ok: true, text: `${topic.severity}: ${email} confirmed` });
    }
  }
  return checkResult(CHECKS.subscriptions, findings);
}
