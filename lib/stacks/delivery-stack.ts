import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeliveryConfig } from '../config/delivery';
import type { EnvironmentConfig } from '../config/schema';
import { IntegrationSecret } from '../constructs/integration-secret';
import { DeliveryFoundation } from '../constructs/delivery/delivery-foundation';
import { acknowledgeGeneratedPermissions } from '../constructs/delivery/generated-permissions';
import { MicroFrontendPipeline } from '../constructs/delivery/micro-frontend-pipeline';
import { PlatformPipeline, type PromotedEnvironment } from '../constructs/delivery/platform-pipeline';
import { ServicePipeline } from '../constructs/delivery/service-pipeline';

export interface DeliveryStackProps extends StackProps {
  readonly config: DeliveryConfig;
  /** Every environment with its Stage, in promotion order. */
  readonly environments: readonly (PromotedEnvironment & { readonly config: EnvironmentConfig })[];
}

/** The secret of an environment's Modyo CLI token in the tooling account. */
export function modyoTokenSecretName(environment: string): string {
  return `connect/delivery/modyo-token/${environment}`;
}

/**
 * Every pipeline of the tooling account, in one stack so the platform pipeline's self-mutation keeps all of them
 * current: the platform pipeline, one per microservice, one per micro frontend, and what they share.
 */
export class DeliveryStack extends Stack {
  readonly foundation: DeliveryFoundation;
  readonly platform: PlatformPipeline;
  readonly services: Record<string, ServicePipeline> = {};
  readonly microFrontends: Record<string, MicroFrontendPipeline> = {};
  readonly modyoTokens: Record<string, IntegrationSecret> = {};

  constructor(scope: Construct, id: string, props: DeliveryStackProps) {
    super(scope, id, props);
    const { config, environments } = props;
    this.foundation = new DeliveryFoundation(this, 'Foundation', { config });
    this.platform = new PlatformPipeline(this, 'Platform', { source: config.platform.source, foundation: this.foundation, environments });

    for (const service of config.services) {
      this.services[service.name] = new ServicePipeline(this, `Service-${service.name}`, {
        config: service,
        foundation: this.foundation,
        environments: environments.filter((env) => env.config.services.some((s) => s.name === service.name)).map((env) => env.config),
      });
    }

    const published = new Set(config.microFrontends.flatMap((mf) => Object.keys(mf.sites)));
    for (const env of environments.filter((e) => published.has(e.name))) {
      this.modyoTokens[env.name] = new IntegrationSecret(this, `ModyoToken-${env.name}`, {
        secretName: modyoTokenSecretName(env.name),
        description: `{"token": "<Modyo API token of ${env.config.modyo.accountUrl} with the widget CLI permission>"} for the micro-frontend pipelines publishing to ${env.name}`,
        encryptionKey: this.foundation.secretsKey,
        // A key the pipelines do not read: a publish step fails until an SRE puts the real token.
        generateKey: 'unset',
        rotation: 'A Modyo API token belongs to a Modyo user and does not expire; it is rotated in Modyo by an administrator and put here with put-secret-value.',
        retain: true,
      });
    }
    for (const mf of config.microFrontends) {
      this.microFrontends[mf.name] = new MicroFrontendPipeline(this, `MicroFrontend-${mf.name}`, {
        config: mf,
        foundation: this.foundation,
        environments: environments.filter((env) => mf.sites[env.name] !== undefined).map((env) => env.config),
        modyoTokens: this.modyoTokens,
      });
    }
    // Last, once every pipeline has its roles and projects.
    acknowledgeGeneratedPermissions(this);
  }
}
