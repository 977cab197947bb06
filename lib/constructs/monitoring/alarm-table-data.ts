/**
 * The alarm table's rows for the services' data (lib/constructs/data): Aurora Serverless v2 clusters, their
 * replicas, Valkey serverless caches and the backup vault. Spread into ALARM_TABLE (./alarm-table.ts), which holds
 * every other kind; a file of its own so neither grows past a screenful of kinds.
 */
import { Duration } from 'aws-cdk-lib';
import type * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { ServerlessValkeyCache } from '../data/serverless-cache';
import type { ServiceDatabase } from '../data/service-database';
import type { AlarmKind, MetricOptions, ResourceOf } from './alarm-spec';

const FIVE_MINUTES = Duration.minutes(5);
const ONE_HOUR = Duration.hours(1);
const { GREATER_THAN_THRESHOLD: ABOVE, LESS_THAN_THRESHOLD: BELOW } = cloudwatch.ComparisonOperator;
// A paused (0 ACU) database and an idle cache publish nothing: silence is not a problem for these rows.
const { NOT_BREACHING } = cloudwatch.TreatMissingData;

/** Each ACU is about 2 GiB of memory (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.how-it-works.html). */
const GIB_PER_ACU = 2;
/** FreeableMemory below this fraction of the memory at maximum capacity means the cluster is short of memory at its ceiling. */
const FREEABLE_MEMORY_FRACTION = 0.05;

export type DataResourceKind = 'databases' | 'databaseReaders' | 'caches' | 'backupVaults';

export const DATA_ALARM_TABLE: { readonly [K in DataResourceKind]-?: AlarmKind<ResourceOf<K>> } = {
  databases: {
    subject: (database) => database.cluster,
    alarms: [
      {
        suffix: 'cpu', section: 'Data', severity: 'warning',
        statistic: 'Average', period: FIVE_MINUTES, metric: (database, o) => database.cluster.metricCPUUtilization(o),
        threshold: (t) => t.databaseCpuPercent, comparison: ABOVE, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING,
        meaning: (name, t) => `CPU of database ${name} has been above ${t.databaseCpuPercent}% for 15 minutes`,
        firstAction: 'open Database Insights for the top SQL by load, then check whether capacity is at its maximum (the ACU alarm)',
      },
      {
        suffix: 'acu-utilization', section: 'Data', severity: 'critical', headline: true,
        // ACUUtilization is the capacity in use as a percentage of the configured maximum.
        statistic: 'Average', period: FIVE_MINUTES, metric: (database, o) => database.cluster.metric('ACUUtilization', o),
        threshold: (t) => t.databaseCapacityPercent, comparison: ABOVE, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING,
        meaning: (name, t, database) => `database ${name} has used more than ${t.databaseCapacityPercent}% of its ${database.config.maxCapacity} ACU maximum for 15 minutes: it cannot scale further`,
        firstAction: 'find the load in Database Insights; if it is legitimate, raise data.databases[].maxCapacity in the environment config',
      },
      {
        suffix: 'connections', section: 'Data', severity: 'warning',
        statistic: 'Maximum', period: FIVE_MINUTES, metric: (database, o) => database.cluster.metricDatabaseConnections(o),
        threshold: (t) => t.databaseConnections, comparison: ABOVE, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING,
        meaning: (name, t) => `database ${name} has held more than ${t.databaseConnections} connections for 15 minutes`,
        firstAction: "look for a service leaking connections (pool size x tasks) or a retry storm; consider the database's RDS Proxy (data.databases[].proxy)",
      },
      {
        suffix: 'freeable-memory', section: 'Data', severity: 'warning',
        statistic: 'Minimum', period: FIVE_MINUTES, metric: (database, o) => database.cluster.metricFreeableMemory(o),
        threshold: (_, database) => freeableMemoryFloor(database), comparison: BELOW, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING,
        meaning: (name, _, database) => `freeable memory of database ${name} has stayed below ${Math.round(freeableMemoryFloor(database) / 2 ** 20)} MiB for 15 minutes`,
        firstAction: 'check the ACU alarm: at maximum capacity, raise maxCapacity; otherwise look for memory-heavy queries in Database Insights',
      },
    ],
  },

  databaseReaders: {
    subject: (database) => database.cluster,
    alarms: [
      {
        suffix: 'replica-lag', section: 'Data', severity: 'warning',
        statistic: 'Maximum', period: FIVE_MINUTES, metric: (database, o) => database.cluster.metric('AuroraReplicaLagMaximum', o),
        threshold: (t) => t.databaseReplicaLagMs, comparison: ABOVE, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING,
        meaning: (name, t) => `a reader of database ${name} has lagged the writer by more than ${t.databaseReplicaLagMs} ms for 15 minutes: reads may be stale and a failover slower`,
        firstAction: 'check the readers\' capacity (they may be smaller than the writer) and long-running write transactions on the writer',
      },
    ],
  },

  caches: {
    subject: (cache) => cache.cache,
    alarms: [
      {
        suffix: 'ecpu-utilization', section: 'Data', severity: 'warning',
        statistic: 'Sum', period: FIVE_MINUTES,
        // Serverless caches measure compute in ElastiCache Processing Units; the limit is per second.
        metric: (cache, o) =>
          new cloudwatch.MathExpression({
            label: 'ECPU % of the limit',
            expression: `100 * ecpu / ${o.period.toSeconds()} / ${cache.config.maxEcpuPerSecond}`,
            usingMetrics: { ecpu: cacheMetric(cache, 'ElastiCacheProcessingUnits', o) },
            period: o.period,
          }),
        threshold: (t) => t.cacheUsagePercent, comparison: ABOVE, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING,
        meaning: (name, t, cache) => `cache ${name} has used more than ${t.cacheUsagePercent}% of its ${cache.config.maxEcpuPerSecond} ECPU/s limit for 15 minutes`,
        firstAction: 'find the service sending the load (CurrConnections, command metrics); raise data.caches[].maxEcpuPerSecond only for legitimate load',
      },
      {
        suffix: 'memory', section: 'Data', severity: 'warning', headline: true,
        statistic: 'Maximum', period: FIVE_MINUTES,
        metric: (cache, o) =>
          new cloudwatch.MathExpression({
            label: 'data % of the limit',
            expression: `100 * bytes / ${cache.config.maxDataStorageGb * 1e9}`,
            usingMetrics: { bytes: cacheMetric(cache, 'BytesUsedForCache', o) },
            period: o.period,
          }),
        threshold: (t) => t.cacheUsagePercent, comparison: ABOVE, evaluationPeriods: 3,
        treatMissingData: NOT_BREACHING,
        meaning: (name, t, cache) => `cache ${name} holds more than ${t.cacheUsagePercent}% of its ${cache.config.maxDataStorageGb} GB limit: it will start evicting`,
        firstAction: 'check that keys have TTLs (CurrVolatileItems vs CurrItems); raise data.caches[].maxDataStorageGb if the data set really grew',
      },
      {
        suffix: 'evictions', section: 'Data', severity: 'warning',
        statistic: 'Sum', period: FIVE_MINUTES, metric: (cache, o) => cacheMetric(cache, 'Evictions', o),
        threshold: 0, comparison: ABOVE, evaluationPeriods: 2,
        treatMissingData: NOT_BREACHING,
        meaning: (name) => `cache ${name} is evicting keys: it is at its data limit`,
        firstAction: 'see the memory alarm: shorten TTLs or raise data.caches[].maxDataStorageGb',
      },
      {
        suffix: 'throttled-commands', section: 'Data', severity: 'warning',
        statistic: 'Sum', period: FIVE_MINUTES, metric: (cache, o) => cacheMetric(cache, 'ThrottledCmds', o),
        threshold: 0, comparison: ABOVE, evaluationPeriods: 2,
        treatMissingData: NOT_BREACHING,
        meaning: (name) => `cache ${name} is throttling commands: the load grows faster than it scales, or it is at its ECPU limit`,
        firstAction: 'compare ElastiCacheProcessingUnits with the ECPU limit; smooth bursts in the calling service or raise the limit',
      },
    ],
  },

  backupVaults: {
    alarms: [
      {
        suffix: 'backup-jobs-failed', section: 'Data', severity: 'critical',
        // AWS Backup publishes job counts per vault: https://docs.aws.amazon.com/aws-backup/latest/devguide/cloudwatch.html
        statistic: 'Sum', period: ONE_HOUR,
        metric: (vault, o) =>
          new cloudwatch.MathExpression({
            label: 'failed and aborted backup jobs',
            expression: 'FILL(failed, 0) + FILL(aborted, 0)',
            usingMetrics: { failed: backupMetric(vault, 'NumberOfBackupJobsFailed', o), aborted: backupMetric(vault, 'NumberOfBackupJobsAborted', o) },
            period: o.period,
          }),
        threshold: 0, comparison: ABOVE, evaluationPeriods: 1,
        treatMissingData: NOT_BREACHING,
        meaning: (name) => `a backup job of vault ${name} failed or was aborted in the last hour: a table, bucket or database has no recovery point for that run`,
        firstAction: 'open AWS Backup > Jobs, filter by state Failed, and read the status message (permissions, key policy, resource state); then start an on-demand backup',
      },
    ],
  },
};

function freeableMemoryFloor(database: ServiceDatabase): number {
  return Math.max(256 * 2 ** 20, Math.round(database.config.maxCapacity * GIB_PER_ACU * 2 ** 30 * FREEABLE_MEMORY_FRACTION));
}

/**
 * Serverless cache metrics, per cache under the `ServerlessCacheName` dimension (the Ref of the resource): the
 * dimension of AWS's own ServerlessCache construct (aws-cdk @aws-cdk/aws-elasticache-alpha, serverless-cache-base.ts
 * `metric`), whose integration test reads the alarms' data from a deployed cache. The metric names are those of
 * https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/serverless-metrics-events-redis.html
 */
function cacheMetric(cache: ServerlessValkeyCache, metricName: string, o: MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: 'AWS/ElastiCache', metricName, dimensionsMap: { ServerlessCacheName: cache.cache.ref }, ...o });
}

function backupMetric(vault: backup.IBackupVault, metricName: string, o: MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: 'AWS/Backup', metricName, dimensionsMap: { BackupVaultName: vault.backupVaultName }, ...o });
}
