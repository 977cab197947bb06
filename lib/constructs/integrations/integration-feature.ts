import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import { type ConcurrencyFunction, functionConcurrency } from '../../lambda-concurrency';
import { ConnectFunction, type ConnectFunctionProps } from '../connect-function';
import { ConnectTable, type ConnectTableProps } from '../connect-table';
import { IntegrationSecret, type IntegrationSecretProps } from '../integration-secret';
import { QueueWithDlq } from '../queue-with-dlq';

/** What every integration feature is built on: the environment's config, network, keys and log retention. */
export interface IntegrationFeatureProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly dataKey: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly secretsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
}

/** SQS consumers: a slow batch must never be redelivered mid-flight, so visibility is six times the timeout (AWS guidance). */
export function visibilityFor(consumerTimeout: Duration): Duration {
  return Duration.seconds(consumerTimeout.toSeconds() * 6);
}

/** The rotation story of a credential a third party issues. */
export function thirdPartyRotation(issuer: string): string {
  return `Issued by ${issuer}, not by AWS: no rotation Lambda can mint a new one. It is rotated at the issuer and put here with put-secret-value; the handler re-reads it after a rejected call, so a rotation needs no deploy.`;
}

/**
 * The base of one integration feature (webhook ingest, customer sync, notifications, payments): it creates the
 * feature's functions, queues, tables and secrets with the environment's defaults (keys, retention, VPC,
 * concurrency from config) and lists them for monitoring. Each feature adds its own grants next to its resources.
 */
export abstract class IntegrationFeature extends Construct {
  /** For monitoring: every function, queue and table of the feature. */
  readonly functions: lambda.Function[] = [];
  readonly queues: QueueWithDlq[] = [];
  readonly tables: ConnectTable[] = [];
  protected readonly config: EnvironmentConfig;
  protected readonly production: boolean;

  constructor(
    scope: Construct,
    id: string,
    protected readonly platform: IntegrationFeatureProps,
  ) {
    super(scope, id);
    this.config = platform.config;
    this.production = platform.config.kind === 'production';
  }

  /**
   * A function of this feature. Concurrency from config (lambdaConcurrency, defaults in lib/lambda-concurrency.ts):
   * API handlers absorb bursts; workers are capped to protect Modyo, the CRM and the providers.
   */
  protected fn(id: string, props: Omit<ConnectFunctionProps, 'vpc' | 'logRetention' | 'logsKey' | 'reservedConcurrency'> & { concurrency: ConcurrencyFunction }): ConnectFunction {
    const { concurrency, ...rest } = props;
    const created = new ConnectFunction(this, id, {
      ...rest,
      reservedConcurrency: functionConcurrency(this.config, concurrency).reserved,
      vpc: this.platform.vpc,
      logRetention: this.platform.logRetention,
      logsKey: this.platform.logsKey,
    });
    this.functions.push(created);
    return created;
  }

  /** Feeds `consumer` from `source` with partial batch responses, at most as many batches at once as its concurrency allows. */
  protected consume(consumer: lambda.Function, source: QueueWithDlq, batchSize: number, concurrency: ConcurrencyFunction): void {
    consumer.addEventSource(new SqsEventSource(source.queue, { batchSize, maxConcurrency: functionConcurrency(this.config, concurrency).limit, reportBatchItemFailures: true }));
  }

  protected queue(id: string, props: { visibilityTimeout: Duration; fifo?: boolean }): QueueWithDlq {
    const created = new QueueWithDlq(this, id, { encryptionKey: this.platform.dataKey, ...props });
    this.queues.push(created);
    return created;
  }

  protected createTable(id: string, props: Omit<ConnectTableProps, 'encryptionKey' | 'retain'>): ConnectTable {
    const created = new ConnectTable(this, id, { ...props, encryptionKey: this.platform.dataKey, retain: this.production });
    this.tables.push(created);
    return created;
  }

  /** A secret named `connect/<env>/<name>`, encrypted with the secrets key; its value is put by SREs, never in a template. */
  protected secret(id: string, name: string, props: Omit<IntegrationSecretProps, 'secretName' | 'encryptionKey' | 'retain'>): IntegrationSecret {
    return new IntegrationSecret(this, id, { ...props, secretName: `connect/${this.config.name}/${name}`, encryptionKey: this.platform.secretsKey, retain: this.production });
  }
}
