import { z } from 'zod';
import { awsAccount, domainName, intInRange, positiveInt } from './fields';

/**
 * Operations of an environment (`operations`): where its logs are archived and for how long, what it may cost per
 * month before people are told, and the outside-in checks (the API canary, the Widgets' real-user monitor).
 * One exported object (`OperationsFields`) so other operations areas (e.g. cost assumptions) extend it in one place.
 */

/** Days the log archive keeps objects, by kind of environment, unless `logArchive.retentionDays` says otherwise. */
export const ARCHIVE_RETENTION_DAYS_BY_KIND = { production: 2557, preproduction: 90 } as const;

const percent = z.number({ error: 'expected a percentage of the budget, e.g. 80' }).gt(0, { error: 'expected a percentage above 0' }).lte(1000, { error: 'expected a percentage up to 1000' });

export const LogArchiveConfig = z
  .strictObject({
    /** Days archived logs are kept; default by kind (ARCHIVE_RETENTION_DAYS_BY_KIND). */
    retentionDays: positiveInt.optional(),
    /** Days before archived logs move to S3 Standard-IA (S3 requires at least 30). */
    infrequentAccessAfterDays: intInRange(30, 3650, 'expected whole days from 30 to 3650 (S3 moves objects to Standard-IA after 30 days at the earliest)').default(30),
    /** Days before archived logs move to S3 Glacier Instant Retrieval; unset keeps them in Standard-IA. */
    glacierAfterDays: intInRange(90, 3650, 'expected whole days from 90 to 3650').optional(),
    /**
     * A central logging account that receives a copy of the archive (S3 replication). Its bucket policy must let this
     * environment's replication role (`connect-<env>-log-archive-replication`) replicate, and its KMS key policy let it encrypt.
     */
    centralAccount: z
      .strictObject({
        accountId: awsAccount,
        bucketName: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'expected an S3 bucket name' }),
        /** The KMS key the central bucket encrypts replicas with. */
        kmsKeyArn: z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/, { message: 'expected a KMS key ARN' }),
      })
      .optional(),
  })
  .superRefine((archive, ctx) => {
    if (archive.glacierAfterDays !== undefined && archive.glacierAfterDays < archive.infrequentAccessAfterDays + 30) {
      ctx.addIssue({ code: 'custom', path: ['glacierAfterDays'], message: `expected at least 30 days after infrequentAccessAfterDays (${archive.infrequentAccessAfterDays}): S3 keeps objects 30 days in Standard-IA before another transition` });
    }
  });

export const BudgetConfig = z.strictObject({
  /** The environment's monthly cost budget in US dollars. */
  monthlyUsd: z.number({ error: 'expected a monthly amount in US dollars, e.g. 1500' }).positive({ error: 'expected an amount above 0' }),
  /** Percentages of the budget at which actual spend alerts the warning topic. */
  actualPercent: z.array(percent).min(1).max(5).default([80, 100]),
  /** Percentages of the budget at which the month's forecast alerts the warning topic. */
  forecastPercent: z.array(percent).min(1).max(5).default([100]),
  /**
   * `account`: everything the environment's account spends (the default: one account per environment).
   * `environment-tag`: only costs tagged `connect:environment=<name>`, for accounts shared by environments; the tag
   * must be activated as a cost allocation tag in the payer account first, or the budget reads zero.
   */
  scope: z.enum(['account', 'environment-tag']).default('account'),
});

export const CanaryConfig = z.strictObject({
  /** Minutes between runs of the API canary: 1 to 10, so every 15-minute window of its alarm holds a run. */
  everyMinutes: intInRange(1, 10, 'expected whole minutes from 1 to 10 (the canary alarm counts failed runs per 15 minutes)').default(5),
  /** The public route the canary calls; it must answer 2xx. */
  path: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, { message: 'expected an absolute path, e.g. "/health"' }).default('/health'),
  /** Failed runs in a row (of 3 evaluated) that page. */
  failedRunsToAlarm: intInRange(1, 3, 'expected 1, 2 or 3').default(2),
});

export const RumConfig = z.strictObject({
  /** The domain of the pages the Widgets run on (the Modyo site), e.g. "www.example.com"; RUM accepts events from it only. */
  domain: domainName,
  /** Fraction of user sessions recorded (0-1). */
  sessionSampleRate: z.number().min(0).max(1).default(0.1),
});

export const OperationsFields = {
  logArchive: LogArchiveConfig.default(LogArchiveConfig.parse({})),
  budget: BudgetConfig,
  canary: CanaryConfig.default(CanaryConfig.parse({})),
  /** The Widgets' real-user monitor; none when absent. */
  rum: RumConfig.optional(),
};

export const OperationsConfig = z.strictObject(OperationsFields);
export type OperationsConfig = z.infer<typeof OperationsConfig>;
