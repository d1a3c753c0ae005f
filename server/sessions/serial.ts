/**
 * Runs tasks one after the other per key: a command that must be checked
 * against the committed result of the one before (the store writes first and
 * memory follows, so a check made while an earlier write is in flight would
 * see a state that is about to change). A failed task does not stop the next.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(task);
    const tail = result.then(
      () => undefined,
      () => undefined
    );
    this.tails.set(key, tail);
    // Forget the key once nothing more is queued behind this task (bounded memory per key).
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
