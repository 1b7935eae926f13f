/**
 * Matches the engine's records against the loaded threat intelligence and raises intel alerts.
 *
 * What is looked up (issue 4 "Matching"): both ends of every flow (conn), DNS query names and
 * answers (a lookup of a listed domain alerts even when no connection follows), TLS SNI and the
 * JA3/JA3S/JA4 fingerprints (ssl), HTTP Host and host+URI (http).
 *
 * Direction decides how bad a hit is. A device reaching OUT to a listed value is a likely
 * compromise: the feed's severity, at least high for C2 and malware. A listed address knocking
 * from OUTSIDE is background noise unless the device answered: info when unanswered, low when
 * answered (medium for a listed C2/malware host the device talked back to). Tor is what its feed
 * says (informational by default): using Tor is not compromise.
 *
 * Noise control: the allow-list first; then aggregation. One alert per (code, device, indicator,
 * direction): the key makes the store bump a count instead of opening a new alert, and an
 * in-memory map of recently raised keys keeps the same key from being raised more than once per
 * `repeatSeconds` of packet time (so a device polling its C2 every second costs one store write a
 * minute, not sixty).
 *
 * Cost: records come per flow / per transaction, never per packet. With nothing loaded a record
 * costs one call; otherwise a conn record costs one address lookup per non-local end and a DNS
 * record one lookup per query and answer (capped). Allocation happens only on a hit; a repeated
 * hit (aggregated) builds no strings.
 */
import { SEVERITIES, type AlertSink, type Severity } from '../alert/alert.js';
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import { parseIp, unmapV4 } from '../enrich/ip.js';
import type { ConnRecord } from '../flow/conn-record.js';
import type { RecordSink } from '../logs/record-sink.js';
import { isPrivate } from '../util/addr.js';
import type { AllowList } from './allow.js';
import { explainHit, feedDisplayName, type IntelDirection, type IntelWhere } from './explain.js';
import type { Indicator, IntelCategory, IntelLookup } from './types.js';

export type { IntelDirection, IntelWhere } from './explain.js';

/** One hit that passed the allow-list, before aggregation: what Zeek writes as an intel.log line. */
export interface IntelSighting {
  readonly ts: number;
  readonly uid: string;
  readonly origH: string;
  readonly origP: number;
  readonly respH: string;
  readonly respP: number;
  readonly where: IntelWhere;
  /** The observed value that matched. */
  readonly seen: string;
  /** Every indicator listing it (all feeds). */
  readonly indicators: readonly Indicator[];
  readonly direction: IntelDirection;
  /** MAC of the local device, or null when the local end is not a known device. */
  readonly device: string | null;
}

export interface IntelMatcherOptions {
  /** The current indicator set; called per record so an update can swap the set atomically. */
  readonly lookup: () => IntelLookup;
  readonly allow: AllowList;
  /**
   * The local device behind an endpoint (its MAC), or null when the endpoint is not one. The
   * sensor's pipeline supplies the inventory's answer; the default takes the frame's MAC when the
   * address is private (Zeek's private space), which suffices for replays of home captures.
   */
  readonly deviceOf?: (ip: string, mac: string) => string | null;
  /** A device in words, e.g. "Kitchen speaker (aa:bb:cc:…)"; default the MAC. */
  readonly describe?: (mac: string) => string;
  /** Feed id → display name; default the catalogue's name, else the id. */
  readonly feedName?: (id: string) => string;
  readonly counters?: (name: string, n?: number) => void;
  /** Seconds of packet time before an alert key already raised is raised again (default 60). */
  readonly repeatSeconds?: number;
  /** Alert keys remembered for that (default 10,000; at the cap all are forgotten, counted). */
  readonly maxRecent?: number;
  /** DNS answers looked at per record (default 16). */
  readonly maxAnswers?: number;
  /** Recent name lookups remembered (default 8,192; cleared when full). */
  readonly memoSize?: number;
  /** Every hit after the allow-list, before aggregation (tests, an intel.log writer). */
  readonly onSighting?: (s: IntelSighting) => void;
}

/** What the matcher did, for `stats()` and the bench. */
export interface IntelMatcherStats {
  /** Records looked at (conn, dns, ssl, http). */
  records: number;
  /** Observed values that matched at least one indicator. */
  hits: number;
  /** Hits dropped by the allow-list. */
  allowed: number;
  /** Hits whose alert key was raised less than `repeatSeconds` ago (aggregated, not raised). */
  repeats: number;
  /** Alerts raised. */
  alerts: number;
  /** Hits where the listed address was a local device's own (not raised: see conn()). */
  ownAddressListed: number;
  /** Remembered keys forgotten at the cap. */
  recentEvicted: number;
  /** Name lookups answered from the recent-lookup memo. */
  memoHits: number;
}

const PATHS = new Set(['conn', 'dns', 'ssl', 'http']);
const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
const HIGH = SEVERITIES.indexOf('high');
const MEDIUM = SEVERITIES.indexOf('medium');
const LOW = SEVERITIES.indexOf('low');
const INFO = SEVERITIES.indexOf('info');

/**
 * Which category wins when several feeds list the same value with the same severity: the most
 * alarming first, and any specific category before the catch-all `suspicious` (a reputation list
 * such as IPsum says less about an address than a scanner list naming its operator).
 */
const CATEGORY_RANK: Readonly<Record<IntelCategory, number>> = {
  c2: 7, malware: 6, phishing: 5, hostile: 4, scanner: 3, tor: 2, privacy: 1, suspicious: 0,
};

const WORDS = new Uint32Array(4);

/** Private (Zeek's private space) address text: the default notion of "one of ours". */
export function isLocalAddress(ip: string): boolean {
  const fam = unmapV4(WORDS, parseIp(ip, WORDS));
  return fam !== 0 && isPrivate(WORDS, 0, fam === 6);
}

/** The default device attribution: a private address's own frame MAC. */
export function privateDeviceOf(ip: string, mac: string): string | null {
  return mac !== '' && isLocalAddress(ip) ? mac : null;
}

/** How severe one indicator's hit is, given the direction (see the file comment). */
export function hitSeverity(ind: Indicator, direction: IntelDirection, answered: boolean): Severity {
  let s = SEVERITY_RANK[ind.severity] ?? MEDIUM;
  const compromise = ind.category === 'c2' || ind.category === 'malware';
  if (direction === 'out') {
    if (compromise && s < HIGH) s = HIGH;
  } else {
    const cap = !answered ? INFO : compromise ? MEDIUM : LOW;
    if (s > cap) s = cap;
  }
  return SEVERITIES[s];
}

/** Mutable scratch describing the observation being matched; filled only on a hit. */
interface Obs {
  ts: number;
  uid: string;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  proto: string;
  localIp: string;
  localMac: string;
  remoteIp: string;
  remotePort: number;
  direction: IntelDirection;
  answered: boolean;
  query: string;
}

export class IntelMatcher implements RecordSink {
  readonly #alerts: AlertSink;
  readonly #lookup: () => IntelLookup;
  readonly #allow: AllowList;
  readonly #deviceOf: (ip: string, mac: string) => string | null;
  readonly #describe: (mac: string) => string;
  readonly #feedName: (id: string) => string;
  readonly #count: (name: string, n?: number) => void;
  readonly #repeat: number;
  readonly #maxRecent: number;
  readonly #maxAnswers: number;
  readonly #onSighting: ((s: IntelSighting) => void) | null;
  /** Listed value → who (device MAC or local address) → packet time last raised, per direction. */
  readonly #recentOut = new Map<string, Map<string, number>>();
  readonly #recentIn = new Map<string, Map<string, number>>();
  #recentSize = 0;
  /**
   * Recent name lookups. Names repeat (every device resolves the same names, the SNI is the name
   * just looked up), and one probe of a small map beats the set's walk (a probe per parent domain
   * in a map of a million). Addresses are not memoised: the set's typed hash tables answer faster
   * than a string-keyed map (measured). Valid for one set only: cleared on a swap, and when full
   * (bounded, no LRU bookkeeping per lookup).
   */
  readonly #nameMemo = new Map<string, readonly Indicator[]>();
  #memoSet: IntelLookup | null = null;
  readonly #memoSize: number;
  readonly #stats: IntelMatcherStats = { records: 0, hits: 0, allowed: 0, repeats: 0, alerts: 0, ownAddressListed: 0, recentEvicted: 0, memoHits: 0 };

  constructor(alerts: AlertSink, opts: IntelMatcherOptions) {
    this.#alerts = alerts;
    this.#lookup = opts.lookup;
    this.#allow = opts.allow;
    this.#deviceOf = opts.deviceOf ?? privateDeviceOf;
    this.#describe = opts.describe ?? ((mac: string) => mac);
    this.#feedName = opts.feedName ?? feedDisplayName;
    this.#count = opts.counters ?? (() => {});
    this.#repeat = opts.repeatSeconds ?? 60;
    this.#maxRecent = Math.max(1, opts.maxRecent ?? 10_000);
    this.#maxAnswers = opts.maxAnswers ?? 16;
    this.#memoSize = Math.max(0, opts.memoSize ?? 8192);
    this.#onSighting = opts.onSighting ?? null;
  }

  stats(): IntelMatcherStats {
    return { ...this.#stats };
  }

  // ---- RecordSink ----

  wants(path: string): boolean {
    return PATHS.has(path);
  }

  /**
   * Both ends of every flow. An end in private or reserved space (the engine's local_orig /
   * local_resp, Zeek's private space) is not looked up: the feed parsers drop such space (a LAN
   * address on a list says nothing about this LAN), and on a home network it is one end of nearly
   * every flow, so this halves the lookups.
   */
  conn(r: ConnRecord): void {
    const set = this.#current();
    if (set.size === 0) return;
    this.#stats.records++;
    if (!r.localResp) {
      const toResp = set.matchIp(r.respH);
      if (toResp.length > 0) this.#connHit(r, false, toResp);
    }
    if (!r.localOrig) {
      const fromOrig = set.matchIp(r.origH);
      if (fromOrig.length > 0) this.#connHit(r, true, fromOrig);
    }
  }

  record(path: string, ts: number, conn: ConnInfo | null, f: LogFields): void {
    if (conn === null) return;
    if (path !== 'dns' && path !== 'ssl' && path !== 'http') return;
    const set = this.#current();
    if (set.size === 0) return;
    this.#stats.records++;
    if (path === 'dns') this.#dns(set, ts, conn, f);
    else if (path === 'ssl') this.#ssl(set, ts, conn, f);
    else this.#http(set, ts, conn, f);
  }

  // ---- per record type ----

  #connHit(r: ConnRecord, listedIsOrig: boolean, hits: readonly Indicator[]): void {
    const listedIp = listedIsOrig ? r.origH : r.respH;
    const listedMac = listedIsOrig ? r.origL2 : r.respL2;
    // A local device's own address on a list (a home's global IPv6 in a Tor or spam list) is not a
    // device reaching a listed host; every flow of that device would "hit". Counted, not raised.
    if (this.#deviceOf(listedIp, listedMac) !== null) {
      this.#stats.ownAddressListed++;
      this.#count('intel.own_address_listed');
      return;
    }
    const o = this.#obs(r.ts, r, r.proto);
    if (listedIsOrig) {
      o.localIp = r.respH;
      o.localMac = r.respL2;
      o.remoteIp = r.origH;
      o.remotePort = r.respP;
      o.direction = 'in';
      // The device answered when it sent anything back; for TCP, a SYN-ACK ('h' in Zeek's history) or data.
      o.answered = r.respPkts > 0 && (r.proto !== 'tcp' || r.respBytes > 0 || r.history.indexOf('h') >= 0);
    }
    this.#hit(o, listedIsOrig ? 'conn.orig' : 'conn.resp', listedIp, hits);
  }

  #dns(set: IntelLookup, ts: number, c: ConnInfo, f: LogFields): void {
    // mDNS and LLMNR are link-local chatter about local names: nothing a feed lists.
    if (c.respP === 5353 || c.respP === 5355 || c.origP === 5353) return;
    const query = typeof f.query === 'string' ? f.query : '';
    if (query !== '' && !query.endsWith('.arpa')) {
      const hits = this.#name(set, query);
      if (hits.length > 0) this.#hit(this.#obs(ts, c, c.proto), 'dns.query', query, hits);
    }
    const answers = f.answers;
    if (!Array.isArray(answers)) return;
    const n = Math.min(answers.length, this.#maxAnswers);
    for (let i = 0; i < n; i++) {
      const a: unknown = answers[i];
      // Addresses and names only: TXT/NAPTR renderings carry spaces.
      if (typeof a !== 'string' || a === '' || a.indexOf(' ') >= 0) continue;
      const isIp = parseIp(a, WORDS) !== 0;
      if (!isIp && a.indexOf('.') < 0) continue;
      const hits = isIp ? set.matchIp(a) : this.#name(set, a);
      if (hits.length === 0) continue;
      const o = this.#obs(ts, c, c.proto);
      o.query = query;
      this.#hit(o, 'dns.answer', a, hits);
    }
  }

  #ssl(set: IntelLookup, ts: number, c: ConnInfo, f: LogFields): void {
    const sni = typeof f.server_name === 'string' ? f.server_name : '';
    if (sni !== '') {
      const host = sni.toLowerCase();
      const hits = parseIp(host, WORDS) !== 0 ? set.matchIp(host) : this.#name(set, host);
      if (hits.length > 0) this.#hit(this.#obs(ts, c, 'tcp'), 'ssl.sni', host, hits);
    }
    if (typeof f.ja3 === 'string') {
      const hits = set.matchJa3(f.ja3);
      if (hits.length > 0) this.#hit(this.#obs(ts, c, 'tcp'), 'ssl.ja3', f.ja3, hits);
    }
    if (typeof f.ja3s === 'string') {
      const hits = set.matchJa3(f.ja3s);
      if (hits.length > 0) this.#hit(this.#obs(ts, c, 'tcp'), 'ssl.ja3s', f.ja3s, hits);
    }
    if (typeof f.ja4 === 'string') {
      const hits = set.matchJa4(f.ja4);
      if (hits.length > 0) this.#hit(this.#obs(ts, c, 'tcp'), 'ssl.ja4', f.ja4, hits);
    }
  }

  #http(set: IntelLookup, ts: number, c: ConnInfo, f: LogFields): void {
    const raw = typeof f.host === 'string' ? f.host : '';
    const host = hostOnly(raw);
    if (host === '') return;
    const isIp = parseIp(host, WORDS) !== 0;
    // An address in the Host header is the flow's own address, which conn() matches already.
    if (!isIp) {
      const hits = this.#name(set, host);
      if (hits.length > 0) this.#hit(this.#obs(ts, c, 'tcp'), 'http.host', host, hits);
    }
    const uri = typeof f.uri === 'string' ? f.uri : '';
    if (uri !== '') {
      const url = host + pathOf(uri);
      const hits = set.matchUrl(url);
      if (hits.length > 0) this.#hit(this.#obs(ts, c, 'tcp'), 'http.url', url, hits);
    }
  }

  // ---- lookups ----

  /** The current set; a swapped set invalidates the memo. */
  #current(): IntelLookup {
    const set = this.#lookup();
    if (set !== this.#memoSet) {
      this.#memoSet = set;
      this.#nameMemo.clear();
    }
    return set;
  }

  #name(set: IntelLookup, name: string): readonly Indicator[] {
    const m = this.#nameMemo;
    let r = m.get(name);
    if (r !== undefined) {
      this.#stats.memoHits++;
      return r;
    }
    r = set.matchDomain(name);
    if (m.size >= this.#memoSize) m.clear();
    if (this.#memoSize > 0) m.set(name, r);
    return r;
  }

  // ---- one hit ----

  /** A fresh observation for a record whose client (orig) is the local side. */
  #obs(ts: number, c: ConnInfo | ConnRecord, proto: string): Obs {
    const mac = 'origMac' in c ? c.origMac : c.origL2;
    return {
      ts, uid: c.uid, origH: c.origH, origP: c.origP, respH: c.respH, respP: c.respP, proto,
      localIp: c.origH, localMac: mac, remoteIp: c.respH, remotePort: c.respP,
      direction: 'out', answered: true, query: '',
    };
  }

  #hit(o: Obs, where: IntelWhere, seen: string, hits: readonly Indicator[]): void {
    this.#stats.hits++;
    this.#count('intel.hits');
    if (this.#allow.allows(hits[0].type, seen) !== null) {
      this.#stats.allowed++;
      this.#count('intel.allowed');
      return;
    }
    const device = this.#deviceOf(o.localIp, o.localMac);
    this.#onSighting?.({
      ts: o.ts, uid: o.uid, origH: o.origH, origP: o.origP, respH: o.respH, respP: o.respP,
      where, seen, indicators: hits, direction: o.direction, device,
    });
    // The strongest listing decides code and severity; the other feeds go into the evidence.
    const dir = o.direction;
    let best = hits[0];
    let bestSev = SEVERITY_RANK[hitSeverity(best, dir, o.answered)];
    for (let i = 1; i < hits.length; i++) {
      const s = SEVERITY_RANK[hitSeverity(hits[i], dir, o.answered)];
      if (s > bestSev || (s === bestSev && CATEGORY_RANK[hits[i].category] > CATEGORY_RANK[best.category])) {
        best = hits[i];
        bestSev = s;
      }
    }
    // Aggregation guard, keyed without building the alert key (the repeat path is the common one
    // for a device that keeps talking to a listed host): listed value, then who, per direction.
    const whoKey = device ?? o.localIp;
    const byValue = dir === 'out' ? this.#recentOut : this.#recentIn;
    let byWho = byValue.get(best.value);
    const last = byWho?.get(whoKey);
    if (last !== undefined && Math.abs(o.ts - last) < this.#repeat) {
      this.#stats.repeats++;
      this.#count('intel.repeats');
      return;
    }
    if (last === undefined && this.#recentSize >= this.#maxRecent) {
      // Cap reached: forget everything (counted); the store still aggregates what is raised again.
      this.#stats.recentEvicted += this.#recentSize;
      this.#count('intel.recent_evicted', this.#recentSize);
      this.#recentOut.clear();
      this.#recentIn.clear();
      this.#recentSize = 0;
      byWho = undefined;
    }
    if (byWho === undefined) byValue.set(best.value, (byWho = new Map()));
    if (last === undefined) this.#recentSize++;
    byWho.set(whoKey, o.ts);
    const code = `intel.${best.category}`;
    const key = `${code}|${whoKey}|${best.type}:${best.value}|${dir}`;
    const who = device !== null ? `${this.#describe(device)} at ${o.localIp}` : o.localIp;
    const others = hits.length === 1 ? [] : hits.filter((h) => h !== best);
    const { summary, evidence } = explainHit({
      ts: o.ts, where, direction: o.direction, who, localIp: o.localIp, remoteIp: o.remoteIp,
      remotePort: o.remotePort, proto: o.proto, uid: o.uid, seen, query: o.query, answered: o.answered,
      indicator: best, others, feedName: this.#feedName,
    });
    this.#stats.alerts++;
    this.#count('intel.alerts');
    this.#alerts.raise({ ts: o.ts, code, severity: SEVERITIES[bestSev], device, summary, evidence, key });
  }

}

/** Host header without port or brackets, lower-case, no trailing dot. */
function hostOnly(h: string): string {
  let s = h.trim().toLowerCase();
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    return end > 0 ? s.slice(1, end) : '';
  }
  const colon = s.indexOf(':');
  // One colon = host:port; more = a bare IPv6 address (invalid in Host, but seen).
  if (colon >= 0 && s.indexOf(':', colon + 1) < 0) s = s.slice(0, colon);
  if (s.endsWith('.')) s = s.slice(0, -1);
  return s;
}

/** The path+query of a request target: origin-form as is; absolute-form (proxies) loses scheme and host. */
function pathOf(uri: string): string {
  if (uri.startsWith('/')) return uri;
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(uri);
  if (m) return uri.slice(m[0].length) || '/';
  return '/' + uri;
}
