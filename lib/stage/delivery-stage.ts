import { Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeliveryConfig } from '../config/delivery';
import type { EnvironmentConfig } from '../config/schema';
import { DELIVERY } from '../constructs/delivery/delivery-foundation';
import { DeliveryStack } from '../stacks/delivery-stack';
import type { ConnectStage } from './connect-stage';
import { tagEnvironment } from './connect-stage';

export interface DeliveryStageProps extends StageProps {
  readonly config: DeliveryConfig;
  /** The environments' Stages, deployed by the platform pipeline in config.promotion order. */
  readonly environments: readonly { readonly config: EnvironmentConfig; readonly stage: ConnectStage }[];
}

/**
 * The tooling account: every pipeline, outside the environment Stages, in the account and region of
 * config/delivery.json. `cdk deploy 'delivery/*'` deploys it once; from then on the platform pipeline updates it.
 */
export class DeliveryStage extends Stage {
  readonly pipelines: DeliveryStack;

  constructor(scope: Construct, props: DeliveryStageProps) {
    super(scope, DELIVERY, { ...props, env: { account: props.config.account, region: props.config.region } });
    const byName = new Map(props.environments.map((e) => [e.config.name, e]));
    const environments = props.config.promotion.flatMap((name) => {
      const env = byName.get(name);
      return env ? [{ name, kind: env.config.kind, stage: env.stage, config: env.config }] : [];
    });
    this.pipelines = new DeliveryStack(this, 'Pipelines', {
      config: props.config,
      environments,
      description: 'Connect delivery: the platform pipeline, a pipeline per microservice and per micro frontend',
    });
    tagEnvironment(this, { name: DELIVERY, tags: {} });
  }
}
