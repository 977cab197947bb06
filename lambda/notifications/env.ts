/** A positive number from the environment, or its default; a bad value fails at cold start, not at the first event. */
export function positiveNumberEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!(value > 0)) throw new Error(`Environment variable ${name} must be a positive number`);
  return value;
}
