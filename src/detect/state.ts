/**
 * Bounded per-key state for detectors (DESIGN rule: every map has a cap, and hitting it is counted,
 * never a crash). Insertion order is age order, so the oldest key is the one dropped when full.
 */
export class BoundedMap<K, V> {
  readonly #map = new Map<K, V>();
  readonly #max: number;
  readonly #onDrop: (k: K, v: V) => void;
  dropped = 0;

  /** `onDrop` hears of each entry dropped for room (to count it, or to mark the value dead). */
  constructor(max: number, onDrop: (k: K, v: V) => void = () => {}) {
    this.#max = Math.max(1, max);
    this.#onDrop = onDrop;
  }

  get size(): number {
    return this.#map.size;
  }

  get(k: K): V | undefined {
    return this.#map.get(k);
  }

  has(k: K): boolean {
    return this.#map.has(k);
  }

  /** Sets a value; when the map is full, the oldest key goes first (counted). */
  set(k: K, v: V): void {
    if (this.#map.size >= this.#max && !this.#map.has(k)) {
      const [oldest, value] = this.#map.entries().next().value as [K, V];
      this.#map.delete(oldest);
      this.dropped++;
      this.#onDrop(oldest, value);
    }
    this.#map.set(k, v);
  }

  /** The value for `k`, made by `make` (and stored) when absent. */
  upsert(k: K, make: () => V): V {
    let v = this.#map.get(k);
    if (v === undefined) {
      v = make();
      this.set(k, v);
    }
    return v;
  }

  delete(k: K): boolean {
    return this.#map.delete(k);
  }

  /** Removes every entry for which `stale` says true (call from `tick`, not per record). */
  sweep(stale: (v: V, k: K) => boolean): number {
    let n = 0;
    for (const [k, v] of this.#map) {
      if (stale(v, k)) {
        this.#map.delete(k);
        n++;
      }
    }
    return n;
  }

  entries(): IterableIterator<[K, V]> {
    return this.#map.entries();
  }

  values(): IterableIterator<V> {
    return this.#map.values();
  }

  clear(): void {
    this.#map.clear();
  }
}

/** A set that stops growing at `max` but keeps counting distinct-looking additions past it. */
export class CappedSet<T> {
  readonly #set = new Set<T>();
  readonly #max: number;
  /** Additions after the cap (an upper bound on distinct values beyond it). */
  overflow = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** Adds `v`; returns true when it was new (or could not be checked because the set is full). */
  add(v: T): boolean {
    if (this.#set.has(v)) return false;
    if (this.#set.size >= this.#max) {
      this.overflow++;
      return true;
    }
    this.#set.add(v);
    return true;
  }

  has(v: T): boolean {
    return this.#set.has(v);
  }

  /** Distinct values seen (exact up to the cap, an upper bound beyond it). */
  get size(): number {
    return this.#set.size + this.overflow;
  }

  values(): IterableIterator<T> {
    return this.#set.values();
  }
}
