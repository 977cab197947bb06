import { z } from 'zod';
import { email, positiveInt } from './fields';

/** Who alarms reach (`alarms`) and the thresholds they fire at. */

export const AlarmThresholds = z.strictObject({
  /** Oldest message age (seconds) that means a queue is not being drained. */
  queueOldestMessageSeconds: positiveInt.default(900),
  /** Lambda errors per 5 minutes. */
  lambdaErrors: positiveInt.default(1),
  /** Fraction of the function timeout that p99 duration may reach. */
  lambdaDurationFractionOfTimeout: z.number().gt(0).lte(1).default(0.8),
  /** API 5xx rate (percent of requests). */
  api5xxPercent: z.number().gt(0).lte(100).default(1),
  /** API 4xx rate (percent of requests) that is a surge, not normal client errors. */
  api4xxPercent: z.number().gt(0).lte(100).default(20),
  apiP99LatencyMs: positiveInt.default(3000),
  /** Blocked WAF requests per 5 minutes. */
  wafBlockedRequests: positiveInt.default(500),
  serviceCpuPercent: z.number().gt(0).lte(100).default(85),
  serviceMemoryPercent: z.number().gt(0).lte(100).default(85),
  /** Target 5xx responses per minute that roll a blue/green deployment back (and page outside deployments). */
  serviceTarget5xxPerMinute: positiveInt.default(5),
  /** Target p99 response time (ms) that rolls a blue/green deployment back. */
  serviceP99LatencyMs: positiveInt.default(2000),
  /** Services' databases (data.databases): CPU, capacity used (% of maxCapacity), connections, reader lag. */
  databaseCpuPercent: z.number().gt(0).lte(100).default(80),
  databaseCapacityPercent: z.number().gt(0).lte(100).default(90),
  databaseConnections: positiveInt.default(500),
  databaseReplicaLagMs: positiveInt.default(1000),
  /** Services' caches (data.caches): ECPU and data used, % of their limits. */
  cacheUsagePercent: z.number().gt(0).lte(100).default(80),
});

const ChatChannel = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('slack'), workspaceId: z.string().min(1), channelId: z.string().min(1) }),
  z.strictObject({
    type: z.literal('teams'),
    teamId: z.string().uuid({ message: 'expected the Teams team id (a UUID)' }),
    channelId: z.string().min(1),
    tenantId: z.string().uuid({ message: 'expected the Microsoft tenant id (a UUID)' }),
  }),
]);

export const AlarmsConfig = z.strictObject({
  /** Who is paged by critical alarms. */
  emails: z.array(email).min(1, { message: 'expected at least one e-mail address: an alarm must reach people' }),
  /** Who receives low-severity warnings; defaults to `emails`. */
  warningEmails: z.array(email).optional(),
  chat: ChatChannel.optional(),
  thresholds: AlarmThresholds.default(AlarmThresholds.parse({})),
});

export type AlarmThresholds = z.infer<typeof AlarmThresholds>;
