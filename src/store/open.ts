/**
 * Opens (or creates) the SQLite store: parent directories, pragmas, a health check, numbered
 * migrations. A damaged file is moved aside and a new one created (`recovered` says so; the
 * caller raises the alert); a file from a newer Vigil is refused.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { VigilError, isVigilError } from '../util/errors.js';
import { isCorruption, sqliteCode } from './sqlite/errors.js';
import { DamagedDatabase, checkHeader, moveAside } from './sqlite/recover.js';
import { SCHEMA_VERSION, migrate, schemaVersion } from './sqlite/schema.js';
import { SqliteStore, type SqliteStoreConfig } from './sqlite/sqlite-store.js';
import type { Budget } from './sqlite/token-bucket.js';

export type { Budget } from './sqlite/token-bucket.js';
export type { SqliteStore, SqliteStoreStats } from './sqlite/sqlite-store.js';

export interface RetentionOptions {
  /** Days of flow rows (30). */
  flowsDays?: number;
  /** Days of DNS rows (30). */
  dnsDays?: number;
  /** Days closed alerts are kept after their last sighting (180); open alerts are never deleted. */
  alertsDays?: number;
  /** Days of hourly rollups (400). */
  hourlyDays?: number;
  /** Cap on the data in the file (2 GiB); the oldest flows and DNS rows are deleted first. */
  maxBytes?: number;
  /** Rows per delete statement, each in its own short transaction (5,000). */
  chunkRows?: number;
  /** Chunks per table per `retain()` call (20); the next call continues. */
  maxChunks?: number;
}

export interface StoreOptions {
  /** File path, or `:memory:` for quick unit tests. */
  path: string;
  retention?: RetentionOptions;
  /** Wall milliseconds a queued write waits at most before its batch commits (1,000). */
  batchMs?: number;
  /** Queue length that commits at once (5,000). */
  maxBatchRows?: number;
  /** Cap on queued flow+DNS rows (and separately on other entries) while commits fail (100,000). */
  maxQueuedRows?: number;
  /** Flow rows kept per second of packet time, with a burst; null keeps every flow. */
  flowBudget?: Budget | null;
  /** DNS rows kept per second of packet time, with a burst; null keeps every (deduplicated) row. */
  dnsBudget?: Budget | null;
  /** Identical (device, query, qtype) within this many seconds are kept once (60). */
  dnsDedupeSeconds?: number;
  /**
   * Wall milliseconds between writes of what is rewritten in place: hourly rollups, and device or
   * baseline updates that only move times and counts (300,000: as ntopng's 5-minute dumps; the
   * live-sensor bench shows these rewrites dominate the SD-card writes). A kill -9 loses at most
   * this much of them; never rows, alerts, new devices or alerted items.
   */
  refreshMs?: number;
  /** Slow-lane rows written per refresh (default 256); the rest wait for later refreshes. */
  slowRowsPerRefresh?: number;
  /** Page size of a NEW file (1,024; an existing file keeps its own). */
  pageSize?: number;
  /** WAL pages that trigger a checkpoint (SQLite's wal_autocheckpoint). */
  walAutocheckpoint?: number;
  /** Run `PRAGMA quick_check` on an existing file at open (true). It reads the whole file. */
  quickCheck?: boolean;
  /**
   * Move a damaged file aside and start a new one (true). false: throw VIGIL_ERR_STORE_CORRUPT
   * instead; for readers such as the CLI, which must not move the running sensor's file away.
   */
  recover?: boolean;
  /** Milliseconds to wait for another process's lock (5,000). */
  busyTimeoutMs?: number;
  /** Called once per distinct write failure (disk full, I/O error); the writer keeps retrying. */
  onError?: (err: VigilError) => void;
}

export interface OpenedStore {
  store: SqliteStore;
  /** Set when the file was damaged: where it was moved and why. */
  recovered: { movedTo: string; reason: string } | null;
}

/** Every default in one place (rule: one schema with every default). See bench/store.ts for why. */
export const STORE_DEFAULTS = {
  retention: { flowsDays: 30, dnsDays: 30, alertsDays: 180, hourlyDays: 400, maxBytes: 2 * 1024 ** 3, chunkRows: 5_000, maxChunks: 20 },
  batchMs: 1_000,
  maxBatchRows: 5_000,
  maxQueuedRows: 100_000,
  flowBudget: { perSecond: 8, burst: 1_200 } as Budget,
  dnsBudget: { perSecond: 4, burst: 600 } as Budget,
  dnsDedupeSeconds: 60,
  dnsDedupeMax: 50_000,
  refreshMs: 300_000,
  slowRowsPerRefresh: 256,
  maxRollups: 50_000,
  pageSize: 1_024,
  walAutocheckpoint: 1_000,
  journalSizeLimit: 4 * 1024 * 1024,
  quickCheck: true,
  busyTimeoutMs: 5_000,
} as const;

export function openStore(opts: StoreOptions): OpenedStore {
  const memory = opts.path === ':memory:';
  const path = memory ? opts.path : resolve(opts.path);
  if (!memory) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (e) {
      throw new VigilError('VIGIL_ERR_STORE_OPEN', `Cannot create the directory ${dirname(path)} for the database (${(e as NodeJS.ErrnoException).code ?? e}); create it or choose another --db path.`);
    }
  }
  let recovered: OpenedStore['recovered'] = null;
  let db: Database.Database;
  try {
    db = openChecked(path, opts);
  } catch (e) {
    if (!(e instanceof DamagedDatabase) || memory) throw e;
    if (opts.recover === false) {
      throw new VigilError('VIGIL_ERR_STORE_CORRUPT', `${path} is damaged (${e.reason}); start the sensor ('vigil run') to move it aside and begin a new one.`);
    }
    let movedTo: string;
    try {
      movedTo = moveAside(path);
    } catch (m) {
      throw new VigilError('VIGIL_ERR_STORE_CORRUPT', `${path} is damaged (${e.reason}) and could not be moved aside (${(m as NodeJS.ErrnoException).code ?? m}); move or delete it by hand.`);
    }
    recovered = { movedTo, reason: e.reason };
    db = openChecked(path, opts);
  }
  const r = opts.retention ?? {};
  const d = STORE_DEFAULTS;
  const config: SqliteStoreConfig = {
    path,
    retention: {
      flowsDays: r.flowsDays ?? d.retention.flowsDays,
      dnsDays: r.dnsDays ?? d.retention.dnsDays,
      alertsDays: r.alertsDays ?? d.retention.alertsDays,
      hourlyDays: r.hourlyDays ?? d.retention.hourlyDays,
      maxBytes: r.maxBytes ?? d.retention.maxBytes,
      chunkRows: r.chunkRows ?? d.retention.chunkRows,
      maxChunks: r.maxChunks ?? d.retention.maxChunks,
    },
    batchMs: opts.batchMs ?? d.batchMs,
    maxBatchRows: opts.maxBatchRows ?? d.maxBatchRows,
    maxQueuedRows: opts.maxQueuedRows ?? d.maxQueuedRows,
    flowBudget: opts.flowBudget === undefined ? d.flowBudget : opts.flowBudget,
    dnsBudget: opts.dnsBudget === undefined ? d.dnsBudget : opts.dnsBudget,
    dnsDedupeSeconds: opts.dnsDedupeSeconds ?? d.dnsDedupeSeconds,
    dnsDedupeMax: d.dnsDedupeMax,
    refreshMs: opts.refreshMs ?? d.refreshMs,
    slowRowsPerRefresh: opts.slowRowsPerRefresh ?? d.slowRowsPerRefresh,
    maxRollups: d.maxRollups,
    onError: opts.onError ?? null,
  };
  return { store: new SqliteStore(db, config), recovered };
}

/**
 * Opens the file, sets the pragmas, checks it and migrates it. Throws DamagedDatabase when the
 * file must be moved aside, VigilError for anything the user must fix (permissions, newer file).
 */
function openChecked(path: string, opts: StoreOptions): Database.Database {
  const d = STORE_DEFAULTS;
  if (path !== ':memory:') checkHeader(path);
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: opts.busyTimeoutMs ?? d.busyTimeoutMs });
  } catch (e) {
    throw openError(e, path);
  }
  try {
    // page_size only takes effect on a file with no pages yet, and must precede WAL mode.
    db.pragma(`page_size = ${Math.floor(opts.pageSize ?? d.pageSize)}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${Math.floor(opts.walAutocheckpoint ?? d.walAutocheckpoint)}`);
    db.pragma(`journal_size_limit = ${d.journalSizeLimit}`);
    // Deleted content is zeroed only where the page is written anyway: privacy at no extra I/O.
    db.pragma('secure_delete = FAST');
    if (opts.quickCheck ?? d.quickCheck) {
      const rows = db.pragma('quick_check') as { quick_check: string }[];
      if (rows.length !== 1 || rows[0].quick_check !== 'ok') {
        throw new DamagedDatabase(`quick_check failed: ${rows.slice(0, 3).map((x) => x.quick_check).join('; ')}`);
      }
    }
    const v = schemaVersion(db);
    if (v > SCHEMA_VERSION) {
      throw new VigilError('VIGIL_ERR_STORE_OPEN', `${path} was written by a newer Vigil (schema ${v}, this one reads up to ${SCHEMA_VERSION}); upgrade Vigil or choose another --db path.`);
    }
    migrate(db);
    return db;
  } catch (e) {
    safeClose(db);
    if (e instanceof DamagedDatabase || isVigilError(e)) throw e;
    if (isCorruption(e)) throw new DamagedDatabase((e as Error).message);
    throw openError(e, path);
  }
}

function openError(e: unknown, path: string): VigilError {
  const c = sqliteCode(e) || (e as NodeJS.ErrnoException | null)?.code || String(e);
  return new VigilError('VIGIL_ERR_STORE_OPEN', `Cannot open the database ${path} (${c}: ${(e as Error)?.message ?? e}); check that the Vigil user can read and write it and its directory.`);
}

function safeClose(db: Database.Database): void {
  try {
    db.close();
  } catch {
    // Closing a damaged handle may fail; the file is being moved aside or reported anyway.
  }
}
