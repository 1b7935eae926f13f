/**
 * Feeds the detectors: one RecordSink on the pipeline's bus that hands each record only to the
 * detectors that asked for its path, and advances their packet-time clock about once a second.
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { ConnRecord } from '../flow/conn-record.js';
import type { RecordSink } from '../logs/record-sink.js';
import type { Detector } from './detector.js';

export class DetectorHub implements RecordSink {
  readonly detectors: readonly Detector[];
  readonly #byPath = new Map<string, Detector[]>();
  readonly #conn: Detector[];
  /** The detectors' `conn` methods, bound once: the per-flow loop is plain calls. */
  readonly #connFns: ((r: ConnRecord) => void)[];
  readonly #ticking: Detector[];
  #nextTick = 0;
  #now = 0;

  constructor(detectors: readonly Detector[]) {
    this.detectors = detectors;
    this.#conn = detectors.filter((d) => d.wantsConn && d.conn);
    this.#connFns = this.#conn.map((d) => (d.conn as (r: ConnRecord) => void).bind(d));
    this.#ticking = detectors.filter((d) => d.tick);
    for (const d of detectors) {
      if (!d.record) continue;
      for (const p of d.paths) {
        let list = this.#byPath.get(p);
        if (!list) this.#byPath.set(p, (list = []));
        list.push(d);
      }
    }
  }

  wants(path: string): boolean {
    return path === 'conn' ? this.#conn.length > 0 : this.#byPath.has(path);
  }

  record(path: string, ts: number, conn: ConnInfo | null, fields: LogFields): void {
    const list = this.#byPath.get(path);
    if (!list) return;
    for (const d of list) d.record?.(path, ts, conn, fields);
    this.#clock(ts);
  }

  conn(r: ConnRecord): void {
    const fns = this.#connFns;
    for (let i = 0; i < fns.length; i++) fns[i]!(r);
    if (r.ts > this.#now) this.#now = r.ts;
    if (this.#now >= this.#nextTick) this.tick(this.#now);
  }

  /** Packet time moved (also called by the pipeline's housekeeping when records are sparse). */
  tick(now: number): void {
    if (now > this.#now) this.#now = now;
    if (this.#now < this.#nextTick) return;
    this.#nextTick = Math.floor(this.#now) + 1;
    for (const d of this.#ticking) d.tick?.(this.#now);
  }

  /** End of input: every detector raises what it still holds. */
  finish(now: number = this.#now): void {
    const t = Math.max(now, this.#now);
    for (const d of this.#ticking) d.tick?.(t);
    for (const d of this.detectors) d.finish?.(t);
  }

  #clock(ts: number): void {
    if (ts > this.#now) this.#now = ts;
    if (this.#now >= this.#nextTick) this.tick(this.#now);
  }
}
