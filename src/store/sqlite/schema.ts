/**
 * The SQLite schema as an ordered list of numbered migrations. The file's `PRAGMA user_version`
 * is the number of migrations applied; opening runs the missing ones, each in its own
 * transaction, so a crash mid-migration leaves the file at the previous version. A file whose
 * version is above `SCHEMA_VERSION` was written by a newer Vigil and is refused (open.ts).
 *
 * Never edit a migration that has shipped: append a new one.
 *
 * Layout choices, all for the SD-card write budget (bench/store.ts measures them; in WAL mode
 * every commit rewrites the last, partly filled page of every B-tree it touches, so each extra
 * B-tree written per second costs several MB an hour):
 * - flows and dns have NO secondary index. Their rowid is a time: the packet time, in
 *   microseconds, at which the row was stored (a flow's end), made unique and increasing
 *   (time-ids.ts). Rows are therefore appended at the end of one B-tree, and a time range is a
 *   rowid range: every row satisfies ts*1e6 <= id <= (ts + MAX_LAG_S)*1e6.
 *   Retention deletes rowid ranges; per-device queries scan the time range they ask for.
 * - In flows/dns, MAC columns (`device`, `orig_mac`, `resp_mac`) hold a lower-case MAC as a
 *   48-bit integer (6 bytes instead of 17); anything else stays text (rows.ts encodes/decodes).
 *   `remote_ip` is NULL when it is the usual side (resp_h, or orig_h for inbound flows) and
 *   `direction` is a small integer.
 * - hourly is keyed (hour, device) WITHOUT ROWID so the current hour's rows sit together at the
 *   end of the tree: the upsert of every device's counters dirties one or two pages.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  /** What the step does, for error messages. */
  readonly name: string;
  readonly up: (db: Database.Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'initial schema',
    up: (db) => {
      db.exec(`
        CREATE TABLE devices (
          mac TEXT PRIMARY KEY,
          first_seen REAL NOT NULL,
          last_seen REAL NOT NULL,
          vendor TEXT,
          randomized INTEGER NOT NULL,
          addresses TEXT NOT NULL,
          names TEXT NOT NULL,
          dhcp_hostname TEXT,
          dhcp_fqdn TEXT,
          dhcp_vendor_class TEXT,
          dhcp_client_id TEXT,
          dhcp_param_list TEXT,
          mdns_services TEXT NOT NULL,
          ssdp_servers TEXT NOT NULL,
          type TEXT,
          type_evidence TEXT NOT NULL,
          label TEXT,
          same_as TEXT
        );

        CREATE TABLE flows (
          id INTEGER PRIMARY KEY,
          ts REAL NOT NULL,
          uid TEXT NOT NULL,
          community_id TEXT NOT NULL,
          proto TEXT NOT NULL,
          service TEXT NOT NULL,
          orig_h TEXT NOT NULL,
          orig_p INTEGER NOT NULL,
          resp_h TEXT NOT NULL,
          resp_p INTEGER NOT NULL,
          orig_mac,
          resp_mac,
          duration REAL NOT NULL,
          orig_bytes INTEGER NOT NULL,
          resp_bytes INTEGER NOT NULL,
          orig_pkts INTEGER NOT NULL,
          resp_pkts INTEGER NOT NULL,
          conn_state TEXT NOT NULL,
          history TEXT NOT NULL,
          device,
          direction INTEGER NOT NULL,
          remote_ip TEXT,
          remote_country TEXT,
          remote_asn INTEGER,
          remote_as_org TEXT,
          remote_name TEXT,
          remote_domain TEXT
        );

        CREATE TABLE dns (
          id INTEGER PRIMARY KEY,
          ts REAL NOT NULL,
          uid TEXT NOT NULL,
          client TEXT NOT NULL,
          server TEXT NOT NULL,
          device,
          query TEXT NOT NULL,
          qtype TEXT NOT NULL,
          rcode TEXT NOT NULL,
          answers TEXT NOT NULL
        );

        CREATE TABLE alerts (
          id INTEGER PRIMARY KEY,
          key TEXT NOT NULL,
          code TEXT NOT NULL,
          severity INTEGER NOT NULL,
          device TEXT,
          summary TEXT NOT NULL,
          evidence TEXT NOT NULL,
          status TEXT NOT NULL,
          count INTEGER NOT NULL,
          first_ts REAL NOT NULL,
          last_ts REAL NOT NULL,
          closed_ts REAL,
          closed_reason TEXT
        );
        -- At most one open alert per key: the dedup rule, enforced by the file itself.
        CREATE UNIQUE INDEX alerts_open_key ON alerts(key) WHERE status = 'open';
        CREATE INDEX alerts_last_ts ON alerts(last_ts);

        CREATE TABLE baseline_items (
          device TEXT NOT NULL,
          kind TEXT NOT NULL,
          value TEXT NOT NULL,
          first_seen REAL NOT NULL,
          last_seen REAL NOT NULL,
          count INTEGER NOT NULL,
          state TEXT NOT NULL,
          PRIMARY KEY (device, kind, value)
        ) WITHOUT ROWID;

        CREATE TABLE baseline_profiles (
          device TEXT PRIMARY KEY,
          data TEXT NOT NULL
        );

        CREATE TABLE hourly (
          hour INTEGER NOT NULL,
          device TEXT NOT NULL,
          bytes_out INTEGER NOT NULL,
          bytes_in INTEGER NOT NULL,
          flows INTEGER NOT NULL,
          PRIMARY KEY (hour, device)
        ) WITHOUT ROWID;
        CREATE INDEX hourly_device ON hourly(device, hour);
      `);
    },
  },
  {
    name: 'command queue (requests from the CLI to the running sensor)',
    up: (db) => {
      db.exec(`
        CREATE TABLE commands (
          id INTEGER PRIMARY KEY,
          created REAL NOT NULL,
          kind TEXT NOT NULL,
          body TEXT NOT NULL,
          done INTEGER NOT NULL DEFAULT 0,
          result TEXT
        );
      `);
    },
  },
  {
    // Measured on the live-sensor bench: the (device, hour) index took a fifth of the pages
    // written, because every device's current-hour row lands on a different index page. Queries by
    // device scan the (hour, device) key from `since` instead; the table holds one row per device
    // and hour, so the scan stays small.
    name: 'drop the hourly (device, hour) index (SD-card budget)',
    up: (db) => {
      db.exec('DROP INDEX IF EXISTS hourly_device');
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies the migrations the file lacks, one transaction each (the version bump commits with the
 * step). Returns the version before migrating. The caller has checked the file is not newer.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const from = schemaVersion(db);
  for (let v = from; v < migrations.length; v++) {
    const m = migrations[v];
    db.transaction(() => {
      m.up(db);
      // user_version takes no bound parameter; v is an integer we control.
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return from;
}
