/**
 * Cleartext credentials and unsafe services: hygiene findings, one alert per device and service
 * (a stable key, raised again at most once a day while it goes on), never per login.
 *
 * - `cleartext.login` (low): a telnet, FTP or HTTP Basic login that was not refused. The user name
 *   may be named; the password never reaches a record (the analyzers drop it), so never an alert.
 * - `unsafe.telnet_exposed`: a LAN device answers telnet (the door Mirai-type botnets use). Low when
 *   seen from the LAN; high when it answered someone on the internet (the port is forwarded).
 * - `unsafe.upnp_wan` (high): a LAN device exchanges SSDP (UDP 1900) with a public address, i.e.
 *   answers UPnP discovery from the internet: the router forwards or exposes it, which attackers use
 *   to map the network and to reflect DDoS floods.
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { ConnRecord } from '../flow/conn-record.js';
import type { DetectConfig } from '../config/detect.js';
import type { Severity } from '../alert/alert.js';
import { AddrKind, addrKind, connSideKind } from '../device/ip.js';
import type { DetectContext, Detector, DetectorFactory } from './detector.js';
import { BoundedMap } from './state.js';

/** A finding still true a day later is raised again (bumping the open alert), not more often. */
export const RERAISE_SECONDS = 86_400;
const SSDP_PORT = 1900;
/** User names in a sentence are cut here (they come from the network). */
const MAX_USER_IN_TEXT = 32;
/** A login whose flow has not ended after this long is reported without waiting for it. */
const PENDING_MAX_SECONDS = 3600;
/** FTP user names that need no secret. */
const ANONYMOUS = new Set(['anonymous', 'ftp']);

type LoginService = 'telnet' | 'ftp' | 'http';

const LOGIN_LABEL: Record<LoginService, string> = { telnet: 'telnet', ftp: 'FTP', http: 'HTTP (web Basic auth)' };
const SAFER: Record<LoginService, string> = { telnet: 'SSH', ftp: 'SFTP or FTPS', http: 'HTTPS' };

/** A login seen in an application record, waiting for its flow's conn record. */
interface PendingLogin {
  readonly svc: LoginService;
  readonly ts: number;
  readonly conn: ConnInfo;
  readonly users: string[];
  /** The server accepted it (false: outcome unknown; refused logins are never pending). */
  readonly ok: boolean;
}

/** "a telnet", "an FTP", "an SSH": the article as the (fixed) label is spoken, letter by letter. */
function an(label: string): string {
  return /^(SSH|FTP|RTSP|MQTT|HTTP)/.test(label) ? `an ${label}` : `a ${label}`;
}

function cap(s: string): string {
  return s.length > 0 ? s[0].toUpperCase() + s.slice(1) : s;
}

function established(state: string): boolean {
  return state === 'SF' || state === 'S1' || state === 'S2' || state === 'S3' || state === 'RSTO' || state === 'RSTR';
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

class CleartextDetector implements Detector {
  readonly name = 'cleartext';
  readonly paths = ['telnet', 'ftp_login', 'http'] as const;
  readonly wantsConn = true;
  readonly #ctx: DetectContext;
  /** Alert key → packet time it was last raised. */
  readonly #raised: BoundedMap<string, number>;
  /**
   * Logins by flow uid. The analyzers write their record just before the flow's conn record, and
   * the device inventory learns a new device from that conn record: waiting for it lets the alert
   * name the device ("Hikvision camera (…)") instead of a bare address.
   */
  readonly #pending: BoundedMap<string, PendingLogin>;
  #nextSweep = 0;

  constructor(config: DetectConfig, ctx: DetectContext) {
    this.#ctx = ctx;
    this.#raised = new BoundedMap(config.maxTracked, () => ctx.count('detect.cleartext.dropped'));
    this.#pending = new BoundedMap(config.maxTracked, () => ctx.count('detect.cleartext.pending_dropped'));
  }

  record(path: string, ts: number, conn: ConnInfo | null, f: LogFields): void {
    if (conn === null) return;
    if (path === 'http') {
      const user = f.username;
      if (typeof user !== 'string') return;
      // A refused login still crossed in clear, but a wrong password is no leak worth a finding.
      const status = f.status_code;
      if (status === 401 || status === 407) return;
      this.#defer('http', ts, conn, [user], typeof status === 'number' && status >= 200 && status < 400);
      return;
    }
    if (path !== 'telnet' && path !== 'ftp_login') return;
    const attempts = f.login_attempts;
    if (typeof attempts !== 'number' || attempts <= 0 || f.login_success === false) return;
    let users = strings(f.users);
    if (path === 'ftp_login') {
      users = users.filter((u) => !ANONYMOUS.has(u.toLowerCase()));
      if (users.length === 0 && strings(f.users).length > 0) return; // anonymous FTP: no secret sent
    }
    this.#defer(path === 'telnet' ? 'telnet' : 'ftp', ts, conn, users, f.login_success === true);
  }

  conn(r: ConnRecord): void {
    // Every flow passes here: the pending map is almost always empty, then ports (numbers) first.
    if (this.#pending.size > 0) {
      const p = this.#pending.get(r.uid);
      if (p !== undefined) {
        this.#pending.delete(r.uid);
        this.#login(p);
      }
    }
    const rp = r.respP;
    if (rp === 23 || rp === 2323) this.#telnetServer(r);
    else if (rp === SSDP_PORT || r.origP === SSDP_PORT) this.#ssdp(r);
    else if (r.service === 'telnet') this.#telnetServer(r);
  }

  tick(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + 60;
    this.#raised.sweep((t) => now - t >= RERAISE_SECONDS);
    const late: PendingLogin[] = [];
    this.#pending.sweep((p) => now - p.ts > PENDING_MAX_SECONDS && late.push(p) > 0);
    for (const p of late) this.#login(p);
  }

  finish(_now: number): void {
    for (const p of this.#pending.values()) this.#login(p);
    this.#pending.clear();
  }

  #defer(svc: LoginService, ts: number, conn: ConnInfo, users: string[], ok: boolean): void {
    // One login per flow is enough for a per-device finding (HTTP repeats it on every request).
    if (!this.#pending.has(conn.uid)) this.#pending.set(conn.uid, { svc, ts, conn, users, ok });
  }

  #login(p: PendingLogin): void {
    const { svc, ts, conn, users, ok } = p;
    const ctx = this.#ctx;
    const client = ctx.deviceOf(conn.origH, conn.origMac);
    const server = ctx.deviceOf(conn.respH, conn.respMac);
    const clientInside = client !== null || addrKind(conn.origH) === AddrKind.Local;
    const serverInside = server !== null || addrKind(conn.respH) === AddrKind.Local;
    if (!clientInside && !serverInside) return; // neither end is ours
    const device = clientInside ? client : server;
    const who = clientInside ? conn.origH : conn.respH;
    const key = `cleartext.login|${svc}|${device ?? who}`;
    if (!this.#due(key, ts)) return;
    const user = users.length > 0 ? users[0].slice(0, MAX_USER_IN_TEXT) : '';
    const as = user !== '' ? ` as user "${user}"` : '';
    const label = LOGIN_LABEL[svc];
    let summary: string;
    if (clientInside) {
      const to = server !== null ? ctx.describe(server, conn.respH) : serverInside ? `the device at ${conn.respH}` : `${conn.respH} on the internet`;
      summary = `${cap(ctx.describe(client, conn.origH))} ${ok ? 'logged in to' : 'sent a login to'} ${to} over ${label}${as}, which sends the password ` +
        `unencrypted: anyone on the path can read it. Use ${SAFER[svc]} instead where you can, and do not reuse that password.`;
    } else {
      summary = `${cap(ctx.describe(server, conn.respH))} ${ok ? 'accepted' : 'was sent'} ${an(label)} login from ${conn.origH} on the internet${as}: ` +
        `the password crossed the internet unencrypted. Turn ${label} off on it or use ${SAFER[svc]}, and change that password.`;
    }
    this.#raise(key, {
      ts, code: 'cleartext.login', severity: 'low', device, summary,
      evidence: {
        service: svc, port: conn.respP, client: conn.origH, server: conn.respH,
        ...(users.length > 0 ? { users: users.slice(0, 10) } : {}),
        uids: [conn.uid], count: 1, first: ts, last: ts,
      },
    });
  }

  #telnetServer(r: ConnRecord): void {
    // The server must have answered: a SYN to a closed port (or a scan) is not an open telnet.
    if (r.proto !== 'tcp' || r.respBytes <= 0 || !established(r.connState)) return;
    const ctx = this.#ctx;
    const dev = ctx.deviceOf(r.respH, r.respL2);
    if (dev === null) return; // a telnet server outside is not this network's exposure
    const fromInternet = connSideKind(r.origH, r.localOrig) === AddrKind.Public && ctx.deviceOf(r.origH, r.origL2) === null;
    const key = `unsafe.telnet_exposed|${dev}${fromInternet ? '|internet' : ''}`;
    if (!this.#due(key, r.ts)) return;
    const name = cap(ctx.describe(dev, r.respH));
    const severity: Severity = fromInternet ? 'high' : 'low';
    const summary = fromInternet
      ? `${name} answered telnet on port ${r.respP} to ${r.origH} on the internet: anyone can try its password, as ` +
        'Mirai-type botnets do. Remove the port forwarding (or UPnP mapping) for it on your router now and change its password.'
      : `${name} answers telnet on port ${r.respP} (seen from ${r.origH}): telnet is the door Mirai-type botnets use to ` +
        'take over devices. Turn telnet off on it if you can, and make sure its password is not the factory default.';
    this.#raise(key, {
      ts: r.ts, code: 'unsafe.telnet_exposed', severity, device: dev, summary,
      evidence: {
        port: r.respP, server: r.respH, client: r.origH, from_internet: fromInternet,
        uids: [r.uid], count: 1, first: r.ts, last: r.ts,
      },
    });
  }

  #ssdp(r: ConnRecord): void {
    if (r.proto !== 'udp') return;
    // The LAN side is the one on port 1900 that spoke; the other side must be a public unicast address.
    let lanH: string;
    let lanMac: string;
    let otherH: string;
    if (r.respP === SSDP_PORT && r.respBytes > 0 && r.localResp && connSideKind(r.origH, r.localOrig) === AddrKind.Public) {
      lanH = r.respH;
      lanMac = r.respL2;
      otherH = r.origH;
    } else if (r.origP === SSDP_PORT && r.origBytes > 0 && r.localOrig && connSideKind(r.respH, r.localResp) === AddrKind.Public) {
      lanH = r.origH;
      lanMac = r.origL2;
      otherH = r.respH;
    } else {
      return;
    }
    const ctx = this.#ctx;
    const dev = ctx.deviceOf(lanH, lanMac);
    const key = `unsafe.upnp_wan|${dev ?? lanH}`;
    if (!this.#due(key, r.ts)) return;
    const summary = `${cap(ctx.describe(dev, lanH))} exchanged UPnP discovery (SSDP) messages with ${otherH} on the internet: ` +
      'UPnP is reachable from outside, which attackers use to map your network and to bounce DDoS floods off it. ' +
      "Turn UPnP off on the router's internet side (and on the device if you can) and check the router's port forwarding.";
    this.#raise(key, {
      ts: r.ts, code: 'unsafe.upnp_wan', severity: 'high', device: dev, summary,
      evidence: {
        device_ip: lanH, remote: otherH, port: SSDP_PORT,
        uids: [r.uid], count: 1, first: r.ts, last: r.ts,
      },
    });
  }

  /** True (and remembered) when `key` was not raised within the last day of packet time. */
  #due(key: string, ts: number): boolean {
    const t = this.#raised.get(key);
    // Records carry their flow's start time, so time may step back a little: compare both ways.
    if (t !== undefined && Math.abs(ts - t) < RERAISE_SECONDS) return false;
    this.#raised.set(key, ts);
    return true;
  }

  #raise(key: string, a: { ts: number; code: string; severity: Severity; device: string | null; summary: string; evidence: Record<string, string | number | boolean | string[]> }): void {
    this.#ctx.raise({ ...a, key });
  }
}

export const cleartext: DetectorFactory = {
  name: 'cleartext',
  about: 'telnet, FTP and HTTP Basic logins sent in clear, LAN devices that answer telnet, and UPnP answering the internet',
  create: (config, ctx) => new CleartextDetector(config, ctx),
};
