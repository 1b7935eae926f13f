/**
 * Alerts of a run that keeps no database (`vigil analyze` without --db), aggregated as the store
 * would: one entry per key, with how often it was raised and when it was last raised.
 */
import type { Alert } from './alert.js';

export interface DigestEntry extends Alert {
  /** Times this key was raised. */
  readonly count: number;
  /** Packet time of the latest raise. */
  readonly last: number;
}

export class AlertDigest {
  readonly #byKey = new Map<string, { alert: Alert; count: number; last: number }>();
  readonly #max: number;
  dropped = 0;

  constructor(maxKeys = 100_000) {
    this.#max = maxKeys;
  }

  add(a: Alert): void {
    const e = this.#byKey.get(a.key);
    if (e) {
      e.count++;
      if (a.ts > e.last) e.last = a.ts;
      // The latest evidence wins, as a store row's update does; the first time stays.
      e.alert = { ...a, ts: e.alert.ts };
      return;
    }
    if (this.#byKey.size >= this.#max) {
      this.dropped++;
      return;
    }
    this.#byKey.set(a.key, { alert: a, count: 1, last: a.ts });
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Entries by first time, then code. */
  entries(): DigestEntry[] {
    return [...this.#byKey.values()]
      .map((e) => ({ ...e.alert, count: e.count, last: e.last }))
      .sort((a, b) => a.ts - b.ts || a.code.localeCompare(b.code));
  }
}
