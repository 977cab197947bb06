import type { SQSClient } from '@aws-sdk/client-sqs';
import { QueueSender } from './sqs';

/** A client that records what would be sent and answers like SQS; `failed` ids are refused in a batch. */
function recordingClient(failed: string[] = []) {
  const inputs: Array<Record<string, any>> = [];
  const client = { send: async (command: { input: Record<string, any> }) => (inputs.push(command.input), { Failed: failed.map((Id) => ({ Id, Code: 'InternalError' })) }) } as unknown as SQSClient;
  return { client, inputs };
}

describe('QueueSender: FIFO rules decided in one place', () => {
  test('a FIFO queue gets the group and deduplication id, made valid tokens; JSON body and string attributes', async () => {
    const { client, inputs } = recordingClient();
    await new QueueSender('https://sqs.example/1/events.fifo', client).send({ body: { a: 1 }, group: 'usuario ñandú', deduplicationId: 'e-1', attributes: { type: 'x' } });
    expect(inputs[0]).toEqual({
      QueueUrl: 'https://sqs.example/1/events.fifo',
      MessageBody: '{"a":1}',
      MessageAttributes: { type: { DataType: 'String', StringValue: 'x' } },
      MessageGroupId: expect.stringMatching(/^[0-9a-f]{64}$/),
      MessageDeduplicationId: 'e-1',
    });
  });

  test('a standard queue gets neither group nor deduplication id', async () => {
    const { client, inputs } = recordingClient();
    await new QueueSender('https://sqs.example/1/deliveries', client).send({ body: 'x', group: 'g', deduplicationId: 'd' });
    expect(inputs[0]).toEqual({ QueueUrl: 'https://sqs.example/1/deliveries', MessageBody: '"x"' });
  });

  test('refuses a FIFO message without a group', async () => {
    const { client } = recordingClient();
    await expect(new QueueSender('https://sqs.example/1/events.fifo', client).send({ body: {} })).rejects.toThrow(/needs its group/);
  });

  test('sends in batches of ten and throws when SQS refuses an entry', async () => {
    const { client, inputs } = recordingClient();
    await new QueueSender('https://sqs.example/1/deliveries', client).sendAll(Array.from({ length: 23 }, (_, index) => ({ body: index })));
    expect(inputs.map((input) => input.Entries.length)).toEqual([10, 10, 3]);
    const refusing = recordingClient(['1']);
    await expect(new QueueSender('https://sqs.example/1/deliveries', refusing.client).sendAll([{ body: 1 }, { body: 2 }])).rejects.toThrow('SQS refused 1 of 2 messages: InternalError');
  });
});
