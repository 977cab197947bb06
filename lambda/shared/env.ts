/**
 * The one way a handler reads its environment: each handler's contract (lambda/<handler>/contract.ts) declares the
 * variables it reads as a zod object of the fields below; the entry point parses process.env with it at cold start
 * (`parseEnv`), and the stack builds the function's environment from the same object (`z.input` of it types the
 * map, lib/constructs/connect-function.ts checks the values at synth). Only zod here: the CDK side imports it.
 */
import { z } from 'zod';

/** A variable that must be set and not empty. */
export const requiredString = () => z.string({ error: 'must be set' }).min(1, 'must be set');

/** A whole number >= `min`, written as a string (every environment variable is one). */
export const wholeNumber = (min = 0) =>
  z
    .string({ error: 'must be set' })
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((value) => value >= min, `must be at least ${min}`);

/** An optional whole number: absent or empty gives `fallback`. */
export const wholeNumberOr = (fallback: number, min = 0) =>
  z.preprocess((value) => (value === '' ? undefined : value), wholeNumber(min).optional()).transform((value) => value ?? fallback);

/** An optional whole number: absent or empty gives undefined (the reader's default applies). */
export const optionalWholeNumber = (min = 0) => z.preprocess((value) => (value === '' ? undefined : value), wholeNumber(min).optional());

/** `true` / `false`. */
export const booleanFlag = () => z.enum(['true', 'false']).transform((value) => value === 'true');

/** A JSON value written as a string, parsed then checked with `schema`. */
export const jsonString = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  }).pipe(schema);

/** The variables of a contract as the stack sets them: every value a string (a CDK token at synth). */
export type EnvironmentOf<Schema extends z.ZodType> = { readonly [Key in keyof z.input<Schema>]: z.input<Schema>[Key] };

/**
 * Parses the environment with a handler's contract and fails at cold start (not at the first event) naming every
 * bad or missing variable, never its value.
 */
export function parseEnv<Schema extends z.ZodType>(schema: Schema, env: Readonly<Record<string, string | undefined>> = process.env): z.output<Schema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(environment)'} ${issue.message}`);
  throw new Error(`Environment variable ${problems.join('; ')}`);
}
