import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { type CacheConfig, cacheUserId } from '../../config/data';
import { IntegrationSecret } from '../integration-secret';

/** A serverless cache's endpoint port; 6380 serves reads from replicas. */
export const CACHE_PORT = 6379;
const CACHE_READER_PORT = 6380;

export interface ServerlessCacheProps {
  readonly config: CacheConfig;
  readonly environmentName: string;
  readonly vpc: ec2.IVpc;
  readonly dataKey: kms.IKey;
  /** Encrypts the generated password of the disabled default user. */
  readonly secretsKey: kms.IKey;
  /** Production: the default user's secret is retained with the stack's other stateful resources. */
  readonly retain: boolean;
  /** The services that name this cache: each gets its own IAM-authenticated user. */
  readonly services: readonly string[];
}

/**
 * One ElastiCache Serverless cache (Valkey) for the services: in the isolated subnets, encrypted at rest with the data
 * key and in transit (serverless caches accept TLS connections only), usage limits from config, daily snapshots, and
 * a user group whose only enabled users are the services that name the cache, each authenticating with IAM
 * (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html: the user's id and name are equal and the
 * caller needs elasticache:Connect on the cache and the user). The group's `default` user is disabled ("off") and
 * authenticates by a generated password that nobody uses (see below).
 */
export class ServerlessValkeyCache extends Construct {
  readonly cache: elasticache.CfnServerlessCache;
  readonly securityGroup: ec2.SecurityGroup;
  readonly config: CacheConfig;
  readonly cacheName: string;
  /** The generated password of the disabled `default` user (read by CloudFormation only, by dynamic reference). */
  readonly defaultUserSecret: IntegrationSecret;
  private readonly environmentName: string;

  constructor(scope: Construct, id: string, props: ServerlessCacheProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    this.environmentName = props.environmentName;
    this.cacheName = `connect-${props.environmentName}-${config.name}`;

    // A user group must include a user named `default` (AWS::ElastiCache::UserGroup UserIds:
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticache-usergroup.html),
    // and a VALKEY user group "can only contain users using an authentication mechanism (password or IAM)"
    // (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.RBAC.html): so the default user has a password,
    // generated into Secrets Manager and passed by dynamic reference (never in the template), and is off with no
    // commands, so that password opens nothing. IAM is not an option for it: an IAM user's id and name must be equal
    // (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html), and the id `default` is ElastiCache's
    // built-in default user, which has no password (Clusters.RBAC.html) and so cannot join a VALKEY group either.
    this.defaultUserSecret = new IntegrationSecret(this, 'DefaultUserSecret', {
      secretName: `connect/${props.environmentName}/cache/${config.name}/default-user`,
      description: `Connect ${props.environmentName}: password of the disabled "default" user of Valkey cache ${config.name} ({"password"}); read by CloudFormation only`,
      encryptionKey: props.secretsKey,
      // 48 letters and digits: within ElastiCache's 16-128 printable characters for a user password.
      generateKey: 'password',
      rotation: 'The password of a user that is off with no commands (access string "off -@all"): it authenticates nothing, and ElastiCache requires the user only to exist in the group. A new value takes a new secret version and a deploy of the Data stack (CloudFormation reads it by dynamic reference).',
      retain: props.retain,
    });
    const defaultUser = new elasticache.CfnUser(this, 'DefaultUser', {
      engine: 'valkey',
      userId: `${props.environmentName}-${config.name}-default`,
      userName: 'default',
      // Disabled: nobody connects without naming their own user.
      accessString: 'off -@all',
      authenticationMode: { Type: 'password', Passwords: [this.defaultUserSecret.secretValueFromJson('password').unsafeUnwrap()] },
    });
    const serviceUsers = props.services.map((service) => {
      const userId = this.userIdOf(service);
      return new elasticache.CfnUser(this, `User-${service}`, { engine: 'valkey', userId, userName: userId, accessString: 'on ~* +@all', authenticationMode: { Type: 'iam' } });
    });
    const userGroup = new elasticache.CfnUserGroup(this, 'UserGroup', {
      engine: 'valkey',
      userGroupId: `${props.environmentName}-${config.name}`,
      userIds: [defaultUser, ...serviceUsers].map((user) => user.userId),
    });
    userGroup.node.addDependency(defaultUser, ...serviceUsers);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${this.cacheName}: only from the services that name it`,
      allowAllOutbound: false,
    });
    this.cache = new elasticache.CfnServerlessCache(this, 'Cache', {
      serverlessCacheName: this.cacheName,
      description: `Connect ${props.environmentName}: Valkey cache ${config.name}`,
      engine: 'valkey',
      majorEngineVersion: config.majorVersion,
      kmsKeyId: props.dataKey.keyArn,
      securityGroupIds: [this.securityGroup.securityGroupId],
      subnetIds: props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
      userGroupId: userGroup.userGroupId,
      cacheUsageLimits: {
        dataStorage: { maximum: config.maxDataStorageGb, unit: 'GB' },
        ecpuPerSecond: { maximum: config.maxEcpuPerSecond },
      },
      snapshotRetentionLimit: config.snapshotRetentionDays,
      dailySnapshotTime: '03:00',
    });
    this.cache.node.addDependency(userGroup);
  }

  /** The IAM-authenticated user `service` connects as (its id and name are equal). */
  userIdOf(service: string): string {
    return cacheUserId(this.environmentName, this.config.name, service);
  }

  /** Lets `peer` reach the cache's endpoints (primary and reader ports) and nothing else; the rule lives in the peer's stack. */
  allowFrom(peer: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcpRange(CACHE_PORT, CACHE_READER_PORT), description, true);
  }

  /** elasticache:Connect on this cache as `service`'s user only (ARNs from names: no cross-stack export). */
  grantConnect(grantee: iam.IGrantable, service: string): void {
    const stack = Stack.of(this);
    const arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'elasticache', resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['elasticache:Connect'],
      resourceArns: [arn('serverlesscache', this.cacheName), arn('user', this.userIdOf(service))],
    });
  }
}
