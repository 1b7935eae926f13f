/**
 * The Store on SQLite: one writer that batches. Writes are queued in memory and committed in one
 * transaction when the batch timer fires (`batchMs` after the first queued write), when the queue
 * reaches `maxBatchRows`, on `flush()`, or on the next turn of the event loop for alerts (so an
 * alert is on disk before anyone is notified of it).
 *
 * SD-card budget (the hard constraint, bench/store.ts measures it): flow and DNS rows pass token
 * buckets on packet time, identical DNS questions are kept once a minute, devices and baseline
 * entries are coalesced per key, and whatever is rewritten in place rather than appended (hourly
 * rollups, and device/baseline updates that only move times and counts: coalescer.ts) is written
 * every `refreshMs` only, since writing it each second would rewrite the same pages each second.
 * A kill -9 therefore loses at most the current batch of rows, and at most `refreshMs` of rollup
 * counts and of last-seen times.
 *
 * A failed commit (disk full, I/O error) never throws from the timer and never drops the queue:
 * the rows stay queued (bounded by `maxQueuedRows`, overflow counted as `store.rows_dropped`), the
 * error is reported once through `onError` and in `stats().error`, and the next tick retries.
 */
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { Alert } from '../../alert/alert.js';
import type { Device } from '../../device/device.js';
import { VigilError } from '../../util/errors.js';
import type {
  AlertClose, AlertQuery, BaselineItem, BaselineProfile, DnsRow, FlowQuery, FlowRow, HourlyRollup,
  Store, StoreCommand, StoreStats, StoredAlert,
} from '../store.js';
import { Coalescer } from './coalescer.js';
import { isDataError, writeError } from './errors.js';
import { Retention, type RetentionPolicy } from './retention.js';
import {
  DEVICE_COLUMNS, DNS_COLUMNS, FLOW_COLUMNS, alertFromDb, baselineItemFromDb, deviceFromDb, deviceParams,
  dnsFromDb, dnsParams, flowFromDb, flowParams, macToDb, severityRank,
  type AlertDbRow, type BaselineItemDbRow, type DeviceDbRow, type DnsDbRow, type FlowDbRow, type SqlValue,
} from './rows.js';
import { MAX_LAG_S, TimeIds, usOf, validTime } from './time-ids.js';
import { TokenBucket, type Budget } from './token-bucket.js';

export interface SqliteStoreConfig {
  readonly path: string;
  readonly retention: RetentionPolicy;
  readonly batchMs: number;
  readonly maxBatchRows: number;
  /** Cap on queued flow+DNS rows, and separately on queued alerts/devices/baseline entries. */
  readonly maxQueuedRows: number;
  /** null: every flow is kept as a row. */
  readonly flowBudget: Budget | null;
  readonly dnsBudget: Budget | null;
  /** Identical (device, query, qtype) within this many seconds of packet time are kept once. */
  readonly dnsDedupeSeconds: number;
  /** Cap on the remembered DNS questions. */
  readonly dnsDedupeMax: number;
  /** Wall milliseconds between writes of the rollups and of time-only updates (the slow lane). */
  readonly refreshMs: number;
  /**
   * Slow-lane rows (devices, items, profiles that only moved times and counts) written per
   * refresh; the rest wait, oldest first, for the next refresh (flush() writes all). Bounds the
   * SD-card cost of a network with thousands of devices to this many rows a refresh.
   */
  readonly slowRowsPerRefresh: number;
  /** Cap on in-memory rollup entries (device × hour) before they are written early. */
  readonly maxRollups: number;
  readonly onError: ((err: VigilError) => void) | null;
}

/** What `stats()` returns here: the Store's figures plus the writer's health. */
export interface SqliteStoreStats extends StoreStats {
  /** Rows and entries waiting for the next commit. */
  readonly queued: number;
  /** The sentence of the last failed commit, null once a commit succeeds again. */
  readonly error: string | null;
  /** Dotted counters: store.rows_dropped, store.flows_not_kept, store.dns_deduped … */
  readonly counters: Readonly<Record<string, number>>;
}

interface Rollup {
  readonly device: string;
  readonly hour: number;
  bytesOut: number;
  bytesIn: number;
  flows: number;
}

export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #c: SqliteStoreConfig;
  readonly #retention: Retention;
  readonly #flowBucket: TokenBucket | null;
  readonly #dnsBucket: TokenBucket | null;

  // -- the queue --
  #flows: FlowRow[] = [];
  #dns: DnsRow[] = [];
  #alerts: Alert[] = [];
  readonly #devices = new Coalescer<Device>(MAX_SIGNATURES);
  readonly #items = new Coalescer<BaselineItem>(MAX_SIGNATURES);
  readonly #profiles = new Coalescer<BaselineProfile>(MAX_SIGNATURES);
  readonly #rollups = new Map<string, Rollup>();
  readonly #dnsSeen = new Map<string, number>();

  // -- writer state --
  #timer: NodeJS.Timeout | null = null;
  #soon: NodeJS.Immediate | null = null;
  /** Set by a failed commit: size-triggered commits wait for the next timer tick. */
  #blocked = false;
  #lastSlowAt = performance.now();
  #error: VigilError | null = null;
  #closed = false;

  // -- counters --
  #rowsWritten = 0;
  #transactions = 0;
  #rowsRetired = 0;
  #flowsNotKept = 0;
  #dnsNotKept = 0;
  #dnsDeduped = 0;
  #rowsDropped = 0;
  #rowsRejected = 0;
  #rollupsDropped = 0;
  #commitErrors = 0;
  /** Exact row counts, computed on the first stats() and then kept up to date (count(*) on millions of rows is slow). */
  #flowCount: number | null = null;
  #dnsCount: number | null = null;
  /** Flow and DNS rows inserted by the last commit transaction. */
  #txFlows = 0;
  #txDns = 0;

  readonly #flowIds: TimeIds;
  readonly #dnsIds: TimeIds;
  readonly #commitTx: Database.Transaction<(withSlow: boolean, salvage: boolean) => number>;
  /** Slow-lane rows the running commit may still write, and the keys it wrote per lane. */
  #slowBudget = Infinity;
  #slowBudgetStart = Infinity;
  readonly #slowWritten = new Map<Coalescer<unknown>, string[]>();
  readonly #s: ReturnType<typeof prepare>;

  constructor(db: Database.Database, config: SqliteStoreConfig) {
    this.#db = db;
    this.#c = config;
    this.#retention = new Retention(db, config.retention);
    this.#flowBucket = config.flowBudget ? new TokenBucket(config.flowBudget) : null;
    this.#dnsBucket = config.dnsBudget ? new TokenBucket(config.dnsBudget) : null;
    this.#s = prepare(db);
    this.#flowIds = new TimeIds((this.#s.maxFlowId.get() as { m: number | null }).m ?? 0);
    this.#dnsIds = new TimeIds((this.#s.maxDnsId.get() as { m: number | null }).m ?? 0);
    this.#commitTx = db.transaction((withSlow: boolean, salvage: boolean) => this.#writeQueue(withSlow, salvage));
  }

  // ---- writes ------------------------------------------------------------------------------

  addFlow(row: FlowRow): void {
    if (!validTime(row.ts)) {
      this.#rowsRejected++;
      return;
    }
    this.#rollup(row);
    // The bucket's clock is the flow's end, which is the packet time at which it is reported.
    if (this.#flowBucket !== null && !this.#flowBucket.take(row.ts + (row.duration > 0 ? row.duration : 0))) {
      this.#flowsNotKept++;
      this.#arm();
      return;
    }
    if (this.#flows.length + this.#dns.length >= this.#c.maxQueuedRows) {
      this.#rowsDropped++;
      this.#arm();
      return;
    }
    this.#flows.push(row);
    this.#queued();
  }

  addDns(row: DnsRow): void {
    if (!validTime(row.ts)) {
      this.#rowsRejected++;
      return;
    }
    const key = (row.device ?? row.client) + '\u0000' + row.query + '\u0000' + row.qtype;
    const prev = this.#dnsSeen.get(key);
    if (prev !== undefined && row.ts >= prev && row.ts - prev < this.#c.dnsDedupeSeconds) {
      this.#dnsDeduped++;
      return;
    }
    if (this.#dnsBucket !== null && !this.#dnsBucket.take(row.ts)) {
      this.#dnsNotKept++;
      return;
    }
    if (this.#flows.length + this.#dns.length >= this.#c.maxQueuedRows) {
      this.#rowsDropped++;
      return;
    }
    // Delete first so the Map's insertion order stays (roughly) time order for the sweep.
    this.#dnsSeen.delete(key);
    this.#dnsSeen.set(key, row.ts);
    if (this.#dnsSeen.size > this.#c.dnsDedupeMax) this.#sweepDnsSeen(row.ts);
    this.#dns.push(row);
    this.#queued();
  }

  /** Inserts or replaces the device; a null `label` keeps the stored one (the owner's, set by setLabel). */
  putDevice(device: Device): void {
    if (!this.#devices.has(device.mac) && !this.#roomForOther()) return;
    this.#devices.put(device.mac, device, deviceSignature(device));
    this.#queued();
  }

  addAlert(alert: Alert): void {
    if (!this.#roomForOther()) return;
    this.#alerts.push(alert);
    // Alerts are committed on the next turn of the event loop, not at the batch tick: a burst
    // raised in one turn shares one transaction, and the alert is durable before any notifier
    // (which does I/O) can have reported it.
    if (this.#soon === null && !this.#closed) {
      this.#soon = setImmediate(() => {
        this.#soon = null;
        // After a failed commit, retries belong to the batch timer (one attempt per tick).
        if (!this.#blocked) this.#commit(false);
      });
      this.#soon.unref();
    }
    this.#queued();
  }

  putBaselineItem(item: BaselineItem): void {
    const key = item.device + '\u0000' + item.kind + '\u0000' + item.value;
    if (!this.#items.has(key) && !this.#roomForOther()) return;
    // Alerted and accepted items go with the next batch (they decide what alerts); learned items,
    // and count/lastSeen bumps, with the slow lane: a device that is still learning writes a new
    // item for every new destination, and losing a minute of learning in a crash costs nothing
    // (the next flow relearns it).
    if (item.state === 'learned') this.#items.putSlow(key, item, item.state + '|' + item.firstSeen);
    else this.#items.put(key, item, item.state + '|' + item.firstSeen);
    this.#queued();
  }

  putBaselineProfile(profile: BaselineProfile): void {
    if (!this.#profiles.has(profile.device) && !this.#roomForOther()) return;
    // The first profile of a device goes with the next batch, later versions with the slow lane.
    this.#profiles.put(profile.device, profile, '');
    this.#queued();
  }

  /** Commits everything queued, slow lane and rollups included. Throws the VigilError when the commit fails (the queue is kept). */
  flush(): void {
    this.#open();
    if (!this.#commit(true)) throw this.#error!;
  }

  // ---- immediate ---------------------------------------------------------------------------

  closeAlerts(filter: AlertClose): number {
    this.flush();
    const where: string[] = ["status = 'open'"];
    const params: SqlValue[] = [filter.ts, filter.reason];
    if (filter.device !== undefined) {
      where.push('device = ?');
      params.push(filter.device);
    }
    if (filter.code !== undefined) codeFilter(filter.code, where, params);
    if (filter.key !== undefined) {
      where.push('key = ?');
      params.push(filter.key);
    }
    const sql = `UPDATE alerts SET status = 'closed', closed_ts = ?, closed_reason = ? WHERE ${where.join(' AND ')}`;
    return this.#immediate(() => this.#db.prepare(sql).run(...params).changes);
  }

  setLabel(mac: string, label: string | null): boolean {
    this.flush();
    return this.#immediate(() => this.#s.setLabel.run(label, mac).changes > 0);
  }

  enqueueCommand(kind: string, body: string): number {
    return this.#immediate(() => Number(this.#s.insertCommand.run(Date.now() / 1000, kind, body).lastInsertRowid));
  }

  pendingCommands(): StoreCommand[] {
    this.#open();
    return (this.#s.pendingCommands.all() as CommandDbRow[]).map(commandFromDb);
  }

  finishCommand(id: number, result: string): void {
    this.#immediate(() => this.#s.finishCommand.run(result, id));
  }

  command(id: number): StoreCommand | null {
    this.#open();
    const r = this.#s.command.get(id) as CommandDbRow | undefined;
    return r ? commandFromDb(r) : null;
  }

  /**
   * Never throws for a write failure (the sensor calls it on a timer): a failure is reported like
   * a failed commit (onError, stats().error) and the next call tries again.
   */
  retain(now: number): number {
    this.#open();
    if (!this.#commit(true)) return 0;
    let r: { flows: number; dns: number; alerts: number; hourly: number };
    try {
      r = this.#retention.run(now);
    } catch (e) {
      this.#fail(e);
      return 0;
    }
    if (this.#flowCount !== null) this.#flowCount -= r.flows;
    if (this.#dnsCount !== null) this.#dnsCount -= r.dns;
    const n = r.flows + r.dns + r.alerts + r.hourly;
    this.#rowsRetired += n;
    return n;
  }

  // ---- reads -------------------------------------------------------------------------------

  devices(): Device[] {
    this.#open();
    return (this.#s.devices.all() as DeviceDbRow[]).map(deviceFromDb);
  }

  device(mac: string): Device | null {
    this.#open();
    const d = this.#s.device.get(mac) as DeviceDbRow | undefined;
    return d ? deviceFromDb(d) : null;
  }

  alerts(q: AlertQuery = {}): StoredAlert[] {
    this.#open();
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (q.status !== undefined) {
      where.push('status = ?');
      params.push(q.status);
    }
    if (q.device !== undefined) {
      where.push('device = ?');
      params.push(q.device);
    }
    if (q.code !== undefined) codeFilter(q.code, where, params);
    if (q.minSeverity !== undefined) {
      where.push('severity >= ?');
      params.push(severityRank(q.minSeverity));
    }
    if (q.since !== undefined) {
      where.push('last_ts >= ?');
      params.push(q.since);
    }
    const sql = `SELECT * FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY last_ts DESC, id DESC ${limitSql(q.limit, params)}`;
    return (this.#db.prepare(sql).all(...params) as AlertDbRow[]).map(alertFromDb);
  }

  /** `since` <= ts < `until`, most recently stored (ended) first. A device query scans its time range. */
  flows(q: FlowQuery = {}): FlowRow[] {
    this.#open();
    const params: SqlValue[] = [];
    const sql = `SELECT ${FLOW_COLUMNS} FROM flows ${rangeWhere(q, params)} ORDER BY id DESC ${limitSql(q.limit, params)}`;
    return (this.#db.prepare(sql).all(...params) as FlowDbRow[]).map(flowFromDb);
  }

  /** `since` <= ts < `until`, most recently stored first. A device query scans its time range. */
  dns(q: FlowQuery = {}): DnsRow[] {
    this.#open();
    const params: SqlValue[] = [];
    const sql = `SELECT ${DNS_COLUMNS} FROM dns ${rangeWhere(q, params)} ORDER BY id DESC ${limitSql(q.limit, params)}`;
    return (this.#db.prepare(sql).all(...params) as DnsDbRow[]).map(dnsFromDb);
  }

  baselineItems(device?: string): BaselineItem[] {
    this.#open();
    const rows = device === undefined ? this.#s.itemsAll.all() : this.#s.itemsOf.all(device);
    return (rows as BaselineItemDbRow[]).map(baselineItemFromDb);
  }

  baselineProfiles(): BaselineProfile[] {
    this.#open();
    return this.#s.profiles.all() as BaselineProfile[];
  }

  /** Ordered by device then hour; `since` keeps the hour containing it and later ones. */
  hourly(device?: string, since?: number): HourlyRollup[] {
    this.#open();
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (device !== undefined) {
      where.push('device = ?');
      params.push(device);
    }
    if (since !== undefined) {
      where.push('hour >= ?');
      params.push(Math.floor(since / 3600) * 3600);
    }
    const sql = `SELECT device, hour, bytes_out AS bytesOut, bytes_in AS bytesIn, flows FROM hourly ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY device, hour`;
    return this.#db.prepare(sql).all(...params) as HourlyRollup[];
  }

  stats(): SqliteStoreStats {
    this.#open();
    if (this.#flowCount === null) this.#flowCount = (this.#s.countFlows.get() as { n: number }).n;
    if (this.#dnsCount === null) this.#dnsCount = (this.#s.countDns.get() as { n: number }).n;
    return {
      path: this.#c.path,
      fileBytes: this.#fileBytes(),
      flows: this.#flowCount,
      dns: this.#dnsCount,
      devices: (this.#s.countDevices.get() as { n: number }).n,
      alerts: (this.#s.countAlerts.get() as { n: number }).n,
      rowsWritten: this.#rowsWritten,
      transactions: this.#transactions,
      rowsRetired: this.#rowsRetired,
      queued: this.#queuedAll(),
      error: this.#error ? this.#error.message : null,
      counters: this.counters(),
    };
  }

  /** The writer's counters with their dotted names (cheap: no database access). */
  counters(): Record<string, number> {
    return {
      'store.rows_written': this.#rowsWritten,
      'store.transactions': this.#transactions,
      'store.rows_retired': this.#rowsRetired,
      'store.rows_dropped': this.#rowsDropped,
      'store.rows_rejected': this.#rowsRejected,
      'store.flows_not_kept': this.#flowsNotKept,
      'store.dns_not_kept': this.#dnsNotKept,
      'store.dns_deduped': this.#dnsDeduped,
      'store.rollups_dropped': this.#rollupsDropped,
      'store.commit_errors': this.#commitErrors,
      'store.queued': this.#queuedAll(),
    };
  }

  /** Commits what is queued (a failure is reported through onError, not thrown) and closes the file. */
  close(): void {
    if (this.#closed) return;
    this.#commit(true);
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#soon !== null) clearImmediate(this.#soon);
    this.#timer = null;
    this.#soon = null;
    this.#db.close();
  }

  // ---- the writer --------------------------------------------------------------------------

  #queued(): void {
    if (!this.#blocked && this.#queuedFast() >= this.#c.maxBatchRows) this.#commit(false);
    else this.#arm();
  }

  #arm(): void {
    if (this.#timer !== null || this.#closed) return;
    this.#timer = setTimeout(() => this.#tick(), this.#c.batchMs);
    // The batch timer alone must not keep the process alive: close() commits what is left.
    this.#timer.unref();
  }

  #tick(): void {
    this.#timer = null;
    this.#blocked = false;
    const slowDue = performance.now() - this.#lastSlowAt >= this.#c.refreshMs;
    this.#commit(slowDue, this.#c.slowRowsPerRefresh);
    if (this.#queuedAll() > 0 || this.#rollups.size > 0) this.#arm();
  }

  /** One transaction for the queue; true when it committed (or there was nothing to do). */
  #commit(withSlow: boolean, slowBudget = Infinity): boolean {
    if (this.#closed) return false;
    this.#slowBudgetStart = slowBudget;
    const slow = withSlow && this.#rollups.size + this.#queuedSlow() > 0;
    if (this.#queuedFast() === 0 && !slow) return true;
    let rows: number;
    const flowLast = this.#flowIds.last;
    const dnsLast = this.#dnsIds.last;
    try {
      try {
        rows = this.#commitTx.immediate(slow, false);
      } catch (e) {
        if (!isDataError(e)) throw e;
        // A row SQLite refuses (a constraint, a value it cannot bind) must not block the queue
        // forever: write again row by row and drop only the refused ones.
        this.#flowIds.last = flowLast;
        this.#dnsIds.last = dnsLast;
        rows = this.#commitTx.immediate(slow, true);
      }
    } catch (e) {
      // Rolled back: the ids handed out in it are free again.
      this.#flowIds.last = flowLast;
      this.#dnsIds.last = dnsLast;
      this.#fail(e);
      return false;
    }
    // Only now is the queue dropped: a failed transaction rolled back and keeps everything.
    if (this.#flowCount !== null) this.#flowCount += this.#txFlows;
    if (this.#dnsCount !== null) this.#dnsCount += this.#txDns;
    this.#flows = [];
    this.#dns = [];
    this.#alerts = [];
    this.#devices.fast.clear();
    this.#items.fast.clear();
    this.#profiles.fast.clear();
    if (slow) {
      for (const [c, keys] of this.#slowWritten) for (const k of keys) c.slow.delete(k);
      this.#rollups.clear();
      this.#lastSlowAt = performance.now();
    }
    this.#slowWritten.clear();
    this.#rowsWritten += rows;
    this.#transactions++;
    this.#error = null;
    return true;
  }

  /**
   * The body of the commit transaction (run with BEGIN IMMEDIATE: the write lock is taken up
   * front, so a concurrent writer such as the CLI closing an alert makes us wait busy_timeout
   * instead of failing half-way). In salvage mode each row is its own statement whose failure is
   * counted and skipped; SQLite undoes only that statement.
   */
  #writeQueue(withSlow: boolean, salvage: boolean): number {
    const s = this.#s;
    let n = 0;
    const one = (f: () => unknown): void => {
      if (!salvage) {
        f();
        n++;
        return;
      }
      try {
        f();
        n++;
      } catch (e) {
        if (!isDataError(e)) throw e;
        this.#rowsRejected++;
      }
    };
    const flowTaken = (id: number) => s.flowIdTaken.get(id) !== undefined;
    const dnsTaken = (id: number) => s.dnsIdTaken.get(id) !== undefined;
    for (const r of this.#flows) {
      one(() => s.insertFlow.run(flowParams(this.#flowIds.place(r.ts, r.ts + (r.duration > 0 ? r.duration : 0), flowTaken), r)));
    }
    this.#txFlows = n;
    for (const r of this.#dns) one(() => s.insertDns.run(dnsParams(this.#dnsIds.place(r.ts, r.ts, dnsTaken), r)));
    this.#txDns = n - this.#txFlows;
    this.#slowWritten.clear();
    this.#slowBudget = this.#slowBudgetStart; // a salvage retry starts over with the whole budget
    const lanes = <T>(c: Coalescer<T>, write: (v: T) => unknown): void => {
      for (const v of c.fast.values()) one(() => write(v));
      if (!withSlow) return;
      // Oldest first (a Map keeps insertion order, and a re-put keeps its place): each entry
      // waits at most a few refreshes even when the budget is far below the number of devices.
      const written: string[] = [];
      for (const [k, v] of c.slow) {
        if (this.#slowBudget <= 0) break;
        one(() => write(v));
        written.push(k);
        this.#slowBudget--;
      }
      this.#slowWritten.set(c as Coalescer<unknown>, written);
    };
    lanes(this.#devices, (d) => s.upsertDevice.run(deviceParams(d)));
    for (const a of this.#alerts) {
      one(() => {
        const sev = severityRank(a.severity);
        if (s.bumpAlert.run(a.ts, sev, a.key).changes === 0) {
          s.insertAlert.run(a.key, a.code, sev, a.device, a.summary, JSON.stringify(a.evidence), a.ts, a.ts);
        }
      });
    }
    lanes(this.#items, (i) => s.upsertItem.run(i.device, i.kind, i.value, i.firstSeen, i.lastSeen, i.count, i.state));
    lanes(this.#profiles, (p) => s.upsertProfile.run(p.device, p.data));
    if (withSlow) {
      for (const r of this.#rollups.values()) one(() => s.addHourly.run(r.hour, r.device, r.bytesOut, r.bytesIn, r.flows));
    }
    return n;
  }

  #fail(e: unknown): void {
    const err = e instanceof VigilError ? e : writeError(e, this.#c.path);
    this.#commitErrors++;
    this.#blocked = true;
    const repeated = this.#error !== null && this.#error.message === err.message;
    this.#error = err;
    this.#arm();
    // Once per distinct failure, not once per retry: a full disk would otherwise report every second.
    if (!repeated && this.#c.onError) {
      try {
        this.#c.onError(err);
      } catch {
        // A failing error handler must not take the writer down with it.
      }
    }
  }

  /** Runs an immediate operation, turning SQLite failures into the store's VigilError. */
  #immediate<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof VigilError) throw e;
      throw writeError(e, this.#c.path);
    }
  }

  #rollup(r: FlowRow): void {
    if (r.device === null) return;
    const hour = Math.floor(r.ts / 3600) * 3600;
    const key = hour + '|' + r.device;
    let e = this.#rollups.get(key);
    if (e === undefined) {
      if (this.#rollups.size >= this.#c.maxRollups) {
        // Write them early rather than grow; if that fails too, count what cannot be kept.
        if (this.#blocked || !this.#commit(true)) {
          this.#rollupsDropped++;
          return;
        }
      }
      e = { device: r.device, hour, bytesOut: 0, bytesIn: 0, flows: 0 };
      this.#rollups.set(key, e);
    }
    // A bad byte count (NaN) must not poison the hour's sums: it counts as 0.
    const orig = Number.isFinite(r.origBytes) ? r.origBytes : 0;
    const resp = Number.isFinite(r.respBytes) ? r.respBytes : 0;
    // `in`: the device is the responder, so what the originator sent came in.
    if (r.direction === 'in') {
      e.bytesOut += resp;
      e.bytesIn += orig;
    } else {
      e.bytesOut += orig;
      e.bytesIn += resp;
    }
    e.flows++;
  }

  #sweepDnsSeen(now: number): void {
    const horizon = now - this.#c.dnsDedupeSeconds;
    for (const [k, t] of this.#dnsSeen) {
      if (t >= horizon) break;
      this.#dnsSeen.delete(k);
    }
    // Still over the cap (more distinct questions within a minute than the cap): forget them
    // all; the cost is a few duplicate rows, never unbounded memory.
    if (this.#dnsSeen.size > this.#c.dnsDedupeMax) this.#dnsSeen.clear();
  }

  #queuedBulk(): number {
    return this.#flows.length + this.#dns.length;
  }

  #queuedOther(): number {
    return this.#alerts.length + this.#devices.size + this.#items.size + this.#profiles.size;
  }

  /** What the next batch commits (the slow lane waits for its refresh). */
  #queuedFast(): number {
    return this.#queuedBulk() + this.#alerts.length + this.#devices.fast.size + this.#items.fast.size + this.#profiles.fast.size;
  }

  #queuedSlow(): number {
    return this.#devices.slow.size + this.#items.slow.size + this.#profiles.slow.size;
  }

  #queuedAll(): number {
    return this.#queuedBulk() + this.#queuedOther();
  }

  #roomForOther(): boolean {
    if (this.#queuedOther() < this.#c.maxQueuedRows) return true;
    this.#rowsDropped++;
    this.#arm();
    return false;
  }

  #open(): void {
    if (this.#closed) throw new VigilError('VIGIL_ERR_USAGE', `The store ${this.#c.path} is closed; open it again.`);
  }

  #fileBytes(): number {
    if (this.#c.path === ':memory:' || this.#c.path === '') {
      return (this.#db.pragma('page_count', { simple: true }) as number) * (this.#db.pragma('page_size', { simple: true }) as number);
    }
    let n = 0;
    for (const p of [this.#c.path, this.#c.path + '-wal']) {
      try {
        n += statSync(p).size;
      } catch {
        // No WAL file right now: nothing to add.
      }
    }
    return n;
  }
}

function prepare(db: Database.Database) {
  return {
    insertFlow: db.prepare(`INSERT INTO flows (id, ${FLOW_COLUMNS}) VALUES (?, ${placeholders(FLOW_COLUMNS)})`),
    insertDns: db.prepare(`INSERT INTO dns (id, ${DNS_COLUMNS}) VALUES (?, ${placeholders(DNS_COLUMNS)})`),
    flowIdTaken: db.prepare('SELECT 1 FROM flows WHERE id = ?').pluck(),
    dnsIdTaken: db.prepare('SELECT 1 FROM dns WHERE id = ?').pluck(),
    maxFlowId: db.prepare('SELECT max(id) AS m FROM flows'),
    maxDnsId: db.prepare('SELECT max(id) AS m FROM dns'),
    upsertDevice: db.prepare(
      `INSERT INTO devices (${DEVICE_COLUMNS}) VALUES (${placeholders(DEVICE_COLUMNS)}) ON CONFLICT(mac) DO UPDATE SET ` +
        DEVICE_COLUMNS.split(', ')
          .slice(1)
          // The label is the owner's: another process (the CLI) may have set it since this device was read.
          .map((c) => (c === 'label' ? 'label = coalesce(excluded.label, label)' : `${c} = excluded.${c}`))
          .join(', '),
    ),
    bumpAlert: db.prepare(
      "UPDATE alerts SET count = count + 1, last_ts = max(last_ts, ?), severity = max(severity, ?) WHERE key = ? AND status = 'open'",
    ),
    insertAlert: db.prepare(
      "INSERT INTO alerts (key, code, severity, device, summary, evidence, status, count, first_ts, last_ts) VALUES (?, ?, ?, ?, ?, ?, 'open', 1, ?, ?)",
    ),
    upsertItem: db.prepare(
      'INSERT INTO baseline_items (device, kind, value, first_seen, last_seen, count, state) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT(device, kind, value) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen, count = excluded.count, state = excluded.state',
    ),
    upsertProfile: db.prepare('INSERT INTO baseline_profiles (device, data) VALUES (?, ?) ON CONFLICT(device) DO UPDATE SET data = excluded.data'),
    addHourly: db.prepare(
      'INSERT INTO hourly (hour, device, bytes_out, bytes_in, flows) VALUES (?, ?, ?, ?, ?) ON CONFLICT(hour, device) DO UPDATE SET ' +
        'bytes_out = bytes_out + excluded.bytes_out, bytes_in = bytes_in + excluded.bytes_in, flows = flows + excluded.flows',
    ),
    setLabel: db.prepare('UPDATE devices SET label = ? WHERE mac = ?'),
    insertCommand: db.prepare('INSERT INTO commands (created, kind, body) VALUES (?, ?, ?)'),
    pendingCommands: db.prepare('SELECT * FROM commands WHERE done = 0 ORDER BY id LIMIT 100'),
    finishCommand: db.prepare('UPDATE commands SET done = 1, result = ? WHERE id = ?'),
    command: db.prepare('SELECT * FROM commands WHERE id = ?'),
    devices: db.prepare('SELECT * FROM devices ORDER BY mac'),
    device: db.prepare('SELECT * FROM devices WHERE mac = ?'),
    itemsAll: db.prepare('SELECT * FROM baseline_items ORDER BY device, kind, value'),
    itemsOf: db.prepare('SELECT * FROM baseline_items WHERE device = ? ORDER BY kind, value'),
    profiles: db.prepare('SELECT device, data FROM baseline_profiles ORDER BY device'),
    countFlows: db.prepare('SELECT count(*) AS n FROM flows'),
    countDns: db.prepare('SELECT count(*) AS n FROM dns'),
    countDevices: db.prepare('SELECT count(*) AS n FROM devices'),
    countAlerts: db.prepare('SELECT count(*) AS n FROM alerts'),
  };
}

/** Cap on remembered signatures per kind (devices, baseline items, profiles). */
const MAX_SIGNATURES = 100_000;

/**
 * What makes a device update worth the next batch: everything except the times that move on
 * every sighting (last seen, an address's or a name's last time).
 */
function deviceSignature(d: Device): string {
  return JSON.stringify([
    // Times are left out, first-seen ones too: flows end out of order, so an address's first
    // sighting keeps moving back by seconds, and each such refinement is a time-only update.
    d.vendor, d.randomized, d.addresses.map((a) => a.ip),
    d.names.map((n) => n.source + ' ' + n.name), d.dhcp, d.mdnsServices, d.ssdpServers, d.type,
    d.typeEvidence, d.label, d.sameAs,
  ]);
}

function placeholders(columns: string): string {
  return columns.split(', ').map(() => '?').join(', ');
}

/** Exact code, or a prefix when it ends in `.` or `*` (the `*` itself is not part of the prefix). */
function codeFilter(code: string, where: string[], params: SqlValue[]): void {
  if (code.endsWith('*') || code.endsWith('.')) {
    const prefix = code.endsWith('*') ? code.slice(0, -1) : code;
    where.push('substr(code, 1, ?) = ?');
    params.push(prefix.length, prefix);
  } else {
    where.push('code = ?');
    params.push(code);
  }
}

/** The ts range as a rowid range first (time-ids.ts: ts*1e6 <= id <= (ts + MAX_LAG_S)*1e6), then exactly. */
function rangeWhere(q: FlowQuery, params: SqlValue[]): string {
  const where: string[] = [];
  if (q.since !== undefined) {
    where.push('id >= ?', 'ts >= ?');
    params.push(usOf(Math.max(0, q.since)), q.since);
  }
  if (q.until !== undefined) {
    where.push('id <= ?', 'ts < ?');
    params.push(usOf(Math.max(0, q.until) + MAX_LAG_S), q.until);
  }
  if (q.device !== undefined) {
    where.push('device = ?');
    params.push(macToDb(q.device));
  }
  return where.length ? 'WHERE ' + where.join(' AND ') : '';
}

function limitSql(limit: number | undefined, params: SqlValue[]): string {
  if (limit === undefined) return '';
  params.push(Math.max(0, Math.floor(limit)));
  return 'LIMIT ?';
}

interface CommandDbRow {
  id: number;
  created: number;
  kind: string;
  body: string;
  done: number;
  result: string | null;
}

function commandFromDb(r: CommandDbRow): StoreCommand {
  return { id: r.id, created: r.created, kind: r.kind, body: r.body, done: r.done !== 0, result: r.result };
}
