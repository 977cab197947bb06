import { DefaultStackSynthesizer, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * How a microservice release reaches an environment, as names both sides agree on: the environment's Services stack
 * reads the image tag from an SSM parameter, and the service's pipeline in the tooling account writes it through a
 * role of the environment that trusts that pipeline's release role only. docs/DELIVERY.md tells the whole story.
 */

/** The SSM parameter holding the image tag a service runs in an environment (the commit-derived tag of its last release). */
export function serviceImageTagParameterName(environment: string, service: string): string {
  return `/connect/${environment}/services/${service}/image-tag`;
}

/** The environment's role that service pipelines assume to release (push the image, record the tag, update the stack). */
export function serviceReleaseRoleName(environment: string): string {
  return `connect-${environment}-service-release`;
}

/** The tooling account's role a service pipeline's release steps run as (the only principal the environment role trusts for that service). */
export function pipelineReleaseRoleName(service: string): string {
  return `connect-delivery-${service}-release`;
}

/** The CloudFormation stack name of an environment's Services stack (the Stage's `<env>-<stack id>` naming). */
export function servicesStackName(environment: string): string {
  return `${environment}-Services`;
}

/** The CDK bootstrap qualifier a stack deploys with (its synthesizer's; CDK's default one otherwise). */
export function bootstrapQualifier(stack: Stack): string {
  return stack.synthesizer.bootstrapQualifier ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
}

/** The SSM parameter every CDK template's `BootstrapVersion` parameter (a Systems Manager parameter type) names. */
export function bootstrapVersionParameterName(qualifier: string): string {
  return `/cdk-bootstrap/${qualifier}/version`;
}

/** The bootstrap role `cdk deploy` and CDK Pipelines call CloudFormation as (DefaultStackSynthesizer's deployRoleArn). */
export function cdkDeployRoleName(qualifier: string, account: string, region: string): string {
  return `cdk-${qualifier}-deploy-role-${account}-${region}`;
}

/**
 * Why the callers of CloudFormation on the Services stack need to read SSM parameters: its image tags and CDK's
 * `BootstrapVersion` are Systems Manager parameter types, which CloudFormation resolves at every create and update
 * (UsePreviousValue included) with the permissions of the caller of the stack operation, not of the stack's service
 * role: the caller needs ssm:GetParameters on each
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/systems-manager-parameter-types.html; the
 * "AccessDenied. User doesn't have permission to call ssm:GetParameters" of cross-account pipelines,
 * https://github.com/aws-samples/aws-cross-account-cicd-pipeline/issues/33, https://github.com/aws/aws-cdk/issues/20959).
 * ssm:GetParameter (singular) is what the CLI's get-parameter needs; CloudFormation calls the plural action.
 */
const READ_PARAMETER_ACTIONS = ['ssm:GetParameter', 'ssm:GetParameters'];

function parameterArn(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.slice(1) });
}

export interface ImageTagDeployReadAccessProps {
  readonly environment: string;
  readonly services: readonly string[];
}

/**
 * Lets the CDK bootstrap deploy role of this account and region read the services' image-tag parameters, so that
 * `cdk deploy` and the platform pipeline (both call CloudFormation as that role) can create and update the Services
 * stack. The default bootstrap template lets that role read only `/cdk-bootstrap/<qualifier>/version` (its
 * `ssm:GetParameters` there carries the comment "CreateChangeSet uses this to evaluate any SSM parameters";
 * aws-cdk lib/api/bootstrap/bootstrap-template.yaml, https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-env.html), so without this every Services deploy stops
 * with "AccessDenied. User doesn't have permission to call ssm:GetParameters". A customer managed policy attached
 * to the role by name, from a stack the Services stack depends on, rather than a customized bootstrap template:
 * nothing to do by hand per account, and it grants exactly these parameters. (A `{{resolve:ssm:...}}` dynamic reference in the image instead would need
 * the same read, and CloudFormation does not fetch a dynamic reference again on an update that leaves it unchanged
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-ssm.html; the release's
 * `update-stack --use-previous-template` would then change nothing: https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/844).)
 */
export class ImageTagDeployReadAccess extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: ImageTagDeployReadAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const deployRole = iam.Role.fromRoleName(this, 'DeployRole', cdkDeployRoleName(bootstrapQualifier(stack), stack.account, stack.region));
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Connect ${props.environment}: cdk deploy and the platform pipeline resolve the services' image tags`,
      roles: [deployRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'ResolveServiceImageTags',
          actions: READ_PARAMETER_ACTIONS,
          resources: props.services.map((service) => parameterArn(stack, serviceImageTagParameterName(props.environment, service))),
        }),
      ],
    });
  }
}

export interface ServiceReleaseAccessProps {
  readonly environment: string;
  /** The tooling account that hosts the pipelines (config/delivery.json `account`). */
  readonly toolingAccount: string;
  /** Service name → its ECR repository ARN in this environment. */
  readonly repositories: Readonly<Record<string, string>>;
}

/**
 * The role a service's pipeline assumes in this environment, scoped to what a release touches and nothing else:
 * push to and read scan results of the service repositories, read and write the services' image-tag parameters, and
 * update (and read the events of) the environment's Services stack, which CloudFormation then deploys with the
 * stack's own execution role. UpdateStack without RoleARN "uses the role that was previously associated with the
 * stack ... even if the users don't have permission to pass it", so no iam:PassRole is granted
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html).
 */
export class ServiceReleaseAccess extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ServiceReleaseAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const services = Object.keys(props.repositories);
    const tagParameters = services.map((service) => parameterArn(stack, serviceImageTagParameterName(props.environment, service)));
    this.role = new iam.Role(this, 'Role', {
      roleName: serviceReleaseRoleName(props.environment),
      description: `Connect ${props.environment}: service pipelines of the tooling account release images here`,
      // Only the release roles of the service pipelines, by name, in the tooling account: the tooling account as
      // principal, narrowed by aws:PrincipalArn (for a role, the role's ARN, not its session's:
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
      // Not the role ARNs as principals: IAM turns a role principal into the role's unique id when the policy is
      // saved, so CreateRole fails with "Invalid principal in policy" while the role does not exist yet (the
      // environments are deployed before the pipelines), and a re-created role no longer matches
      // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles).
      assumedBy: new iam.AccountPrincipal(props.toolingAccount).withConditions({
        ArnEquals: { 'aws:PrincipalArn': services.map((service) => `arn:${stack.partition}:iam::${props.toolingAccount}:role/${pipelineReleaseRoleName(service)}`) },
      }),
    });
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Connect ${props.environment}: what a service release touches`,
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'PushAndInspectServiceImages',
          actions: [
            'ecr:BatchCheckLayerAvailability',
            'ecr:InitiateLayerUpload',
            'ecr:UploadLayerPart',
            'ecr:CompleteLayerUpload',
            'ecr:PutImage',
            'ecr:BatchGetImage',
            'ecr:DescribeImages',
            'ecr:DescribeImageScanFindings',
          ],
          resources: Object.values(props.repositories),
        }),
        // GetAuthorizationToken has no resource-level permissions (acknowledged below).
        new iam.PolicyStatement({ sid: 'RegistryLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'RecordReleasedImageTags',
          actions: ['ssm:PutParameter'],
          resources: tagParameters,
        }),
        // UpdateStack resolves every Systems Manager parameter type of the Services stack with this role's
        // permissions: each service's tag (not only the released one) and CDK's BootstrapVersion (READ_PARAMETER_ACTIONS).
        new iam.PolicyStatement({
          sid: 'ResolveTheServicesStackParameters',
          actions: READ_PARAMETER_ACTIONS,
          resources: [...tagParameters, parameterArn(stack, bootstrapVersionParameterName(bootstrapQualifier(stack)))],
        }),
        new iam.PolicyStatement({
          sid: 'UpdateTheServicesStack',
          actions: ['cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents', 'cloudformation:UpdateStack'],
          resources: [stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${servicesStackName(props.environment)}/*` })],
        }),
      ],
    });
    Validations.of(policy).acknowledge(
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ecr:GetAuthorizationToken has no resource-level permissions; every image action is scoped to this environment\'s service repositories.' },
      {
        id: `AwsSolutions-IAM5[Resource::arn:${stack.partition}:cloudformation:${stack.region}:${stack.account}:stack/${servicesStackName(props.environment)}/*]`,
        reason: 'A stack ARN ends in the stack id CloudFormation generates; the name part pins this environment\'s Services stack.',
      },
    );
  }
}
