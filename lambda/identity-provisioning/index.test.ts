/**
 * End to end through the real entry point: SQS events in, cognito-local (the user pool) and dynalite (the
 * applied-events table) behind real HTTP. A loopback proxy sits between the handler and cognito-local so that
 * tests can inject Cognito's throttling and 5xx answers, which cognito-local itself never gives.
 *
 * cognito-local limits met here: custom attributes only exist when declared in CreateUserPool's Schema (as in a
 * real pool); AdminUpdateUserAttributes on a missing user answers NotAuthorizedException where Cognito answers
 * UserNotFoundException, which is why the handler reads the user (AdminGetUser) before deciding and never relies
 * on that error. AdminEnableUser / AdminDisableUser / AdminDeleteUser are supported and used as is.
 */
import {
  AdminGetUserCommand,
  type AdminGetUserCommandOutput,
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type LocalServer, startCognito, startDynamoDb, startHttpServer, useLocalEndpoints } from '../../test/support/local-aws';
import type { NormalisedModyoEvent } from '../shared/modyo-events';

const TABLE = 'applied-events';
const STANDARD_QUEUE = 'arn:aws:sqs:us-east-1:123456789012:modyo-identity-events';
const FIFO_QUEUE = 'arn:aws:sqs:us-east-1:123456789012:modyo-identity-events.fifo';

let cognito: LocalServer;
let dynamo: LocalServer;
let proxy: LocalServer;
let userPoolId: string;
let handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
let loggedErrors: jest.SpyInstance;
const testClient = () => new CognitoIdentityProviderClient({ endpoint: cognito.endpoint });
const documents = () => DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamo.endpoint }));

/** Faults the proxy answers with instead of forwarding, for requests whose body matches. */
let faults: Array<{ match: (body: string) => boolean; status: number; type: string; times: number }> = [];

beforeAll(async () => {
  [cognito, dynamo] = await Promise.all([startCognito(), startDynamoDb()]);
  proxy = await startHttpServer(async (request) => {
    const fault = faults.find((candidate) => candidate.times > 0 && candidate.match(request.body));
    if (fault) {
      fault.times -= 1;
      return { status: fault.status, body: { __type: fault.type, message: 'injected' }, headers: { 'content-type': 'application/x-amz-json-1.1' } };
    }
    const response = await fetch(cognito.endpoint, {
      method: 'POST',
      headers: { 'content-type': String(request.headers['content-type']), 'x-amz-target': String(request.headers['x-amz-target']) },
      body: request.body,
    });
    return { status: response.status, body: await response.text(), headers: { 'content-type': 'application/x-amz-json-1.1' } };
  });
  useLocalEndpoints({ COGNITO_IDENTITY_PROVIDER: proxy.endpoint, DYNAMODB: dynamo.endpoint });

  const pool = await testClient().send(
    new CreateUserPoolCommand({
      PoolName: 'connect-test',
      Schema: [
        { Name: 'modyo_user_id', AttributeDataType: 'String', Mutable: false },
        { Name: 'modyo_realm', AttributeDataType: 'String', Mutable: true },
      ],
    }),
  );
  userPoolId = pool.UserPool?.Id as string;
  await new DynamoDBClient({ endpoint: dynamo.endpoint }).send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'modyoUserId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'modyoUserId', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );

  Object.assign(process.env, { USER_POOL_ID: userPoolId, APPLIED_EVENTS_TABLE_NAME: TABLE, COGNITO_MAX_ATTEMPTS: '3', TOMBSTONE_TTL_DAYS: '30' });
  jest.isolateModules(() => {
    const { logger } = require('../shared/logger');
    loggedErrors = jest.spyOn(logger, 'error');
    const entry = require('./index');
    handler = (event) => entry.handler(event, {} as Context, () => undefined);
  });
});

afterAll(async () => {
  await Promise.all([proxy?.stop(), cognito?.stop(), dynamo?.stop()]);
});

beforeEach(() => {
  faults = [];
  loggedErrors.mockClear();
});

let sequence = 0;
function modyoEvent(type: string, userId: string, occurredAt: string, user: Partial<NormalisedModyoEvent['user']> = {}): NormalisedModyoEvent {
  sequence += 1;
  return {
    schemaVersion: 1,
    eventId: `evt-${sequence}`,
    type,
    category: 'realm_user',
    shape: 'full',
    occurredAt,
    receivedAt: occurredAt,
    realmUid: 'clientes',
    user: { id: userId, ...user },
    archiveKey: `raw/evt-${sequence}.json`,
  };
}

function record(body: unknown, messageId = `msg-${++sequence}`, queue = STANDARD_QUEUE, groupId?: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'webhook-receiver',
      ApproximateFirstReceiveTimestamp: '0',
      ...(groupId ? { MessageGroupId: groupId, MessageDeduplicationId: messageId, SequenceNumber: String(sequence) } : {}),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queue,
    awsRegion: 'us-east-1',
  };
}

const deliver = (...records: SQSRecord[]) => handler({ Records: records });
const deliverEvents = (...events: NormalisedModyoEvent[]) => deliver(...events.map((event) => record(event)));

async function cognitoUser(modyoUserId: string): Promise<AdminGetUserCommandOutput | undefined> {
  try {
    return await testClient().send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: `modyo-${modyoUserId}` }));
  } catch (error) {
    if ((error as Error).name === 'UserNotFoundException') return undefined;
    throw error;
  }
}
const attributesOf = (user: AdminGetUserCommandOutput | undefined) => Object.fromEntries((user?.UserAttributes ?? []).map((a) => [a.Name, a.Value]));

const ana = { email: 'ana@example.com', firstName: 'Ana', lastName: 'Rojas' };

describe('identity provisioning', () => {
  it('user_created creates the user with its attributes; a replay changes nothing', async () => {
    const created = modyoEvent('user_created', '100', '2025-03-01T10:00:00Z', ana);
    expect(await deliverEvents(created)).toEqual({ batchItemFailures: [] });

    const user = await cognitoUser('100');
    expect(user).toMatchObject({ Enabled: true, UserStatus: 'FORCE_CHANGE_PASSWORD' });
    expect(attributesOf(user)).toMatchObject({
      email: 'ana@example.com',
      email_verified: 'true',
      given_name: 'Ana',
      family_name: 'Rojas',
      'custom:modyo_user_id': '100',
      'custom:modyo_realm': 'clientes',
    });

    expect(await deliverEvents(created)).toEqual({ batchItemFailures: [] });
    expect(await cognitoUser('100')).toEqual(user);
  });

  it('user_updated changes the attributes, and creates a user it does not find', async () => {
    await deliverEvents(modyoEvent('user_created', '101', '2025-03-01T10:00:00Z', ana));
    const updated = modyoEvent('user_updated', '101', '2025-03-01T11:00:00Z', { ...ana, email: 'ana.rojas@example.com', lastName: 'Rojas Paz' });
    expect(await deliverEvents(updated)).toEqual({ batchItemFailures: [] });
    expect(attributesOf(await cognitoUser('101'))).toMatchObject({ email: 'ana.rojas@example.com', family_name: 'Rojas Paz', given_name: 'Ana' });

    const before = await cognitoUser('101');
    await deliverEvents(updated);
    expect(await cognitoUser('101')).toEqual(before);

    expect(await deliverEvents(modyoEvent('user_updated', '102', '2025-03-01T11:00:00Z', { email: 'new@example.com' }))).toEqual({ batchItemFailures: [] });
    expect(attributesOf(await cognitoUser('102'))).toMatchObject({ email: 'new@example.com', 'custom:modyo_user_id': '102' });
  });

  it('user_disabled and user_enabled toggle the user, replays included', async () => {
    await deliverEvents(modyoEvent('user_created', '103', '2025-03-01T10:00:00Z', ana));
    const disabled = modyoEvent('user_disabled', '103', '2025-03-01T11:00:00Z');
    expect(await deliverEvents(disabled, disabled)).toEqual({ batchItemFailures: [] });
    expect((await cognitoUser('103'))?.Enabled).toBe(false);

    const enabled = modyoEvent('user_enabled', '103', '2025-03-01T12:00:00Z');
    expect(await deliverEvents(enabled, enabled)).toEqual({ batchItemFailures: [] });
    expect((await cognitoUser('103'))?.Enabled).toBe(true);
  });

  it('user_deleted deletes the user; a replay, or a delete of an unknown user, succeeds', async () => {
    await deliverEvents(modyoEvent('user_created', '104', '2025-03-01T10:00:00Z', ana));
    const deleted = modyoEvent('user_deleted', '104', '2025-03-01T11:00:00Z');
    expect(await deliverEvents(deleted)).toEqual({ batchItemFailures: [] });
    expect(await cognitoUser('104')).toBeUndefined();

    expect(await deliverEvents(deleted, modyoEvent('user_deleted', '999', '2025-03-01T11:00:00Z'), modyoEvent('user_disabled', '998', '2025-03-01T11:00:00Z'))).toEqual({
      batchItemFailures: [],
    });
    const tombstone = await documents().send(new GetCommand({ TableName: TABLE, Key: { modyoUserId: '104' } }));
    expect(tombstone.Item).toMatchObject({ deletedAtMs: Date.parse(deleted.occurredAt), deletedEventId: deleted.eventId });
    expect(tombstone.Item?.expiration).toBeGreaterThan(Date.now() / 1000 + 29 * 24 * 3600);
  });

  it('ignores events older than the last applied one: no resurrection after a delete, no stale overwrite', async () => {
    await deliverEvents(modyoEvent('user_created', '105', '2025-03-01T10:00:00Z', ana), modyoEvent('user_deleted', '105', '2025-03-01T12:00:00Z'));
    expect(await deliverEvents(modyoEvent('user_updated', '105', '2025-03-01T11:00:00Z', ana))).toEqual({ batchItemFailures: [] });
    expect(await cognitoUser('105')).toBeUndefined();

    await deliverEvents(modyoEvent('user_updated', '106', '2025-03-01T12:00:00Z', { ...ana, firstName: 'Newest' }));
    await deliverEvents(modyoEvent('user_updated', '106', '2025-03-01T11:00:00Z', { ...ana, firstName: 'Older' }));
    expect(attributesOf(await cognitoUser('106')).given_name).toBe('Newest');

    // A disable that overtook the user's creation found no user and was not remembered, so the creation applies.
    await deliverEvents(modyoEvent('user_disabled', '107', '2025-03-01T12:00:00Z'));
    await deliverEvents(modyoEvent('user_created', '107', '2025-03-01T10:00:00Z', ana));
    expect(await cognitoUser('107')).toBeDefined();
  });

  it('never skips a change of one kind because of a newer event of another kind', async () => {
    // user_updated (T1) retried after user_disabled (T2): the attribute change still applies, the user stays disabled.
    await deliverEvents(modyoEvent('user_created', '120', '2025-03-01T09:00:00Z', ana));
    const updated = modyoEvent('user_updated', '120', '2025-03-01T10:00:00Z', { ...ana, lastName: 'Rojas Paz' });
    await deliverEvents(modyoEvent('user_disabled', '120', '2025-03-01T11:00:00Z'));
    expect(await deliverEvents(updated)).toEqual({ batchItemFailures: [] });
    const user = await cognitoUser('120');
    expect(attributesOf(user).family_name).toBe('Rojas Paz');
    expect(user?.Enabled).toBe(false);
    // An older enable still loses to the newer disable.
    await deliverEvents(modyoEvent('user_enabled', '120', '2025-03-01T10:30:00Z'));
    expect((await cognitoUser('120'))?.Enabled).toBe(false);

    // A late user_enabled (T1) after a newer user_updated (T2) still enables; an older update still loses to it.
    await deliverEvents(modyoEvent('user_created', '121', '2025-03-01T09:00:00Z', ana), modyoEvent('user_disabled', '121', '2025-03-01T09:30:00Z'));
    await deliverEvents(modyoEvent('user_updated', '121', '2025-03-01T11:00:00Z', { ...ana, firstName: 'Newest' }));
    expect(await deliverEvents(modyoEvent('user_enabled', '121', '2025-03-01T10:00:00Z'))).toEqual({ batchItemFailures: [] });
    expect(await cognitoUser('121')).toMatchObject({ Enabled: true });
    await deliverEvents(modyoEvent('user_updated', '121', '2025-03-01T10:30:00Z', { ...ana, firstName: 'Older' }));
    expect(attributesOf(await cognitoUser('121')).given_name).toBe('Newest');
  });

  it('reads an applied-events item written before per-aspect tracking as its event\'s aspect', async () => {
    await deliverEvents(modyoEvent('user_created', '122', '2025-03-01T09:00:00Z', ana));
    await documents().send(new PutCommand({ TableName: TABLE, Item: { modyoUserId: '122', occurredAtMs: Date.parse('2025-03-01T11:00:00Z'), eventId: 'old', type: 'user_disabled' } }));
    await deliverEvents(modyoEvent('user_enabled', '122', '2025-03-01T10:00:00Z'), modyoEvent('user_updated', '122', '2025-03-01T10:00:00Z', { ...ana, firstName: 'Anita' }));
    expect(attributesOf(await cognitoUser('122')).given_name).toBe('Anita');
    const item = await documents().send(new GetCommand({ TableName: TABLE, Key: { modyoUserId: '122' } }));
    expect(item.Item).toMatchObject({ enabledAtMs: Date.parse('2025-03-01T11:00:00Z'), enabledEventId: 'old', attributesAtMs: Date.parse('2025-03-01T10:00:00Z') });
  });

  it('acknowledges events that are not about the user lifecycle without touching the pool', async () => {
    expect(await deliverEvents(modyoEvent('login', '108', '2025-03-01T10:00:00Z', ana))).toEqual({ batchItemFailures: [] });
    expect(await cognitoUser('108')).toBeUndefined();
  });

  it('reports malformed messages as failures, logging the message id and reason without personal data', async () => {
    const response = await deliver(
      record('not json', 'bad-json'),
      record({ ...modyoEvent('user_created', '109', '2025-03-01T10:00:00Z'), user: { id: '109', email: 'secret-person@not-an-address' } }, 'bad-email'),
      record({ ...modyoEvent('user_deleted', '110', '2025-03-01T10:00:00Z'), user: undefined }, 'no-user'),
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad-json' }, { itemIdentifier: 'bad-email' }, { itemIdentifier: 'no-user' }]);
    expect(loggedErrors).toHaveBeenCalledWith('Malformed identity event', { messageId: 'bad-json', reason: 'body is not JSON' });
    expect(loggedErrors).toHaveBeenCalledWith('Malformed identity event', expect.objectContaining({ messageId: 'bad-email', reason: expect.stringContaining('user.email') }));
    expect(JSON.stringify(loggedErrors.mock.calls)).not.toContain('secret-person');
    expect(await cognitoUser('109')).toBeUndefined();
  });

  it('reports only the failed messages of a mixed batch', async () => {
    faults.push({ match: (body) => body.includes('"modyo-112"'), status: 500, type: 'InternalErrorException', times: 99 });
    const response = await deliver(
      record(modyoEvent('user_created', '111', '2025-03-01T10:00:00Z', ana), 'good-1'),
      record(modyoEvent('user_created', '112', '2025-03-01T10:00:00Z', ana), 'cognito-down'),
      record('{"schemaVersion": 2}', 'malformed'),
      record(modyoEvent('user_created', '113', '2025-03-01T10:00:00Z', ana), 'good-2'),
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'cognito-down' }, { itemIdentifier: 'malformed' }]);
    expect(await cognitoUser('111')).toBeDefined();
    expect(await cognitoUser('113')).toBeDefined();
    expect(await cognitoUser('112')).toBeUndefined();
    expect(loggedErrors).toHaveBeenCalledWith(
      'Identity event failed; the message will be retried',
      expect.objectContaining({ messageId: 'cognito-down', username: 'modyo-112', error: 'InternalErrorException', httpStatusCode: 500 }),
    );
  });

  it('retries throttling (TooManyRequestsException) and 5xx through the SDK before giving up', async () => {
    faults.push({ match: (body) => body.includes('"modyo-114"'), status: 400, type: 'TooManyRequestsException', times: 1 });
    faults.push({ match: (body) => body.includes('"modyo-114"'), status: 503, type: 'ServiceUnavailable', times: 1 });
    expect(await deliverEvents(modyoEvent('user_created', '114', '2025-03-01T10:00:00Z', ana))).toEqual({ batchItemFailures: [] });
    expect(faults.map((fault) => fault.times)).toEqual([0, 0]);
    expect(await cognitoUser('114')).toBeDefined();
  });

  it('on a FIFO queue, a failure holds back the rest of its group only', async () => {
    faults.push({ match: (body) => body.includes('"modyo-115"'), status: 500, type: 'InternalErrorException', times: 99 });
    const response = await deliver(
      record(modyoEvent('user_created', '115', '2025-03-01T10:00:00Z', ana), 'g1-create', FIFO_QUEUE, '115'),
      record(modyoEvent('user_created', '116', '2025-03-01T10:00:00Z', ana), 'g2-create', FIFO_QUEUE, '116'),
      record(modyoEvent('user_disabled', '115', '2025-03-01T11:00:00Z'), 'g1-disable', FIFO_QUEUE, '115'),
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'g1-create' }, { itemIdentifier: 'g1-disable' }]);
    expect(await cognitoUser('116')).toBeDefined();
  });
});
