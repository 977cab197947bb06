/**
 * The request-body check of API Gateway's request validator: a JSON Schema draft 4 model (the one the API is
 * deployed with, `requestModelSchema` of lib/constructs/api/route-methods.ts) against the parsed body. Covers the
 * keywords the route table's models use (type, properties, required, additionalProperties, enum, const, anyOf,
 * oneOf, allOf, not, items, min/maxItems, min/maxLength, pattern, minimum/maximum with draft-4 boolean exclusives,
 * min/maxProperties, $ref to definitions); `format` is not checked (API Gateway's validator does not either).
 * Returns the first problems found, as API Gateway reports validation errors in its logs (the answer itself is
 * always "Invalid request body").
 */
type Schema = Record<string, any> | boolean;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

export function validateJsonSchema(schema: Schema, value: unknown, root: Schema = schema, path = '$'): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: not allowed`];
  const problems: string[] = [];
  const push = (message: string) => problems.push(`${path}: ${message}`);
  if (typeof schema.$ref === 'string') {
    const target = schema.$ref.replace(/^#\//, '').split('/').reduce((node: any, key: string) => node?.[key], root);
    return target === undefined ? [`${path}: unresolvable ${schema.$ref}`] : validateJsonSchema(target, value, root, path);
  }
  if (schema.type !== undefined) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((type) => matchesType(value, type))) return [`${path}: expected ${types.join(' or ')}`];
  }
  if (schema.enum && !schema.enum.some((option: unknown) => JSON.stringify(option) === JSON.stringify(value))) push(`expected one of ${JSON.stringify(schema.enum)}`);
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) push(`expected ${JSON.stringify(schema.const)}`);
  if (schema.allOf) for (const part of schema.allOf) problems.push(...validateJsonSchema(part, value, root, path));
  if (schema.anyOf && !schema.anyOf.some((part: Schema) => validateJsonSchema(part, value, root, path).length === 0)) push('matches none of anyOf');
  if (schema.oneOf && schema.oneOf.filter((part: Schema) => validateJsonSchema(part, value, root, path).length === 0).length !== 1) push('must match exactly one of oneOf');
  if (schema.not && validateJsonSchema(schema.not, value, root, path).length === 0) push('matches "not"');
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) push(`shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && length > schema.maxLength) push(`longer than ${schema.maxLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) push(`does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    const exclusiveMin = schema.exclusiveMinimum === true || typeof schema.exclusiveMinimum === 'number';
    const min = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : schema.minimum;
    if (min !== undefined && (exclusiveMin ? value <= min : value < min)) push(`below ${exclusiveMin ? 'or equal to ' : ''}${min}`);
    const exclusiveMax = schema.exclusiveMaximum === true || typeof schema.exclusiveMaximum === 'number';
    const max = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum : schema.maximum;
    if (max !== undefined && (exclusiveMax ? value >= max : value > max)) push(`above ${exclusiveMax ? 'or equal to ' : ''}${max}`);
    if (schema.multipleOf !== undefined && Math.abs(value / schema.multipleOf - Math.round(value / schema.multipleOf)) > 1e-9) push(`not a multiple of ${schema.multipleOf}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) push(`fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) push(`more than ${schema.maxItems} items`);
    if (schema.items && !Array.isArray(schema.items)) value.forEach((item, index) => problems.push(...validateJsonSchema(schema.items, item, root, `${path}[${index}]`)));
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    for (const name of schema.required ?? []) if (!(name in object)) push(`missing required property "${name}"`);
    if (schema.minProperties !== undefined && keys.length < schema.minProperties) push(`fewer than ${schema.minProperties} properties`);
    if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) push(`more than ${schema.maxProperties} properties`);
    const properties = schema.properties ?? {};
    for (const key of keys) {
      if (key in properties) problems.push(...validateJsonSchema(properties[key], object[key], root, `${path}.${key}`));
      else if (schema.additionalProperties === false) push(`unexpected property "${key}"`);
      else if (typeof schema.additionalProperties === 'object') problems.push(...validateJsonSchema(schema.additionalProperties, object[key], root, `${path}.${key}`));
    }
  }
  return problems.slice(0, 10);
}
