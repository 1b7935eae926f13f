/**
 * Retention: deletes rows older than their window (by packet time) and, when the live data
 * outgrows the size cap, the oldest flows and DNS rows. Deletes go in chunks, each its own short
 * transaction, so a large backlog never holds the writer (or another process's reader) for long;
 * a run does at most `maxChunks` chunks per table and the next run continues.
 *
 * Never deleted: devices, baseline items and profiles, open alerts.
 */
import type Database from 'better-sqlite3';
import { MAX_LAG_S, usOf } from './time-ids.js';

export interface RetentionPolicy {
  readonly flowsDays: number;
  readonly dnsDays: number;
  readonly alertsDays: number;
  /** Hourly rollups are tiny and make months of history cheap: kept much longer. */
  readonly hourlyDays: number;
  /** Cap on the live data (pages in use); the oldest flows and DNS rows go first. */
  readonly maxBytes: number;
  readonly chunkRows: number;
  readonly maxChunks: number;
}

export interface RetentionResult {
  flows: number;
  dns: number;
  alerts: number;
  hourly: number;
}

const DAY = 86_400;
/** After the size cap triggers, delete down to this share of it so the next run has slack. */
const CAP_LOW_WATER = 0.95;
/** The size cap deletes oldest first across flows and DNS at this granularity (one hour, in id units). */
const CAP_SLICE_US = 3600 * 1e6;

export class Retention {
  readonly #db: Database.Database;
  readonly #p: RetentionPolicy;
  readonly #stmts: {
    flowsOlder: Database.Statement;
    dnsOlder: Database.Statement;
    alertsOlder: Database.Statement;
    hourlyOlder: Database.Statement;
    flowsOldest: Database.Statement;
    dnsOldest: Database.Statement;
    flowsMinTs: Database.Statement;
    dnsMinTs: Database.Statement;
  };

  constructor(db: Database.Database, policy: RetentionPolicy) {
    this.#db = db;
    this.#p = policy;
    this.#stmts = {
      // Rowids are times (time-ids.ts): every row with ts < cutoff has id <= (cutoff + MAX_LAG_S)*1e6.
      flowsOlder: db.prepare('DELETE FROM flows WHERE id IN (SELECT id FROM flows WHERE id <= ? AND ts < ? ORDER BY id LIMIT ?)'),
      dnsOlder: db.prepare('DELETE FROM dns WHERE id IN (SELECT id FROM dns WHERE id <= ? AND ts < ? ORDER BY id LIMIT ?)'),
      alertsOlder: db.prepare(
        "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE last_ts < ? AND status = 'closed' ORDER BY last_ts LIMIT ?)",
      ),
      hourlyOlder: db.prepare('DELETE FROM hourly WHERE (hour, device) IN (SELECT hour, device FROM hourly WHERE hour < ? LIMIT ?)'),
      flowsOldest: db.prepare('DELETE FROM flows WHERE id IN (SELECT id FROM flows WHERE id <= ? ORDER BY id LIMIT ?)'),
      dnsOldest: db.prepare('DELETE FROM dns WHERE id IN (SELECT id FROM dns WHERE id <= ? ORDER BY id LIMIT ?)'),
      flowsMinTs: db.prepare('SELECT min(id) AS t FROM flows'),
      dnsMinTs: db.prepare('SELECT min(id) AS t FROM dns'),
    };
  }

  run(now: number): RetentionResult {
    const p = this.#p;
    const s = this.#stmts;
    const flowsCut = now - p.flowsDays * DAY;
    const dnsCut = now - p.dnsDays * DAY;
    const r: RetentionResult = {
      flows: this.#chunked(s.flowsOlder, usOf(flowsCut + MAX_LAG_S), flowsCut),
      dns: this.#chunked(s.dnsOlder, usOf(dnsCut + MAX_LAG_S), dnsCut),
      alerts: this.#chunked(s.alertsOlder, now - p.alertsDays * DAY),
      hourly: this.#chunked(s.hourlyOlder, now - p.hourlyDays * DAY),
    };
    this.#enforceCap(r);
    return r;
  }

  /** Bytes of pages holding data (the file minus its free list), what the cap limits. */
  usedBytes(): number {
    const pages = this.#db.pragma('page_count', { simple: true }) as number;
    const free = this.#db.pragma('freelist_count', { simple: true }) as number;
    const size = this.#db.pragma('page_size', { simple: true }) as number;
    return (pages - free) * size;
  }

  #chunked(stmt: Database.Statement, ...bounds: number[]): number {
    let total = 0;
    const one = this.#db.transaction(() => stmt.run(...bounds, this.#p.chunkRows).changes);
    for (let i = 0; i < this.#p.maxChunks; i++) {
      const n = one.immediate();
      total += n;
      if (n < this.#p.chunkRows) break;
    }
    return total;
  }

  #enforceCap(r: RetentionResult): void {
    const p = this.#p;
    if (this.usedBytes() <= p.maxBytes) return;
    const s = this.#stmts;
    const del = this.#db.transaction((stmt: Database.Statement, upTo: number) => stmt.run(upTo, p.chunkRows).changes);
    for (let i = 0; i < p.maxChunks && this.usedBytes() > p.maxBytes * CAP_LOW_WATER; i++) {
      const f = (s.flowsMinTs.get() as { t: number | null }).t;
      const d = (s.dnsMinTs.get() as { t: number | null }).t;
      if (f === null && d === null) break;
      // Oldest data first, whichever table holds it (ids are storage times in both), and no
      // further than one slice past the other table's oldest row: a chunk of sparse rows must
      // not reach past much denser rows of the other table.
      if (d === null || (f !== null && f <= d)) r.flows += del.immediate(s.flowsOldest, d === null ? Number.MAX_SAFE_INTEGER : d + CAP_SLICE_US);
      else r.dns += del.immediate(s.dnsOldest, f === null ? Number.MAX_SAFE_INTEGER : f + CAP_SLICE_US);
    }
  }
}
