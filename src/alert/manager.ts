/**
 * Where every alert goes first: counted, rate-capped, then handed to the store and to listeners
 * (the console line of `vigil run`, later notifiers and the UI stream). Producers raise freely;
 * the store keeps one open row per key, so repeats only bump a count.
 */
import type { Alert, AlertSink } from './alert.js';

export interface AlertManagerOptions {
  /** Alerts passed on per minute of packet time before the rest are only counted (rule 4). */
  maxPerMinute?: number;
  counters?: (name: string, n?: number) => void;
}

export type AlertListener = (a: Alert) => void;

export class AlertManager implements AlertSink {
  readonly #listeners: AlertListener[] = [];
  readonly #maxPerMinute: number;
  readonly #count: (name: string, n?: number) => void;
  #minute = -1;
  #inMinute = 0;
  /** Keys passed on recently: repeats go to the store (which bumps the count) but not to listeners. */
  readonly #recent = new Map<string, number>();
  raised = 0;
  suppressed = 0;

  constructor(opts: AlertManagerOptions = {}) {
    this.#maxPerMinute = opts.maxPerMinute ?? 600;
    this.#count = opts.counters ?? (() => {});
  }

  /** Listeners get each new key once per hour of packet time; the store gets every raise. */
  on(listener: AlertListener): this {
    this.#listeners.push(listener);
    return this;
  }

  #store: AlertListener | null = null;

  /** The store's writer: receives every raise that passes the rate cap. */
  toStore(write: AlertListener | null): this {
    this.#store = write;
    return this;
  }

  raise(a: Alert): void {
    const minute = Math.floor(a.ts / 60);
    if (minute !== this.#minute) {
      this.#minute = minute;
      this.#inMinute = 0;
    }
    if (++this.#inMinute > this.#maxPerMinute) {
      this.suppressed++;
      this.#count('alert.rate_capped');
      return;
    }
    this.raised++;
    this.#count('alert.raised');
    this.#store?.(a);
    const last = this.#recent.get(a.key);
    if (last !== undefined && a.ts - last < 3600) return;
    if (this.#recent.size >= 10_000) this.#recent.clear();
    this.#recent.set(a.key, a.ts);
    for (const l of this.#listeners) l(a);
  }
}
