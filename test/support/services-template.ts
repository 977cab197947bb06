import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stage } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { EnvironmentConfig } from '../../lib/config/schema';
import { API_STAGE_NAME } from '../../lib/stacks/api-stack';
import { NetworkStack } from '../../lib/stacks/network-stack';
import { SecurityStack } from '../../lib/stacks/security-stack';
import { ServicesStack } from '../../lib/stacks/services-stack';
import { tagEnvironment } from '../../lib/stage/connect-stage';

/**
 * The Services stack of `config` as the Stage builds it (same stacks it needs, same tagging), without the stacks
 * it does not depend on: fast, and only the smoke-test handler is bundled. For tests that compare the template of
 * two configs; run with CDK_VALIDATION=false (the compliance gate is the global assembly's).
 */
export function servicesTemplate(config: EnvironmentConfig): Record<string, any> {
  const app = new App({ context: JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context });
  const stage = new Stage(app, config.name, { env: { account: config.account, region: config.region } });
  stage.node.setContext(`availability-zones:account=${config.account}:region=${config.region}`, config.availabilityZones);
  const logRetention = config.logRetentionDays as logs.RetentionDays;
  const security = new SecurityStack(stage, 'Security', { config });
  const network = new NetworkStack(stage, 'Network', { config, logsKey: security.logsKey, logRetention });
  const services = new ServicesStack(stage, 'Services', { config, vpc: network.vpc, logsKey: security.logsKey, secretsKey: security.secretsKey, logRetention, apiStageName: API_STAGE_NAME });
  tagEnvironment(stage, config);
  return app.synth().getStackArtifact(services.artifactId).template;
}
