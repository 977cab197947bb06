/**
 * For test/api.test.ts's private-route guard: the dev app as bin/connect.ts builds it (buildConnectApp) with two
 * faults in its REST API, a method added outside the route table and a private route without its authorizer and
 * scopes, and the message its synth throws. The guard reports every method it finds wrong, so one synth answers for
 * both faults. Built by the global setup's child after the shipped app (after-assembly.ts): ~1.2 s of CPU less in
 * api.test's worker, which no longer loads the whole app's modules.
 */
import { join } from 'node:path';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { buildConnectApp } from '../../lib/app';
import { loadEnvironmentConfigs } from '../../lib/config/load';
import { afterAssembly, writeAfterAssembly } from './after-assembly';

const NAME = 'route-guard-faults';

/** Child side: builds the faulty app, synthesizes it, and keeps what the synth threw (null when it passed). */
export function synthesizeRouteGuardFaults(assemblyDir: string): void {
  writeAfterAssembly(assemblyDir, NAME, () => {
    process.env.CDK_VALIDATION = 'false';
    const dev = loadEnvironmentConfigs(join(__dirname, '..', '..', 'config')).find((config) => config.name === 'dev');
    if (!dev) throw new Error('No config/dev.json');
    // No construct or annotation stack traces, as in the test files (test/support/aws-env.js): nothing reads them.
    const context = { 'aws:cdk:disable-creation-stack-traces': true, 'aws:cdk:disable-stack-trace': true };
    const { app, stages } = buildConnectApp([dev], { outdir: join(assemblyDir, NAME), context });
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
}

/** Test side: synthesizes nothing itself; throws what the faulty app's synth threw (nothing when it passed). */
export function synthesizeFaultyApp(): void {
  const thrown = afterAssembly<string | null>(NAME).value;
  if (thrown !== null) throw new Error(thrown);
}
