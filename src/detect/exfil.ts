/**
 * Data exfiltration (issue 5): a device uploading far more than it ever does to one place on the
 * internet (a camera's recordings, a NAS's files, a hijacked device used as a proxy or file drop).
 *
 * Per LAN device → outside address, the bytes the device sent within `detect.exfil.windowSeconds`
 * (its `orig_bytes` when it opened the flow, its `resp_bytes` when it served an outside client).
 * Local flows (backups to a NAS, casting) never count; multicast and broadcast neither.
 * `exfil.upload` (high) fires when the window crosses:
 *  - `detect.exfil.bytes`, whatever the device learned (also while it learns);
 *  - after learning, `factor` × the most the device sent to the internet in any hour while learning
 *    (its baseline's `learnedMaxOut`), and at least `CANDIDATE` bytes;
 *  - after learning, `CANDIDATE` bytes to an address first seen in this window while the device's
 *    baseline holds a destination (country / network / domain) it never used before and nobody
 *    accepted yet: the upload goes somewhere new.
 * A device's usual cloud destination is reported by the first rule only: its hourly volume was
 * learned (the second rule) and it is neither new to the detector nor to the baseline (the third).
 *
 * Cost: a flow is rejected with a few compares unless a LAN device sent bytes to the internet; then
 * one map lookup by the remote address (a string the record already holds: nothing is built). The
 * baseline (not free) is asked only when a window crosses `CANDIDATE`, and again only after the
 * window's bytes doubled.
 */
import type { ConnRecord } from '../flow/conn-record.js';
import type { DetectConfig } from '../config/detect.js';
import { formatBytes } from '../baseline/explain.js';
import { pushCapped, span, type DetectContext, type Detector, type DetectorFactory } from './detector.js';
import { BoundedMap } from './state.js';

/** Below this an upload is never judged against the baseline (a thermostat sending 2 MB is no news). */
const CANDIDATE = 50e6;
const SWEEP_EVERY = 60;
/** Idle time after which an address is forgotten (and counts as new again). */
const KEEP_SECONDS = 7 * 86400;

type Rule = 'absolute' | 'volume' | 'new_destination';

class Upload {
  /** The LAN end (address) and its device, resolved when the entry was made. */
  readonly local: string;
  readonly device: string | null;
  readonly remote: string;
  port: number;
  /** First flow ever seen between the two (while the entry lived): "new" destinations start here. */
  readonly since: number;
  bytes = 0;
  flows = 0;
  first: number;
  last: number;
  uids: string[] = [];
  /** Dropped from the map (swept or capped): the one-entry cache must not hand it out. */
  gone = false;
  /** The window's bytes at which the baseline is asked (again). */
  nextCheck: number;
  alerted = false;
  constructor(local: string, device: string | null, remote: string, port: number, ts: number, nextCheck: number) {
    this.local = local;
    this.device = device;
    this.remote = remote;
    this.port = port;
    this.since = ts;
    this.first = ts;
    this.last = ts;
    this.nextCheck = nextCheck;
  }
}

function capital(s: string): string {
  return s.length > 0 ? s[0].toUpperCase() + s.slice(1) : s;
}

/** Multicast (224-239.x, ffxx::) and the limited broadcast: group traffic, not an upload to someone. */
function isGroup(ip: string): boolean {
  const c0 = ip.charCodeAt(0);
  if (c0 === 0x66 || c0 === 0x46) return ip.indexOf(':') > 0 && ip.indexOf(':') <= 4; // ffxx::
  if (c0 !== 0x32 || ip.charCodeAt(3) !== 0x2e) return false; // "2xx."
  const n = (ip.charCodeAt(1) - 0x30) * 10 + (ip.charCodeAt(2) - 0x30);
  return (n >= 24 && n <= 39) || n === 55;
}

class ExfilDetector implements Detector {
  readonly name = 'exfil';
  readonly paths = [] as const;
  readonly wantsConn = true;
  readonly #ctx: DetectContext;
  readonly #bytes: number;
  readonly #factor: number;
  readonly #window: number;
  /** The lowest bar any rule has: below it nothing is checked. */
  readonly #candidate: number;
  readonly #uploads: BoundedMap<string, Upload>;
  #nextSweep = 0;
  /**
   * No entry's `last` is older than this (they only grow): a sweep finds nothing before `now` is
   * KEEP_SECONDS past it, so the map (up to maxTracked entries) is walked only when it can shrink.
   */
  #oldestLast = Infinity;
  /** The entry last found under its remote address alone (uploads come in runs of flows). */
  #lastUpload: Upload | null = null;

  constructor(config: DetectConfig, ctx: DetectContext) {
    this.#ctx = ctx;
    this.#bytes = config.exfil.bytes;
    this.#factor = config.exfil.factor;
    this.#window = config.exfil.windowSeconds;
    this.#candidate = Math.min(CANDIDATE, this.#bytes);
    this.#uploads = new BoundedMap(config.maxTracked, (_k, u) => {
      u.gone = true;
      ctx.count('detect.exfil.uploads_dropped');
    });
  }

  conn(r: ConnRecord): void {
    let local: string;
    let remote: string;
    let mac: string;
    let sent: number;
    if (r.localOrig) {
      if (r.localResp || r.origBytes <= 0) return; // LAN-internal (NAS backups) never counts
      local = r.origH;
      remote = r.respH;
      mac = r.origL2;
      sent = r.origBytes;
    } else if (r.localResp) {
      if (r.respBytes <= 0) return;
      local = r.respH;
      remote = r.origH;
      mac = r.respL2;
      sent = r.respBytes;
    } else if (r.origBytes > 0 && r.origH.indexOf(':') >= 0) {
      // Global IPv6 on both ends: the originator may still be a LAN device (its own MAC says so).
      local = r.origH;
      remote = r.respH;
      mac = r.origL2;
      sent = r.origBytes;
    } else {
      return;
    }
    let key = remote;
    // The cache holds only an entry stored under `remote` itself: while it lives, it is what the
    // lookup would return.
    const cached = this.#lastUpload;
    let u = cached !== null && !cached.gone && cached.remote === remote ? cached : this.#uploads.get(key);
    if (u !== undefined && u.local === local) this.#lastUpload = u;
    if (u !== undefined && u.local !== local) {
      // Another device uploads to the same address: its own entry (the only key ever built).
      key = `${local}>${remote}`;
      u = this.#uploads.get(key);
    }
    if (u === undefined) {
      if (isGroup(remote)) return;
      const device = this.#ctx.deviceOf(local, mac);
      // Not a LAN device (an outside host, or a router forwarding for someone we do not know).
      if (device === null && !r.localOrig && !r.localResp) return;
      u = new Upload(local, device, remote, r.respP, r.ts, this.#candidate);
      this.#uploads.set(key, u);
      if (key === remote) this.#lastUpload = u;
      if (r.ts < this.#oldestLast) this.#oldestLast = r.ts;
    } else if (r.ts - u.first >= this.#window) {
      // The window is over: a new one starts with this flow (an upload that goes on raises again).
      u.bytes = 0;
      u.flows = 0;
      u.first = r.ts;
      u.uids = [];
      u.nextCheck = this.#candidate;
      u.alerted = false;
    }
    u.bytes += sent;
    u.flows++;
    const end = r.duration > 0 ? r.ts + r.duration : r.ts;
    if (end > u.last) u.last = end;
    if (u.uids.length < 10) pushCapped(u.uids, r.uid);
    if (u.bytes >= u.nextCheck && !u.alerted) this.#check(u, r.ts);
  }

  #check(u: Upload, ts: number): void {
    const ctx = this.#ctx;
    // Ask again only once the window's bytes doubled (capped by the absolute bar): few baseline calls.
    u.nextCheck = Math.min(u.bytes * 2, this.#bytes);
    if (u.bytes >= this.#bytes) {
      this.#raise(u, ts, 'absolute', null);
      return;
    }
    const device = u.device;
    const baselines = ctx.baselines;
    if (device === null || baselines === null || ctx.learning(device, ts)) return;
    const st = baselines.status(device)[0];
    // A run without baselines (plain analyze) learned nothing: only the absolute bar applies.
    if (st === undefined) return;
    const learned = st.volume.learnedMaxOut;
    if (u.bytes >= this.#factor * learned) {
      this.#raise(u, ts, 'volume', learned);
      return;
    }
    if (u.since >= u.first && st.pending.some((p) => p.kind === 'country' || p.kind === 'asn' || p.kind === 'domain')) {
      this.#raise(u, ts, 'new_destination', learned);
    }
  }

  #raise(u: Upload, ts: number, rule: Rule, learned: number | null): void {
    u.alerted = true;
    const ctx = this.#ctx;
    const who = capital(ctx.describe(u.device, u.local));
    const amount = `${formatBytes(u.bytes)} to ${u.remote} (port ${u.port}) in ${span(Math.max(1, u.last - u.first))}`;
    let why: string;
    if (rule === 'volume') {
      why = learned !== null && learned > 0
        ? `far more than it ever sent to the internet in an hour while Vigil learned it (at most ${formatBytes(learned)})`
        : 'while it sent nothing to the internet while Vigil learned it';
    } else if (rule === 'new_destination') {
      why = 'an address it never sent data to before';
    } else {
      why = 'more than a home device normally uploads anywhere';
    }
    ctx.raise({
      ts,
      code: 'exfil.upload',
      severity: 'high',
      device: u.device,
      summary: `${who} uploaded ${amount}, ${why}: data may be leaving your network. If you did not start a large upload or backup from it, unplug it and check what it shares.`,
      evidence: {
        rule,
        remote: u.remote,
        port: u.port,
        bytes: u.bytes,
        flows: u.flows,
        learnedMaxOut: learned,
        threshold: rule === 'absolute' ? this.#bytes : rule === 'volume' ? Math.max(this.#candidate, this.#factor * (learned ?? 0)) : this.#candidate,
        uids: [...u.uids],
        count: u.flows,
        first: u.first,
        last: u.last,
      },
      key: `exfil.upload|${u.device ?? u.local}|${u.remote}`,
    });
  }

  tick(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_EVERY;
    // Entries outlive their window by a week: an address used last week is not "new" today.
    const keep = this.#window + KEEP_SECONDS;
    if (now - this.#oldestLast <= keep) return;
    let oldest = Infinity;
    this.#uploads.sweep((u) => {
      if (now - u.last > keep) {
        u.gone = true;
        return true;
      }
      if (u.last < oldest) oldest = u.last;
      return false;
    });
    this.#oldestLast = oldest;
  }
}

export const exfil: DetectorFactory = {
  name: 'exfil',
  about: 'Uploads to one internet address far above the device\'s learned volume, to a new destination, or above detect.exfil.bytes.',
  create: (config, ctx) => new ExfilDetector(config, ctx),
};
