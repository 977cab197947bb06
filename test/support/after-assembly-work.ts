/**
 * What the global setup's child (synth-assembly.ts) builds for single tests after the shipped app, with CDK's and
 * the app's modules loaded already (after-assembly.ts). Kept apart from the modules the tests read the results
 * through, so a test file never loads the app's modules for them (~0.3 s of CPU per file).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { buildConnectApp } from '../../lib/app';
import { loadEnvironmentConfigs } from '../../lib/config/load';
import { ConnectStage } from '../../lib/stage/connect-stage';
import { writeAfterAssembly } from './after-assembly';
import { environmentConfig } from './api-template';
import { CONCURRENCY_VARIANTS, type ConcurrencyVariant, VARIANTS_DIR, variantConfig } from './concurrency-variants';
import { ROUTE_GUARD_FAULTS } from './route-guard-faults';
import { SERVICES_CHANGE, SERVICES_CHANGE_ENVIRONMENTS, withServiceAddedAndTagChanged } from './services-change';
import { servicesTemplate } from './services-template';

const ROOT = join(__dirname, '..', '..');
// No construct or annotation stack traces, as in the test files (test/support/aws-env.js): nothing reads them.
const NO_TRACES = { 'aws:cdk:disable-creation-stack-traces': true, 'aws:cdk:disable-stack-trace': true };

export function buildForSingleTests(assemblyDir: string): void {
  process.env.CDK_VALIDATION = 'false';

  // test/lambda-concurrency.test.ts: the dev environment with each `lambdaConcurrency` variant, one App and the dev
  // ConnectStage each, no compliance gate (not what is tested there).
  writeAfterAssembly(assemblyDir, VARIANTS_DIR, () => {
    const context = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context;
    for (const variant of Object.keys(CONCURRENCY_VARIANTS) as ConcurrencyVariant[]) {
      const config = variantConfig(variant);
      const app = new App({ outdir: join(assemblyDir, VARIANTS_DIR, variant), context: { ...context, ...NO_TRACES } });
      new ConnectStage(app, config.name, { config });
      app.synth();
    }
  });

  // test/api.test.ts: the dev app as bin/connect.ts builds it with both faults of route-guard-faults.ts, and the
  // message its synth throws (null when it passes).
  writeAfterAssembly(assemblyDir, ROUTE_GUARD_FAULTS, () => {
    const dev = loadEnvironmentConfigs(join(ROOT, 'config')).find((config) => config.name === 'dev');
    if (!dev) throw new Error('No config/dev.json');
    const { app, stages } = buildConnectApp([dev], { outdir: join(assemblyDir, ROUTE_GUARD_FAULTS), context: NO_TRACES });
    const api = (stages[0] as any).api.api as apigw.RestApi;
    api.root.resourceForPath('/notifications').addMethod('DELETE', new apigw.MockIntegration());
    const method = api.methods.find((m) => m.httpMethod === 'GET' && m.resource.path === '/notifications/{id}') as apigw.Method;
    (method.node.defaultChild as apigw.CfnMethod).authorizationScopes = undefined;
    (method.node.defaultChild as apigw.CfnMethod).authorizationType = 'NONE';
    try {
      app.synth();
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    return null;
  });

  // test/services.test.ts: the Services stack of each environment's config with a service added and a tag changed.
  writeAfterAssembly(assemblyDir, SERVICES_CHANGE, () =>
    Object.fromEntries(
      SERVICES_CHANGE_ENVIRONMENTS.map((environment) => {
        const started = Date.now();
        const template = servicesTemplate(withServiceAddedAndTagChanged(environmentConfig(environment)));
        return [environment, { template, milliseconds: Date.now() - started }];
      }),
    ),
  );
}
