/**
 * Brute force: many failed logins (or many short sessions) from one source to one service within
 * `detect.bruteforce.windowSeconds`, and a successful login after such failures.
 *
 * Where a protocol analyzer reports login outcomes we count those: `ftp_login` and `telnet`
 * (failures per control connection), `http` (a 401 answer to a request that carried Basic
 * credentials), `ssh` (Zeek's packet-size heuristic for auth success/failure). RTSP and MQTT have no
 * analyzer, and SSH sessions the heuristic could not decide, are counted from connection records as
 * "short sessions" that look like one guess each (see `shortSession`).
 *
 * Tracking: a source on the LAN is tracked across all its targets (an infected device spraying
 * guesses over many hosts is one incident, named after it); a source outside is tracked per LAN
 * target (the alert names the target, whose port is exposed). One incident is one alert key:
 * raised when the count crosses the threshold, re-raised at most once per window while guesses
 * continue, and once more with the final count when the incident ends.
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { ConnRecord } from '../flow/conn-record.js';
import type { DetectConfig } from '../config/detect.js';
import type { Severity } from '../alert/alert.js';
import { AddrKind, addrKind } from '../device/ip.js';
import { type DetectContext, type Detector, type DetectorFactory, plural, pushCapped, span } from './detector.js';
import { BoundedMap, CappedSet } from './state.js';

export type Service = 'telnet' | 'ssh' | 'ftp' | 'http' | 'rtsp' | 'mqtt';

const LABEL: Record<Service, string> = {
  telnet: 'telnet',
  ssh: 'SSH',
  ftp: 'FTP',
  http: 'web (HTTP)',
  rtsp: 'RTSP (camera video)',
  mqtt: 'MQTT',
};

/** A guess that ends the session takes well under this; a real session lasts longer. */
export const SHORT_SESSION_SECONDS = 30;
/** RTSP: a 401 answer is a few hundred bytes; video (or a full DESCRIBE/SETUP/PLAY) is more. */
const RTSP_MAX_RESP_BYTES = 4096;
/** SSH: a failed session moves a few KB (banners, key exchange); more is a real session. */
const SSH_MAX_BYTES = 64 * 1024;
/** Distinct targets remembered per source (the count goes on past it). */
const MAX_TARGETS = 256;
/** SSH flows whose outcome the ssh record decided: older entries are forgotten after this. */
const DECIDED_TTL = 86_400;

/** The observations of one incident: one source guessing at one service. */
class Attack {
  readonly svc: Service;
  readonly src: string;
  readonly dst: string;
  readonly port: number;
  /** The attacker is on the LAN (tracked across targets) rather than outside (per target). */
  readonly inside: boolean;
  readonly alertKey: string;
  readonly srcMac: string;
  readonly dstMac: string;
  actor: string | null;
  target: string | null;
  readonly targets: CappedSet<string>;
  first: number;
  last: number;
  failures: number;
  /** Of `failures`, how many were inferred from short sessions rather than reported failures. */
  short: number;
  uids: string[];
  readonly users: string[];
  /** Packet time of the last raise, -1 before the first. */
  raisedAt: number;
  /** `failures` at the last raise (a closing update is raised only when it grew). */
  raisedCount: number;

  constructor(svc: Service, conn: ConnInfo, port: number, inside: boolean, alertKey: string, ts: number) {
    this.svc = svc;
    const src = conn.origH;
    const dst = conn.respH;
    this.srcMac = conn.origMac;
    this.dstMac = conn.respMac;
    this.src = src;
    this.dst = dst;
    this.port = port;
    this.inside = inside;
    this.alertKey = alertKey;
    this.actor = null;
    this.target = null;
    this.targets = new CappedSet<string>(MAX_TARGETS);
    this.first = ts;
    this.last = ts;
    this.failures = 0;
    this.short = 0;
    this.uids = [];
    this.users = [];
    this.raisedAt = -1;
    this.raisedCount = 0;
  }
}

/** "a telnet", "an FTP", "an SSH": the article as the (fixed) label is spoken, letter by letter. */
function an(label: string): string {
  return /^(SSH|FTP|RTSP|MQTT|HTTP)/.test(label) ? `an ${label}` : `a ${label}`;
}

function cap(s: string): string {
  return s.length > 0 ? s[0].toUpperCase() + s.slice(1) : s;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Zeek states of a TCP connection whose handshake completed (a server was there and answered). */
function established(state: string): boolean {
  return state === 'SF' || state === 'S1' || state === 'S2' || state === 'S3' || state === 'RSTO' || state === 'RSTR';
}

/**
 * True when the responder closed (FIN or RST) before the originator did, from Zeek's history:
 * upper case letters are the originator's, lower case the responder's, in order of first sight.
 * An MQTT broker drops a client whose CONNECT it refused; a client that published and left closes
 * first itself.
 */
export function responderClosedFirst(history: string): boolean {
  for (let i = 0; i < history.length; i++) {
    const c = history.charCodeAt(i);
    if (c === 0x66 || c === 0x72) return true; // f, r
    if (c === 0x46 || c === 0x52) return false; // F, R
  }
  return false;
}

/**
 * Whether a finished connection to RTSP, MQTT or (undecided) SSH looks like one password guess:
 * the handshake completed, the server spoke, the session was short and moved little.
 */
export function shortSession(svc: Service, r: ConnRecord): boolean {
  if (r.proto !== 'tcp' || !established(r.connState)) return false;
  if (r.duration >= SHORT_SESSION_SECONDS || r.respBytes <= 0 || r.origBytes <= 0) return false;
  if (svc === 'ssh') return r.origBytes + r.respBytes < SSH_MAX_BYTES;
  if (svc === 'rtsp') return r.respBytes <= RTSP_MAX_RESP_BYTES;
  if (svc === 'mqtt') return responderClosedFirst(r.history);
  return false;
}

class BruteforceDetector implements Detector {
  readonly name = 'bruteforce';
  readonly paths = ['ftp_login', 'telnet', 'http', 'ssh'] as const;
  readonly wantsConn = true;
  readonly #ctx: DetectContext;
  readonly #threshold: number;
  readonly #window: number;
  /** Failures before a success that make it a break-in rather than a typo. */
  readonly #successAfter: number;
  readonly #attacks: BoundedMap<string, Attack>;
  /** SSH flows (uid → time) whose outcome the ssh record already counted: conn() skips them. */
  readonly #decided: BoundedMap<string, number>;
  #nextSweep = 0;

  constructor(config: DetectConfig, ctx: DetectContext) {
    this.#ctx = ctx;
    this.#threshold = config.bruteforce.failures;
    this.#window = config.bruteforce.windowSeconds;
    this.#successAfter = Math.max(3, Math.ceil(config.bruteforce.failures / 2));
    this.#attacks = new BoundedMap(config.maxTracked, () => ctx.count('detect.bruteforce.dropped'));
    this.#decided = new BoundedMap(config.maxTracked, () => ctx.count('detect.bruteforce.ssh_decided_dropped'));
  }

  record(path: string, ts: number, conn: ConnInfo | null, f: LogFields): void {
    if (conn === null) return;
    switch (path) {
      case 'ftp_login':
      case 'telnet': {
        const attempts = num(f.login_attempts);
        if (attempts <= 0) return;
        const success = f.login_success === true;
        // An attempt the server never answered (the guesser hung up) is counted as a failure too.
        const failures = success ? num(f.login_failures) : Math.max(num(f.login_failures), attempts);
        const svc: Service = path === 'telnet' ? 'telnet' : 'ftp';
        this.#observe(svc, ts, conn, conn.respP, failures, 0, Array.isArray(f.users) ? (f.users as unknown[]) : null, success);
        return;
      }
      case 'http': {
        // Only requests that carried Basic credentials: a 401 to a bare request is the normal challenge.
        const user = f.username;
        if (typeof user !== 'string') return;
        const status = num(f.status_code);
        if (status === 401) this.#observe('http', ts, conn, conn.respP, 1, 0, [user], false);
        else if (status >= 200 && status < 400) this.#success('http', ts, conn, conn.respP);
        return;
      }
      case 'ssh': {
        const ok = f.auth_success;
        if (ok !== true && ok !== false) return; // undecided: the conn record judges the session
        this.#decided.set(conn.uid, ts);
        // A connection that never authenticated: each refused attempt counts (hydra and most
        // guessers try several passwords a connection, up to the server's MaxAuthTries). Refusals
        // inside a session that then succeeded are the client trying its methods (none, a key
        // the server does not know) before the right one: not guesses.
        this.#observe('ssh', ts, conn, conn.respP, ok ? 0 : Math.max(1, num(f.auth_attempts)), 0, null, ok);
        return;
      }
      default:
        return;
    }
  }

  conn(r: ConnRecord): void {
    // Every flow passes here: reject on the responder port (numbers only) before anything else.
    const p = r.respP;
    let svc: Service;
    if (p === 22 || p === 2222) svc = 'ssh';
    else if (p === 554 || p === 8554) svc = 'rtsp';
    else if (p === 1883 || p === 8883) svc = 'mqtt';
    else if (r.service === 'ssh') svc = 'ssh';
    else return;
    if (svc === 'ssh' && this.#decided.delete(r.uid)) return;
    if (!shortSession(svc, r)) return;
    this.#observe(svc, r.ts, r.connInfo(), p, 1, 1, null, false);
  }

  tick(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + Math.min(60, this.#window / 4);
    const window = this.#window;
    this.#attacks.sweep((a) => {
      if (now - a.last <= window) return false;
      // The incident is over: its alert gets the final count once.
      if (a.raisedAt >= 0 && a.failures > a.raisedCount) this.#raise(a, a.last);
      return true;
    });
    this.#decided.sweep((t) => now - t > DECIDED_TTL);
  }

  finish(_now: number): void {
    for (const a of this.#attacks.values()) {
      if (a.raisedAt >= 0 && a.failures > a.raisedCount) this.#raise(a, a.last);
    }
    this.#attacks.clear();
  }

  /** Which incident an observation belongs to (see the file comment for the two shapes). */
  #attack(svc: Service, ts: number, conn: ConnInfo, port: number, create: boolean): Attack | undefined {
    const src = conn.origH;
    // A LAN device with a global IPv6 address is still inside: its own frames say so.
    const actor = this.#ctx.deviceOf(src, conn.origMac);
    const inside = actor !== null || addrKind(src) === AddrKind.Local;
    const k = inside ? `${svc}|${src}` : `${svc}|${src}|${conn.respH}`;
    let a = this.#attacks.get(k);
    if (a === undefined && create) {
      a = new Attack(svc, conn, port, inside, `bruteforce.${k}`, ts);
      a.actor = actor;
      a.target = this.#ctx.deviceOf(conn.respH, conn.respMac);
      this.#attacks.set(k, a);
    }
    return a;
  }

  #observe(
    svc: Service, ts: number, conn: ConnInfo, port: number, failures: number, short: number,
    users: unknown[] | null, success: boolean,
  ): void {
    if (failures > 0) {
      const a = this.#attack(svc, ts, conn, port, true) as Attack;
      if (a.raisedAt < 0 && ts - a.first > this.#window) {
        // Too slow to count as one burst: start the window again from this guess.
        a.first = ts;
        a.failures = 0;
        a.short = 0;
        a.uids = [];
      }
      if (ts < a.first) a.first = ts;
      if (ts > a.last) a.last = ts;
      a.failures += failures;
      a.short += short;
      a.targets.add(conn.respH);
      pushCapped(a.uids, conn.uid);
      if (users) for (const u of users) if (typeof u === 'string') pushCapped(a.users, u);
      this.#ctx.count('detect.bruteforce.failures', failures);
      if (a.raisedAt < 0) {
        if (a.failures >= this.#threshold) this.#raise(a, ts);
      } else if (ts - a.raisedAt >= this.#window) {
        this.#raise(a, ts);
      }
    }
    if (success) this.#success(svc, ts, conn, port);
  }

  /** A login that worked: alarming only after enough failures from the same source, recently. */
  #success(svc: Service, ts: number, conn: ConnInfo, port: number): void {
    const a = this.#attack(svc, ts, conn, port, false);
    if (a === undefined || a.failures < this.#successAfter || ts - a.last > this.#window) return;
    const ctx = this.#ctx;
    const victim = this.#device(conn.respH, conn.respMac);
    a.actor ??= this.#device(a.src, a.srcMac);
    const guesses = a.short === a.failures ? plural(a.failures, 'failed attempt') : plural(a.failures, 'wrong password');
    let device: string | null;
    let summary: string;
    if (a.inside) {
      device = a.actor ?? victim;
      summary = `${cap(ctx.describe(a.actor, a.src))} logged in to ${this.#where(victim, conn.respH)} over ${LABEL[svc]} after ` +
        `${guesses}: it is probably infected and has broken into that device. Unplug both, reset them to factory ` +
        'settings and change their passwords.';
    } else {
      device = victim;
      summary = `${cap(ctx.describe(victim, conn.respH))} accepted ${an(LABEL[svc])} login from ${conn.origH} after ${guesses}: ` +
        'someone has probably broken in. Change its password now, remove the port forwarding that exposes it and ' +
        'check the device (reset it if unsure).';
    }
    const uids = a.uids.slice();
    pushCapped(uids, conn.uid);
    ctx.raise({
      ts,
      code: 'bruteforce.success',
      severity: 'critical',
      device,
      summary,
      evidence: {
        service: svc,
        port: conn.respP,
        attacker: a.src,
        victim: conn.respH,
        failures: a.failures,
        count: a.failures,
        first: a.first,
        last: ts,
        uids,
        ...(a.users.length > 0 ? { users: a.users.slice() } : {}),
      },
      key: `bruteforce.success|${svc}|${a.src}|${conn.respH}`,
    });
  }

  /** A target in a sentence: a LAN device by name, an outside address as such. */
  #where(mac: string | null, ip: string): string {
    if (mac !== null) return this.#ctx.describe(mac, ip);
    return addrKind(ip) === AddrKind.Local ? `the device at ${ip}` : `${ip} on the internet`;
  }

  /**
   * The LAN device behind an address. The inventory learns a new device from its first conn record,
   * which comes just after the analyzer's record of the same flow: until then a private address
   * seen with a MAC that is not a router's is taken as that MAC's device.
   */
  #device(ip: string, mac: string): string | null {
    const d = this.#ctx.deviceOf(ip, mac);
    if (d !== null) return d;
    return mac !== '' && !this.#ctx.isGateway(mac) && addrKind(ip) === AddrKind.Local ? mac : null;
  }

  #raise(a: Attack, ts: number): void {
    const ctx = this.#ctx;
    a.actor ??= this.#device(a.src, a.srcMac);
    a.target ??= this.#device(a.dst, a.dstMac);
    const label = LABEL[a.svc];
    const shortOnly = a.short === a.failures;
    const what = shortOnly ? plural(a.failures, `short ${label} session`) : plural(a.failures, `failed ${label} login`);
    const pattern = shortOnly ? ', the pattern of password guessing' : '';
    const during = span(a.last - a.first);
    let device: string | null;
    let summary: string;
    let severity: Severity = 'high';
    if (a.inside) {
      device = a.actor ?? a.target;
      const n = a.targets.size;
      const on = n > 1 ? plural(n, 'address', 'addresses') : this.#where(a.target, a.dst);
      const tried = shortOnly ? `opened ${what} to ${on}` : `tried ${plural(a.failures, `wrong ${label} password`)} on ${on}`;
      summary = `${cap(ctx.describe(a.actor, a.src))} ${tried} in ${during}${pattern}: it is probably infected and ` +
        'guessing passwords to spread (or someone is misusing it). Unplug it and reset it to factory settings.';
    } else if (a.target !== null || addrKind(a.dst) === AddrKind.Local) {
      device = a.target;
      summary = `${cap(ctx.describe(a.target, a.dst))} received ${what} from ${a.src} on the internet in ${during}${pattern}: ` +
        `its ${label} port is open to the internet and someone is guessing passwords. Remove the port forwarding ` +
        '(or UPnP mapping) for it on your router and give it a strong password.';
    } else {
      device = null;
      severity = 'medium';
      summary = `The address ${a.src} sent ${what} to ${a.dst} in ${during}${pattern}: password guessing ` +
        'crosses your network. Find which device uses these addresses.';
    }
    a.raisedAt = ts;
    a.raisedCount = a.failures;
    ctx.raise({
      ts,
      code: `bruteforce.${a.svc}`,
      severity,
      device,
      summary,
      evidence: {
        kind: shortOnly ? 'short_sessions' : 'failed_logins',
        service: a.svc,
        port: a.port,
        attacker: a.src,
        target: a.dst,
        targets: a.targets.size,
        count: a.failures,
        short_sessions: a.short,
        first: a.first,
        last: a.last,
        uids: a.uids.slice(),
        ...(a.users.length > 0 ? { users: a.users.slice() } : {}),
      },
      key: a.alertKey,
    });
  }
}

export const bruteforce: DetectorFactory = {
  name: 'bruteforce',
  about: 'many failed logins or short sessions from one source to telnet, SSH, FTP, HTTP basic auth, RTSP or MQTT, and a login that succeeds after them',
  create: (config, ctx) => new BruteforceDetector(config, ctx),
};
