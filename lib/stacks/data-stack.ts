import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { dataBucketName } from '../config/data';
import type { EnvironmentConfig } from '../config/schema';
import { EnvironmentBackup } from '../constructs/data/environment-backup';
import { ServerlessValkeyCache } from '../constructs/data/serverless-cache';
import { type ServiceData, serviceData } from '../constructs/data/service-data';
import { ServiceDatabase } from '../constructs/data/service-database';
import type { MonitoredResources } from '../constructs/monitoring/monitoring';
import { QueueWithDlq } from '../constructs/queue-with-dlq';
import { AccessLogsBucket, SecureBucket } from '../constructs/secure-bucket';

export interface DataStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly dataKey: kms.IKey;
  readonly secretsKey: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The services' data (config `data` and `services[]`.databases/caches/queues/buckets): Aurora Serverless v2
 * databases, Valkey serverless caches, shared and per-service queues and buckets, and the environment's AWS Backup
 * plan (which also covers the other stacks' tables and data buckets, by tag). Deployed before the services, which
 * receive what they name through `dataFor` and attach the grants and network rules in their own stack.
 */
export class DataStack extends Stack {
  readonly databases: ServiceDatabase[];
  readonly caches: ServerlessValkeyCache[];
  readonly queues: QueueWithDlq[] = [];
  readonly buckets: SecureBucket[] = [];
  readonly backup: EnvironmentBackup;
  private readonly services = new Map<string, ServiceData>();

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;
    const production = config.kind === 'production';
    const namedBy = (area: 'databases' | 'caches', name: string) => config.services.filter((service) => service[area].includes(name)).map((service) => service.name);

    this.databases = config.data.databases.map(
      (database) =>
        new ServiceDatabase(this, `Database-${database.name}`, {
          config: database,
          environmentName: config.name,
          production,
          vpc: props.vpc,
          dataKey: props.dataKey,
          secretsKey: props.secretsKey,
          logsKey: props.logsKey,
          logRetention: props.logRetention,
        }),
    );
    this.caches = config.data.caches.map(
      (cache) =>
        new ServerlessValkeyCache(this, `Cache-${cache.name}`, {
          config: cache,
          environmentName: config.name,
          vpc: props.vpc,
          dataKey: props.dataKey,
          secretsKey: props.secretsKey,
          retain: production,
          services: namedBy('caches', cache.name),
        }),
    );

    const queue = (id: string, shape: { fifo?: boolean; visibilityTimeoutSeconds?: number; maxReceiveCount?: number }) => {
      const created = new QueueWithDlq(this, id, {
        encryptionKey: props.dataKey,
        visibilityTimeout: Duration.seconds(shape.visibilityTimeoutSeconds ?? 30),
        maxReceiveCount: shape.maxReceiveCount,
        fifo: shape.fifo,
      });
      this.queues.push(created);
      return created;
    };
    let accessLogs: AccessLogsBucket | undefined;
    const bucket = (id: string, bucketName: string, shape: { expireAfterDays?: number; infrequentAccessAfterDays?: number }) => {
      accessLogs ??= new AccessLogsBucket(this, 'AccessLogs', { retain: production, expireAfterDays: config.logRetentionDays });
      const created = new SecureBucket(this, id, { encryptionKey: props.dataKey, accessLogsBucket: accessLogs, retain: production, bucketName, ...shape });
      this.buckets.push(created);
      return created;
    };
    const sharedQueues = new Map(config.data.queues.map((shape) => [shape.name, queue(`Queue-${shape.name}`, shape)]));
    const sharedBuckets = new Map(
      config.data.buckets.map((shape) => {
        const bucketName = dataBucketName(config.name, config.account, shape.name);
        return [shape.name, { bucket: bucket(`Bucket-${shape.name}`, bucketName, shape), bucketName }];
      }),
    );

    for (const service of config.services) {
      const resources = {
        databases: this.databases.filter((database) => service.databases.includes(database.config.name)),
        caches: this.caches.filter((cache) => service.caches.includes(cache.config.name)),
        queues: service.queues.map((entry) => ({
          name: entry.name,
          access: entry.access,
          queue: (sharedQueues.get(entry.name) ?? queue(`Queue-${service.name}-${entry.name}`, entry)).queue,
        })),
        buckets: service.buckets.map((entry) => {
          const own = () => {
            const bucketName = dataBucketName(config.name, config.account, entry.name, service.name);
            return { bucket: bucket(`Bucket-${service.name}-${entry.name}`, bucketName, entry), bucketName };
          };
          return { name: entry.name, access: entry.access, ...(sharedBuckets.get(entry.name) ?? own()) };
        }),
      };
      this.services.set(service.name, serviceData(service, resources));
    }

    this.backup = new EnvironmentBackup(this, 'Backup', {
      environmentName: config.name,
      production,
      config: config.data.backup,
      resourceArns: this.databases.map((database) => database.cluster.clusterArn),
    });
  }

  /** What service `name` receives for the data it names (nothing when it names none). */
  dataFor(name: string): ServiceData | undefined {
    return this.services.get(name);
  }

  /** This stack's resources by kind, for its alarms. */
  get monitoredResources(): MonitoredResources {
    return {
      queues: this.queues,
      databases: this.databases,
      databaseReaders: this.databases.filter((database) => database.config.readers > 0),
      caches: this.caches,
      backupVaults: [this.backup.vault],
    };
  }
}
