import { z } from 'zod';
import { intInRange, name } from './fields';
import { crossAreaRule, duplicates, type Issue, issueOf } from './rules';

/**
 * Data for the microservices (`data`): Aurora Serverless v2 databases, ElastiCache Serverless (Valkey) caches,
 * shared queues and buckets, and the environment's AWS Backup plan. Services name what they use in
 * `services[].databases`, `caches`, `queues` and `buckets` (lib/config/services.ts); the rules across the two are
 * here (DATA_RULES), and what a service receives is derived once by `serviceDataVariables`.
 */

export type DatabaseEngine = 'aurora-postgresql' | 'aurora-mysql';

/**
 * The engine versions Aurora offers for Serverless v2, per engine and major version: the oldest minor that runs
 * `db.serverless` and the oldest that can scale to 0 ACUs (auto-pause). A version outside this table is refused.
 * - Serverless v2: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.ServerlessV2.html
 *   (Aurora MySQL 3.02.0 and higher; Aurora PostgreSQL 13.6, 14.3, 15.2, 16.1, 17.4 and higher in us-east-1, the
 *   region of the shipped environments; some regions start later, which `aws rds describe-orderable-db-instance-options
 *   --db-instance-class db.serverless` confirms).
 * - 0 ACUs: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html and the
 *   capacity section of https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.how-it-works.html
 *   (Aurora PostgreSQL 13.15, 14.12, 15.7, 16.3 and higher; Aurora MySQL 3.08.0 and higher).
 * PostgreSQL versions are written as Aurora names them ("16.6"); MySQL as the Aurora MySQL version ("3.08.0",
 * engine version "8.0.mysql_aurora.3.08.0").
 */
export const SERVERLESS_V2_VERSIONS: Readonly<Record<DatabaseEngine, Readonly<Record<string, { readonly serverlessV2: string; readonly autoPause: string }>>>> = {
  'aurora-postgresql': {
    '13': { serverlessV2: '13.6', autoPause: '13.15' },
    '14': { serverlessV2: '14.3', autoPause: '14.12' },
    '15': { serverlessV2: '15.2', autoPause: '15.7' },
    '16': { serverlessV2: '16.1', autoPause: '16.3' },
    '17': { serverlessV2: '17.4', autoPause: '17.4' },
  },
  'aurora-mysql': {
    '3': { serverlessV2: '3.02.0', autoPause: '3.08.0' },
  },
};

const VERSION_FORMAT: Record<DatabaseEngine, RegExp> = { 'aurora-postgresql': /^(\d+)\.(\d+)$/, 'aurora-mysql': /^(\d+)\.(\d+)\.(\d+)$/ };

/** Compares dotted versions numerically ("16.10" > "16.3"). */
function compareVersions(a: string, b: string): number {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** Why `version` of `engine` cannot run Serverless v2 (or scale to 0 ACUs when `autoPause`), or undefined when it can. */
export function engineVersionProblem(engine: DatabaseEngine, version: string, autoPause: boolean): string | undefined {
  const lines = SERVERLESS_V2_VERSIONS[engine];
  const offered = Object.values(lines).map((line) => `${line.serverlessV2}+`).join(', ');
  const match = VERSION_FORMAT[engine].exec(version);
  const line = match ? lines[match[1]] : undefined;
  if (!line || compareVersions(version, line.serverlessV2) < 0) {
    return `expected an ${engine} version Aurora offers for Serverless v2 (${offered}, e.g. "${engine === 'aurora-mysql' ? '3.08.0' : '16.6'}"); got "${version}"`;
  }
  if (autoPause && compareVersions(version, line.autoPause) < 0) {
    return `expected ${engine} ${line.autoPause} or later for minCapacity 0 (auto-pause); got "${version}"`;
  }
  return undefined;
}

/** Aurora Serverless v2 capacity: 0-256 ACUs in steps of 0.5 (0 only where auto-pause is offered). */
const acu = (what: string) =>
  z
    .number({ error: `expected the ${what} in ACUs, 0-256 in steps of 0.5` })
    .min(0, { error: `expected the ${what} in ACUs, 0-256 in steps of 0.5` })
    .max(256, { error: `expected the ${what} in ACUs, 0-256 in steps of 0.5` })
    .refine((value) => Number.isInteger(value * 2), { error: `expected the ${what} in ACUs, 0-256 in steps of 0.5` });

const DatabaseConfig = z
  .strictObject({
    name,
    engine: z.enum(['aurora-postgresql', 'aurora-mysql']),
    engineVersion: z.string(),
    minCapacity: acu('minimum capacity'),
    maxCapacity: acu('maximum capacity'),
    /** Minutes without connections before a 0-ACU database pauses (5 minutes to 24 hours). */
    autoPauseMinutes: intInRange(5, 1440, 'expected minutes without connections before the database pauses, 5-1440').default(10),
    /** Serverless v2 reader instances besides the writer, in other AZs (production needs one to survive an AZ). */
    readers: intInRange(0, 15, 'expected the number of reader instances, 0-15').default(0),
    /** Days between automatic rotations of the administrator credentials (Secrets Manager, hosted rotation). */
    rotationDays: intInRange(1, 365, 'expected days between credential rotations, 1-365').default(30),
    /** An RDS Proxy in front of the cluster (TLS and IAM authentication required); services then connect through it. */
    proxy: z.boolean().default(false),
  })
  .superRefine((database, ctx) => {
    const issue = issueOf(ctx);
    if (database.minCapacity > database.maxCapacity) issue(['minCapacity'], `expected minCapacity <= maxCapacity (${database.maxCapacity})`);
    if (database.maxCapacity < 1) issue(['maxCapacity'], 'expected a maxCapacity of at least 1 ACU');
    const problem = engineVersionProblem(database.engine, database.engineVersion, database.minCapacity === 0);
    if (problem) issue(['engineVersion'], problem);
    // Auto-pause and RDS Proxy exclude each other: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html
    if (database.minCapacity === 0 && database.proxy) issue(['proxy'], 'expected no RDS Proxy on a database with minCapacity 0: Aurora does not auto-pause a cluster behind RDS Proxy');
  });

export type DatabaseConfig = z.infer<typeof DatabaseConfig>;

const CacheConfig = z.strictObject({
  name,
  /** Valkey major version of the serverless cache. */
  majorVersion: z.enum(['7', '8']).default('8'),
  /** Most data the cache may hold (GB); beyond it Valkey evicts. */
  maxDataStorageGb: intInRange(1, 5000, 'expected the cache\'s data limit in GB, 1-5000'),
  /** Most ElastiCache Processing Units per second; beyond it commands are throttled. */
  maxEcpuPerSecond: intInRange(1000, 15000000, 'expected the cache\'s ECPU-per-second limit, 1000-15000000'),
  /** Days of daily snapshots kept (0 turns snapshots off, refused in production). */
  snapshotRetentionDays: intInRange(0, 35, 'expected days of daily snapshots to keep, 0-35').default(7),
});

export type CacheConfig = z.infer<typeof CacheConfig>;

/** A queue's shape: shared ones are declared in `data.queues`, a service's own in `services[].queues`. */
export const QueueShape = {
  fifo: z.boolean().optional(),
  /** Seconds a received message stays hidden; at least 6x the consumer's processing time. */
  visibilityTimeoutSeconds: intInRange(0, 43200, 'expected a visibility timeout in seconds, 0-43200').optional(),
  /** Deliveries before a message moves to the dead-letter queue. */
  maxReceiveCount: intInRange(1, 1000, 'expected deliveries before the dead-letter queue, 1-1000').optional(),
};

/** A bucket's lifecycle: shared ones in `data.buckets`, a service's own in `services[].buckets`. */
export const BucketShape = {
  expireAfterDays: intInRange(1, 36500, 'expected days before objects expire, 1-36500').optional(),
  infrequentAccessAfterDays: intInRange(30, 36500, 'expected days before objects move to Infrequent Access, 30 or more').optional(),
};

function accessList<const T extends readonly [string, ...string[]]>(actions: T) {
  const message = `expected the access the service needs: one or more of ${actions.map((a) => `"${a}"`).join(', ')}`;
  return z.array(z.enum(actions, { error: message })).min(1, { error: message }).refine((list) => new Set(list).size === list.length, { error: `${message}, each once` });
}

/**
 * A service's data declarations (spread into ServiceConfig): databases and caches by name; queues and buckets by
 * name with the least access the service needs. A queue or bucket named in `data.queues` / `data.buckets` is the
 * shared one; any other name is the service's own, shaped by the fields given here.
 */
export const ServiceDataFields = {
  databases: z.array(name).default([]),
  caches: z.array(name).default([]),
  queues: z.array(z.strictObject({ name, access: accessList(['send', 'consume']), ...QueueShape })).default([]),
  buckets: z.array(z.strictObject({ name, access: accessList(['read', 'write']), ...BucketShape })).default([]),
};

const BackupConfig = z.strictObject({
  /** Days recovery points are kept; defaults to 35 in production and 7 in pre-production. */
  retentionDays: intInRange(1, 36500, 'expected days to keep recovery points, 1-36500').optional(),
  /**
   * A backup vault in another region (or account) each recovery point is copied to, e.g. for disaster recovery of
   * production. The vault must exist and accept copies (its access policy and key) before the first backup runs.
   */
  copyToVaultArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[A-Za-z0-9_.-]{2,50}$/, { message: 'expected a backup vault ARN, e.g. "arn:aws:backup:us-west-2:111111111111:backup-vault:connect-dr"' })
    .optional(),
});

export const DataConfig = z
  .strictObject({
    databases: z.array(DatabaseConfig).default([]),
    caches: z.array(CacheConfig).default([]),
    queues: z.array(z.strictObject({ name, ...QueueShape })).default([]),
    buckets: z.array(z.strictObject({ name, ...BucketShape })).default([]),
    backup: BackupConfig.default({}),
  })
  .superRefine((data, ctx) => {
    const issue = issueOf(ctx);
    for (const area of ['databases', 'caches', 'queues', 'buckets'] as const) {
      duplicates(data[area].map((entry) => entry.name)).forEach((i) => issue([area, i, 'name'], `expected a name no other entry of data.${area} uses`));
    }
  });

export type DataConfig = z.infer<typeof DataConfig>;

export const EMPTY_DATA: DataConfig = { databases: [], caches: [], queues: [], buckets: [], backup: {} };

/** `accounts-db` → `ACCOUNTS_DB`: the part of a variable name that says which resource it is about. */
export function variablePart(resourceName: string): string {
  return resourceName.toUpperCase().replace(/-/g, '_');
}

/** What a service's data declarations need from it (a subset of ServiceConfig, so this module stands alone). */
export interface ServiceDataDeclarations {
  readonly name: string;
  readonly databases: readonly string[];
  readonly caches: readonly string[];
  readonly queues: readonly { readonly name: string }[];
  readonly buckets: readonly { readonly name: string }[];
}

/**
 * The variables a service receives for what it names: plain environment variables and ECS secrets (by name). One
 * definition, read by the Data stack that sets them and by the config rule that refuses a service's own variable of
 * the same name.
 */
export function serviceDataVariables(service: ServiceDataDeclarations): { environment: string[]; secrets: string[] } {
  const environment: string[] = [];
  const secrets: string[] = [];
  for (const database of service.databases) {
    const v = `DB_${variablePart(database)}`;
    environment.push(`${v}_HOST`, `${v}_PORT`, `${v}_NAME`, `${v}_IAM_USER`);
    secrets.push(`${v}_USERNAME`, `${v}_PASSWORD`);
  }
  for (const cache of service.caches) environment.push(`CACHE_${variablePart(cache)}_ENDPOINT`, `CACHE_${variablePart(cache)}_PORT`, `CACHE_${variablePart(cache)}_USER`);
  for (const queue of service.queues) environment.push(`QUEUE_${variablePart(queue.name)}_URL`, `QUEUE_${variablePart(queue.name)}_NAME`);
  for (const bucket of service.buckets) environment.push(`BUCKET_${variablePart(bucket.name)}_NAME`);
  return { environment, secrets };
}

/** The ElastiCache user a service authenticates as with IAM (its user id and name must be equal and at most 40 characters). */
export function cacheUserId(environment: string, cache: string, service: string): string {
  return `${environment}-${cache}-${service}`;
}

/**
 * The name of a data bucket (shared: no owner; a service's own: its service): stated, so grants name it literally.
 * S3 bucket names are global and 3-63 characters; the account keeps them unique.
 */
export function dataBucketName(environment: string, account: string, bucket: string, owner?: string): string {
  return ['connect', environment, owner, bucket, account].filter(Boolean).join('-');
}

function checkNamed(kind: string, declared: readonly string[], named: readonly string[], path: (string | number)[], issue: Issue): void {
  named.forEach((entry, j) => {
    if (!declared.includes(entry)) {
      issue([...path, j], `expected the name of a ${kind} in data.${kind === 'cache' ? 'caches' : 'databases'} (${declared.length > 0 ? declared.map((d) => `"${d}"`).join(', ') : 'none declared'}); got "${entry}"`);
    }
  });
}

export const DATA_RULES = [
  // Databases and caches live in the isolated subnets: no route in or out of the VPC.
  crossAreaRule(['data', 'network'], (config, issue) => {
    if (config.network.isolatedSubnets) return;
    for (const area of ['databases', 'caches'] as const) {
      config.data[area].forEach((_, i) =>
        issue([ 'data', area, i ], 'expected an environment with isolated subnets (network.isolatedSubnets: true): databases and caches run only in them'),
      );
    }
  }),
  crossAreaRule(['data', 'kind'], (config, issue) => {
    if (config.kind !== 'production') return;
    config.data.databases.forEach((database, i) => {
      if (database.minCapacity === 0) issue(['data', 'databases', i, 'minCapacity'], 'expected at least 0.5 ACU in production: a paused database takes seconds to resume on the first connection');
      if (database.readers < 1) issue(['data', 'databases', i, 'readers'], 'expected at least 1 reader in production, so the database fails over to another AZ');
    });
    config.data.caches.forEach((cache, i) => {
      if (cache.snapshotRetentionDays === 0) issue(['data', 'caches', i, 'snapshotRetentionDays'], 'expected daily snapshots in production (1-35 days)');
    });
  }),
  crossAreaRule(['data', 'name', 'account'], (config, issue) => {
    config.data.buckets.forEach((bucket, i) => {
      const full = dataBucketName(config.name, config.account, bucket.name);
      if (full.length > 63) issue(['data', 'buckets', i, 'name'], `expected a shorter name: the bucket would be "${full}", over the 63 characters S3 allows`);
    });
  }),
  crossAreaRule(['data', 'services', 'name', 'account'], (config, issue) => {
    const databases = config.data.databases.map((d) => d.name);
    const caches = config.data.caches.map((c) => c.name);
    config.services.forEach((service, i) => {
      for (const area of ['databases', 'caches', 'queues', 'buckets'] as const) {
        const names = service[area].map((entry) => (typeof entry === 'string' ? entry : entry.name));
        duplicates(names).forEach((j) => issue(['services', i, area, j], `expected each name once in services[].${area}`));
      }
      checkNamed('database', databases, service.databases, ['services', i, 'databases'], issue);
      checkNamed('cache', caches, service.caches, ['services', i, 'caches'], issue);
      for (const area of ['queues', 'buckets'] as const) {
        const shared = config.data[area].map((entry) => entry.name);
        service[area].forEach((entry, j) => {
          const shape = Object.keys(entry).filter((key) => key !== 'name' && key !== 'access' && (entry as Record<string, unknown>)[key] !== undefined);
          if (shared.includes(entry.name) && shape.length > 0) {
            issue(['services', i, area, j], `expected only name and access for the shared ${area === 'queues' ? 'queue' : 'bucket'} "${entry.name}" (its ${shape.join(', ')} are declared in data.${area})`);
          }
        });
      }
      service.buckets.forEach((bucket, j) => {
        const full = config.data.buckets.some((b) => b.name === bucket.name) ? '' : dataBucketName(config.name, config.account, bucket.name, service.name);
        if (full.length > 63) issue(['services', i, 'buckets', j, 'name'], `expected a shorter name: the bucket would be "${full}", over the 63 characters S3 allows`);
      });
      service.caches.forEach((cache, j) => {
        const user = cacheUserId(config.name, cache, service.name);
        if (user.length > 40) issue(['services', i, 'caches', j], `expected environment, cache and service names that make a cache user id of at most 40 characters; "${user}" has ${user.length}`);
      });
      const { environment, secrets } = serviceDataVariables(service);
      for (const variable of [...environment, ...secrets]) {
        if (variable in service.environment) issue(['services', i, 'environment', variable], `expected no variable named ${variable}: the service receives it for the data it names`);
        if (variable in service.secrets) issue(['services', i, 'secrets', variable], `expected no secret named ${variable}: the service receives it for the data it names`);
      }
    });
  }),
];
