import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { z } from 'zod';
import type { EnvironmentOf } from '../../lambda/shared/env';
import {
  type AwsCallLimits,
  awsCallLimitsEnv,
  awsCallWorstCaseMs,
  DEFAULT_AWS_CALL_LIMITS,
  type HttpCallLimits,
  httpCallLimitsEnv,
  httpCallWorstCaseMs,
} from '../../lambda/shared/outbound-limits';
import { LAMBDA_NODE_TARGET, lambdaBundle } from './lambda-bundles';

/** How a function is invoked; it decides what an asynchronous-invocation DLQ would mean for it. */
export type FunctionInvocation = 'api-gateway' | 'sqs' | 'cognito-trigger' | 'ecs-deployment-hook' | 'schedule';

export interface ConnectFunctionProps {
  /**
   * The function's folder under lambda/, whose index.ts exports `handler` (docs/HANDLERS.md): `webhook-receiver`, or
   * `customer-sync/worker` for one function of a feature with several. Also the function's Powertools service name.
   */
  readonly handler: string;
  readonly description: string;
  readonly invokedBy: FunctionInvocation;
  readonly vpc: ec2.IVpc;
  readonly logRetention: logs.RetentionDays;
  readonly logsKey: kms.IKey;
  readonly environment?: Record<string, string>;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  /**
   * The limits of the handler's outbound calls (lambda/shared/outbound-limits.ts): passed in its environment, where
   * `awsClientConfig` and `retryPolicyFromEnv` read them, and checked here against the timeout, so no call can
   * outlast the function. `aws` defaults to DEFAULT_AWS_CALL_LIMITS; `http` only for handlers that call HTTP APIs.
   * Absent: the handler declares no outbound budget (nothing is set or checked).
   */
  readonly outboundCalls?: { readonly aws?: AwsCallLimits; readonly http?: HttpCallLimits };
  /**
   * Reserved concurrency (caps the function, protecting the downstream APIs and the account's pool), from
   * `functionConcurrency` (config `lambdaConcurrency`); undefined: no reservation (config turned reservations off).
   */
  readonly reservedConcurrency: number | undefined;
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
    // Our own role instead of the AWS managed AWSLambdaBasicExecutionRole / AWSLambdaVPCAccessExecutionRole:
    // logging is scoped to this function's log group, and the grants of each handler are added by the stacks.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.handler}`,
    });
    const basePolicy = new iam.ManagedPolicy(scope, `${id}BasePolicy`, {
      roles: [role],
      description: `Logging, tracing and VPC networking of ${props.handler}`,
      statements: [
        // A log group's ARN (its GetAtt Arn) already ends in `:*`, which covers its log streams.
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
        new iam.PolicyStatement({
          actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }),
      ],
    });
    const eniReason =
      'The EC2 network-interface actions Lambda needs to run in the VPC and X-Ray PutTraceSegments / PutTelemetryRecords do not support resource-level permissions (AWS documents them with Resource "*").';
    Validations.of(basePolicy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: eniReason });
    // The role's inline DefaultPolicy holds the grants (grantSendMessages, grantRead, ...) the stacks give this one
    // function: least privilege, generated from the resources themselves, attached to no one else. A wildcard
    // resource there is NOT acknowledged: it fails the gate unless the stack acknowledges it with its own reason.
    const inlineReason = 'CDK-generated grants for this function only (the queues, tables, buckets and secrets it uses), each scoped to those resources.';
    Validations.of(role).acknowledge({ id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: inlineReason }, { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason: inlineReason });

    const timeout = props.timeout ?? Duration.seconds(10);
    const outboundEnvironment = props.outboundCalls ? outboundCallsEnvironment(id, timeout, props.outboundCalls) : {};

    super(scope, id, {
      role,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      // Bundled only for the stacks the CLI asks to bundle (context aws:cdk:bundling-stacks, all by default): local
      // mode (local/environment.ts) synthesizes with none, reads the functions' environments and runs the sources.
      code: Stack.of(scope).bundlingRequired ? lambda.Code.fromAsset(lambdaBundle(props.handler)) : lambda.Code.fromInline(`// ${props.handler}: bundling skipped`),
      memorySize: props.memorySize ?? 512,
      timeout,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      reservedConcurrentExecutions: props.reservedConcurrency,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      environment: {
        POWERTOOLS_SERVICE_NAME: props.handler,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...outboundEnvironment,
        ...props.environment,
      },
    });

    // Active X-Ray tracing, set on the resource: the L2 `tracing` prop would also add the X-Ray wildcard statement
    // to the role's inline policy, where it would need an acknowledgment that hides any other wildcard grant.
    (this.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: 'Active' };
    // Lambda checks at creation that the role may create network interfaces: create the function only after the
    // base policy is attached.
    this.node.addDependency(basePolicy);

    // A DLQ for asynchronous invocations catches nothing for these callers: API Gateway and Cognito invoke
    // synchronously and see the error; SQS event sources retry and redrive to the source queue's own DLQ; a
    // scheduled invocation carries no data (only the tick), its work stays in its store for the next run.
    const reason =
      props.invokedBy === 'schedule'
        ? 'Invoked by a schedule whose event carries no data: the work stays pending in its table for the next run, and a failed run raises the function\'s error alarm.'
        : `Invoked synchronously or by polling (${props.invokedBy}); failures return to the caller or to the source queue's DLQ, never to an async destination.`;
    Validations.of(this).acknowledge({ id: 'NIST.800.53.R5-LambdaDLQ', reason }, { id: 'PCI.DSS.321-LambdaDLQ', reason });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason: `Node.js 22 is an LTS runtime in AWS standard support; the runtime and the bundles' target (LAMBDA_NODE_TARGET, ${LAMBDA_NODE_TARGET}) move to the next LTS together, in one tested change.`,
    });
  }
}

/**
 * The environment of a function's outbound limits, after checking that the slowest call of each client gives up
 * before the function times out (a timed-out invocation fails all its work at once and says nothing of why:
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
 */
export function outboundCallsEnvironment(id: string, timeout: Duration, calls: NonNullable<ConnectFunctionProps['outboundCalls']>): Record<string, string> {
  const timeoutMs = timeout.toMilliseconds();
  const aws = calls.aws ?? DEFAULT_AWS_CALL_LIMITS;
  const slowest: Array<[string, number]> = [['an AWS SDK call', awsCallWorstCaseMs(aws)]];
  if (calls.http) slowest.push(['an HTTP call', httpCallWorstCaseMs(calls.http)]);
  for (const [what, worstMs] of slowest) {
    if (worstMs >= timeoutMs) {
      throw new Error(`Function ${id}: ${what} may take up to ${worstMs} ms (attempts x timeouts + backoff), not less than the function's timeout of ${timeoutMs} ms; lower the limits or raise the timeout`);
    }
  }
  return { ...awsCallLimitsEnv(aws), ...(calls.http ? httpCallLimitsEnv(calls.http) : {}) };
}

/**
 * A function's environment from its handler's contract (lambda/<handler>/contract.ts): the map is typed by the
 * contract (a missing or unknown variable does not compile) and checked with it at synth, the parser the handler
 * runs at cold start, so a value the handler would refuse stops synth instead. Values only known at deploy (tokens:
 * ARNs, URLs, names) stand in as placeholders for that check.
 */
export function contractEnvironment<Contract extends z.ZodType<unknown, Record<string, string | undefined>>>(
  contract: Contract,
  values: EnvironmentOf<Contract>,
): Record<string, string> {
  const environment = Object.fromEntries(Object.entries(values as Record<string, string | undefined>).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const resolvable = Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, Token.isUnresolved(value) ? 'deploy-time-value' : value]));
  const result = contract.safeParse(resolvable);
  if (!result.success) {
    throw new Error(`Function environment refused by its handler's contract: ${result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`);
  }
  return environment;
}
