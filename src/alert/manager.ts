/**
 * Where every alert goes first: counted, flood-controlled, then handed to the store and to
 * listeners (the console line of `vigil run`, later notifiers and the UI stream). Producers raise
 * freely; the store keeps one open row per key, so repeats only bump a count.
 *
 * Flood control follows reliability.md W7 (as Zeek's notice suppression and weird sampling):
 * - an identical alert (same key) reaches listeners once per hour; the store still counts repeats;
 * - per code, the first 25 NEW keys in 10 minutes pass, then 1 in 1,000 (the rest are counted, and
 *   one `alert.flood` alert says so), so a scan of a /16 makes a bounded number of rows;
 * - a global cap per minute of packet time on everything (rule 4: bounded under any input).
 */
import type { Alert, AlertSink } from './alert.js';

export interface AlertManagerOptions {
  /** Alerts passed on per minute of packet time before the rest are only counted (rule 4). */
  maxPerMinute?: number;
  /** New keys of one code passed per window before sampling starts (W7: 25). */
  perCodeFirst?: number;
  /** The per-code window in seconds (W7: 600). */
  perCodeWindowSeconds?: number;
  /** Past the first ones, 1 new key in this many passes (W7: 1,000). */
  perCodeSample?: number;
  counters?: (name: string, n?: number) => void;
}

export type AlertListener = (a: Alert) => void;

/** Keys remembered for "same alert within the hour" (oldest forgotten first). */
const RECENT_MAX = 10_000;

export class AlertManager implements AlertSink {
  readonly #listeners: AlertListener[] = [];
  readonly #maxPerMinute: number;
  readonly #first: number;
  readonly #window: number;
  readonly #sample: number;
  readonly #count: (name: string, n?: number) => void;
  #minute = -1;
  #inMinute = 0;
  /** Keys passed on recently, with the time listeners last heard of them. */
  readonly #recent = new Map<string, number>();
  /** Per code: the current window's start and how many new keys it has seen. */
  readonly #codes = new Map<string, { start: number; n: number; suppressed: number }>();
  raised = 0;
  suppressed = 0;

  constructor(opts: AlertManagerOptions = {}) {
    this.#maxPerMinute = opts.maxPerMinute ?? 600;
    this.#first = opts.perCodeFirst ?? 25;
    this.#window = opts.perCodeWindowSeconds ?? 600;
    this.#sample = Math.max(1, opts.perCodeSample ?? 1000);
    this.#count = opts.counters ?? (() => {});
  }

  /** Listeners get each new key once per hour of packet time; the store gets every raise. */
  on(listener: AlertListener): this {
    this.#listeners.push(listener);
    return this;
  }

  #store: AlertListener | null = null;

  /** The store's writer: receives every raise that passes flood control. */
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
    const last = this.#recent.get(a.key);
    if (last === undefined && !this.#admitNew(a)) return;
    this.raised++;
    this.#count('alert.raised');
    this.#store?.(a);
    if (last !== undefined && a.ts - last < 3600) return;
    if (last === undefined && this.#recent.size >= RECENT_MAX) {
      this.#recent.delete(this.#recent.keys().next().value as string);
    }
    this.#recent.delete(a.key);
    this.#recent.set(a.key, a.ts);
    for (const l of this.#listeners) l(a);
  }

  /** Per-code sampling of new keys (W7). */
  #admitNew(a: Alert): boolean {
    if (a.code === 'alert.flood') return true;
    let c = this.#codes.get(a.code);
    if (c === undefined || a.ts - c.start >= this.#window) {
      if (c && c.suppressed > 0) this.#flood(a.code, c.start, a.ts, c.suppressed);
      c = { start: a.ts, n: 0, suppressed: 0 };
      if (this.#codes.size >= 1024) this.#codes.clear();
      this.#codes.set(a.code, c);
    }
    const n = ++c.n;
    const pass = n <= this.#first || (n - this.#first) % this.#sample === 0;
    if (n === this.#first + 1) this.#flood(a.code, c.start, a.ts, 0);
    if (pass) return true;
    c.suppressed++;
    this.suppressed++;
    this.#count('alert.flood_suppressed');
    return false;
  }

  /** One alert per code and window saying that alerts of that code are being sampled. */
  #flood(code: string, start: number, ts: number, suppressed: number): void {
    const window = Math.floor(start / this.#window);
    this.raise({
      ts,
      code: 'alert.flood',
      severity: 'info',
      device: null,
      summary: suppressed > 0
        ? `${suppressed.toLocaleString('en-US')} more '${code}' alerts were only counted in ${Math.round(this.#window / 60)} minutes (1 in ${this.#sample.toLocaleString('en-US')} kept): look at the ones kept, they share a cause.`
        : `More than ${this.#first} different '${code}' alerts came in ${Math.round(this.#window / 60)} minutes; from now on 1 in ${this.#sample.toLocaleString('en-US')} is kept and the rest are counted.`,
      evidence: { code, first: this.#first, sample: this.#sample, suppressed, windowStart: start },
      key: `alert.flood|${code}|${window}`,
    });
  }
}
