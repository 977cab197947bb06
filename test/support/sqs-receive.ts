/**
 * ReceiveMessage for tests, asking for exactly what the queue holds. local-aws-sqs holds every receive at least
 * 40 ms (plus WaitTimeSeconds) unless it fills MaxNumberOfMessages, which made most of a queue-reading test's time
 * (a drain of one message was a receive of it and an empty one: ~80 ms). Delayed messages count: local-aws-sqs
 * counts a message just sent as delayed until a zero-delay timer fires.
 */
import { GetQueueAttributesCommand, type Message, type ReceiveMessageCommandInput, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** How many messages the queue holds to receive (visible or about to be). */
export async function heldMessages(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'] }));
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0);
}

/**
 * One receive of up to `input.MaxNumberOfMessages` (default 10) of what the queue holds; none without a receive
 * when it holds none. Keep VisibilityTimeout above 0: local-aws-sqs would hand a message out twice in one receive.
 */
export async function receiveHeld(sqs: SQSClient, input: ReceiveMessageCommandInput & { QueueUrl: string }): Promise<Message[]> {
  const held = await heldMessages(sqs, input.QueueUrl);
  if (held === 0) return [];
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ WaitTimeSeconds: 0, ...input, MaxNumberOfMessages: Math.min(held, input.MaxNumberOfMessages ?? 10) }));
  return Messages;
}
