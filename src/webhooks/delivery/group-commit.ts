/**
 * Group commit: items handed in while a write waits for its turn (or within the same tick) are
 * written together, `maxBatch` at most per write. Each caller gets its own item's answer; a
 * failed write fails every item of its batch.
 *
 * `schedule` runs a write when it may (the engine's database gate): the batch is cut only when the
 * write actually starts, so the busier the database, the larger the batches.
 */
export class GroupCommit<Item, Result> {
  readonly #pending: { item: Item; resolve: (r: Result) => void; reject: (err: unknown) => void }[] = [];
  /** Writes scheduled that have not started yet: each will take up to maxBatch items. */
  #queued = 0;

  constructor(
    private readonly write: (items: Item[]) => Promise<Result[]>,
    private readonly schedule: (run: () => Promise<void>) => Promise<void>,
    readonly maxBatch: number,
  ) {}

  add(item: Item): Promise<Result> {
    const answer = new Promise<Result>((resolve, reject) => this.#pending.push({ item, resolve, reject }));
    this.#plan();
    return answer;
  }

  #plan(): void {
    if (this.#pending.length <= this.#queued * this.maxBatch) return;
    this.#queued++;
    // setImmediate: the attempts finishing in this tick join the first batch.
    setImmediate(() => {
      void this.schedule(() => this.#flush()).catch(() => {});
    });
  }

  async #flush(): Promise<void> {
    this.#queued--;
    const batch = this.#pending.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    try {
      const results = await this.write(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(results[i] as Result));
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.#plan();
    }
  }
}
