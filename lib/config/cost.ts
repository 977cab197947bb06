import { z } from 'zod';

/**
 * Usage assumptions of an environment for `npm run cost` (`costAssumptions`): what the templates cannot say (how
 * many requests, users, gigabytes a month). The resources themselves (NAT gateways, tasks, functions, alarms, ...)
 * are read from the synthesized templates. Each field has a modest default, so a new environment estimates without
 * them; the shipped configs state theirs. All counts are per month.
 */
const amount = z.number({ error: 'expected a number of 0 or more' }).min(0, { error: 'expected a number of 0 or more' });

export const CostAssumptionsConfig = z.strictObject({
  /** Requests reaching the API (and so the web ACL). */
  apiRequestsPerMonth: amount.default(1_000_000),
  /** Invocations of all the environment's functions together, spread evenly over them. */
  lambdaInvocationsPerMonth: amount.default(2_000_000),
  /** Average billed duration of one invocation, in milliseconds. */
  lambdaAverageDurationMs: amount.default(150),
  /** Messages through all the queues together; each costs a send, a receive and a delete (3 requests). */
  queueMessagesPerMonth: amount.default(500_000),
  /** Data through the NAT gateways (both directions), GB. */
  natDataGbPerMonth: amount.default(20),
  /** Data through the interface endpoints, GB. */
  endpointDataGbPerMonth: amount.default(10),
  /** Average load balancer capacity units per load balancer per hour. */
  loadBalancerAverageLcu: amount.default(1),
  /** CloudWatch Logs ingested by all log groups, GB; stored for the environment's retention. */
  logIngestionGbPerMonth: amount.default(10),
  /** Data kept in S3 (archives, logs, artifacts), GB. */
  s3StorageGb: amount.default(20),
  s3PutRequestsPerMonth: amount.default(200_000),
  s3GetRequestsPerMonth: amount.default(200_000),
  dynamodbWriteRequestsPerMonth: amount.default(1_000_000),
  dynamodbReadRequestsPerMonth: amount.default(2_000_000),
  /** Data in all tables together, GB (also what point-in-time recovery bills on). */
  dynamodbStorageGb: amount.default(1),
  /** Monthly active users of the user pool (realm users signing in, mirrored users updated). */
  monthlyActiveUsers: amount.default(1_000),
  /** Client-credentials token requests of the machine clients. */
  m2mTokenRequestsPerMonth: amount.default(5_000),
  /** Requests to KMS (encrypt, decrypt, generate data key) by every service using the keys. */
  kmsRequestsPerMonth: amount.default(1_000_000),
  secretsApiCallsPerMonth: amount.default(50_000),
  snsPublishesPerMonth: amount.default(10_000),
  /** Images kept in the service repositories, GB. */
  ecrStorageGb: amount.default(2),
  /** Average Aurora Serverless v2 capacity; below a cluster's minimum, the minimum is billed. */
  auroraAverageAcu: amount.default(0.5),
  auroraStorageGb: amount.default(10),
  auroraIoRequestsPerMonth: amount.default(10_000_000),
  /** Data cached in a serverless cache, GB (the service bills at least 100 MB Valkey, 1 GB others). */
  cacheDataGb: amount.default(1),
  cacheEcpuPerMonth: amount.default(100_000_000),
  /** Data sent through transit gateway attachments, GB. */
  transitGatewayDataGbPerMonth: amount.default(10),
  /** DNS queries forwarded through Resolver endpoints. */
  resolverQueriesPerMonth: amount.default(1_000_000),
  /** Data delivered through Firehose streams (the log archive), GB. */
  firehoseGbPerMonth: amount.default(10),
  /** Data scanned by Athena queries, TB. */
  athenaTbScannedPerMonth: amount.default(0.01),
  /** RUM events sent by the monitored pages. */
  rumEventsPerMonth: amount.default(100_000),
});

export type CostAssumptions = z.infer<typeof CostAssumptionsConfig>;
