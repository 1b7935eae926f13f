/**
 * The Store: where everything the sensor learns is kept. One implementation today (SQLite through
 * better-sqlite3, `store/sqlite/`); every implementation passes the contract suite in
 * `test/store/contract.ts` (rule 6).
 *
 * Writes are queued and committed by a batching writer (at most about one second of data per
 * transaction); reads see committed data only, so call `flush()` first when a read must see what
 * was just written. All times are packet time in seconds since the epoch.
 */
import type { Alert, Severity } from '../alert/alert.js';
import type { Device } from '../device/device.js';

/** Which way a flow crossed the edge, seen from the device it is attributed to. */
export type Direction = 'out' | 'in' | 'local' | 'external';

/** One finished connection with its enrichment: a conn.log row plus who and where. */
export interface FlowRow {
  readonly ts: number;
  readonly uid: string;
  readonly communityId: string;
  readonly proto: string;
  /** Zeek `service` (dns, ssl, http …), '' when none was confirmed. */
  readonly service: string;
  readonly origH: string;
  readonly origP: number;
  readonly respH: string;
  readonly respP: number;
  readonly origMac: string;
  readonly respMac: string;
  /** Seconds; 0 when unset. */
  readonly duration: number;
  readonly origBytes: number;
  readonly respBytes: number;
  readonly origPkts: number;
  readonly respPkts: number;
  readonly connState: string;
  readonly history: string;
  /** MAC of the local device the flow is attributed to, or null (both ends external, no MAC). */
  readonly device: string | null;
  /** out: device originated to the internet; in: internet originated to the device; local: both private. */
  readonly direction: Direction;
  /** The address on the other side from `device` (respH for out/local, origH for in). */
  readonly remoteIp: string;
  /** ISO 3166 alpha-2 of the remote address, null when private or unknown. */
  readonly remoteCountry: string | null;
  readonly remoteAsn: number | null;
  readonly remoteAsOrg: string | null;
  /** Name the device resolved for the remote address (from its own DNS answers), else null. */
  readonly remoteName: string | null;
  /** Registered domain of `remoteName` (e.g. `googlevideo.com`), else null. */
  readonly remoteDomain: string | null;
}

export interface DnsRow {
  readonly ts: number;
  readonly uid: string;
  readonly client: string;
  readonly server: string;
  /** MAC of the asking device when known. */
  readonly device: string | null;
  readonly query: string;
  readonly qtype: string;
  readonly rcode: string;
  readonly answers: readonly string[];
}

export type AlertStatus = 'open' | 'closed';

export interface StoredAlert extends Alert {
  readonly id: number;
  readonly status: AlertStatus;
  /** How many times the same key was raised while open. */
  readonly count: number;
  readonly firstTs: number;
  readonly lastTs: number;
  readonly closedTs: number | null;
  /** e.g. `accepted as normal`, `acknowledged`. */
  readonly closedReason: string | null;
}

export interface AlertQuery {
  readonly status?: AlertStatus;
  readonly device?: string;
  /** Exact code, or a prefix ending in `.` or `*` (`baseline.` matches every baseline alert). */
  readonly code?: string;
  readonly minSeverity?: Severity;
  readonly since?: number;
  readonly limit?: number;
}

export interface AlertClose {
  readonly device?: string;
  readonly code?: string;
  readonly key?: string;
  readonly reason: string;
  readonly ts: number;
}

export type BaselineKind = 'country' | 'asn' | 'domain' | 'service' | 'listener' | 'ip';

/** One thing a device was seen doing: its learned normal is the set of these. */
export interface BaselineItem {
  readonly device: string;
  readonly kind: BaselineKind;
  /** `RU`, `15169`, `example.com`, `tcp/443`, `tcp/8080` … */
  readonly value: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly count: number;
  /** learned: seen while learning; alerted: seen after, an alert was raised; accepted: owner said normal. */
  readonly state: 'learned' | 'alerted' | 'accepted';
}

/** Per-device baseline state that is not a set of items (volumes, hours, learning end), as JSON. */
export interface BaselineProfile {
  readonly device: string;
  readonly data: string;
}

/** Bytes and flows per device per hour, kept long after the flows themselves are deleted. */
export interface HourlyRollup {
  readonly device: string;
  /** Start of the hour, seconds since the epoch (a multiple of 3600). */
  readonly hour: number;
  readonly bytesOut: number;
  readonly bytesIn: number;
  readonly flows: number;
}

export interface FlowQuery {
  readonly device?: string;
  readonly since?: number;
  readonly until?: number;
  readonly limit?: number;
}

/**
 * A request from another process (the CLI, later the UI) to the running sensor, which owns the
 * in-memory state (baselines, inventory) and would otherwise write its own state over a change
 * made behind its back. The sensor takes pending commands every second and finishes each.
 */
export interface StoreCommand {
  readonly id: number;
  /** Wall-clock time it was queued (seconds). */
  readonly created: number;
  /** e.g. `baseline.accept`. */
  readonly kind: string;
  /** JSON arguments. */
  readonly body: string;
  readonly done: boolean;
  /** JSON outcome once done. */
  readonly result: string | null;
}

export interface StoreStats {
  readonly path: string;
  readonly fileBytes: number;
  readonly flows: number;
  readonly dns: number;
  readonly devices: number;
  readonly alerts: number;
  /** Rows committed and transactions since open. */
  readonly rowsWritten: number;
  readonly transactions: number;
  /** Rows removed by retention since open. */
  readonly rowsRetired: number;
}

export interface Store {
  // -- writes: queued, committed in batches --
  addFlow(row: FlowRow): void;
  addDns(row: DnsRow): void;
  /** Inserts or replaces the device (keyed by MAC). */
  putDevice(device: Device): void;
  /** Opens an alert, or bumps count/lastTs of the open alert with the same key. */
  addAlert(alert: Alert): void;
  putBaselineItem(item: BaselineItem): void;
  putBaselineProfile(profile: BaselineProfile): void;
  /** Commits everything queued now. */
  flush(): void;

  // -- immediate (commit the queue first) --
  /** Closes matching open alerts; returns how many. */
  closeAlerts(filter: AlertClose): number;
  /** Sets or clears (null) the owner's label; returns false when the device is unknown. */
  setLabel(mac: string, label: string | null): boolean;
  /**
   * Deletes rows older than the retention windows, measured back from `now` (packet time), in
   * chunks so the writer never holds the database for long; enforces the size cap.
   */
  retain(now: number): number;

  /** Queues a command for the running sensor; returns its id. */
  enqueueCommand(kind: string, body: string): number;
  /** Commands not done yet, oldest first. */
  pendingCommands(): StoreCommand[];
  /** Marks a command done with its outcome. */
  finishCommand(id: number, result: string): void;
  command(id: number): StoreCommand | null;

  // -- reads --
  devices(): Device[];
  device(mac: string): Device | null;
  alerts(q?: AlertQuery): StoredAlert[];
  flows(q?: FlowQuery): FlowRow[];
  dns(q?: FlowQuery): DnsRow[];
  baselineItems(device?: string): BaselineItem[];
  baselineProfiles(): BaselineProfile[];
  hourly(device?: string, since?: number): HourlyRollup[];
  stats(): StoreStats;

  close(): void;
}
