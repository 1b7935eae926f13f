/**
 * A capped least-recently-used map (rule 4: everything that grows has a cap and a counter).
 * A JS Map iterates in insertion order, so re-inserting on a hit keeps the least recently used
 * entry first, and eviction takes the first key: O(1) without a linked list of our own.
 */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  readonly cap: number;
  /** Entries dropped because the map was full. */
  evicted = 0;

  constructor(cap: number) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`LRU cap must be a positive integer, got ${cap}`);
    this.cap = cap;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The value, marked as most recently used; undefined when absent. */
  get(k: K): V | undefined {
    const m = this.#map;
    const v = m.get(k);
    if (v !== undefined) {
      m.delete(k);
      m.set(k, v);
    }
    return v;
  }

  /** The value without touching its recency. */
  peek(k: K): V | undefined {
    return this.#map.get(k);
  }

  set(k: K, v: V): void {
    const m = this.#map;
    if (m.has(k)) m.delete(k);
    else if (m.size >= this.cap) {
      const oldest = m.keys().next();
      if (!oldest.done) {
        m.delete(oldest.value);
        this.evicted++;
      }
    }
    m.set(k, v);
  }

  delete(k: K): boolean {
    return this.#map.delete(k);
  }

  clear(): void {
    this.#map.clear();
  }

  /** Least recently used first; the map must not be changed while iterating. */
  entries(): IterableIterator<[K, V]> {
    return this.#map.entries();
  }
}
