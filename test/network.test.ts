import { Match } from 'aws-cdk-lib/assertions';
import { ENVIRONMENTS, stackTemplate } from './support/assembly';

describe.each(ENVIRONMENTS)('%s network', (environment) => {
  const template = stackTemplate(environment, 'Network');

  test('has its own VPC with public, private and isolated subnets in every configured AZ', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    const azs = environment === 'prod' ? 3 : 2;
    template.resourceCountIs('AWS::EC2::Subnet', azs * 3);
    template.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'us-east-1a', MapPublicIpOnLaunch: false });
  });

  test('logs all traffic to an encrypted log group with the environment retention', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: { dev: 30, staging: 90, prod: 365 }[environment] });
  });

  test('reaches S3 and DynamoDB through gateway endpoints and AWS APIs through private interface endpoints', () => {
    const endpoints = template.findResources('AWS::EC2::VPCEndpoint');
    const types = Object.values(endpoints).map((e: any) => e.Properties.VpcEndpointType);
    expect(types.filter((t) => t === 'Gateway')).toHaveLength(2);
    expect(types.filter((t) => t === 'Interface').length).toBeGreaterThanOrEqual(4);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Interface endpoints: HTTPS from inside the VPC',
      SecurityGroupIngress: [Match.objectLike({ FromPort: 443, ToPort: 443, CidrIp: { dev: '10.10.0.0/16', staging: '10.20.0.0/16', prod: '10.30.0.0/16' }[environment] })],
    });
  });
});

test('production has one NAT gateway per AZ, pre-production one', () => {
  stackTemplate('prod', 'Network').resourceCountIs('AWS::EC2::NatGateway', 3);
  stackTemplate('staging', 'Network').resourceCountIs('AWS::EC2::NatGateway', 1);
  stackTemplate('dev', 'Network').resourceCountIs('AWS::EC2::NatGateway', 1);
});

test('VPC CIDRs come from each environment config and differ', () => {
  const cidrs = ENVIRONMENTS.map((e) => Object.values(stackTemplate(e, 'Network').findResources('AWS::EC2::VPC'))[0].Properties.CidrBlock);
  expect(cidrs).toEqual(['10.10.0.0/16', '10.20.0.0/16', '10.30.0.0/16']);
});

describe.each(ENVIRONMENTS)('%s security', (environment) => {
  const template = stackTemplate(environment, 'Security');

  test('has one rotating KMS key per class of data, with a clear alias', () => {
    template.resourceCountIs('AWS::KMS::Key', 4);
    template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true, RotationPeriodInDays: 365 });
    for (const name of ['data', 'logs', 'secrets', 'alerts']) {
      template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/connect/${environment}/${name}` });
    }
  });

  test('key policies allow grants only for AWS services and logs only for this account and region', () => {
    template.allResourcesProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'GrantsOnlyForAwsServices', Effect: 'Deny', Action: 'kms:CreateGrant' })]) },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'CloudWatchLogsOfThisEnvironment', Principal: { Service: 'logs.us-east-1.amazonaws.com' }, Condition: { ArnLike: Match.anyValue() } }),
        ]),
      },
    });
  });

  test('production keys are retained, pre-production keys are not', () => {
    const keys = Object.values(template.findResources('AWS::KMS::Key'));
    expect(keys.every((k: any) => k.DeletionPolicy === (environment === 'prod' ? 'Retain' : 'Delete'))).toBe(true);
  });
});
