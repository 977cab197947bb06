import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type AppProps } from 'aws-cdk-lib';
import { applyComplianceGate } from './compliance';
import { useCachedTemplateValidation } from './compliance-template-validation';
import type { DeliveryConfig } from './config/delivery';
import type { EnvironmentConfig } from './config/schema';
import { ConnectStage } from './stage/connect-stage';
import { DeliveryStage } from './stage/delivery-stage';

/**
 * Builds the Connect app: one Stage per environment config, the delivery Stage when there is a delivery config, and
 * the compliance gate over all of it.
 * bin/connect.ts and the tests both build the app through here, so they synthesize the same thing.
 */
export function buildConnectApp(
  configs: readonly EnvironmentConfig[],
  appOrProps: App | AppProps = {},
  delivery?: DeliveryConfig,
): { app: App; stages: ConnectStage[]; delivery?: DeliveryStage } {
  // An app built here (the tests) gets cdk.json's context and feature flags, as the CLI gives bin/connect.ts;
  // without them CDK falls back to old defaults (e.g. ACL-based S3 access-log delivery) and synthesizes another app.
  const app = appOrProps instanceof App ? appOrProps : new App({ ...appOrProps, context: { ...cdkJsonContext(), ...appOrProps.context } });
  // CDK's template validation starts now when it will check every template (lib/compliance-template-validation.ts).
  const templateValidation = useCachedTemplateValidation();
  templateValidation.prestart(app);
  const stages = configs.map((config) => new ConnectStage(app, config.name, { config }));
  // Each environment's release role trusts the service pipelines of the tooling account.
  if (delivery) stages.forEach((stage) => stage.serviceRepositories?.allowReleasesFrom(delivery.account));
  // The pipelines (config/delivery.json), outside the environments; the platform pipeline deploys these same Stages.
  // Built last: building the platform pipeline synthesizes the environment Stages (CDK Pipelines reads their
  // assemblies), so whatever changes an environment must be added to it before this line.
  const deliveryStage = delivery ? new DeliveryStage(app, { config: delivery, environments: stages.map((stage, index) => ({ config: configs[index], stage })) }) : undefined;
  // Those environment assemblies are written: CDK's template validation (started in a worker when it will check every
  // template) checks them while the rest is built.
  if (deliveryStage) templateValidation.validateEarly(stages.map((stage) => stage.outdir));
  applyComplianceGate(app, [
    ...stages.map((stage, index) => ({ stage, kind: configs[index].kind, plainHttpLoadBalancer: stage.services?.endpoint.protocol === 'http' })),
    // The tooling account is held to production's rules.
    ...(deliveryStage ? [{ stage: deliveryStage, kind: 'production' as const, buildsContainerImages: delivery?.services.length !== 0 }] : []),
  ]);
  return { app, stages, delivery: deliveryStage };
}

function cdkJsonContext(): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
}
