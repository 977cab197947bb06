import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';
import { ServiceRepository } from '../constructs/service-repository';
import { ImageTagDeployReadAccess, ServiceReleaseAccess } from '../constructs/service-release';

export interface ServiceRepositoriesStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly dataKey: kms.IKey;
}

/** The ECR repository of one service of one environment (also where preflight looks for its image tag). */
export function serviceRepositoryName(environment: string, service: string): string {
  return `connect/${environment}/${service}`;
}

/**
 * One ECR repository per configured service. A stack of its own so that a new service's repository exists (and
 * its first image can be pushed) before the Services stack starts tasks from it.
 */
export class ServiceRepositoriesStack extends Stack {
  /** Repository per service name. */
  readonly repositories: Readonly<Record<string, ServiceRepository>>;
  private readonly environmentName: string;

  constructor(scope: Construct, id: string, props: ServiceRepositoriesStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.repositories = Object.fromEntries(
      config.services.map((service) => [
        service.name,
        new ServiceRepository(this, `Repository-${service.name}`, {
          repositoryName: serviceRepositoryName(config.name, service.name),
          encryptionKey: props.dataKey,
          retain: config.kind === 'production',
        }),
      ]),
    );
    this.environmentName = config.name;
    // Before the Services stack (which depends on this one) is deployed: its image tags are Systems Manager
    // parameter types CloudFormation resolves as the deploying role.
    new ImageTagDeployReadAccess(this, 'DeployRoleReadsImageTags', { environment: config.name, services: config.services.map((service) => service.name) });
  }

  /**
   * Lets the service pipelines of the tooling account (config/delivery.json) release here: the environment's release
   * role, with the repositories, so a pipeline can push the first image before the Services stack exists.
   */
  allowReleasesFrom(toolingAccount: string): ServiceReleaseAccess {
    return new ServiceReleaseAccess(this, 'ReleaseAccess', {
      environment: this.environmentName,
      toolingAccount,
      repositories: Object.fromEntries(Object.entries(this.repositories).map(([service, repository]) => [service, repository.repositoryArn])),
    });
  }
}
