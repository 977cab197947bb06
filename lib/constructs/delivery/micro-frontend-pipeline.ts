import { Duration, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { MicroFrontendPipelineConfig } from '../../config/delivery';
import type { EnvironmentConfig } from '../../config/schema';
import { microFrontendBuildSpec, microFrontendPublishSpec } from './buildspecs';
import { approveBeforeProduction, BUILD_IMAGE, type DeliveryFoundation } from './delivery-foundation';
import { PipelineSource } from './pipeline-source';

export interface MicroFrontendPipelineProps {
  readonly config: MicroFrontendPipelineConfig;
  readonly foundation: DeliveryFoundation;
  /** The environments with a site for this widget, in promotion order (pre-production first). */
  readonly environments: readonly EnvironmentConfig[];
  /** Environment name → the secret holding the Modyo API token of that environment's Modyo account. */
  readonly modyoTokens: Readonly<Record<string, secretsmanager.ISecret>>;
}

export function microFrontendPipelineName(name: string): string {
  return `connect-widget-${name}`;
}

/**
 * A micro frontend's pipeline: source → build (`npm ci`, tests, build, once) → publish to each environment's Modyo
 * site in promotion order with the Modyo CLI, a manual approval before production. Each publish step reads only its
 * environment's token, from Secrets Manager through the buildspec (never a command argument, never printed).
 */
export class MicroFrontendPipeline extends Construct {
  readonly pipeline: codepipeline.Pipeline;
  readonly buildProject: codebuild.PipelineProject;
  readonly publishProjects: Record<string, codebuild.PipelineProject> = {};

  constructor(scope: Construct, id: string, props: MicroFrontendPipelineProps) {
    super(scope, id);
    const { config, foundation } = props;
    const source = new PipelineSource(this, 'Source', { source: config.source, foundation, description: `Connect micro frontend ${config.name} (Modyo widget ${config.widgetName})` });
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: microFrontendPipelineName(config.name),
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: foundation.artifactBucket(this, 'Artifacts'),
    });
    const sourceOutput = new codepipeline.Artifact('Source');
    const built = new codepipeline.Artifact('Widget');
    this.pipeline.addStage({ stageName: 'Source', actions: [source.sourceAction(sourceOutput).action] });

    const environment: codebuild.BuildEnvironment = { buildImage: BUILD_IMAGE, computeType: codebuild.ComputeType.SMALL };
    this.buildProject = new codebuild.PipelineProject(this, 'Build', {
      description: `Connect micro frontend ${config.name}: npm ci, tests, build`,
      buildSpec: codebuild.BuildSpec.fromObject(microFrontendBuildSpec({ buildDirectory: config.buildDirectory })),
      environment,
      encryptionKey: foundation.artifactsKey,
      logging: foundation.logging(`widget-${config.name}/build`),
      timeout: Duration.minutes(30),
    });
    this.pipeline.addStage({ stageName: 'Build', actions: [new actions.CodeBuildAction({ actionName: 'TestAndBuild', project: this.buildProject, input: sourceOutput, outputs: [built] })] });

    for (const env of props.environments) {
      approveBeforeProduction(this.pipeline, env, `Publish ${config.widgetName} to ${env.name}: the pre-production sites run this build`);
      const token = props.modyoTokens[env.name];
      const project = new codebuild.PipelineProject(this, `Publish-${env.name}`, {
        description: `Connect micro frontend ${config.name}: publish ${config.widgetName} to Modyo site ${config.sites[env.name]} of ${env.name}`,
        buildSpec: codebuild.BuildSpec.fromObject(
          microFrontendPublishSpec({
            widgetName: config.widgetName,
            environment: env.name,
            accountUrl: env.modyo.accountUrl,
            siteId: config.sites[env.name],
            modyoVersion: config.modyoVersion,
            buildDirectory: config.buildDirectory,
            publish: config.publish,
            tokenSecretArn: token.secretArn,
          }),
        ),
        environment,
        encryptionKey: foundation.artifactsKey,
        logging: foundation.logging(`widget-${config.name}/publish-${env.name}`),
        timeout: Duration.minutes(15),
      });
      // Only this environment's token (and its key, through the grant).
      token.grantRead(project);
      this.publishProjects[env.name] = project;
      this.pipeline.addStage({ stageName: `Publish-${env.name}`, actions: [new actions.CodeBuildAction({ actionName: 'Publish', project, input: built })] });
    }
    foundation.notify(this.pipeline);
    const inline = 'CDK-generated inline policies of this pipeline\'s own roles (source, build, publish, approval), each scoped to its artifact bucket, key, log group and, for a publish step, the one Modyo token of its environment.';
    Validations.of(this).acknowledge({ id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: inline }, { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason: inline });
  }
}
