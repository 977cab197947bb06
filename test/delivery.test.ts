import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { applyComplianceGate, controlTowerRuleNames, disabledGuardRules } from '../lib/compliance';
import { acknowledgmentsIn, COMPLIANCE_REPORT_FILE } from '../lib/compliance-report';
import { parseDeliveryConfig } from '../lib/config/delivery';
import { loadEnvironmentConfigs } from '../lib/config/load';
import { DeliveryStage } from '../lib/stage/delivery-stage';
import { environmentJson, TEST_ASSEMBLY_ENV } from './support/assembly';

/**
 * The delivery Stage (config/delivery.json) as synthesized in the global assembly: the platform pipeline, the
 * accounts service's pipeline (a CodeCommit source) and the accounts widget's pipeline (a CodeConnections source).
 */

type Resources = Record<string, { Type: string; Properties: any }>;
const template = () => environmentJson('delivery').Pipelines as { Resources: Resources };
const resources = () => template().Resources;
const ofType = (type: string) => Object.entries(resources()).filter(([, r]) => r.Type === type);

function pipeline(name: string) {
  const found = ofType('AWS::CodePipeline::Pipeline').find(([, r]) => r.Properties.Name === name);
  if (!found) throw new Error(`no pipeline ${name}`);
  return { id: found[0], ...found[1].Properties } as { id: string; PipelineType: string; ArtifactStore: any; Stages: { Name: string; Actions: any[] }[] };
}
const stageNames = (name: string) => pipeline(name).Stages.map((s) => s.Name);
const action = (name: string, stage: string, index = 0) => pipeline(name).Stages.find((s) => s.Name === stage)?.Actions[index];
/** A buildspec from the template: a string, or a Fn::Join whose references are written `<Ref:LogicalId>`. */
function parseBuildSpec(value: any): any {
  if (typeof value === 'string') return JSON.parse(value);
  const parts: any[] = value['Fn::Join'][1];
  return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : part.Ref ? `<Ref:${part.Ref}>` : `<${JSON.stringify(part)}>`)).join(''));
}
/** The CodeBuild project a pipeline action runs, with its buildspec parsed. */
function projectOf(pipelineAction: any): { id: string; properties: any; buildSpec: any } {
  const id = pipelineAction.Configuration.ProjectName.Ref as string;
  const properties = resources()[id].Properties;
  return { id, properties, buildSpec: parseBuildSpec(properties.Source.BuildSpec) };
}
/** Every statement of the inline policies attached to a role (by its logical id). */
function statementsOfRole(roleId: string): any[] {
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}
const actionsOf = (statements: any[]) => statements.flatMap((s) => [s.Action].flat()).sort();

/** The commands of the README's "Fresh machine" section, by what their comment says they do. */
function readmeCommands() {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Fresh machine'), readme.indexOf('\n## ', readme.indexOf('## Fresh machine') + 3));
  const lines = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((m) => m[1].split('\n')).filter((l) => l.trim());
  const parsed = lines.map((line) => ({ command: line.split('#')[0].trim(), comment: line.split('#')[1]?.trim() ?? '' }));
  return {
    all: parsed.map((p) => p.command),
    install: parsed.filter((p) => p.comment.startsWith('install')).map((p) => p.command),
    test: parsed.filter((p) => /test suite|load tests/.test(p.comment)).map((p) => p.command),
    synth: parsed.filter((p) => /cdk synth/.test(p.command)).map((p) => p.command),
  };
}

describe('the platform pipeline', () => {
  test('is a self-mutating CodePipeline V2: source, synth, self-update, assets, pre-production in promotion order, approval, production', () => {
    const platform = pipeline('connect-platform');
    expect(platform.PipelineType).toBe('V2');
    expect(stageNames('connect-platform')).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'dev', 'staging', 'prod']);
    const prod = platform.Stages.find((s) => s.Name === 'prod')!.Actions;
    const approval = prod.filter((a) => a.ActionTypeId.Category === 'Approval');
    expect(approval.map((a) => a.Name)).toEqual(['PromoteToProduction']);
    // The approval runs before any of production's deploy actions; pre-production has none.
    expect(Math.max(...approval.map((a) => a.RunOrder))).toBeLessThan(Math.min(...prod.filter((a) => a.ActionTypeId.Provider === 'CloudFormation').map((a) => a.RunOrder)));
    for (const stage of ['dev', 'staging']) expect(platform.Stages.find((s) => s.Name === stage)!.Actions.filter((a) => a.ActionTypeId.Category === 'Approval')).toEqual([]);
  });

  test('its synth step runs exactly the README\'s install and test commands, then cdk synth', () => {
    const readme = readmeCommands();
    expect(readme.install).toEqual(['npm ci']);
    const { buildSpec, properties } = projectOf(action('connect-platform', 'Build'));
    expect(buildSpec.phases.install.commands).toEqual(readme.install);
    expect(buildSpec.phases.build.commands).toEqual([...readme.test, ...readme.synth]);
    // Nothing more and nothing less than the README's commands.
    expect([...buildSpec.phases.install.commands, ...buildSpec.phases.build.commands].sort()).toEqual([...readme.all].sort());
    expect(properties.Environment.PrivilegedMode).toBe(false);
  });

  test('deploys each environment through that environment account\'s bootstrap roles (cross-account), with the environment\'s stacks', () => {
    for (const [stage, account] of [['dev', '111111111111'], ['staging', '222222222222'], ['prod', '333333333333']]) {
      const deploys = pipeline('connect-platform').Stages.find((s) => s.Name === stage)!.Actions.filter((a) => a.ActionTypeId.Provider === 'CloudFormation');
      expect(deploys.map((a) => a.Configuration.StackName)).toEqual(expect.arrayContaining([`${stage}-Services`, `${stage}-Api`, `${stage}-ServiceRepositories`]));
      for (const deploy of deploys) expect(JSON.stringify(deploy.RoleArn)).toContain(`:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-us-east-1`);
    }
  });

  test('shares its artifact store across accounts only with the environments\' deploy roles (cross-account keys)', () => {
    const keyPolicy = ofType('AWS::KMS::Key').find(([id]) => id.startsWith('FoundationArtifactsKey'))![1].Properties.KeyPolicy.Statement;
    const decrypt = keyPolicy.find((s: any) => s.Effect === 'Allow' && [s.Action].flat().includes('kms:Decrypt') && s.Principal.AWS !== undefined && JSON.stringify(s.Principal).includes('deploy-role'));
    expect(JSON.stringify(decrypt.Principal)).toEqual(expect.stringContaining('cdk-hnb659fds-deploy-role-111111111111-us-east-1'));
    for (const account of ['222222222222', '333333333333']) expect(JSON.stringify(decrypt.Principal)).toContain(`cdk-hnb659fds-deploy-role-${account}-us-east-1`);
    expect([decrypt.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
  });

  test('reads the external repository through the CodeConnections connection of config/delivery.json', () => {
    expect(action('connect-platform', 'Source')).toMatchObject({
      ActionTypeId: { Provider: 'CodeStarSourceConnection' },
      Configuration: { ConnectionArn: 'arn:aws:codeconnections:us-east-1:999999999999:connection/5f8a3b1e-7c2d-4e9f-a6b0-1d2c3e4f5a6b', FullRepositoryId: 'example-org/connect', BranchName: 'main' },
    });
  });
});

describe('every pipeline', () => {
  const names = ['connect-platform', 'connect-service-accounts', 'connect-widget-accounts-widget'];

  test('stores artifacts in a KMS-encrypted, versioned, TLS-only bucket of its own, with a rotated key', () => {
    const keyId = ofType('AWS::KMS::Key').find(([id]) => id.startsWith('FoundationArtifactsKey'))![0];
    expect(resources()[keyId].Properties.EnableKeyRotation).toBe(true);
    const buckets = new Set<string>();
    for (const name of names) {
      const store = pipeline(name).ArtifactStore;
      expect(store.EncryptionKey).toEqual({ Id: { 'Fn::GetAtt': [keyId, 'Arn'] }, Type: 'KMS' });
      const bucket = resources()[store.Location.Ref].Properties;
      expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toMatchObject({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      expect(bucket.VersioningConfiguration.Status).toBe('Enabled');
      expect(bucket.LoggingConfiguration).toBeDefined();
      buckets.add(store.Location.Ref);
    }
    expect(buckets.size).toBe(names.length);
  });

  test('logs every build to one encrypted log group kept for config logRetentionDays, and encrypts build outputs', () => {
    const [logGroupId, logGroup] = ofType('AWS::Logs::LogGroup').find(([, r]) => r.Properties.LogGroupName === '/connect/delivery/builds')!;
    expect(logGroup.Properties).toMatchObject({ RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^FoundationLogsKey/), 'Arn'] } });
    const projects = ofType('AWS::CodeBuild::Project');
    expect(projects.length).toBeGreaterThanOrEqual(10);
    for (const [, project] of projects) {
      expect(project.Properties.LogsConfig.CloudWatchLogs).toMatchObject({ Status: 'ENABLED', GroupName: { Ref: logGroupId } });
      expect(project.Properties.EncryptionKey).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^FoundationArtifactsKey/), 'Arn'] });
    }
  });

  test('notifies failures to the critical topic and approvals waiting to the warning topic, both encrypted', () => {
    const rules = ofType('AWS::CodeStarNotifications::NotificationRule').map(([, r]) => r.Properties);
    for (const name of names) {
      const ofPipeline = rules.filter((r) => JSON.stringify(r.Resource).includes(pipeline(name).id));
      expect(ofPipeline.map((r) => [r.EventTypeIds, r.Targets[0].TargetAddress.Ref])).toEqual([
        [['codepipeline-pipeline-pipeline-execution-failed'], expect.stringMatching(/^FoundationTopicsCritical/)],
        [['codepipeline-pipeline-manual-approval-needed'], expect.stringMatching(/^FoundationTopicsWarning/)],
      ]);
    }
    for (const [, topic] of ofType('AWS::SNS::Topic')) expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^FoundationNotificationsKey/), 'Arn'] });
    const keyPolicy = JSON.stringify(ofType('AWS::KMS::Key').find(([id]) => id.startsWith('FoundationNotificationsKey'))![1].Properties.KeyPolicy);
    expect(keyPolicy).toContain('codestar-notifications.amazonaws.com');
  });

  test('only the image build and release projects run privileged (Docker); every other project does not', () => {
    const privileged = ofType('AWS::CodeBuild::Project')
      .filter(([, p]) => p.Properties.Environment.PrivilegedMode)
      .map(([id]) => id)
      .sort();
    expect(privileged).toEqual([expect.stringMatching(/^ServiceaccountsBuild/), expect.stringMatching(/^ServiceaccountsReleasedev/), expect.stringMatching(/^ServiceaccountsReleaseprod/), expect.stringMatching(/^ServiceaccountsReleasestaging/)]);
  });
});

describe('the CodeCommit repository of a service', () => {
  test('is encrypted with the customer managed key, has an approval rule template on main, and notifies pull requests', () => {
    const [repoId, repo] = ofType('AWS::CodeCommit::Repository')[0];
    expect(repo.Properties).toMatchObject({ RepositoryName: 'connect-accounts', KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^FoundationArtifactsKey/), 'Arn'] } });
    const template = ofType('Custom::AWS').find(([id]) => /ApprovalRuleTemplate[A-F0-9]{8}$/.test(id))![1].Properties;
    const create = JSON.parse(template.Create);
    expect(create).toMatchObject({ service: 'CodeCommit', action: 'createApprovalRuleTemplate' });
    expect(JSON.parse(create.parameters.approvalRuleTemplateContent)).toMatchObject({ DestinationReferences: ['refs/heads/main'], Statements: [{ Type: 'Approvers', NumberOfApprovalsNeeded: 2 }] });
    const association = ofType('Custom::AWS').find(([id]) => id.includes('Association'))![1].Properties;
    expect(JSON.stringify(association.Create)).toContain('associateApprovalRuleTemplateWithRepository');
    const notification = ofType('AWS::CodeStarNotifications::NotificationRule').find(([, r]) => JSON.stringify(r.Properties.Resource).includes(repoId))![1].Properties;
    expect(notification.EventTypeIds).toEqual(expect.arrayContaining(['codecommit-repository-pull-request-created', 'codecommit-repository-pull-request-merged']));
    expect(action('connect-service-accounts', 'Source')).toMatchObject({ ActionTypeId: { Provider: 'CodeCommit' }, Configuration: { BranchName: 'main' } });
  });
});

describe('a microservice pipeline', () => {
  const name = 'connect-service-accounts';

  test('builds once, then releases to each environment in promotion order, with an approval before production', () => {
    expect(stageNames(name)).toEqual(['Source', 'Build', 'Release-dev', 'Release-staging', 'Approve', 'Release-prod']);
    expect(action(name, 'Approve').ActionTypeId.Category).toBe('Approval');
  });

  test('runs the service\'s tests before building the image, and tags it with the commit id', () => {
    const build = action(name, 'Build');
    expect(build.Configuration.EnvironmentVariables).toContain('"name":"COMMIT_ID","type":"PLAINTEXT","value":"#{Source.CommitId}"');
    const { buildSpec } = projectOf(build);
    const commands: string[] = [...buildSpec.phases.pre_build.commands, ...buildSpec.phases.build.commands];
    expect(commands.indexOf('npm test')).toBeLessThan(commands.findIndex((c) => c.startsWith('docker build')));
    expect(commands).toContain('export IMAGE_TAG="$COMMIT_ID"');
    expect(commands.find((c) => c.startsWith('docker build'))).toContain('--tag "connect/accounts:$IMAGE_TAG"');
  });

  test('each release pushes to that environment\'s repository, stops on CRITICAL scan findings, records the tag, updates the Services stack', () => {
    for (const [env, account] of [['dev', '111111111111'], ['staging', '222222222222'], ['prod', '333333333333']]) {
      const { buildSpec } = projectOf(action(name, `Release-${env}`));
      expect(buildSpec.env.variables).toEqual({
        ENVIRONMENT: env,
        REGISTRY: `${account}.dkr.ecr.us-east-1.amazonaws.com`,
        REPOSITORY: `connect/${env}/accounts`,
        PARAMETER: `/connect/${env}/services/accounts/image-tag`,
        STACK: `${env}-Services`,
      });
      const commands: string[] = [...buildSpec.phases.pre_build.commands, ...buildSpec.phases.build.commands];
      expect(commands).toContain(`aws configure set profile.release.role_arn arn:aws:iam::${account}:role/connect-${env}-service-release`);
      const at = (pattern: RegExp) => commands.findIndex((c) => pattern.test(c));
      // push (unless the immutable tag is there already) → scan gate → record the tag → stack update, in that order
      expect(at(/docker push/)).toBeGreaterThanOrEqual(0);
      expect(at(/docker push/)).toBeLessThan(at(/wait image-scan-complete/));
      expect(commands[at(/CRITICAL" -gt 0/)]).toMatch(/exit 1/);
      expect(at(/describe-image-scan-findings/)).toBeLessThan(at(/put-parameter --name "\$PARAMETER" --type String --value "\$IMAGE_TAG"/));
      expect(at(/put-parameter --name "\$PARAMETER" --type String --value "\$IMAGE_TAG"/)).toBeLessThan(at(/update-stack --stack-name "\$STACK" --use-previous-template/));
      // A failed or rolled-back deployment puts the previous tag back.
      expect(commands[at(/UPDATE_COMPLETE/)]).toMatch(/restore; exit 1/);
      expect(commands.join('\n')).not.toMatch(/set -x|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN/);
    }
  });

  test('its release role may only assume the environments\' release roles, which trust only it and touch only what a release needs', () => {
    const [roleId, role] = ofType('AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === 'connect-delivery-accounts-release')!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'codebuild.amazonaws.com' });
    const assume = statementsOfRole(roleId).filter((s) => [s.Action].flat().includes('sts:AssumeRole'));
    expect(assume).toEqual([
      expect.objectContaining({
        Action: 'sts:AssumeRole',
        Resource: ['dev', 'staging', 'prod'].map((env, i) => `arn:aws:iam::${['111111111111', '222222222222', '333333333333'][i]}:role/connect-${env}-service-release`),
      }),
    ]);
    // Nothing else of IAM, CloudFormation, ECR or SSM in the tooling account.
    expect(actionsOf(statementsOfRole(roleId)).filter((a) => /^(iam|cloudformation|ecr|ssm|sts):/.test(a))).toEqual(['sts:AssumeRole']);

    for (const [env, account] of [['dev', '111111111111'], ['prod', '333333333333']]) {
      const repos = environmentJson(env).ServiceRepositories.Resources as Resources;
      const [envRoleId, envRole] = Object.entries(repos).find(([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === `connect-${env}-service-release`)!;
      expect(envRole.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::999999999999:root' },
          Condition: { ArnEquals: { 'aws:PrincipalArn': ['arn:aws:iam::999999999999:role/connect-delivery-accounts-release'] } },
        },
      ]);
      const policy = Object.values(repos).find((r) => r.Type === 'AWS::IAM::ManagedPolicy' && r.Properties.Roles.some((x: any) => x.Ref === envRoleId))!;
      const bySid = Object.fromEntries(policy.Properties.PolicyDocument.Statement.map((s: any) => [s.Sid, s]));
      expect(Object.keys(bySid).sort()).toEqual(['PushAndInspectServiceImages', 'RecordReleasedImageTags', 'RegistryLogin', 'ResolveTheServicesStackParameters', 'UpdateTheServicesStack']);
      expect(bySid.RegistryLogin).toMatchObject({ Action: 'ecr:GetAuthorizationToken', Resource: '*' });
      expect(bySid.PushAndInspectServiceImages.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Repositoryaccounts/), 'Arn'] });
      expect(bySid.RecordReleasedImageTags).toMatchObject({
        Action: 'ssm:PutParameter',
        Resource: `arn:aws:ssm:us-east-1:${account}:parameter/connect/${env}/services/accounts/image-tag`,
      });
      // Reads only: the parameters CloudFormation resolves for the Services stack (test/delivery-release.test.ts).
      expect(bySid.ResolveTheServicesStackParameters).toMatchObject({
        Action: ['ssm:GetParameter', 'ssm:GetParameters'],
        Resource: [`arn:aws:ssm:us-east-1:${account}:parameter/cdk-bootstrap/hnb659fds/version`, `arn:aws:ssm:us-east-1:${account}:parameter/connect/${env}/services/accounts/image-tag`],
      });
      expect(bySid.UpdateTheServicesStack).toMatchObject({
        Action: ['cloudformation:DescribeStackEvents', 'cloudformation:DescribeStacks', 'cloudformation:UpdateStack'],
        Resource: `arn:aws:cloudformation:us-east-1:${account}:stack/${env}-Services/*`,
      });
      expect(JSON.stringify(policy)).not.toContain('iam:PassRole');
    }
  });
});

describe('a micro-frontend pipeline', () => {
  const name = 'connect-widget-accounts-widget';

  test('builds once (npm ci, tests, build), then publishes to the pre-production site, and to production after an approval', () => {
    expect(stageNames(name)).toEqual(['Source', 'Build', 'Publish-staging', 'Approve', 'Publish-prod']);
    const { buildSpec } = projectOf(action(name, 'Build'));
    expect([...buildSpec.phases.install.commands, ...buildSpec.phases.pre_build.commands, ...buildSpec.phases.build.commands].slice(0, 3)).toEqual(['npm ci', 'npm test', 'npm run build']);
    expect(buildSpec.artifacts.files).toEqual(['dist/**/*']);
  });

  test('publishes with the Modyo CLI: account URL and site from config, the token from Secrets Manager, never on a command line', () => {
    for (const [env, site, url] of [['staging', '41', 'https://example-staging.modyo.cloud'], ['prod', '42', 'https://example.modyo.cloud']]) {
      const { buildSpec, properties } = projectOf(action(name, `Publish-${env}`));
      expect(buildSpec.env.variables).toMatchObject({ MODYO_ACCOUNT_URL: url, MODYO_SITE_ID: site, MODYO_WIDGET_NAME: 'accounts-widget', MODYO_VERSION: '10', MODYO_BUILD_DIRECTORY: 'dist' });
      // The buildspec names the secret by ARN (a reference to the secret the delivery stack creates) and its JSON key.
      const [, secretId] = /^<Ref:([A-Za-z0-9]+)>:token$/.exec(buildSpec.env['secrets-manager'].MODYO_TOKEN) ?? [];
      expect(resources()[secretId]?.Properties.Name).toBe(`connect/delivery/modyo-token/${env}`);
      expect(Object.keys(buildSpec.env['secrets-manager'])).toEqual(['MODYO_TOKEN']);
      expect(JSON.stringify(properties.Environment)).not.toContain('MODYO_TOKEN');
      const commands: string[] = buildSpec.phases.build.commands;
      expect(commands).toEqual(['rm -f .modyo .env', 'test -f "$MODYO_BUILD_DIRECTORY/index.html"', 'npx --yes @modyo/cli@3.6.2 push "$MODYO_WIDGET_NAME" --publish', expect.any(String)]);
      expect(commands.join('\n')).not.toContain('MODYO_TOKEN');
    }
  });

  test('each publish step may read only its own environment\'s token', () => {
    for (const env of ['staging', 'prod']) {
      const { properties } = projectOf(action(name, `Publish-${env}`));
      const statements = statementsOfRole(properties.ServiceRole['Fn::GetAtt'][0]).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('secretsmanager:')));
      expect(statements.map((s) => s.Resource.Ref)).toEqual([expect.stringMatching(new RegExp(`^ModyoToken${env}`))]);
    }
  });
});

describe('the compliance gate over the delivery stage', () => {
  test('holds every exception of the synthesized pipelines as an acknowledgment with a specific reason, none on a guard rule', () => {
    const acknowledged = acknowledgmentsIn(process.env[TEST_ASSEMBLY_ENV] as string, 'delivery');
    expect(acknowledged.length).toBeGreaterThan(20);
    expect(acknowledged.filter((ack) => ack.reason.trim().length < 40)).toEqual([]);
    const guardRules = controlTowerRuleNames();
    expect(acknowledged.filter((ack) => ack.id.startsWith('cdk-validator-cfnguard::') || guardRules.has(ack.rule))).toEqual([]);
    // Only privileged CodeBuild (Docker builds) is off beyond production's guard rules, and the compliance report of
    // the synth says so, for the delivery stage only.
    expect(Object.keys(disabledGuardRules({ kind: 'production', buildsContainerImages: true })).filter((rule) => !(rule in disabledGuardRules({ kind: 'production' })))).toEqual(['ct-codebuild-pr-4']);
    const report = readFileSync(join(process.env[TEST_ASSEMBLY_ENV] as string, COMPLIANCE_REPORT_FILE), 'utf8');
    expect(report).toMatch(/^\| ct-codebuild-pr-4 \| delivery \|/m);
    expect(report).toMatch(/^\| delivery \| production \|/m);
  });

  test('fails synth on a non-compliant resource in the delivery stage, naming it and the rule of each pack and of Control Tower', () => {
    process.env.CDK_VALIDATION = 'false';
    const configDir = join(__dirname, '..', 'config');
    const raw = JSON.parse(readFileSync(join(configDir, 'delivery.json'), 'utf8'));
    // The platform pipeline alone, deploying no environment: enough to put the stage under the gate quickly.
    const config = { ...parseDeliveryConfig('config/delivery.json', JSON.stringify(raw), loadEnvironmentConfigs(configDir)), services: [], microFrontends: [] };
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'connect-delivery-gate-')), context: JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')).context });
    const stage = new DeliveryStage(app, { config, environments: [] });
    new s3.Bucket(stage.pipelines, 'PlainBucket');
    applyComplianceGate(app, [{ stage, kind: 'production', buildsContainerImages: true }]);
    let failure = '';
    try {
      app.synth();
    } catch (error) {
      failure = String(error);
    }
    expect(failure).toContain('delivery/Pipelines/PlainBucket');
    expect(failure).toMatch(/AwsSolutions-S1/);
    expect(failure).toMatch(/NIST\.800\.53\.R5-S3DefaultEncryptionKMS/);
    expect(failure).toMatch(/CT\.S3\.PR\.\d/);
    // The pipeline itself is not among the findings.
    expect(failure).not.toMatch(/delivery\/Pipelines\/Platform/);
  });
});
