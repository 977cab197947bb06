/**
 * The one way a handler reads its environment: each handler's contract (lambda/<handler>/contract.ts) declares the
 * variables it reads as a zod object of the fields below; the entry point parses process.env with it at cold start
 * (`parseEnv`), and the stack builds the function's environment from the same object (`z.input` of it types the
 * map, lib/constructs/connect-function.ts checks the values at synth). Only zod here: the CDK side imports it.
 */
import * as z from 'zod';

/**
 * Cold start: a zod parse of a whole contract costs milliseconds the first time (zod builds its parsers lazily), so
 * each field helper below also registers a plain function that gives exactly what its schema gives for a valid
 * value, and NOT_FAST (or throws) for anything else. parseEnv uses them when every field of the contract has one,
 * and parses with zod only when one does not or a value is bad, so every message still comes from the schema.
 */
export const NOT_FAST = Symbol('not fast');
type FastParse = (value: unknown) => unknown;
const fastParsers = new WeakMap<z.ZodType, FastParse>();

/** Registers `parse` as what `schema` gives for a valid value (NOT_FAST or a throw for any other). */
export function withFastParse<T extends z.ZodType>(schema: T, parse: FastParse): T {
  fastParsers.set(schema, parse);
  return schema;
}

/**
 * Each helper below builds its schema once per set of arguments and hands the same one to every field (zod schemas
 * are immutable): building schema instances is most of zod's cost at cold start (~25 µs each; the payments
 * handlers built ~120 env field schemas through these, 3 instances each).
 */
function once<Args extends number[], Schema>(build: (...args: Args) => Schema): (...args: Args) => Schema {
  const built = new Map<string, Schema>();
  return (...args) => {
    const key = args.join(',');
    let schema = built.get(key);
    if (schema === undefined) built.set(key, (schema = build(...args)));
    return schema;
  };
}

const WHOLE_NUMBER = /^\d+$/;
const fastWholeNumber = (value: unknown, min: number): unknown => (typeof value === 'string' && WHOLE_NUMBER.test(value) && Number(value) >= min ? Number(value) : NOT_FAST);
const wholeNumberSchema = (min: number) =>
  z
    .string({ error: 'must be set' })
    .regex(WHOLE_NUMBER, 'must be a whole number')
    .transform(Number)
    .refine((value) => value >= min, `must be at least ${min}`);

/** A variable that must be set and not empty. */
export const requiredString = once(() =>
  withFastParse(z.string({ error: 'must be set' }).min(1, 'must be set'), (value) => (typeof value === 'string' && value.length >= 1 ? value : NOT_FAST)),
);

/** A string that is not empty (zod's own message when it is): `nonEmptyString().optional()` for an optional variable. */
export const nonEmptyString = once(() => withFastParse(z.string().min(1), (value) => (typeof value === 'string' && value.length >= 1 ? value : NOT_FAST)));

/** An optional variable: absent, or a string that is not empty. */
export const optionalString = once(() => nonEmptyString().optional());

/** A whole number >= `min`, written as a string (every environment variable is one). */
export const wholeNumber = once((min = 0) => withFastParse(wholeNumberSchema(min), (value) => fastWholeNumber(value, min)));

/** An optional whole number: absent or empty gives `fallback`. */
export const wholeNumberOr = (fallback: number, min = 0) =>
  withFastParse(
    z.preprocess((value) => (value === '' ? undefined : value), wholeNumberSchema(min).optional()).transform((value) => value ?? fallback),
    (value) => (value === undefined || value === '' ? fallback : fastWholeNumber(value, min)),
  );

/** An optional whole number: absent or empty gives undefined (the reader's default applies). */
export const optionalWholeNumber = (min = 0) =>
  withFastParse(z.preprocess((value) => (value === '' ? undefined : value), wholeNumberSchema(min).optional()), (value) =>
    value === undefined || value === '' ? undefined : fastWholeNumber(value, min),
  );

/** `true` / `false`. */
export const booleanFlag = once(() =>
  withFastParse(
    z.enum(['true', 'false']).transform((value) => value === 'true'),
    (value) => (value === 'true' ? true : value === 'false' ? false : NOT_FAST),
  ),
);

/** A JSON value written as a string, parsed then checked with `schema`. */
export const jsonString = <T extends z.ZodType>(schema: T) =>
  withFastParse(
    z
      .string()
      .transform((text, context) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          context.addIssue({ code: 'custom', message: 'must be JSON' });
          return z.NEVER;
        }
      })
      .pipe(schema),
    (value) => (typeof value === 'string' ? fastParse(schema, JSON.parse(value)) : NOT_FAST),
  );

/**
 * A contract whose variables depend on each other: `z.object(shape).superRefine(refine)`, read without zod at cold
 * start when every field has a fast parser and `refine` adds no issue. `refine` only adds issues, never changes the
 * values.
 */
export const refinedEnvironment = <Shape extends z.ZodRawShape>(shape: Shape, refine: (env: z.output<z.ZodObject<Shape>>, context: z.RefinementCtx) => void) => {
  const object = z.object(shape);
  return withFastParse(object.superRefine(refine), (value) => {
    const env = fastParse(object, value);
    if (env === NOT_FAST) return NOT_FAST;
    let valid = true;
    refine(env as z.output<z.ZodObject<Shape>>, { addIssue: () => void (valid = false) } as unknown as z.RefinementCtx);
    return valid ? env : NOT_FAST;
  });
};

/** The variables of a contract as the stack sets them: every value a string (a CDK token at synth). */
export type EnvironmentOf<Schema extends z.ZodType> = { readonly [Key in keyof z.input<Schema>]: z.input<Schema>[Key] };

/**
 * Parses the environment with a handler's contract and fails at cold start (not at the first event) naming every
 * bad or missing variable, never its value.
 */
export function parseEnv<Schema extends z.ZodType>(schema: Schema, env: Readonly<Record<string, string | undefined>> = process.env): z.output<Schema> {
  const fast = fastParse(schema, env);
  if (fast !== NOT_FAST) return fast as z.output<Schema>;
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(environment)'} ${issue.message}`);
  throw new Error(`Environment variable ${problems.join('; ')}`);
}

/**
 * What zod's parse of `schema` gives for `value`, without zod: through the parser registered for it, or for a plain
 * object, array, string or default of such; NOT_FAST when there is none or the value is not valid (zod then parses,
 * for its messages).
 */
function fastParse(schema: z.ZodType, value: unknown): unknown {
  const registered = fastParsers.get(schema);
  if (registered) {
    try {
      return registered(value);
    } catch {
      return NOT_FAST;
    }
  }
  const def = schema._zod.def as {
    type: string;
    checks?: unknown[];
    coerce?: boolean;
    shape?: Record<string, z.ZodType>;
    catchall?: unknown;
    element?: z.ZodType;
    innerType?: z.ZodType;
    defaultValue?: unknown;
  };
  if (def.checks?.length) return NOT_FAST;
  switch (def.type) {
    case 'string':
      return !def.coerce && typeof value === 'string' ? value : NOT_FAST;
    case 'optional':
      if (value !== undefined) return fastParse(def.innerType as z.ZodType, value);
      // A default inside would give its value for an absent one: left to zod.
      return (def.innerType as z.ZodType)._zod.optin === 'defaulted' ? NOT_FAST : undefined;
    case 'default': {
      if (value === undefined) return def.defaultValue;
      const inner = fastParse(def.innerType as z.ZodType, value);
      return inner === undefined ? def.defaultValue : inner;
    }
    case 'array': {
      if (!Array.isArray(value)) return NOT_FAST;
      const output: unknown[] = [];
      for (const item of value) {
        const parsed = fastParse(def.element as z.ZodType, item);
        if (parsed === NOT_FAST) return NOT_FAST;
        output.push(parsed);
      }
      return output;
    }
    case 'object': {
      // Like zod's z.object: unknown keys dropped, a field whose value comes out undefined left out unless its key is there.
      if (def.catchall !== undefined || !def.shape || typeof value !== 'object' || value === null || Array.isArray(value)) return NOT_FAST;
      const input = value as Record<string, unknown>;
      const output: Record<string, unknown> = {};
      for (const key of Object.keys(def.shape)) {
        const parsed = fastParse(def.shape[key], input[key]);
        if (parsed === NOT_FAST) return NOT_FAST;
        if (parsed !== undefined || key in input) output[key] = parsed;
      }
      return output;
    }
    default:
      return NOT_FAST;
  }
}
