import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentConfig } from '../lib/config/schema';
import { serviceImageTagParameterName } from '../lib/constructs/service-release';
import { environmentConfig } from './support/api-template';
import { ENVIRONMENTS, environmentJson } from './support/assembly';
import { servicesTemplate } from './support/services-template';

/**
 * The microservice release design (docs/DELIVERY.md), proven where it can be without an account: the task definition
 * names its image through the SSM parameter the service pipeline writes, never a literal tag, so what CloudFormation
 * deploys does not depend on anything synth knows about releases, and `cdk diff` / `cdk deploy` after a pipeline
 * release finds nothing to change in the running image.
 */

const taskDefinitions = (template: { Resources: Record<string, any> }) => Object.values(template.Resources).filter((r) => r.Type === 'AWS::ECS::TaskDefinition');

/**
 * What CloudFormation does with the image expression at deploy: parameters resolved (a Systems Manager parameter
 * type to the parameter's current value), pseudo parameters filled, Fn::Join joined.
 */
function resolveImage(image: any, template: { Parameters: Record<string, any> }, ssm: Record<string, string>): string {
  if (typeof image === 'string') return image;
  if (image.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
  if (image.Ref) {
    const parameter = template.Parameters[image.Ref];
    expect(parameter.Type).toBe('AWS::SSM::Parameter::Value<String>');
    return ssm[parameter.Default];
  }
  const [separator, parts] = image['Fn::Join'];
  return parts.map((part: any) => resolveImage(part, template, ssm)).join(separator);
}

describe.each(ENVIRONMENTS)('%s: the image a service runs', (environment) => {
  const services = environmentJson(environment).Services;
  const parameterName = serviceImageTagParameterName(environment, 'accounts');

  test('is read from the service\'s image-tag parameter at deploy time (a Systems Manager parameter type), never a literal tag', () => {
    const [task] = taskDefinitions(services);
    const image = task.Properties.ContainerDefinitions[0].Image;
    const refs = JSON.stringify(image).match(/"Ref":"([A-Za-z0-9]+)"/g)?.map((r) => r.slice(7, -1)) ?? [];
    const tagParameter = refs.find((ref) => ref !== 'AWS::URLSuffix') as string;
    expect(services.Parameters[tagParameter]).toMatchObject({ Type: 'AWS::SSM::Parameter::Value<String>', Default: parameterName });
    expect(JSON.stringify(image)).not.toContain(environmentConfig(environment).services[0].imageTag);
  });

  test('is the image the pipeline released: the parameter the release step writes is the one the task definition reads', () => {
    const release = Object.values(environmentJson('delivery').Pipelines.Resources as Record<string, any>).find(
      (r) => r.Type === 'AWS::CodeBuild::Project' && typeof r.Properties.Source.BuildSpec === 'string' && r.Properties.Source.BuildSpec.startsWith('{') && JSON.parse(r.Properties.Source.BuildSpec).env?.variables?.ENVIRONMENT === environment,
    );
    expect(JSON.parse(release.Properties.Source.BuildSpec).env.variables.PARAMETER).toBe(parameterName);
    // CloudFormation resolves the parameter to what the release wrote there: the commit-derived tag.
    const commit = '3f9c2d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e';
    const [task] = taskDefinitions(services);
    expect(resolveImage(task.Properties.ContainerDefinitions[0].Image, services, { [parameterName]: commit })).toBe(
      `${environmentConfig(environment).account}.dkr.ecr.us-east-1.amazonaws.com/connect/${environment}/accounts:${commit}`,
    );
  });
});

/** Whether an Allow statement of `statements` grants `action` on exactly `resource` (the policies here name ARNs, no wildcards). */
function allows(statements: any[], action: string, resource: string): boolean {
  return statements.some((s) => s.Effect === 'Allow' && [s.Action].flat().includes(action) && [s.Resource].flat().includes(resource));
}

describe.each(ENVIRONMENTS)('%s: who resolves the Services stack\'s parameters', (environment) => {
  // CloudFormation resolves Systems Manager parameter types with the permissions of the CALLER of the stack
  // operation: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/systems-manager-parameter-types.html
  // (cross-account pipelines failing on it: aws-samples/aws-cross-account-cicd-pipeline#33, aws/aws-cdk#20959).
  const { account, region } = environmentConfig(environment);
  const services = environmentJson(environment).Services;
  const repositories = environmentJson(environment).ServiceRepositories.Resources as Record<string, any>;
  const ssmTyped = Object.values(services.Parameters as Record<string, any>).filter((p) => /^AWS::SSM::Parameter::Value</.test(p.Type)).map((p) => p.Default as string);
  const arn = (name: string) => `arn:aws:ssm:${region}:${account}:parameter${name}`;
  const policyOfRole = (role: (roles: any[]) => boolean) => Object.values(repositories).filter((r) => r.Type === 'AWS::IAM::ManagedPolicy' && role(r.Properties.Roles ?? [])).flatMap((r) => r.Properties.PolicyDocument.Statement);

  test('every service\'s image tag and CDK\'s bootstrap version are Systems Manager parameter types', () => {
    expect(ssmTyped.sort()).toEqual(['/cdk-bootstrap/hnb659fds/version', serviceImageTagParameterName(environment, 'accounts')]);
  });

  test('the CDK deploy role (cdk deploy, the platform pipeline) may read every image tag; the default bootstrap lets it read the version', () => {
    const statements = policyOfRole((roles) => roles.includes(`cdk-hnb659fds-deploy-role-${account}-${region}`));
    for (const name of ssmTyped.filter((n) => !n.startsWith('/cdk-bootstrap/'))) {
      expect(allows(statements, 'ssm:GetParameters', arn(name))).toBe(true);
    }
    // Only reads, only those parameters.
    expect(statements.flatMap((s) => [s.Action].flat())).toEqual(['ssm:GetParameter', 'ssm:GetParameters']);
    expect(statements.flatMap((s) => [s.Resource].flat()).every((r: string) => r.startsWith(arn(`/connect/${environment}/services/`)))).toBe(true);
  });

  test('the release role, whose update-stack (UsePreviousValue) resolves them all again, may read every one, bootstrap version included', () => {
    const [releaseRoleId] = Object.entries(repositories).find(([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === `connect-${environment}-service-release`)!;
    const statements = policyOfRole((roles) => roles.some((r) => r.Ref === releaseRoleId));
    for (const name of ssmTyped) expect(allows(statements, 'ssm:GetParameters', arn(name))).toBe(true);
    // The release step's own aws ssm get-parameter (the previous tag, to restore) is the singular action.
    expect(allows(statements, 'ssm:GetParameter', arn(serviceImageTagParameterName(environment, 'accounts')))).toBe(true);
  });
});

describe.each(ENVIRONMENTS)('%s: the release role\'s trust', (environment) => {
  const tooling = JSON.parse(readFileSync(join(__dirname, '..', 'config', 'delivery.json'), 'utf8')).account as string;
  const repositories = environmentJson(environment).ServiceRepositories.Resources as Record<string, any>;
  const role = Object.values(repositories).find((r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === `connect-${environment}-service-release`);

  test('trusts the tooling account, narrowed by aws:PrincipalArn to the pipelines\' release roles, and names no role as principal', () => {
    // A role ARN as principal fails CreateRole ("Invalid principal in policy") while that role does not exist, as
    // when the environments are deployed before the pipelines, and is bound to the role's unique id once saved:
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${tooling}:root` },
        Condition: { ArnEquals: { 'aws:PrincipalArn': [`arn:aws:iam::${tooling}:role/connect-delivery-accounts-release`] } },
      },
    ]);
  });
});

describe('after a pipeline release, the next synth and deploy of the environment', () => {
  const previous = process.env.CDK_VALIDATION;
  beforeAll(() => (process.env.CDK_VALIDATION = 'false'));
  afterAll(() => (process.env.CDK_VALIDATION = previous));

  test('synthesizes the same Services template whatever tag was released last, so cdk diff shows no change to the running image', () => {
    const config = environmentConfig('dev');
    // Releases in the old design were a new `imageTag` in config; nothing the synth reads names a release any more.
    const before = servicesTemplate(config);
    const after = servicesTemplate(EnvironmentConfig.parse({ ...config, services: config.services.map((s) => ({ ...s, imageTag: '2.0.0-3f9c2d1e' })) }));
    expect(after).toEqual(before);
    // And the image the deploy resolves is the parameter's value, whichever it is: the last release, never an older one.
    const [task] = taskDefinitions(before as any);
    const resolve = (tag: string) => resolveImage(task.Properties.ContainerDefinitions[0].Image, before as any, { [serviceImageTagParameterName('dev', 'accounts')]: tag });
    expect(resolve('release-2')).toMatch(/:release-2$/);
    expect(resolve('release-3')).toMatch(/:release-3$/);
  });
});
