// One write at a time per key, each starting on the answer of the one before (a failed one does not stop
// the next): how the notifier and the ticketer keep their own status field of one incident in order.
export class SerialByKey {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(key) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.tails.set(key, next);
    void next.finally(() => this.tails.get(key) === next && this.tails.delete(key)).catch(() => undefined);
    return next;
  }
}
