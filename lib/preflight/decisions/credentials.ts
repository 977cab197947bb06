/** 1. credentials: the caller's account and region are the environment's. */
import type { EnvironmentConfig } from '../../config/schema';
import { CHECKS, type CheckResult, checkResult, type Finding } from './check';

export interface CallerObservation {
  readonly account: string;
  readonly arn: string;
  /** The region the credentials' configuration resolves to (AWS_REGION, the profile), if any. */
  readonly region?: string;
}

export function decideCredentials(config: Pick<EnvironmentConfig, 'name' | 'account' | 'region'>, caller: CallerObservation): CheckResult {
  const findings: Finding[] = [];
  findings.push(
    caller.account === config.account
      ? { ok: true, text: `account ${caller.account} (${caller.arn})` }
      : { ok: false, text: `credentials are for account ${caller.account}, config/${config.name}.json says ${config.account}`, fix: `use credentials of account ${config.account} (AWS_PROFILE or the role of that account)` },
  );
  findings.push(
    caller.region === config.region
      ? { ok: true, text: `region ${caller.region}` }
      : { ok: false, text: caller.region ? `region is ${caller.region}, config says ${config.region}` : 'no region configured', fix: `export AWS_REGION=${config.region}` },
  );
  return checkResult(CHECKS.credentials, findings);
}
