/** 5. hosted zone: the configured zone exists, is public and holds every name the stacks put in it. */
import type { EnvironmentConfig } from '../../config/schema';
import type { CfnTemplate } from '../assembly';
import { CHECKS, type CheckResult, checkResult, type Finding } from './check';

/** The names the stacks put in the configured zone: the API domain, record sets and certificate validations in it. */
export function hostedZoneDomains(config: Pick<EnvironmentConfig, 'api'>, templates: readonly CfnTemplate[]): string[] {
  const zoneId = config.api.customDomain?.hostedZoneId;
  const names = new Set<string>();
  if (config.api.customDomain) names.add(normalizeDomain(config.api.customDomain.domainName));
  for (const template of templates) {
    for (const resource of Object.values(template.Resources ?? {})) {
      const props = resource.Properties ?? {};
      if (resource.Type === 'AWS::Route53::RecordSet' && props.HostedZoneId === zoneId && typeof props.Name === 'string') names.add(normalizeDomain(props.Name));
      if (resource.Type === 'AWS::CertificateManager::Certificate') {
        for (const option of (props.DomainValidationOptions as { DomainName?: unknown; HostedZoneId?: unknown }[] | undefined) ?? []) {
          if (option.HostedZoneId === zoneId && typeof option.DomainName === 'string') names.add(normalizeDomain(option.DomainName));
        }
      }
    }
  }
  return [...names];
}

function normalizeDomain(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export interface HostedZoneObservation {
  /** As Route 53 returns it, with the trailing dot: `example.com.` */
  readonly name: string;
  readonly privateZone: boolean;
}

export function decideHostedZone(config: Pick<EnvironmentConfig, 'name' | 'api'>, domains: readonly string[], zone: HostedZoneObservation | undefined): CheckResult {
  const custom = config.api.customDomain;
  const zoneId = custom?.hostedZoneId;
  if (!custom || !zoneId) {
    const text = custom ? `no api.customDomain.hostedZoneId: add the certificate validation record and the ${custom.domainName} alias the deploy prints to your DNS` : 'no api.customDomain in config';
    return checkResult(CHECKS.hostedZone, [{ ok: true, text }], 'SKIP');
  }
  if (!zone) return checkResult(CHECKS.hostedZone, [{ ok: false, text: `hosted zone ${zoneId} does not exist in this account`, fix: `create the public zone for ${custom.domainName}'s domain, or fix api.customDomain.hostedZoneId in config/${config.name}.json` }]);
  const zoneName = normalizeDomain(zone.name);
  const findings: Finding[] = [];
  // The config may name the zone too (the stacks then build records and certificates against that name).
  const configuredName = custom.hostedZoneName;
  if (configuredName && normalizeDomain(configuredName) !== zoneName) {
    findings.push({ ok: false, text: `${zoneId} is ${zoneName}, config says ${normalizeDomain(configuredName)}`, fix: `make api.customDomain.hostedZoneId and hostedZoneName in config/${config.name}.json name the same zone` });
  }
  if (zone.privateZone) findings.push({ ok: false, text: `${zoneId} (${zoneName}) is a private zone: certificate validation and the public API name need a public zone`, fix: `point api.customDomain.hostedZoneId at the public zone of ${zoneName}` });
  for (const domain of domains) {
    findings.push(
      domain === zoneName || domain.endsWith(`.${zoneName}`)
        ? { ok: true, text: `${domain} is in ${zoneId} (${zoneName})` }
        : { ok: false, text: `${domain} is not inside zone ${zoneId} (${zoneName})`, fix: `fix api.customDomain.domainName or hostedZoneId in config/${config.name}.json so the name is in the zone` },
    );
  }
  return checkResult(CHECKS.hostedZone, findings);
}
