import { Duration, type Stage, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import type { SourceConfig } from '../../config/delivery';
import { NODE_RUNTIME, PLATFORM_INSTALL_COMMANDS, PLATFORM_SYNTH_COMMANDS, PLATFORM_TEST_COMMANDS } from './buildspecs';
import { BUILD_IMAGE, type DeliveryFoundation } from './delivery-foundation';
import { PipelineSource } from './pipeline-source';

/** The platform pipeline's name in CodePipeline. */
export const PLATFORM_PIPELINE_NAME = 'connect-platform';

/** An environment the platform pipeline deploys, in promotion order. */
export interface PromotedEnvironment {
  readonly name: string;
  readonly kind: 'production' | 'preproduction';
  readonly stage: Stage;
}

export interface PlatformPipelineProps {
  readonly source: SourceConfig;
  readonly foundation: DeliveryFoundation;
  /** Pre-production environments first, production last (config/delivery.json `promotion`, checked at load). */
  readonly environments: readonly PromotedEnvironment[];
}

/**
 * The platform pipeline (CDK Pipelines on a CodePipeline V2 pipeline, self-mutating): source → synth (the README's
 * install and test commands, then `cdk synth`, so the compliance gate runs there) → the pipeline updates itself →
 * each pre-production environment in promotion order → a manual approval → production. Every environment is the same
 * ConnectStage `cdk deploy '<env>/*'` deploys, reached through the environment account's bootstrap roles, which
 * trust the tooling account (`cdk bootstrap --trust`): "the pipeline ... assumes the deployment role of the target
 * account" (https://docs.aws.amazon.com/cdk/v2/guide/cdk-pipeline.html). The artifact store is KMS-encrypted with a
 * key the environments' deploy roles are granted (cross-account keys), and every build logs to the retained,
 * encrypted build log group.
 */
export class PlatformPipeline extends Construct {
  readonly pipeline: pipelines.CodePipeline;
  readonly codePipeline: codepipeline.Pipeline;
  readonly source: PipelineSource;

  constructor(scope: Construct, id: string, props: PlatformPipelineProps) {
    super(scope, id);
    const { foundation } = props;
    this.source = new PipelineSource(this, 'Source', { source: props.source, foundation, description: 'Connect platform: the CDK app of every environment' });
    this.codePipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: PLATFORM_PIPELINE_NAME,
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: foundation.artifactBucket(this, 'Artifacts'),
      // A self-mutating pipeline restarts after updating itself, so the change that updated it is deployed by it.
      restartExecutionOnUpdate: true,
    });
    this.pipeline = new pipelines.CodePipeline(this, 'Cdk', {
      codePipeline: this.codePipeline,
      selfMutation: true,
      // One publishing project for every file asset instead of one per asset (there is one Lambda bundle per
      // function per environment).
      publishAssetsInParallel: false,
      synth: new pipelines.ShellStep('Synth', {
        input: this.source.forCdkPipeline(),
        installCommands: [...PLATFORM_INSTALL_COMMANDS],
        commands: [...PLATFORM_TEST_COMMANDS, ...PLATFORM_SYNTH_COMMANDS],
      }),
      codeBuildDefaults: {
        buildEnvironment: { buildImage: BUILD_IMAGE, computeType: codebuild.ComputeType.MEDIUM },
        partialBuildSpec: codebuild.BuildSpec.fromObject({ phases: { install: { 'runtime-versions': { nodejs: NODE_RUNTIME } } } }),
        logging: foundation.logging('platform'),
        timeout: Duration.minutes(60),
      },
    });
    for (const environment of props.environments) {
      this.pipeline.addStage(environment.stage, {
        pre:
          environment.kind === 'production'
            ? [new pipelines.ManualApprovalStep('PromoteToProduction', { comment: `Deploy to ${environment.name}: the pre-production environments run this revision` })]
            : [],
      });
    }
    this.pipeline.buildPipeline();
    foundation.encryptProjects(this);
    foundation.notify(this.codePipeline);
    acknowledgeGeneratedRoles(this);
  }
}

/**
 * CDK Pipelines generates one role per action and project, each with an inline policy scoped by CDK to what that
 * action touches (this pipeline's artifact bucket and key, its own log streams, the bootstrap roles of the
 * environments it deploys). The remaining wildcards are CDK's: object keys under the artifact bucket, KMS data-key
 * actions, log streams of the project's own log group, and the bootstrap roles' names across environment accounts.
 */
function acknowledgeGeneratedRoles(scope: Construct): void {
  const inline = 'CDK Pipelines generates this pipeline\'s roles, each with an inline policy for exactly the action or project it serves; none is shared.';
  Validations.of(scope).acknowledge(
    { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: inline },
    { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason: inline },
  );
}
