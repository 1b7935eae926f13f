/**
 * Pending upserts keyed by what they replace (a device's MAC, a baseline item's key), in two
 * lanes. A put whose `signature` differs from the last one queued for its key (a new device, a
 * new name or address, an item changing state) goes to the fast lane, committed with the next
 * batch. A put that only moves times and counts (the same signature) goes to the slow lane,
 * committed every `refreshMs` with the rollups: an inventory or baseline that re-puts every device
 * each second must not rewrite those pages each second (SD-card budget).
 */
export class Coalescer<T> {
  readonly fast = new Map<string, T>();
  readonly slow = new Map<string, T>();
  /** Signature last queued per key; capped, because forgetting only costs an early write. */
  readonly #signatures = new Map<string, string>();
  readonly #maxSignatures: number;

  constructor(maxSignatures: number) {
    this.#maxSignatures = maxSignatures;
  }

  get size(): number {
    return this.fast.size + this.slow.size;
  }

  has(key: string): boolean {
    return this.fast.has(key) || this.slow.has(key);
  }

  put(key: string, value: T, signature: string): void {
    if (this.fast.has(key)) {
      // Already going with the next batch: carry the newest version.
      this.fast.set(key, value);
      this.#signatures.set(key, signature);
      return;
    }
    if (this.#signatures.get(key) === signature) {
      this.slow.set(key, value);
      return;
    }
    this.slow.delete(key);
    this.fast.set(key, value);
    if (this.#signatures.size >= this.#maxSignatures) this.#signatures.clear();
    this.#signatures.set(key, signature);
  }

  /**
   * Queues `value` in the slow lane even when it is new (unless the fast lane already carries the
   * key): for rows whose loss in a crash costs nothing that cannot be relearned.
   */
  putSlow(key: string, value: T, signature: string): void {
    if (this.fast.has(key)) {
      this.fast.set(key, value);
    } else {
      this.slow.set(key, value);
    }
    if (this.#signatures.size >= this.#maxSignatures) this.#signatures.clear();
    this.#signatures.set(key, signature);
  }
}
