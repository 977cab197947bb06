/**
 * `build` run at the first call and its result kept for the process. For work only some invocations need (a
 * payment provider's schemas: a cold start serves one provider), so a cold start pays only for what it uses.
 */
export function lazy<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
