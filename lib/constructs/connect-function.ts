import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { lambdaBundle } from './lambda-bundles';

/** How a function is invoked; it decides what an asynchronous-invocation DLQ would mean for it. */
export type FunctionInvocation = 'api-gateway' | 'sqs' | 'cognito-trigger' | 'ecs-deployment-hook';

export interface ConnectFunctionProps {
  /** Folder under lambda/ whose index.ts exports `handler`. */
  readonly handler: string;
  readonly description: string;
  readonly invokedBy: FunctionInvocation;
  readonly vpc: ec2.IVpc;
  readonly logRetention: logs.RetentionDays;
  readonly logsKey: kms.IKey;
  readonly environment?: Record<string, string>;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  /** Caps concurrency, protecting the downstream APIs (Modyo, providers) and the account's pool. */
  readonly reservedConcurrency: number;
}

/**
 * The one Lambda function construct of Connect: the secure and fast defaults live here once.
 * arm64, current Node.js runtime, one shared esbuild bundle per handler, Powertools settings, X-Ray tracing,
 * an explicit encrypted log group with the environment's retention, private subnets, and reserved concurrency.
 */
export class ConnectFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: ConnectFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      encryptionKey: props.logsKey,
    });
    super(scope, id, {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(lambdaBundle(props.handler)),
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      reservedConcurrentExecutions: props.reservedConcurrency,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      environment: {
        POWERTOOLS_SERVICE_NAME: props.handler,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    });

    // A DLQ for asynchronous invocations catches nothing for these callers: API Gateway and Cognito invoke
    // synchronously and see the error; SQS event sources retry and redrive to the source queue's own DLQ.
    Validations.of(this).acknowledge(
      { id: 'NIST.800.53.R5-LambdaDLQ', reason: `Invoked synchronously or by polling (${props.invokedBy}); failures return to the caller or to the source queue's DLQ, never to an async destination.` },
      { id: 'PCI.DSS.321-LambdaDLQ', reason: `Invoked synchronously or by polling (${props.invokedBy}); failures return to the caller or to the source queue's DLQ.` },
    );
  }
}
