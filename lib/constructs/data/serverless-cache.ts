import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { type CacheConfig, cacheUserId } from '../../config/data';

/** A serverless cache's endpoint port; 6380 serves reads from replicas. */
export const CACHE_PORT = 6379;
const CACHE_READER_PORT = 6380;

export interface ServerlessCacheProps {
  readonly config: CacheConfig;
  readonly environmentName: string;
  readonly vpc: ec2.IVpc;
  readonly dataKey: kms.IKey;
  /** The services that name this cache: each gets its own IAM-authenticated user. */
  readonly services: readonly string[];
}

/**
 * One ElastiCache Serverless cache (Valkey) for the services: in the isolated subnets, encrypted at rest with the data
 * key and in transit (serverless caches accept TLS connections only), usage limits from config, daily snapshots, and
 * a user group whose only enabled users are the services that name the cache, each authenticating with IAM
 * (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html: the user's id and name are equal and the
 * caller needs elasticache:Connect on the cache and the user). The default user is disabled ("off").
 */
export class ServerlessValkeyCache extends Construct {
  readonly cache: elasticache.CfnServerlessCache;
  readonly securityGroup: ec2.SecurityGroup;
  readonly config: CacheConfig;
  readonly cacheName: string;
  private readonly environmentName: string;

  constructor(scope: Construct, id: string, props: ServerlessCacheProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    this.environmentName = props.environmentName;
    this.cacheName = `connect-${props.environmentName}-${config.name}`;

    const defaultUser = new elasticache.CfnUser(this, 'DefaultUser', {
      engine: 'valkey',
      userId: `${props.environmentName}-${config.name}-default`,
      userName: 'default',
      // Disabled: nobody connects without naming their own user.
      accessString: 'off -@all',
      authenticationMode: { Type: 'no-password-required' },
    });
    const serviceUsers = props.services.map((service) => {
      const userId = cacheUserId(props.environmentName, config.name, service);
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
      resourceArns: [arn('serverlesscache', this.cacheName), arn('user', cacheUserId(this.environmentName, this.config.name, service))],
    });
  }
}
