/**
 * A fake Modyo admin API on 127.0.0.1 that follows the documented contract (reference/modyo.md): bearer token,
 * `page` / `per_page` (default 10, capped at 100) with `meta {total_entries, per_page, current_page, total_pages}`,
 * errors as `{"errors": [...]}`, 401 for a bad token, 409 for a failed operation. Realm users live in `users`;
 * the routes are the client's (ModyoAdminRoutes), so tests can change them. `inject` queues faults.
 */
import { DEFAULT_MODYO_ADMIN_ROUTES, type ModyoAdminRoutes } from '../../lambda/shared/modyo-admin';
import { type LocalServer, type RecordedRequest, startHttpServer } from '../aws-servers';

export interface FakeRealmUser {
  id: number;
  realm_uid: string;
  email: string;
  username?: string;
  first_name?: string;
  last_name?: string;
  external_id?: string;
  custom_fields: Record<string, unknown>;
  active: boolean;
}

type Outcome = { status: number; body?: unknown; headers?: Record<string, string> } | 'reset' | 'hang';

export interface Fault {
  /** Which requests it applies to (all when absent). */
  readonly match?: (request: RecordedRequest) => boolean;
  readonly outcome: Outcome;
  /** How many matching requests get it (1 when absent). */
  times?: number;
}

export interface FakeModyo extends LocalServer {
  readonly requests: RecordedRequest[];
  /** Accepted tokens; edit it to simulate a rotation. */
  readonly tokens: Set<string>;
  readonly realms: Set<string>;
  readonly users: FakeRealmUser[];
  inject(fault: Fault): void;
  /** Forgets users, requests and pending faults (tokens and realms stay). */
  reset(): void;
  /** Requests that reached the store (not the ones answered by a fault), e.g. to count creates. */
  handled(method: string, pathPattern?: RegExp): RecordedRequest[];
}

const USER_FIELDS = ['email', 'username', 'first_name', 'last_name', 'external_id'] as const;

function routePattern(template: string): RegExp {
  const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, (_, name: string) => `(?<${name}>[^/]+)`);
  return new RegExp(`^${source}$`);
}

function errors(status: number, ...items: Array<string | { field: string; messages: string[] }>): Outcome {
  return { status, body: { errors: items } };
}

export async function startFakeModyo(options: { token?: string; realms?: string[]; routes?: ModyoAdminRoutes } = {}): Promise<FakeModyo> {
  const routes = options.routes ?? DEFAULT_MODYO_ADMIN_ROUTES;
  const tokens = new Set([options.token ?? 'modyo-admin-token']);
  const realms = new Set(options.realms ?? ['clients']);
  const users: FakeRealmUser[] = [];
  const faults: Fault[] = [];
  const handledRequests: RecordedRequest[] = [];
  let nextId = 1000;

  const patterns = {
    enable: routePattern(routes.enableRealmUser),
    disable: routePattern(routes.disableRealmUser),
    user: routePattern(routes.realmUser),
    users: routePattern(routes.realmUsers),
  };

  function takeFault(request: RecordedRequest): Outcome | undefined {
    const index = faults.findIndex((fault) => !fault.match || fault.match(request));
    if (index < 0) return undefined;
    const fault = faults[index];
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) faults.splice(index, 1);
    return fault.outcome;
  }

  function parseBody(request: RecordedRequest): Record<string, unknown> | undefined {
    try {
      const body = JSON.parse(request.body || '{}');
      return typeof body === 'object' && body !== null && !Array.isArray(body) ? body : undefined;
    } catch {
      return undefined;
    }
  }

  function validate(body: Record<string, unknown>): Outcome | undefined {
    for (const field of USER_FIELDS) {
      if (body[field] !== undefined && typeof body[field] !== 'string') return errors(409, { field, messages: ['must be a string'] });
    }
    if (body.custom_fields !== undefined && (typeof body.custom_fields !== 'object' || body.custom_fields === null || Array.isArray(body.custom_fields))) {
      return errors(409, { field: 'custom_fields', messages: ['must be an object'] });
    }
    return undefined;
  }

  function emailTaken(realm: string, email: unknown, exceptId?: number): boolean {
    return typeof email === 'string' && users.some((user) => user.realm_uid === realm && user.email.toLowerCase() === email.toLowerCase() && user.id !== exceptId);
  }

  function apply(user: FakeRealmUser, body: Record<string, unknown>): void {
    for (const field of USER_FIELDS) if (typeof body[field] === 'string') user[field] = body[field] as string;
    if (body.custom_fields) user.custom_fields = { ...user.custom_fields, ...(body.custom_fields as Record<string, unknown>) };
  }

  function serve(request: RecordedRequest): Outcome {
    const url = new URL(request.url, 'http://fake');
    const path = url.pathname;
    let match: RegExpExecArray | null;

    if ((match = patterns.enable.exec(path) ?? patterns.disable.exec(path))) {
      if (request.method !== 'POST') return errors(405, 'Method not allowed');
      const user = findUser(match.groups ?? {});
      if (!user) return errors(404, 'Not found');
      user.active = patterns.enable.test(path);
      return { status: 200, body: { user } };
    }
    if ((match = patterns.user.exec(path))) {
      const user = findUser(match.groups ?? {});
      if (!user) return errors(404, 'Not found');
      if (request.method === 'GET') return { status: 200, body: { user } };
      if (request.method !== 'PATCH' && request.method !== 'PUT') return errors(405, 'Method not allowed');
      const body = parseBody(request);
      if (!body) return errors(400, 'Body is not a JSON object');
      const invalid = validate(body);
      if (invalid) return invalid;
      if (emailTaken(user.realm_uid, body.email, user.id)) return errors(409, { field: 'email', messages: ['has already been taken'] });
      apply(user, body);
      return { status: 200, body: { user } };
    }
    if ((match = patterns.users.exec(path))) {
      const realm = decodeURIComponent(match.groups?.realm_uid ?? '');
      if (!realms.has(realm)) return errors(404, 'Realm not found');
      if (request.method === 'GET') return list(realm, url.searchParams);
      if (request.method !== 'POST') return errors(405, 'Method not allowed');
      const body = parseBody(request);
      if (!body) return errors(400, 'Body is not a JSON object');
      const invalid = validate(body);
      if (invalid) return invalid;
      if (typeof body.email !== 'string' || !body.email.includes('@')) return errors(409, { field: 'email', messages: ["can't be blank"] });
      if (emailTaken(realm, body.email)) return errors(409, { field: 'email', messages: ['has already been taken'] });
      const user: FakeRealmUser = { id: nextId++, realm_uid: realm, email: body.email, custom_fields: {}, active: true };
      apply(user, body);
      users.push(user);
      return { status: 201, body: { user } };
    }
    return errors(404, 'Not found');
  }

  function findUser(groups: Record<string, string>): FakeRealmUser | undefined {
    const realm = decodeURIComponent(groups.realm_uid ?? '');
    const id = Number(decodeURIComponent(groups.user_id ?? ''));
    return users.find((user) => user.realm_uid === realm && user.id === id);
  }

  function list(realm: string, params: URLSearchParams): Outcome {
    const email = params.get(routes.realmUsersEmailParam);
    const externalId = params.get(routes.realmUsersExternalIdParam);
    const matching = users.filter(
      (user) =>
        user.realm_uid === realm &&
        (email === null || user.email.toLowerCase() === email.toLowerCase()) &&
        (externalId === null || user.external_id === externalId),
    );
    const perPage = Math.min(100, Math.max(1, Number(params.get('per_page') ?? 10) || 10));
    const page = Math.max(1, Number(params.get('page') ?? 1) || 1);
    const totalPages = Math.max(1, Math.ceil(matching.length / perPage));
    return {
      status: 200,
      body: {
        [routes.realmUsersItemsKey]: matching.slice((page - 1) * perPage, page * perPage),
        meta: { total_entries: matching.length, per_page: perPage, current_page: page, total_pages: totalPages },
      },
    };
  }

  const server = await startHttpServer((request) => {
    const fault = takeFault(request);
    if (fault) return fault;
    const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (!token || !tokens.has(token)) return errors(401, 'Invalid or missing admin API token');
    handledRequests.push(request);
    return serve(request);
  });

  return {
    ...server,
    tokens,
    realms,
    users,
    inject: (fault) => faults.push({ ...fault }),
    reset: () => {
      for (const list of [users, faults, handledRequests, server.requests] as unknown[][]) list.length = 0;
    },
    handled: (method, pathPattern) => handledRequests.filter((request) => request.method === method && (!pathPattern || pathPattern.test(request.url))),
  };
}
