/**
 * The environment's SQS event source mappings and schedules, locally.
 *
 * Event source mapping (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html): pollers receive up to the
 * mapping's batch size (at most 10 per receive, which every mapping here uses; larger batches would need Lambda's
 * batching window) with the queue's own visibility timeout, invoke the function with the SQS event, and delete what
 * succeeded. With ReportBatchItemFailures only the reported `batchItemFailures` stay; an empty or missing list is
 * full success, and an identifier that names no message of the batch fails the whole batch
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html). A function error keeps the whole
 * batch. Messages left on the queue come back after the visibility timeout, and the queue's redrive policy moves
 * them to the DLQ after maxReceiveCount receives (local-aws-sqs applies the policy as SQS does). The mapping's
 * maximum concurrency is the number of pollers (at least 1).
 *
 * Schedules (EventBridge rules with rate expressions) invoke their function with a Scheduled Event on the rule's
 * rate, or every `scheduleSeconds` when local mode is started with `--schedule-every <s>`; cron expressions run
 * every minute. `runNow` runs one at once (the local control route).
 */
import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { InvokeOutcome } from './functions';

export interface QueueAddress {
  readonly url: string;
  readonly arn: string;
}

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queue: QueueAddress;
  readonly functionName: string;
  readonly batchSize: number;
  readonly reportBatchItemFailures: boolean;
  readonly concurrency: number;
  readonly region: string;
  readonly invoke: (event: unknown) => Promise<InvokeOutcome>;
  readonly log: (line: string) => void;
}

function lambdaRecord(message: Message, queue: QueueAddress, region: string) {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId as string,
    receiptHandle: message.ReceiptHandle as string,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.MessageGroupId && { MessageGroupId: attributes.MessageGroupId }),
      ...(attributes.MessageDeduplicationId && { MessageDeduplicationId: attributes.MessageDeduplicationId }),
      ...(attributes.SequenceNumber && { SequenceNumber: attributes.SequenceNumber }),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { stringValue: value.StringValue, binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined, stringListValues: [], binaryListValues: [], dataType: value.DataType },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: region,
  };
}

/** The receipt handles to delete after an invocation, as the event source mapping decides. */
export function handlesToDelete(messages: readonly Message[], outcome: InvokeOutcome, reportBatchItemFailures: boolean): string[] {
  if (!outcome.ok) return [];
  const all = messages.map((message) => message.ReceiptHandle as string);
  if (!reportBatchItemFailures) return all;
  const failures = (outcome.result as { batchItemFailures?: Array<{ itemIdentifier?: unknown }> } | null)?.batchItemFailures;
  if (failures === undefined || failures === null || (Array.isArray(failures) && failures.length === 0)) return all;
  if (!Array.isArray(failures)) return [];
  const ids = new Set(messages.map((message) => message.MessageId));
  const failed = new Set<unknown>();
  for (const failure of failures) {
    // An identifier that is empty or names no message of the batch: Lambda treats the whole batch as failed.
    if (typeof failure?.itemIdentifier !== 'string' || !ids.has(failure.itemIdentifier)) return [];
    failed.add(failure.itemIdentifier);
  }
  return messages.filter((message) => !failed.has(message.MessageId)).map((message) => message.ReceiptHandle as string);
}

export class QueuePoller {
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private abort = new AbortController();

  constructor(private readonly options: PollerOptions) {}

  start(): void {
    this.running = true;
    for (let i = 0; i < Math.max(1, this.options.concurrency); i++) this.loops.push(this.loop());
  }

  private async loop(): Promise<void> {
    const { sqs, queue } = this.options;
    while (this.running) {
      let messages: Message[] = [];
      try {
        const answer = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: Math.min(10, this.options.batchSize),
            WaitTimeSeconds: 1,
            // Both spellings: local-aws-sqs answers the system attributes (MessageGroupId, ...) to the older one.
            MessageSystemAttributeNames: ['All'],
            AttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = answer.Messages ?? [];
      } catch (error) {
        if (!this.running) return;
        this.options.log(`${this.options.functionName}: receive from ${queue.url} failed: ${(error as Error).message}`);
        await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
        continue;
      }
      if (messages.length === 0) continue;
      const outcome = await this.options.invoke({ Records: messages.map((message) => lambdaRecord(message, queue, this.options.region)) });
      const handles = handlesToDelete(messages, outcome, this.options.reportBatchItemFailures);
      const kept = messages.length - handles.length;
      this.options.log(
        `${this.options.functionName}: batch of ${messages.length} from ${queue.url.split('/').pop()} → ${outcome.ok ? 'ok' : `${outcome.error.errorType}: ${outcome.error.errorMessage}`}${kept > 0 ? `, ${kept} back to the queue` : ''}`,
      );
      if (handles.length > 0) {
        await sqs
          .send(new DeleteMessageBatchCommand({ QueueUrl: queue.url, Entries: handles.map((handle, index) => ({ Id: String(index), ReceiptHandle: handle })) }))
          .catch((error: Error) => this.options.log(`${this.options.functionName}: delete failed: ${error.message}`));
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await Promise.all(this.loops);
  }
}

export interface LocalSchedule {
  readonly functionName: string;
  readonly expression: string;
  readonly everySeconds: number;
  readonly ruleArn: string;
}

export class Scheduler {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly schedules: readonly LocalSchedule[],
    private readonly invoke: (functionName: string, event: unknown) => Promise<InvokeOutcome>,
    private readonly region: string,
    private readonly log: (line: string) => void,
  ) {}

  event(schedule: LocalSchedule) {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [schedule.ruleArn],
      detail: {},
    };
  }

  async runNow(functionName: string): Promise<InvokeOutcome | undefined> {
    const schedule = this.schedules.find((candidate) => candidate.functionName === functionName);
    if (!schedule) return undefined;
    const outcome = await this.invoke(schedule.functionName, this.event(schedule));
    this.log(`${schedule.functionName}: scheduled run (${schedule.expression}) → ${outcome.ok ? 'ok' : `${outcome.error.errorType}: ${outcome.error.errorMessage}`}`);
    return outcome;
  }

  start(): void {
    for (const schedule of this.schedules) {
      this.timers.push(setInterval(() => void this.runNow(schedule.functionName), schedule.everySeconds * 1000));
    }
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
  }
}
