import { Stage, type StageProps, Tags } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/schema';
import { NetworkStack } from '../stacks/network-stack';
import { SecurityStack } from '../stacks/security-stack';
import { ServiceRepositoriesStack } from '../stacks/service-repositories-stack';
import { ServicesStack } from '../stacks/services-stack';

export interface ConnectStageProps extends StageProps {
  readonly config: EnvironmentConfig;
}

/**
 * One environment: its stacks, all in the environment's own account and region, wired by typed props (never by
 * cross-environment references). `cdk deploy '<env>/*'` deploys it; a CDK pipeline deploys it as a Stage.
 */
export class ConnectStage extends Stage {
  readonly network: NetworkStack;
  readonly security: SecurityStack;
  /** Only when config.services is non-empty. */
  readonly serviceRepositories?: ServiceRepositoriesStack;
  readonly services?: ServicesStack;

  constructor(scope: Construct, id: string, props: ConnectStageProps) {
    super(scope, id, { ...props, env: { account: props.config.account, region: props.config.region } });
    const { config } = props;
    // The AZs come from config: seeding the context CDK would otherwise fill by an AWS lookup keeps synth
    // working with no credentials.
    this.node.setContext(`availability-zones:account=${config.account}:region=${config.region}`, config.availabilityZones);
    // CloudWatch's RetentionDays enum values are the day counts the schema already restricts to.
    const logRetention = config.logRetentionDays as logs.RetentionDays;

    this.security = new SecurityStack(this, 'Security', { config, description: `Connect ${config.name}: KMS keys` });
    this.network = new NetworkStack(this, 'Network', {
      config,
      logsKey: this.security.logsKey,
      logRetention,
      description: `Connect ${config.name}: VPC, flow logs and endpoints`,
    });
    if (config.services.length > 0) {
      this.serviceRepositories = new ServiceRepositoriesStack(this, 'ServiceRepositories', {
        config,
        dataKey: this.security.dataKey,
        description: `Connect ${config.name}: ECR repositories of the microservices`,
      });
      this.services = new ServicesStack(this, 'Services', {
        config,
        vpc: this.network.vpc,
        logsKey: this.security.logsKey,
        secretsKey: this.security.secretsKey,
        logRetention,
        repositories: this.serviceRepositories.repositories,
        description: `Connect ${config.name}: Fargate microservices behind an internal ALB, released blue/green`,
      });
    }

    Tags.of(this).add('connect:environment', config.name);
    for (const [key, value] of Object.entries(config.tags)) Tags.of(this).add(key, value);
  }
}
