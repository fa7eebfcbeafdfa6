// @ts-nocheck
// One abort fanned out to every in-flight operation through a set, rather than
// one listener per operation on a shared AbortSignal: thousands of listeners
// on one EventTarget trip Node's leak warning and cost O(n) to remove.
/**
 * Cancels every operation of one start or stop at once: each operation opens
 * a child controller, `abort` aborts them all, `follow` ties the scope to a
 * caller's signal. @internal
 */
export class CancelScope {
  readonly #children = new Set<AbortController>();
  #aborted = false;
  #reason: unknown;

  get aborted(): boolean {
    return this.#aborted;
  }
  get reason(): unknown {
    return this.#reason;
  }
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    for (const child of this.#children) child.abort(reason);
    this.#children.clear();
  }
  open(): AbortController {
    const child = new AbortController();
    if (this.#aborted) child.abort(this.#reason);
    else this.#children.add(child);
    return child;
  }
  close(child: AbortController): void {
    this.#children.delete(child);
  }
  follow(signal: AbortSignal | undefined): () => void {
    if (signal === undefined) return () => {};
    if (signal.aborted) {
      this.abort(signal.reason);
      return () => {};
    }
    const onAbort = (): void => this.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    return () => signal.removeEventListener("abort", onAbort);
  }
}
