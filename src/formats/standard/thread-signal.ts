/**
 * What the main side of a worker thread waits on: the thread's first failure, and one waiter that
 * is woken whenever the thread answers. A failure wakes the waiter too, so no wait outlives it.
 */
export class ThreadSignal {
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Records the first failure (later ones add nothing) and wakes the waiter. */
  fail(error: Error): void {
    this.failure ??= error;
    this.notify();
  }

  notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Throws the thread's failure, if it failed. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Waits while `blocked()` holds, re-checking each time the thread answers; throws if it failed. */
  async waitWhile(blocked: () => boolean): Promise<void> {
    while (this.failure === undefined && blocked()) await new Promise<void>((resolve) => (this.wake = resolve));
    this.check();
  }
}
