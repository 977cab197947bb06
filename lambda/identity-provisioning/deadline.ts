/**
 * The current invocation's deadline as an AbortSignal that every AWS call of the adapters passes on
 * (`send(command, { abortSignal })`): once the deadline passes, calls in flight are aborted and later ones fail at
 * once, so each remaining record is reported failed (and retried from the queue) before Lambda's own timeout would
 * fail the whole batch. An aborted call is not retried by the SDK. One invocation at a time per execution
 * environment, so one instance per module.
 */
export class InvocationDeadline {
  private controller?: AbortController;
  private timer?: ReturnType<typeof setTimeout>;

  /** Starts a deadline `inMs` from now; undefined (no Lambda context) means none. */
  start(inMs: number | undefined): void {
    this.stop();
    if (inMs === undefined || !Number.isFinite(inMs)) return;
    const controller = new AbortController();
    this.controller = controller;
    if (inMs <= 0) controller.abort(new Error('invocation deadline passed'));
    else this.timer = setTimeout(() => controller.abort(new Error('invocation deadline passed')), inMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.controller = undefined;
  }

  get signal(): AbortSignal | undefined {
    return this.controller?.signal;
  }
}
