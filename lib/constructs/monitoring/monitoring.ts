import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import type { AlarmThresholds } from '../../config/schema';
import type { AlarmKind, MonitoredResources, MonitoringSection, ResourceKind } from './alarm-spec';
import { ALARM_TABLE } from './alarm-table';
import { type AlertSeverity, alertTopicFromName } from './alert-topics';

export type { MonitoredResources, MonitoringSection } from './alarm-spec';

/** What the dashboard needs to know about an alarm: plain strings only, so the dashboard imports no exports. */
export interface MonitoredAlarm {
  readonly alarmName: string;
  readonly section: MonitoringSection;
  readonly severity: AlertSeverity;
  /** Graphed on the dashboard, not only listed in the status grid. */
  readonly headline: boolean;
}

export interface MonitoringProps extends MonitoredResources {
  /** Environment name: prefixes every alarm name and is named in every description. */
  readonly environment: string;
  readonly thresholds: AlarmThresholds;
}

/** The NAT gateways of a VPC (CDK creates them inside the public subnets and exposes no list). */
export function natGatewaysOf(vpc: ec2.IVpc): ec2.CfnNatGateway[] {
  return vpc.node.findAll().filter((child): child is ec2.CfnNatGateway => child instanceof ec2.CfnNatGateway);
}

/**
 * The builder of the alarm table (./alarm-table.ts): the alarms of resources handed over by kind, created IN the
 * stack of this construct so every dimension is a local reference (a resource of another stack is refused). Every
 * alarm is named `<environment>-<stack>-<resource>-<suffix>`, described as `Connect <environment> (<severity>): <what
 * it means>. First: <what to do>.`, and notifies the alert topic of its severity (critical ones also when they clear).
 * One per stack, added by the Stage; a construct that needs its alarms while it is built (the blue/green service)
 * makes its own. The dashboard shows the alarms of every instance.
 */
export class Monitoring extends Construct {
  /** Every alarm built here, for the dashboard. */
  readonly alarms: MonitoredAlarm[] = [];
  private readonly environment: string;
  private readonly thresholds: AlarmThresholds;
  private readonly topics: Record<AlertSeverity, sns.ITopic>;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.environment = props.environment;
    this.thresholds = props.thresholds;
    // Topics by ARN built from their names, and no dependency on the Alerting stack either: CloudWatch accepts an
    // action ARN before the topic exists, and a dependency would tie every stack's deploy order to it.
    this.topics = {
      critical: alertTopicFromName(this, 'CriticalTopic', props.environment, 'critical'),
      warning: alertTopicFromName(this, 'WarningTopic', props.environment, 'warning'),
    };
    this.watch(props);
  }

  /** Adds the alarms of the table's rows for each resource, kind by kind in the table's order; returns them. */
  watch(resources: MonitoredResources): cloudwatch.Alarm[] {
    return (Object.keys(ALARM_TABLE) as ResourceKind[]).flatMap((kind) =>
      (resources[kind] ?? []).flatMap((resource) => this.alarmsOf(ALARM_TABLE[kind] as AlarmKind<unknown>, resource)),
    );
  }

  private alarmsOf<R>(kind: AlarmKind<R>, resource: R): cloudwatch.Alarm[] {
    const subject = kind.subject?.(resource) ?? (resource as IConstruct);
    if (Stack.of(subject) !== Stack.of(this)) {
      throw new Error(`${subject.node.path} belongs to another stack: monitor it in the stack that owns it, so the alarm needs no cross-stack reference`);
    }
    const name = label(subject);
    const t = this.thresholds;
    return kind.alarms.map((spec) => {
      const alarmName = `${this.environment}-${Stack.of(this).node.id}-${name}-${spec.suffix}`;
      const evaluationPeriods = spec.evaluationPeriods;
      const alarm = new cloudwatch.Alarm(this, alarmName, {
        alarmName,
        alarmDescription: `Connect ${this.environment} (${spec.severity}): ${spec.meaning(name, t, resource)}. First: ${spec.firstAction}.`,
        metric: spec.metric(resource, { statistic: spec.statistic, period: spec.period }),
        threshold: typeof spec.threshold === 'number' ? spec.threshold : spec.threshold(t, resource),
        comparisonOperator: spec.comparison,
        evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm ?? evaluationPeriods,
        treatMissingData: spec.treatMissingData,
      });
      const topic = new actions.SnsAction(this.topics[spec.severity]);
      alarm.addAlarmAction(topic);
      // The on-call is told when a critical alarm clears; warnings only when they fire, unless the row says otherwise.
      if (spec.notifyOk ?? spec.severity === 'critical') alarm.addOkAction(topic);
      this.alarms.push({ alarmName, section: spec.section, severity: spec.severity, headline: spec.headline ?? false });
      return alarm;
    });
  }
}

/** A resource's construct path inside its stack, dash-joined: stable, plain and unique within the stack. */
function label(resource: IConstruct): string {
  const stackPath = Stack.of(resource).node.path;
  return resource.node.path
    .slice(stackPath.length + 1)
    .split('/')
    .filter((part) => part !== 'Resource')
    .join('-')
    .replace(/[^A-Za-z0-9_.-]/g, '');
}
