import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';

export interface ApiCustomDomainProps {
  readonly domain: NonNullable<EnvironmentConfig['api']['customDomain']>;
  readonly api: apigw.RestApi;
  readonly stage: apigw.Stage;
}

/**
 * The API's custom domain: TLS 1.2 regional domain name with its certificate (imported by ARN, or issued and
 * validated by DNS), mapped to the stage with no base path, and its alias record in the hosted zone when one is
 * configured; without a zone, the `DomainTarget` output names where to point the DNS.
 */
export class ApiCustomDomain extends Construct {
  readonly domainName: apigw.DomainName;

  constructor(scope: Construct, id: string, props: ApiCustomDomainProps) {
    super(scope, id);
    const { domain } = props;
    const zone = domain.hostedZoneId ? route53.HostedZone.fromHostedZoneId(this, 'HostedZone', domain.hostedZoneId) : undefined;
    const certificate = domain.certificateArn
      ? acm.Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn)
      : new acm.Certificate(this, 'Certificate', {
          domainName: domain.domainName,
          // Its Name tag (the console's label), fixed to the stack rather than derived from this construct's path.
          certificateName: `${Stack.of(this).node.path}/Certificate`,
          // Without a hosted zone in config the SRE adds the validation record the deploy prints.
          validation: acm.CertificateValidation.fromDns(zone),
        });
    this.domainName = new apigw.DomainName(this, 'DomainName', {
      domainName: domain.domainName,
      certificate,
      endpointType: apigw.EndpointType.REGIONAL,
      securityPolicy: apigw.SecurityPolicy.TLS_1_2,
    });
    this.domainName.addBasePathMapping(props.api, { stage: props.stage });
    if (zone) {
      new route53.ARecord(this, 'DomainAlias', { zone, recordName: `${domain.domainName}.`, target: route53.RecordTarget.fromAlias(new targets.ApiGatewayDomain(this.domainName)) });
    } else {
      const output = new CfnOutput(this, 'DomainTarget', { description: `DNS: point ${domain.domainName} (CNAME or alias) here`, value: this.domainName.domainNameAliasDomainName });
      // The output's name is what the SRE reads after a deploy: it stays `DomainTarget` wherever the construct sits.
      output.overrideLogicalId('DomainTarget');
    }
  }
}
