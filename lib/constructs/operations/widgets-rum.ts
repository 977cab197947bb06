import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rum from 'aws-cdk-lib/aws-rum';
import { Construct } from 'constructs';
import type { OperationsConfig } from '../../config/operations';

/** The RUM app monitor's name: the dashboard reads its metrics by it (dimension application_name). */
export function rumAppMonitorName(environment: string): string {
  return `connect-${environment}-widgets`;
}

/** The version of the CloudWatch RUM web client the snippet loads. */
export const RUM_WEB_CLIENT_VERSION = '1.x';

export interface WidgetsRumProps {
  readonly environment: string;
  readonly rum: NonNullable<OperationsConfig['rum']>;
}

/**
 * CloudWatch RUM for the Widgets' pages on the Modyo site (`rum.domain`): an app monitor collecting JavaScript errors,
 * page performance and HTTP calls, with the Cognito identity pool and guest role its web client needs to send events
 * without a sign-in (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-RUM-get-started-authorization.html).
 * The guest role may only rum:PutRumEvents on this monitor. The web client's values (and a ready snippet) are outputs.
 */
export class WidgetsRum extends Construct {
  readonly appMonitor: rum.CfnAppMonitor;
  readonly identityPool: cognito.CfnIdentityPool;
  readonly guestRole: iam.Role;

  constructor(scope: Construct, id: string, props: WidgetsRumProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const name = rumAppMonitorName(props.environment);
    this.identityPool = new cognito.CfnIdentityPool(this, 'IdentityPool', {
      identityPoolName: `connect_${props.environment.replace(/-/g, '_')}_rum`,
      allowUnauthenticatedIdentities: true,
      allowClassicFlow: false,
    });
    Validations.of(this.identityPool).acknowledge({
      id: 'AwsSolutions-COG7',
      reason: 'CloudWatch RUM\'s web client sends events from visitors\' browsers before and without any sign-in: unauthenticated identities are how RUM authorizes it, and their guest role may only put RUM events to this app monitor.',
    });
    this.guestRole = new iam.Role(this, 'GuestRole', {
      description: `Connect ${props.environment}: browsers on ${props.rum.domain} send RUM events`,
      assumedBy: new iam.FederatedPrincipal(
        'cognito-identity.amazonaws.com',
        { StringEquals: { 'cognito-identity.amazonaws.com:aud': this.identityPool.ref }, 'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'unauthenticated' } },
        'sts:AssumeRoleWithWebIdentity',
      ),
    });
    // Built from the name, so the role and the monitor do not reference each other.
    const appMonitorArn = stack.formatArn({ service: 'rum', resource: 'appmonitor', resourceName: name });
    this.guestRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['rum:PutRumEvents'], resources: [appMonitorArn] }));
    const inline = 'One statement for this guest role only: rum:PutRumEvents on this app monitor.';
    Validations.of(this.guestRole).acknowledge({ id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: inline }, { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason: inline });
    new cognito.CfnIdentityPoolRoleAttachment(this, 'Roles', { identityPoolId: this.identityPool.ref, roles: { unauthenticated: this.guestRole.roleArn } });

    const telemetries = ['errors', 'performance', 'http'];
    this.appMonitor = new rum.CfnAppMonitor(this, 'AppMonitor', {
      name,
      domain: props.rum.domain,
      // Metrics only (AWS/RUM): the dashboard reads them; no copy of every event in CloudWatch Logs.
      cwLogEnabled: false,
      appMonitorConfiguration: {
        identityPoolId: this.identityPool.ref,
        guestRoleArn: this.guestRole.roleArn,
        sessionSampleRate: props.rum.sessionSampleRate,
        telemetries,
        allowCookies: true,
        enableXRay: false,
      },
    });

    const endpoint = `https://dataplane.rum.${stack.region}.amazonaws.com`;
    const clientConfig = { sessionSampleRate: props.rum.sessionSampleRate, identityPoolId: this.identityPool.ref, guestRoleArn: this.guestRole.roleArn, endpoint, telemetries, allowCookies: true, enableXRay: false };
    new CfnOutput(this, 'RumAppMonitorId', { description: 'CloudWatch RUM app monitor id of the Widgets (aws-rum-web applicationId)', value: this.appMonitor.attrId });
    new CfnOutput(this, 'RumWebClientConfig', { description: 'aws-rum-web configuration of the Widgets\' pages', value: stack.toJsonString(clientConfig) });
    // The npm form of the snippet (aws-rum-web): `new AwsRum(applicationId, applicationVersion, region, config)`.
    new CfnOutput(this, 'RumSnippet', {
      description: `Paste into the Widgets' page layout on ${props.rum.domain} (aws-rum-web ${RUM_WEB_CLIENT_VERSION})`,
      value: `import { AwsRum } from 'aws-rum-web'; new AwsRum('${this.appMonitor.attrId}', '1.0.0', '${stack.region}', ${stack.toJsonString(clientConfig)});`,
    });
  }
}
