import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { ServicePipelineConfig } from '../../config/delivery';
import type { EnvironmentConfig } from '../../config/schema';
import { serviceRepositoryName } from '../../stacks/service-repositories-stack';
import { pipelineReleaseRoleName, serviceImageTagParameterName, serviceReleaseRoleName, servicesStackName } from '../service-release';
import { imageBuildSpec, imageReleaseSpec } from './buildspecs';
import { approveBeforeProduction, BUILD_IMAGE, type DeliveryFoundation } from './delivery-foundation';
import { PipelineSource } from './pipeline-source';

export interface ServicePipelineProps {
  readonly config: ServicePipelineConfig;
  readonly foundation: DeliveryFoundation;
  /** The environments running this service, in promotion order (pre-production first). */
  readonly environments: readonly EnvironmentConfig[];
}

/** A service pipeline's name in CodePipeline. */
export function servicePipelineName(service: string): string {
  return `connect-service-${service}`;
}

/**
 * A microservice's pipeline: source → build (its tests, then the image, tagged with the commit id) → a release per
 * environment in promotion order, with a manual approval before production. A release pushes the image to the
 * environment's ECR repository (scan on push; a CRITICAL finding stops it), records the tag in the environment's
 * image-tag parameter and updates the environment's Services stack, so ECS deploys it blue/green (smoke test, bake,
 * rollback alarms) and CloudFormation, which reads the tag from the parameter, never rolls it back on a later deploy.
 * Cross-account: the release steps run here and assume the environment's release role (ServiceReleaseAccess), which
 * trusts only this pipeline's release role by name.
 */
export class ServicePipeline extends Construct {
  readonly pipeline: codepipeline.Pipeline;
  readonly buildProject: codebuild.PipelineProject;
  readonly releaseRole: iam.Role;
  readonly releaseProjects: Record<string, codebuild.PipelineProject> = {};

  constructor(scope: Construct, id: string, props: ServicePipelineProps) {
    super(scope, id);
    const { config, foundation } = props;
    const partition = Stack.of(this).partition;
    const source = new PipelineSource(this, 'Source', { source: config.source, foundation, description: `Connect service ${config.name}: its code and Dockerfile` });
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: servicePipelineName(config.name),
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: foundation.artifactBucket(this, 'Artifacts'),
    });
    const sourceOutput = new codepipeline.Artifact('Source');
    const imageOutput = new codepipeline.Artifact('Image');
    const { action: sourceAction, commitId } = source.sourceAction(sourceOutput);
    this.pipeline.addStage({ stageName: 'Source', actions: [sourceAction] });

    // Docker needs privileged mode (the Docker daemon in the build container).
    const environment: codebuild.BuildEnvironment = { buildImage: BUILD_IMAGE, computeType: codebuild.ComputeType.MEDIUM, privileged: true };
    this.buildProject = new codebuild.PipelineProject(this, 'Build', {
      description: `Connect service ${config.name}: tests, then the image tagged with the commit`,
      buildSpec: codebuild.BuildSpec.fromObject(imageBuildSpec({ service: config.name, dockerfile: config.dockerfile, buildContext: config.buildContext, testCommands: config.testCommands })),
      environment,
      encryptionKey: foundation.artifactsKey,
      logging: foundation.logging(`service-${config.name}/build`),
      timeout: Duration.minutes(60),
    });
    this.pipeline.addStage({
      stageName: 'Build',
      actions: [
        new actions.CodeBuildAction({
          actionName: 'TestAndBuildImage',
          project: this.buildProject,
          input: sourceOutput,
          outputs: [imageOutput],
          environmentVariables: { COMMIT_ID: { value: commitId } },
        }),
      ],
    });

    // One role for every release step of this service: the environments' release roles trust it by name.
    this.releaseRole = new iam.Role(this, 'ReleaseRole', {
      roleName: pipelineReleaseRoleName(config.name),
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
      description: `Connect service ${config.name}: release steps; may only assume the release role of each environment`,
    });
    this.releaseRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeTheEnvironmentsReleaseRoles',
        actions: ['sts:AssumeRole'],
        resources: props.environments.map((env) => `arn:${partition}:iam::${env.account}:role/${serviceReleaseRoleName(env.name)}`),
      }),
    );

    for (const env of props.environments) {
      approveBeforeProduction(this.pipeline, env, `Release ${config.name} to ${env.name}: the pre-production environments run this image`);
      const service = env.services.find((s) => s.name === config.name);
      const project = new codebuild.PipelineProject(this, `Release-${env.name}`, {
        description: `Connect service ${config.name}: release to ${env.name} (${env.account}, ${env.region})`,
        buildSpec: codebuild.BuildSpec.fromObject(
          imageReleaseSpec({
            service: config.name,
            environment: env.name,
            account: env.account,
            region: env.region,
            repository: serviceRepositoryName(env.name, config.name),
            parameter: serviceImageTagParameterName(env.name, config.name),
            stack: servicesStackName(env.name),
            releaseRoleArn: `arn:${partition}:iam::${env.account}:role/${serviceReleaseRoleName(env.name)}`,
          }),
        ),
        environment,
        role: this.releaseRole,
        encryptionKey: foundation.artifactsKey,
        logging: foundation.logging(`service-${config.name}/release-${env.name}`),
        // The stack update waits for ECS: start-up, smoke test and the bake time, with a margin.
        timeout: Duration.minutes((service?.bakeTimeMinutes ?? 10) + 90),
      });
      this.releaseProjects[env.name] = project;
      this.pipeline.addStage({ stageName: `Release-${env.name}`, actions: [new actions.CodeBuildAction({ actionName: 'Release', project, input: imageOutput })] });
    }
    foundation.notify(this.pipeline);
    acknowledge(this, config.name);
  }
}

function acknowledge(pipeline: ServicePipeline, service: string): void {
  const privileged = `Building a Docker image needs the Docker daemon, which CodeBuild runs only in privileged mode; the project builds ${service}'s own repository and holds no credentials.`;
  for (const project of [pipeline.buildProject, ...Object.values(pipeline.releaseProjects)]) {
    Validations.of(project).acknowledge({ id: 'AwsSolutions-CB3', reason: privileged });
  }
  const inline = 'CDK-generated inline policies of this pipeline\'s own roles (source, build, release, approval), each scoped to the artifact bucket, key, log group and environment release roles of this one service pipeline.';
  Validations.of(pipeline).acknowledge({ id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: inline }, { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason: inline });
}
