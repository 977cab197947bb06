/**
 * What each pipeline's CodeBuild steps run, as plain data: the constructs turn these into buildspecs, and the tests
 * read them back out of the synthesized projects. Shell in buildspec 0.2 runs every command of a build in one shell
 * (variables carry over); nothing here ever prints a credential or a token, and nothing runs under `set -x`.
 */

/**
 * The platform pipeline's synth step runs exactly what the README tells a person on a fresh machine: install, test,
 * synthesize (the compliance gate runs in the synth). test/delivery.test.ts reads the README and compares.
 */
export const PLATFORM_INSTALL_COMMANDS: readonly string[] = ['npm ci'];
export const PLATFORM_TEST_COMMANDS: readonly string[] = ['npm test', 'npm run test:load'];
export const PLATFORM_SYNTH_COMMANDS: readonly string[] = ['npx cdk synth'];

/** The Modyo CLI the micro-frontend pipelines publish with, pinned (it needs Node >= 20.19). */
export const MODYO_CLI = '@modyo/cli@3.6.2';
/** CodeBuild's runtime for the Node builds (standard:7.0 images offer Node 22). */
export const NODE_RUNTIME = '22';

/** The release metadata a service build hands to its release steps (one file, read with jq). */
export const RELEASE_FILE = 'release.json';
export const IMAGE_ARCHIVE = 'image.tar.gz';

export interface ImageBuildOptions {
  readonly service: string;
  readonly dockerfile: string;
  readonly buildContext: string;
  readonly testCommands: readonly string[];
}

/**
 * Build and test a service's image once, in the tooling account. The tag is the commit id (COMMIT_ID, the source
 * action's variable): immutable in ECR, and the same commit always yields the same tag, so a tag names its source.
 */
export function imageBuildSpec(options: ImageBuildOptions): Record<string, unknown> {
  return {
    version: '0.2',
    env: { shell: 'bash' },
    phases: {
      pre_build: {
        commands: [
          'test -n "$COMMIT_ID" || { echo "COMMIT_ID (the source commit) is not set"; exit 1; }',
          'export IMAGE_TAG="$COMMIT_ID"',
          // The service's own tests first: an image is built only from a commit whose tests pass.
          ...options.testCommands,
        ],
      },
      build: {
        commands: [
          `docker build --file ${shellQuote(options.dockerfile)} --label "org.opencontainers.image.revision=$COMMIT_ID" --tag "connect/${options.service}:$IMAGE_TAG" ${shellQuote(options.buildContext)}`,
          `docker save "connect/${options.service}:$IMAGE_TAG" | gzip > ${IMAGE_ARCHIVE}`,
          `jq -n --arg service ${shellQuote(options.service)} --arg imageTag "$IMAGE_TAG" --arg commit "$COMMIT_ID" '{service: $service, imageTag: $imageTag, commit: $commit}' > ${RELEASE_FILE}`,
        ],
      },
    },
    artifacts: { files: [IMAGE_ARCHIVE, RELEASE_FILE] },
  };
}

export interface ImageReleaseOptions {
  readonly service: string;
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  /** ECR repository name in the environment (serviceRepositoryName). */
  readonly repository: string;
  /** SSM parameter of the released tag (serviceImageTagParameterName). */
  readonly parameter: string;
  /** The environment's Services stack (servicesStackName). */
  readonly stack: string;
  /** The environment's release role (serviceReleaseRoleName), assumed from the build's own credentials. */
  readonly releaseRoleArn: string;
}

/**
 * Release one image to one environment: push it (once: tags are immutable), wait for the scan on push and stop on a
 * CRITICAL finding, record the tag in the environment's parameter, then update the Services stack with its previous
 * template and parameters, which makes CloudFormation read the new tag and ECS run a blue/green deployment. A failed
 * or rolled-back deployment puts the previous tag back, so the parameter always names what runs.
 */
export function imageReleaseSpec(options: ImageReleaseOptions): Record<string, unknown> {
  const image = '--repository-name "$REPOSITORY" --image-id imageTag="$IMAGE_TAG"';
  return {
    version: '0.2',
    env: {
      shell: 'bash',
      variables: {
        ENVIRONMENT: options.environment,
        REGISTRY: `${options.account}.dkr.ecr.${options.region}.amazonaws.com`,
        REPOSITORY: options.repository,
        PARAMETER: options.parameter,
        STACK: options.stack,
      },
    },
    phases: {
      pre_build: {
        commands: [
          `IMAGE_TAG="$(jq -r .imageTag ${RELEASE_FILE})"`,
          `echo "releasing $IMAGE_TAG (commit $(jq -r .commit ${RELEASE_FILE})) to $ENVIRONMENT"`,
          // A profile that assumes the environment's release role from CodeBuild's container credentials: no key is
          // ever in a variable or a log line.
          `aws configure set profile.release.role_arn ${options.releaseRoleArn}`,
          'aws configure set profile.release.credential_source EcsContainer',
          `aws configure set profile.release.region ${options.region}`,
          'export AWS_PROFILE=release',
        ],
      },
      build: {
        commands: [
          `if aws ecr describe-images ${image} > /dev/null 2>&1; then echo "$REPOSITORY:$IMAGE_TAG exists: not pushed again"; else aws ecr get-login-password | docker login --username AWS --password-stdin "$REGISTRY" && gunzip -c ${IMAGE_ARCHIVE} | docker load && docker tag "connect/${options.service}:$IMAGE_TAG" "$REGISTRY/$REPOSITORY:$IMAGE_TAG" && docker push "$REGISTRY/$REPOSITORY:$IMAGE_TAG"; fi`,
          // Scan on push (ServiceRepository): wait for it, then refuse any CRITICAL finding.
          `aws ecr wait image-scan-complete ${image}`,
          `CRITICAL="$(aws ecr describe-image-scan-findings ${image} --query 'imageScanFindings.findingSeverityCounts.CRITICAL' --output text)"`,
          'if [ "$CRITICAL" != "None" ] && [ "$CRITICAL" -gt 0 ]; then echo "$REPOSITORY:$IMAGE_TAG has $CRITICAL CRITICAL finding(s): not released"; exit 1; fi',
          'PREVIOUS="$(aws ssm get-parameter --name "$PARAMETER" --query Parameter.Value --output text 2> /dev/null || true)"',
          'aws ssm put-parameter --name "$PARAMETER" --type String --value "$IMAGE_TAG" --overwrite > /dev/null',
          'restore() { if [ -n "$PREVIOUS" ]; then aws ssm put-parameter --name "$PARAMETER" --type String --value "$PREVIOUS" --overwrite > /dev/null; echo "$PARAMETER back to $PREVIOUS"; fi; }',
          `PARAMETERS="$(aws cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].Parameters[].ParameterKey' --output text 2> /dev/null | tr '\\t' '\\n' | sed 's/.*/ParameterKey=&,UsePreviousValue=true/' | tr '\\n' ' ' || true)"`,
          // One command, so that no branch needs `exit 0`: no Services stack yet (a new environment: its first deploy
          // reads the parameter just written); nothing to update (that tag runs already); or the update, during which
          // ECS deploys blue/green (smoke test, bake time, rollback alarms), waited out.
          [
            'if ! aws cloudformation describe-stacks --stack-name "$STACK" > /dev/null 2>&1; then',
            '  echo "$STACK does not exist yet: its first deploy runs $IMAGE_TAG"',
            'elif ! OUT="$(aws cloudformation update-stack --stack-name "$STACK" --use-previous-template --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND --parameters $PARAMETERS 2>&1)"; then',
            '  if echo "$OUT" | grep -q "No updates are to be performed"; then echo "$STACK already runs $IMAGE_TAG"; else echo "$OUT"; restore; exit 1; fi',
            'else',
            // A status read that fails (throttled past the CLI's retries, a network error) says nothing about the
            // update, which goes on: read again rather than restore the previous tag under a deployment of the new one.
            '  while STATUS="$(aws cloudformation describe-stacks --stack-name "$STACK" --query "Stacks[0].StackStatus" --output text || echo STATUS_UNREAD_IN_PROGRESS)"; [[ "$STATUS" == *_IN_PROGRESS ]]; do sleep 30; done',
            '  if [ "$STATUS" != "UPDATE_COMPLETE" ]; then echo "$STACK: $STATUS (the deployment rolled back)"; restore; exit 1; fi',
            '  echo "$ENVIRONMENT runs $REPOSITORY:$IMAGE_TAG"',
            'fi',
          ].join('\n'),
        ],
      },
    },
  };
}

export interface MicroFrontendBuildOptions {
  readonly buildDirectory: string;
}

/** npm ci, tests, build, once; the build directory is what every site receives. */
export function microFrontendBuildSpec(options: MicroFrontendBuildOptions): Record<string, unknown> {
  return {
    version: '0.2',
    env: { shell: 'bash' },
    phases: {
      install: { 'runtime-versions': { nodejs: NODE_RUNTIME }, commands: ['npm ci'] },
      pre_build: { commands: ['npm test'] },
      build: { commands: ['npm run build', `test -f ${shellQuote(`${options.buildDirectory}/index.html`)}`] },
    },
    artifacts: { files: [`${options.buildDirectory}/**/*`] },
  };
}

export interface MicroFrontendPublishOptions {
  readonly widgetName: string;
  readonly environment: string;
  readonly accountUrl: string;
  readonly siteId: string;
  readonly modyoVersion: string;
  readonly buildDirectory: string;
  readonly publish: boolean;
  /** Secrets Manager secret (tooling account) whose JSON key `token` is the Modyo API token. */
  readonly tokenSecretArn: string;
}

/** Publish the built widget to one Modyo site with the Modyo CLI (reference: /work/shared/reference/modyo.md). */
export function microFrontendPublishSpec(options: MicroFrontendPublishOptions): Record<string, unknown> {
  return {
    version: '0.2',
    env: {
      shell: 'bash',
      variables: {
        MODYO_ACCOUNT_URL: options.accountUrl,
        MODYO_SITE_ID: options.siteId,
        MODYO_VERSION: options.modyoVersion,
        MODYO_BUILD_DIRECTORY: options.buildDirectory,
        MODYO_WIDGET_NAME: options.widgetName,
      },
      // CodeBuild reads the token at build start and masks it in the logs; it is never in the template or a command.
      // https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.env.secrets-manager
      'secrets-manager': { MODYO_TOKEN: `${options.tokenSecretArn}:token` },
    },
    phases: {
      install: { 'runtime-versions': { nodejs: NODE_RUNTIME } },
      build: {
        commands: [
          // The CLI lets a .modyo or .env file in the working directory override the environment, token included.
          'rm -f .modyo .env',
          'test -f "$MODYO_BUILD_DIRECTORY/index.html"',
          `npx --yes ${MODYO_CLI} push "$MODYO_WIDGET_NAME"${options.publish ? ' --publish' : ''}`,
          `echo "${options.widgetName} pushed to site ${options.siteId} of ${options.environment}"`,
        ],
      },
    },
  };
}

/** Single-quotes a value for bash. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}
