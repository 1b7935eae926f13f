/**
 * Tor use by a LAN device (issue 5): malware and proxy-botnet agents on IoT devices reach their
 * controllers through Tor, and a camera or plug has no business using it.
 *
 *  - `tor.connection` (medium): a LAN device opened connections to an address the threat-intel
 *    feeds list as a Tor relay/exit (category `tor`). The intel matcher already raises its own
 *    per-indicator alert; this is the device-level finding, raised once per device and re-raised
 *    (same key, the count grows) at most once a day while it goes on.
 *  - `tor.tls` (medium): Tor's own TLS, recognised without any feed. A Tor client's link handshake
 *    carries a made-up server name `www.<4-25 random base32 characters>.com` and no ALPN (tor's
 *    `crypto_random_hostname`; Zeek's detect-tor script and nDPI's `ndpi_is_tls_tor` key on the
 *    same names in the certificates, which Vigil does not parse). One such name can be a real site,
 *    so the finding needs several distinct random-looking names from one device within an hour
 *    (a fresh name per connection is what gives Tor away), or one to a Tor port (9001, 9030 …).
 *
 * Cost: without intel `conn()` returns after one call; with intel, one address lookup per
 * device→internet flow (the same lookup the matcher does). `ssl` records are few.
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { ConnRecord } from '../flow/conn-record.js';
import type { DetectConfig } from '../config/detect.js';
import { plural, pushCapped, span, type DetectContext, type Detector, type DetectorFactory } from './detector.js';
import { BoundedMap } from './state.js';
import { AddrKind, addrKind } from '../device/ip.js';

const DAY = 86400;
/** Distinct Tor-looking server names from one device within TLS_WINDOW before `tor.tls` fires. */
const TLS_NAMES = 3;
const TLS_WINDOW = 3600;
/** Tor's conventional ORPort/DirPort/SOCKS ports: one Tor-looking hello to one of them is enough. */
const TOR_PORTS = new Set([9001, 9030, 9050, 9051, 9150]);
const SWEEP_EVERY = 60;

/**
 * The 160 most frequent letter pairs of English text (Norvig's counts). Real names are made of
 * words (and brand names read like words): most of their letter pairs are among these. Random
 * base32 text hits them about a fifth of the time.
 */
const COMMON_BIGRAMS = new Set((
  'th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le ve co me de hi ' +
  'ri ro ic ne ea ra ce li ch ll be ma si om ur ca el ta la ns di fo ho pe ec pr no ct us ac ot il tr ly nc ' +
  'et ut ss so rs un lo wa ge ie wh ee wi em ad ol rt po we na ul ni ts mo ow pa im mi ai sh ir su id os iv ' +
  'ia am fi ci vi pl ig tu ev ld ry mp fe bl ab gh ty op wo sa ay ex ke fr oo av ag if ap gr od bo sp rd do ' +
  'uc bu ei ov by rm ep tt oc fa ef cu rn sc gi da yo cr cl du ga qu ue ff ba ey ls va um pp ua up lu go ht'
).split(' '));

/**
 * True when `name` looks like the random host name a Tor client puts in its ClientHello:
 * `www.` + base32 text (a-z, 2-7) + `.com`/`.net`. Names with fewer than 8 characters in the
 * middle are not judged (real sites that short abound). The middle must not read like words: few
 * of its letter pairs are common English pairs, or digits are sprinkled through it (base32 puts a
 * digit in about one character of five; real names with digits such as `w3schools` or
 * `tplinkcloud2` still read like words around them).
 */
export function torLikeName(name: string): boolean {
  const n = name.length;
  if (n < 4 + 8 + 4 || n > 4 + 25 + 4) return false;
  if (!name.startsWith('www.')) return false;
  if (!name.endsWith('.com') && !name.endsWith('.net')) return false;
  let digits = 0;
  let pairs = 0;
  let common = 0;
  let prevLetter = false;
  for (let i = 4; i < n - 4; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x32 && c <= 0x37) { // '2'..'7'
      digits++;
      prevLetter = false;
    } else if (c >= 0x61 && c <= 0x7a) { // 'a'..'z'
      if (prevLetter) {
        pairs++;
        if (COMMON_BIGRAMS.has(name.slice(i - 1, i + 1))) common++;
      }
      prevLetter = true;
    } else {
      return false; // a dot (more labels), a hyphen, 0/1/8/9, upper case: not base32 text
    }
  }
  const wordy = pairs > 0 ? common / pairs : 0;
  if (digits >= 3) return wordy < 0.7;
  if (pairs < 4) return false;
  return digits >= 1 ? wordy < 0.6 : wordy < 0.4;
}

class TorUse {
  readonly relays: string[] = [];
  readonly uids: string[] = [];
  count = 0;
  answered = 0;
  first: number;
  last: number;
  raisedAt = -Infinity;
  constructor(ts: number) {
    this.first = ts;
    this.last = ts;
  }
}

class TorTls {
  readonly names: string[] = [];
  readonly servers: string[] = [];
  readonly uids: string[] = [];
  readonly ports: string[] = [];
  count = 0;
  first: number;
  last: number;
  onTorPort = false;
  raisedAt = -Infinity;
  constructor(ts: number) {
    this.first = ts;
    this.last = ts;
  }
}

function capital(s: string): string {
  return s.length > 0 ? s[0].toUpperCase() + s.slice(1) : s;
}

class TorDetector implements Detector {
  readonly name = 'tor';
  readonly paths = ['ssl'] as const;
  readonly wantsConn = true;
  readonly #ctx: DetectContext;
  readonly #use: BoundedMap<string, TorUse>;
  readonly #tls: BoundedMap<string, TorTls>;
  #nextSweep = 0;

  constructor(config: DetectConfig, ctx: DetectContext) {
    this.#ctx = ctx;
    this.#use = new BoundedMap(config.maxTracked, () => ctx.count('detect.tor.devices_dropped'));
    this.#tls = new BoundedMap(config.maxTracked, () => ctx.count('detect.tor.devices_dropped'));
  }

  conn(r: ConnRecord): void {
    // Device → internet only; a Tor exit reaching a LAN service is the intel matcher's alert.
    if (r.localResp) return;
    const intel = this.#ctx.intel();
    if (intel === null || intel.size === 0) return;
    if (!r.localOrig && r.origH.indexOf(':') < 0) return; // IPv4 from outside (global IPv6 LAN hosts pass)
    const hits = intel.matchIp(r.respH);
    if (hits.length === 0) return;
    let tor = false;
    for (const h of hits) if (h.category === 'tor') tor = true;
    if (!tor) return;
    const device = this.#ctx.deviceOf(r.origH, r.origL2);
    if (device === null) return;
    const u = this.#use.upsert(device, () => new TorUse(r.ts));
    u.count++;
    if (r.respPkts > 0 && (r.proto !== 'tcp' || r.respBytes > 0 || r.history.indexOf('h') >= 0)) u.answered++;
    if (r.ts > u.last) u.last = r.ts;
    pushCapped(u.relays, `${r.respH}:${r.respP}`);
    pushCapped(u.uids, r.uid);
    if (r.ts - u.raisedAt < DAY) return;
    u.raisedAt = r.ts;
    const who = capital(this.#ctx.describe(device, r.origH));
    const relays = u.relays.length === 1 ? `the Tor relay ${u.relays[0]}` : plural(u.relays.length, 'Tor relay');
    const did = u.answered > 0 ? 'connected to' : 'tried to connect to';
    this.#ctx.raise({
      ts: r.ts,
      code: 'tor.connection',
      severity: 'medium',
      device,
      summary: `${who} ${did} ${relays} (${plural(u.count, 'connection')} in ${span(u.last - u.first)}): it uses the Tor anonymity network, which IoT malware uses to hide its controllers. If nobody installed Tor on it on purpose, reset it and change its password.`,
      evidence: { relays: [...u.relays], uids: [...u.uids], count: u.count, answered: u.answered, first: u.first, last: u.last },
      key: `tor.connection|${device}`,
    });
  }

  record(_path: string, ts: number, conn: ConnInfo | null, f: LogFields): void {
    if (conn === null) return;
    const sni = f.server_name;
    if (typeof sni !== 'string' || !torLikeName(sni)) return;
    // Browsers and apps offer ALPN; tor's link handshake does not.
    const alpn = f.client_alpn;
    if (Array.isArray(alpn) && alpn.length > 0) return;
    const device = this.#lanDevice(conn.origH, conn.origMac);
    if (device === null) return;
    let t = this.#tls.get(device);
    // A window that ended below the bar starts over (names seen over days are not one session).
    if (t !== undefined && t.raisedAt === -Infinity && ts - t.first > TLS_WINDOW) {
      this.#tls.delete(device);
      t = undefined;
    }
    if (t === undefined) {
      t = new TorTls(ts);
      this.#tls.set(device, t);
    }
    t.count++;
    if (ts > t.last) t.last = ts;
    pushCapped(t.names, sni);
    pushCapped(t.servers, conn.respH);
    pushCapped(t.uids, conn.uid);
    pushCapped(t.ports, String(conn.respP));
    if (TOR_PORTS.has(conn.respP)) t.onTorPort = true;
    if (t.names.length < TLS_NAMES && !t.onTorPort) return;
    if (ts - t.raisedAt < DAY) return;
    t.raisedAt = ts;
    const who = capital(this.#ctx.describe(device, conn.origH));
    this.#ctx.raise({
      ts,
      code: 'tor.tls',
      severity: 'medium',
      device,
      summary: `${who} made ${plural(t.count, 'encrypted connection')} that look like Tor (made-up server names such as ${t.names[0]}, no application protocol) in ${span(t.last - t.first)}: it probably runs Tor, which IoT malware uses to hide its controllers. If nobody installed Tor on it on purpose, reset it and change its password.`,
      evidence: { names: [...t.names], servers: [...t.servers], ports: [...t.ports], uids: [...t.uids], count: t.count, first: t.first, last: t.last },
      key: `tor.tls|${device}`,
    });
  }

  /**
   * The LAN device behind an address. A flow's application records come before its conn record,
   * so a device's very first flows may find it not yet in the inventory: then the frame's own MAC
   * stands for it when the address is private and the MAC is not a router's.
   */
  #lanDevice(ip: string, mac: string): string | null {
    const d = this.#ctx.deviceOf(ip, mac);
    if (d !== null) return d;
    return mac !== '' && !this.#ctx.isGateway(mac) && addrKind(ip) === AddrKind.Local ? mac : null;
  }

  tick(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_EVERY;
    this.#use.sweep((u) => now - u.last > 2 * DAY);
    this.#tls.sweep((t) => now - t.last > (t.raisedAt === -Infinity ? TLS_WINDOW : 2 * DAY));
  }
}

export const tor: DetectorFactory = {
  name: 'tor',
  about: 'Devices that connect to Tor relays listed by the intel feeds, or speak Tor\'s own TLS (random www.*.com server names).',
  create: (config, ctx) => new TorDetector(config, ctx),
};
