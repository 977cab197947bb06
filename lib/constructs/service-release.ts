import { Stack, Validations } from 'aws-cdk-lib';
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
    this.role = new iam.Role(this, 'Role', {
      roleName: serviceReleaseRoleName(props.environment),
      description: `Connect ${props.environment}: service pipelines of the tooling account release images here`,
      // Only the release roles of the service pipelines, by name, in the tooling account.
      assumedBy: new iam.CompositePrincipal(...services.map((service) => new iam.ArnPrincipal(`arn:${stack.partition}:iam::${props.toolingAccount}:role/${pipelineReleaseRoleName(service)}`))),
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
          actions: ['ssm:GetParameter', 'ssm:PutParameter'],
          resources: services.map((service) => stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: serviceImageTagParameterName(props.environment, service).slice(1) })),
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
