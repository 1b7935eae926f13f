import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { ConnRecord } from '../flow/conn-record.js';

/**
 * Where records go (log writers, and later the store, detectors and UI stream). `wants` lets
 * producers skip building a record nobody subscribed to (rule: pay only for subscribers).
 * Connection records, the most numerous, come through `conn` as a reused ConnRecord.
 */
export interface RecordSink {
  wants(path: string): boolean;
  record(path: string, ts: number, conn: ConnInfo | null, fields: LogFields): void;
  conn(r: ConnRecord): void;
}

/** Fans records out to several sinks by path. */
export class RecordBus implements RecordSink {
  readonly #sinks: RecordSink[] = [];
  readonly #wanted = new Map<string, boolean>();

  add(sink: RecordSink): this {
    this.#sinks.push(sink);
    this.#wanted.clear();
    return this;
  }

  wants(path: string): boolean {
    let w = this.#wanted.get(path);
    if (w === undefined) {
      w = this.#sinks.some((s) => s.wants(path));
      this.#wanted.set(path, w);
    }
    return w;
  }

  record(path: string, ts: number, conn: ConnInfo | null, fields: LogFields): void {
    for (const s of this.#sinks) if (s.wants(path)) s.record(path, ts, conn, fields);
  }

  conn(r: ConnRecord): void {
    for (const s of this.#sinks) if (s.wants('conn')) s.conn(r);
  }
}

/** Receives nothing: for runs without output. */
export const NULL_SINK: RecordSink = { wants: () => false, record: () => {}, conn: () => {} };
