/**
 * The sample call per route printed at start: a curl with the route's method, a path with example parameters, the
 * credentials it takes (a token, or the webhook's shared secret) and, for a JSON body, an example built from its
 * request model (`exampleOf`: required fields only, the first enum value, lengths and minimums respected where the
 * model states them; patterns are not, so a sample may need editing).
 */
import type { ApiRoute } from '../lib/api/routes';

type Schema = Record<string, any>;

export function exampleOf(schema: Schema | undefined, root: Schema | undefined = schema, name = ''): unknown {
  if (!schema) return {};
  if (typeof schema.$ref === 'string') return exampleOf(schema.$ref.replace(/^#\//, '').split('/').reduce((node: any, key: string) => node?.[key], root), root, name);
  if (schema.default !== undefined) return schema.default;
  if (schema.enum) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return exampleOf(options[0], root, name);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      return Object.fromEntries((schema.required ?? []).map((key: string) => [key, exampleOf(properties[key], root, key)]));
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 1 }, () => exampleOf(schema.items, root, name));
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 1, typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 0);
    case 'boolean':
      return true;
    case 'string': {
      if (schema.format === 'email' || /email/i.test(name)) return 'user@example.com';
      if (schema.format === 'uri' || /url/i.test(name)) return 'https://example.com/';
      if (schema.format === 'date-time') return new Date(0).toISOString();
      const text = `example-${name || 'value'}`;
      return text.length < (schema.minLength ?? 0) ? text.padEnd(schema.minLength, 'x') : text.slice(0, schema.maxLength ?? text.length);
    }
    default:
      return {};
  }
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

export function sampleCalls(apiUrl: string, routes: readonly ApiRoute[], modelOf: (route: ApiRoute) => Schema | undefined, webhookSecret: string): string[] {
  return routes.map((route) => {
    const method = route.method === 'ANY' ? 'GET' : route.method;
    const path = route.path.replace(/\{(\w+)\+?\}/g, (_, name: string) => (name === 'proxy' ? 'ping' : `<${name}>`));
    const parts = [`curl -i -X ${method} ${quote(`${apiUrl}${path}`)}`];
    const auth = route.authentication;
    if (auth.type === 'cognito') parts.push('-H "Authorization: Bearer $TOKEN"');
    if (auth.type === 'shared-secret') parts.push(`-H ${quote(`${auth.header}: ${webhookSecret}`)}`);
    if (route.body) {
      const model = modelOf(route);
      const body = route.body.contentType === 'application/json' ? JSON.stringify(model ? exampleOf(model) : {}) : 'field=value';
      parts.push(`-H 'Content-Type: ${route.body.contentType}' -d ${quote(body)}`);
    }
    const who = auth.type === 'cognito' ? ` (token with ${auth.scopes.join(' or ')})` : auth.type === 'provider-verified' ? ` (called by ${auth.provider})` : '';
    return `# ${route.method} ${route.path}: ${route.summary}${who}\n  ${parts.join(' ')}`;
  });
}
