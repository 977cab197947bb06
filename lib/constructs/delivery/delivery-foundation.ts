import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { AlarmThresholds } from '../../config/alarms';
import type { DeliveryConfig } from '../../config/delivery';
import { AlertTopics } from '../monitoring/alert-topics';
import { ConnectKey } from '../connect-key';
import { AccessLogsBucket, SecureBucket } from '../secure-bucket';

/** The name the delivery side goes by where an environment name would be (alert topics, aliases). */
export const DELIVERY = 'delivery';

/** CodeBuild image of every delivery build: Ubuntu standard 7.0 (Node 20 and 22, Docker, AWS CLI v2, jq). */
export const BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0;

/**
 * The manual approval a pipeline waits on before it releases to a production environment (its `Approve` stage; the
 * foundation's `notify` sends the wait to the warning topic). Nothing before a pre-production environment.
 */
export function approveBeforeProduction(pipeline: codepipeline.Pipeline, environment: { readonly name: string; readonly kind: string }, additionalInformation: string): void {
  if (environment.kind !== 'production') return;
  pipeline.addStage({ stageName: 'Approve', actions: [new actions.ManualApprovalAction({ actionName: `PromoteTo-${environment.name}`, additionalInformation })] });
}

export interface DeliveryFoundationProps {
  readonly config: DeliveryConfig;
}

/**
 * What every pipeline of the tooling account shares, each secure default once: KMS keys per class of data (artifacts
 * and repositories, build logs, notification topics, Modyo tokens), the access-log bucket, the build log group
 * (encrypted, retained), and the two alert topics pipelines notify: failures to `critical`, approvals waiting and
 * pull requests to `warning`.
 */
export class DeliveryFoundation extends Construct {
  readonly artifactsKey: kms.Key;
  readonly logsKey: ConnectKey;
  readonly secretsKey: kms.Key;
  readonly notificationsKey: kms.Key;
  readonly accessLogs: AccessLogsBucket;
  readonly buildLogs: logs.LogGroup;
  readonly deployHelperLogs: logs.LogGroup;
  readonly topics: AlertTopics;

  constructor(scope: Construct, id: string, props: DeliveryFoundationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // The tooling account is held to production's rules: keys kept, 30 days before deletion.
    const key = (name: string, description: string) =>
      new ConnectKey(this, `${name[0].toUpperCase()}${name.slice(1)}Key`, {
        alias: `alias/connect/${DELIVERY}/${name}`,
        description: `Connect ${DELIVERY}: ${description}`,
        production: true,
      });
    this.artifactsKey = key('artifacts', 'pipeline artifacts, build outputs and CodeCommit repositories');
    this.logsKey = key('logs', 'CodeBuild logs');
    this.secretsKey = key('secrets', 'Modyo CLI tokens');
    this.notificationsKey = key('notifications', 'SNS topics of pipeline failures and approvals');
    this.logsKey.allowLogGroupsOfThisAccount('CloudWatchLogsOfThisAccount');
    // CodeStar Notifications publishes to an encrypted topic only when the key lets it
    // (https://docs.aws.amazon.com/dtconsole/latest/userguide/set-up-sns.html).
    this.notificationsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CodeStarNotificationsPublish',
        principals: [new iam.ServicePrincipal('codestar-notifications.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `sns.${stack.region}.amazonaws.com` } },
      }),
    );

    this.accessLogs = new AccessLogsBucket(this, 'AccessLogsBucket', { retain: true, expireAfterDays: 365 });
    this.buildLogs = new logs.LogGroup(this, 'BuildLogs', {
      logGroupName: `/connect/${DELIVERY}/builds`,
      retention: props.config.logRetentionDays as logs.RetentionDays,
      encryptionKey: this.logsKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The deploy-time helper of the CodeCommit approval rule templates (AwsCustomResource) logs here.
    this.deployHelperLogs = new logs.LogGroup(this, 'DeployHelperLogs', {
      retention: props.config.logRetentionDays as logs.RetentionDays,
      encryptionKey: this.logsKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.topics = new AlertTopics(this, 'Topics', {
      environment: DELIVERY,
      alarms: { ...props.config.notifications, thresholds: AlarmThresholds.parse({}) },
      alertsKey: this.notificationsKey,
    });
  }

  /** A pipeline's artifact store: KMS (the artifacts key), versioned, TLS-only, access-logged, artifacts expire. */
  artifactBucket(scope: Construct, id: string): SecureBucket {
    return new SecureBucket(scope, id, { encryptionKey: this.artifactsKey, accessLogsBucket: this.accessLogs, retain: false, expireAfterDays: 90, noncurrentVersionDays: 7 });
  }

  /** Where a CodeBuild project logs: the retained, encrypted build log group, one stream prefix per project. */
  logging(prefix: string): codebuild.LoggingOptions {
    return { cloudWatch: { logGroup: this.buildLogs, prefix } };
  }

  /** Failures to the critical topic, approvals waiting to the warning topic (CodeStar Notifications rules). */
  notify(pipeline: codepipeline.IPipeline): void {
    pipeline.notifyOn('Failures', this.topics.critical, { events: [codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED] });
    pipeline.notifyOn('Approvals', this.topics.warning, { events: [codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_NEEDED] });
  }

  /**
   * Every CodeBuild project under `scope` encrypts its outputs with the artifacts key (CDK Pipelines creates its
   * projects without one, which would leave them on the AWS managed key).
   */
  encryptProjects(scope: IConstruct): void {
    for (const child of scope.node.findAll()) {
      if (child instanceof codebuild.CfnProject) child.encryptionKey = this.artifactsKey.keyArn;
    }
  }
}
