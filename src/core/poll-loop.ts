/**
 * The worker loop of the event applier (src/core/events.service.ts) and of the client-webhook deliverer
 * (src/core/client-webhooks.ts): a pass runs `runOnce` again and again while it claims something, then the next
 * pass is due `pollMs` later; `wake` runs one now, coalesced with one in progress. Passes never overlap, and
 * work queued with `after` runs between them. Claims themselves are leases in the database, so any number of
 * instances run their loops against the same rows.
 */
export class PollLoop {
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private again = false;
  private pass: Promise<unknown> = Promise.resolve();

  constructor(
    /** One claim-and-work round; returns how many items it claimed (0: nothing left for now). */
    private readonly runOnce: () => Promise<number>,
    /** Milliseconds between passes while nothing wakes the loop. */
    private readonly pollMs: number,
    /** Called with a round's error (the loop goes on; the next pass retries). */
    private readonly onError: (e: Error) => void,
  ) {}

  /** Whether the loop was started and not stopped. */
  get active(): boolean {
    return this.running;
  }

  /** Starts the loop with a pass now. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.wake();
  }

  /** Stops the loop; resolves when the pass in progress is done. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.settled();
  }

  /** Runs a pass now (after, and coalesced with, one in progress); nothing when the loop is stopped. */
  wake(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.again = true;
    this.pass = this.pass.then(async () => {
      while (this.again && this.running) {
        this.again = false;
        try {
          if ((await this.runOnce()) > 0) this.again = true;
        } catch (e) {
          this.onError(e as Error);
        }
      }
      if (this.running && !this.timer) {
        this.timer = setTimeout(() => this.wake(), this.pollMs);
        this.timer.unref();
      }
    });
  }

  /**
   * Runs `work` once the pass in progress (and anything queued before) is done, before the next pass.
   * @throws what `work` throws (the loop itself goes on).
   */
  after<T>(work: () => Promise<T>): Promise<T> {
    const run = this.pass.then(work);
    this.pass = run.catch(() => undefined);
    return run;
  }

  /** Resolves when the pass in progress and the work queued before it are done. */
  settled(): Promise<void> {
    return this.pass.then(
      () => undefined,
      () => undefined,
    );
  }
}
