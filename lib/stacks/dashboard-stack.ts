import { Duration, Stack, type StackProps, ArnFormat } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { MonitoredAlarm, Monitoring, MonitoringSection } from '../constructs/monitoring/monitoring';

export interface DashboardStackProps extends StackProps {
  readonly environment: string;
  /** Every alarm builder of the environment (each stack's, each blue/green service's); only their alarm names (plain strings) are read. */
  readonly monitorings: readonly Monitoring[];
  /** The Widgets' CloudWatch RUM app monitor, by name: its front-end errors and latency are graphed. */
  readonly rumAppMonitorName?: string;
}

const SECTIONS: readonly MonitoringSection[] = ['Outside-in', 'API', 'WAF', 'Handlers', 'Queues', 'Services', 'Identity', 'Network', 'Data'];

/**
 * One CloudWatch dashboard per environment, deployed last: per area (API, WAF, handlers, queues, services, identity,
 * network) the state of every alarm at a glance and the graphs of the headline ones. Alarms are addressed by their
 * fixed names, so this stack imports no export and never blocks a change to the stacks it shows.
 */
export class DashboardStack extends Stack {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardStackProps) {
    super(scope, id, props);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `connect-${props.environment}`,
      defaultInterval: undefined,
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Connect ${props.environment}\nAlarms by area: red is in alarm. Each alarm's description says what to do first.`,
        width: 24,
        height: 2,
      }),
    );
    const alarms = props.monitorings.flatMap((monitoring) => {
      this.addStackDependency(Stack.of(monitoring), 'the dashboard shows its alarms');
      return monitoring.alarms;
    });
    for (const section of SECTIONS) {
      const inSection = alarms.filter((alarm) => alarm.section === section);
      if (inSection.length === 0) continue;
      this.dashboard.addWidgets(
        new cloudwatch.AlarmStatusWidget({
          title: `${section}: alarm states`,
          alarms: inSection.map((alarm) => this.alarmByName(alarm)),
          width: 24,
          height: Math.min(2 + Math.ceil(inSection.length / 4), 8),
        }),
      );
      const graphs = inSection.filter((alarm) => alarm.headline).map((alarm) => new cloudwatch.AlarmWidget({ title: alarm.alarmName, alarm: this.alarmByName(alarm), width: 8, height: 6 }));
      if (graphs.length > 0) this.dashboard.addWidgets(...graphs);
    }
    if (props.rumAppMonitorName) this.addRumWidgets(props.rumAppMonitorName);
  }

  /**
   * The Widgets as their users see them (CloudWatch RUM, namespace AWS/RUM by application_name,
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-metrics.html): JavaScript and HTTP
   * errors, and page load time.
   */
  private addRumWidgets(appMonitorName: string): void {
    const rum = (metricName: string, statistic: string, label: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/RUM', metricName, dimensionsMap: { application_name: appMonitorName }, statistic, label, period: Duration.minutes(5) });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: `## Widgets (real users)\nCloudWatch RUM app monitor \`${appMonitorName}\`: JavaScript and HTTP errors, page load, sessions.`, width: 24, height: 1 }),
      new cloudwatch.GraphWidget({ title: 'Widgets: errors', left: [rum('JsErrorCount', 'Sum', 'JavaScript errors'), rum('HttpErrorCount', 'Sum', 'HTTP errors')], width: 8, height: 6 }),
      new cloudwatch.GraphWidget({ title: 'Widgets: page load (ms)', left: [rum('PerformanceNavigationDuration', 'p90', 'p90 page load'), rum('PerformanceNavigationDuration', 'p50', 'p50 page load')], width: 8, height: 6 }),
      new cloudwatch.GraphWidget({ title: 'Widgets: sessions and page views', left: [rum('SessionCount', 'Sum', 'sessions'), rum('PageViewCount', 'Sum', 'page views')], width: 8, height: 6 }),
    );
  }

  private alarmByName(alarm: MonitoredAlarm): cloudwatch.IAlarm {
    const id = `Alarm-${alarm.alarmName}`;
    const existing = this.node.tryFindChild(id) as cloudwatch.IAlarm | undefined;
    return (
      existing ??
      cloudwatch.Alarm.fromAlarmArn(this, id, this.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: alarm.alarmName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }))
    );
  }
}
