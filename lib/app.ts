import { App, type AppProps } from 'aws-cdk-lib';
import { applyComplianceGate } from './compliance';
import type { EnvironmentConfig } from './config/schema';
import { ConnectStage } from './stage/connect-stage';

/**
 * Builds the Connect app: one Stage per environment config, and the compliance gate over all of it.
 * bin/connect.ts and the tests both build the app through here, so they synthesize the same thing.
 */
export function buildConnectApp(configs: readonly EnvironmentConfig[], appOrProps: App | AppProps = {}): { app: App; stages: ConnectStage[] } {
  const app = appOrProps instanceof App ? appOrProps : new App(appOrProps);
  const stages = configs.map((config) => {
    const stage = new ConnectStage(app, config.name, { config });
    applyComplianceGate(stage, config.kind);
    return stage;
  });
  return { app, stages };
}
