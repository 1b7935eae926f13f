/**
 * DNS tunnelling and DGA hunting, from dns.log records.
 *
 * - `dns.tunnel` (high): a device keeps asking for different long, random-looking names under one
 *   parent domain (dnscat2, iodine, DNSExfiltrator put the data they smuggle in the query name),
 *   most of them with record types that carry data back (TXT, NULL, CNAME, MX). Each distinct
 *   encoded name counts 1 (1.5 when the parent's lookups are mostly those types); the alert fires
 *   when the count reaches `detect.dnsTunnel.subdomains` within the window. Services that encode
 *   data in DNS by design (DNS blocklists, antivirus cloud lookups) are at most `low`, and say so.
 * - `dns.dga` (high): a device gets "no such domain" answers for many different random-looking
 *   registered domains (malware whose domain-generation algorithm hunts for the one its owner
 *   registered today). Counted per distinct registered domain, so one misconfigured name retried
 *   forever, search-suffix misses and DNSBL "not listed" answers (one domain) do not add up.
 *
 * Skipped: mDNS and LLMNR (local chatter), reverse lookups (`.arpa`), DNSSEC record queries,
 * service labels (`_dns-sd`, `_domainkey`, `_dmarc` …). The common record (a short name with a
 * normal answer) is rejected by a length compare and an rcode compare before any parsing.
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { DetectConfig } from '../config/detect.js';
import type { Severity } from '../alert/alert.js';
import { registeredDomain } from '../enrich/domain.js';
import { AddrKind, addrKind } from '../device/ip.js';
import { BoundedMap, CappedSet } from './state.js';
import { plural, pushCapped, span, type DetectContext, type Detector, type DetectorFactory } from './detector.js';

const MDNS_PORT = 5353;
const LLMNR_PORT = 5355;
const RCODE_NXDOMAIN = 3;
/** Record types that bring data back to a tunnel client (NULL, CNAME, MX, TXT, ANY, private use). */
const TUNNEL_QTYPES = new Set([5, 10, 15, 16, 255, 65399]);
/** DNSSEC record types: validating resolvers ask for these; their names are plain. */
const DNSSEC_QTYPES = new Set([43, 46, 47, 48, 50, 51]);
/** Shortest registered label a DGA name is judged on (shorter ones are too short to tell). */
const DGA_MIN_LABEL = 7;
/** Example names kept per alert (truncated: a tunnelled name may carry the data being stolen). */
const EXAMPLES = 3;
const EXAMPLE_CHARS = 48;
/** State older than the window is dropped this often (seconds of packet time). */
const SWEEP_EVERY = 60;

/**
 * Services that put data in DNS names on purpose: mail blocklists (the sender's address or a hash
 * under the list's zone) and antivirus/reputation clouds (file hashes under the vendor's zone).
 * They look exactly like a tunnel, so they are reported at `low` with that explanation.
 */
const DATA_IN_DNS_SERVICES: ReadonlyMap<string, string> = new Map([
  ['spamhaus.org', 'the Spamhaus mail blocklist'],
  ['spamhaus.net', 'the Spamhaus mail blocklist'],
  ['spamcop.net', 'the SpamCop mail blocklist'],
  ['sorbs.net', 'the SORBS mail blocklist'],
  ['barracudacentral.org', 'the Barracuda mail blocklist'],
  ['surbl.org', 'the SURBL link blocklist'],
  ['uribl.com', 'the URIBL link blocklist'],
  ['dnswl.org', 'the DNSWL mail allow-list'],
  ['mailspike.net', 'the Mailspike mail reputation list'],
  ['abuseat.org', 'the CBL mail blocklist'],
  ['senderscore.com', 'the Sender Score mail reputation list'],
  ['mcafee.com', 'McAfee antivirus cloud lookups'],
  ['sophosxl.net', 'Sophos antivirus cloud lookups'],
  ['sophosxl.com', 'Sophos antivirus cloud lookups'],
  ['e5.sk', 'ESET antivirus cloud lookups'],
  ['trendmicro.com', 'Trend Micro reputation lookups'],
  ['cymru.com', 'Team Cymru malware-hash and address lookups'],
]);
/** Label words that name a DNS blocklist zone (`dnsbl.example.net`, `rbl.example.org` …). */
const BLOCKLIST_LABEL = /(?:^|[-.])(?:dnsbl|rbl|dnswl|surbl|uribl|hashbl)(?:[-.]|$)/;

// -- what a name looks like -----------------------------------------------------------------------

const COUNTS = new Uint16Array(256);

/** Shannon entropy in bits per character of `s` (letters folded to lower case). */
export function entropy(s: string): number {
  const n = Math.min(s.length, 65_535);
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i) & 0xff;
    if (c >= 65 && c <= 90) c += 32;
    COUNTS[c]!++;
  }
  let h = 0;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i) & 0xff;
    if (c >= 65 && c <= 90) c += 32;
    const k = COUNTS[c]!;
    if (k === 0) continue; // counted already
    const p = k / n;
    h -= p * Math.log2(p);
    COUNTS[c] = 0;
  }
  return h;
}

/**
 * The 215 most frequent letter pairs of English text. Hostnames are made of words (and words of
 * other languages written in Latin letters share most of them): 70-90 % of their letter pairs are
 * in this table. Random letters hit about 30 % (26 × 26 = 676 pairs), so the share separates
 * encoded or generated strings from names where plain entropy cannot: 40 characters of joined
 * English words score as high an entropy as 40 of hex.
 */
const COMMON_PAIRS = 'th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le ve co me de hi ri ro ic ne ea ra ce li ch ll be ma si om ur ca el ta la ns di fo ho pe ec pr no ct us ac ot il tr ly nc et ut ss so rs un lo wa ge ie wh ee wi em ad ol rt po we na ul ni ts mo ow pa im mi ai sh ir su id os iv ia am fi ci vi pl ig tu ev ld ry mp fe bl ab gh ty op wo sa ay ex ke fr oo av ag if ap gr od bo sp rd do uc bu ei ov by rm ep tt oc fa ef cu rn sc gi da yo cr cl du ga qu ue ff ba ey ls va um pp ua up lu go ht ru ug ds lt pi rc rr eg au ck ew mu br bi pt ak pu ui rg ib tl ny ki rk ys ob mm fu ph og ms ye ud mb ip ub oi rl gu dr';
const PAIR_TABLE = (() => {
  const t = new Uint8Array(26 * 26);
  for (const p of COMMON_PAIRS.split(' ')) t[(p.charCodeAt(0) - 97) * 26 + (p.charCodeAt(1) - 97)] = 1;
  return t;
})();

/** Letter (a-z, any case) index 0-25, or -1. */
function letter(c: number): number {
  if (c >= 97 && c <= 122) return c - 97;
  if (c >= 65 && c <= 90) return c - 65;
  return -1;
}

/** Shape of a string: character classes, switches between them, and common letter pairs. */
interface Shape {
  digits: number;
  letters: number;
  /** Letters all within a-f. */
  hexOnly: boolean;
  /** Digit↔letter switches, and lower↔upper case switches, between neighbours. */
  classSwitches: number;
  caseSwitches: number;
  /** Adjacent letter pairs, and those among the common English pairs. */
  pairs: number;
  common: number;
}

function shape(s: string): Shape {
  const r: Shape = { digits: 0, letters: 0, hexOnly: true, classSwitches: 0, caseSwitches: 0, pairs: 0, common: 0 };
  let prevClass = 0; // 1 digit, 2 lower, 3 upper, 0 other
  let prevLetter = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const l = letter(c);
    const cls = c >= 48 && c <= 57 ? 1 : l < 0 ? 0 : c >= 97 ? 2 : 3;
    if (cls === 1) r.digits++;
    if (l >= 0) {
      r.letters++;
      if (l > 5) r.hexOnly = false;
      if (prevLetter >= 0) {
        r.pairs++;
        r.common += PAIR_TABLE[prevLetter * 26 + l] ?? 0;
      }
    }
    if (prevClass !== 0 && cls !== 0 && cls !== prevClass) {
      if ((prevClass === 1) !== (cls === 1)) r.classSwitches++;
      else r.caseSwitches++;
    }
    prevClass = cls;
    prevLetter = l;
  }
  return r;
}

/**
 * True when `s` (a label, or several labels joined without dots, at least `labelLength` long)
 * reads like encoded bytes rather than words: hex with digits and letters mixed throughout
 * (hashes, dnscat2), letters whose neighbours are rarely an English pair (base32, random letters),
 * frequent switches between digits and letters, or between cases (base64).
 */
export function looksEncoded(s: string): boolean {
  const n = s.length;
  if (n < 8) return false;
  const r = shape(s);
  const encoded = (r.hexOnly && r.digits >= n * 0.15 && r.letters >= n * 0.15)
    || r.caseSwitches >= n / 5 || r.classSwitches >= n / 4
    // Random letters: about 30 % common pairs (99th percentile 55 % at 40 characters); joined
    // English words 70-90 %.
    || (r.pairs >= 12 && r.common < r.pairs * 0.6);
  // Padding and repeated characters ("aaaa…", "0a0a…") are not data.
  return encoded && entropy(s) >= 3;
}

/**
 * True when a registered label (the `kqzxpwvt` of `kqzxpwvt.com`) looks machine-made: letters
 * whose neighbours are rarely an English pair, or letters and digits mixed throughout. About 85 %
 * of random letter strings of 8-16 characters qualify; dictionary-word DGAs do not.
 */
export function looksGenerated(label: string): boolean {
  const n = label.length;
  if (n < DGA_MIN_LABEL) return false;
  const r = shape(label);
  const generated = (r.digits > 0 && r.letters > 0 && r.classSwitches >= 4)
    || (r.letters >= n * 0.7 && r.pairs >= 6 && r.common < r.pairs * 0.45);
  return generated && entropy(label) >= 2.5;
}

/** FNV-1a 32-bit: distinct names are counted by hash so no attacker-sized strings are kept. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function example(name: string): string {
  return name.length > EXAMPLE_CHARS ? `${name.slice(0, EXAMPLE_CHARS)}…` : name;
}

/** Known data-in-DNS service for a name with parent `parent`, or null. */
function dataService(parent: string, name: string): string | null {
  const known = DATA_IN_DNS_SERVICES.get(parent);
  if (known) return known;
  return BLOCKLIST_LABEL.test(name) ? 'a DNS blocklist' : null;
}

// -- state ----------------------------------------------------------------------------------------

/** One device's lookups under one parent domain in the current window. */
interface ParentWindow {
  readonly device: string | null;
  readonly client: string;
  /** DNS server the names were sent to (the first one seen). */
  readonly server: string;
  /** Registered domain, or '' for names under no public suffix (dnscat2 without a domain). */
  readonly parent: string;
  start: number;
  last: number;
  /** Known data-in-DNS service the names belong to, or null. */
  readonly service: string | null;
  /** Distinct encoded-looking names (by hash). */
  encoded: CappedSet<number>;
  /** Encoded-looking lookups, and those of them with a data-carrying record type. */
  queries: number;
  dataTypes: number;
  readonly uids: string[];
  readonly examples: string[];
  readonly qtypes: string[];
  /** Distinct names when last raised (0: not raised in this window). */
  raised: number;
  /** Swept or dropped: the one-entry cache must not hand it out. */
  gone: boolean;
}

/** One device's NXDOMAIN answers for generated-looking names in the current window. */
interface NxWindow {
  readonly device: string | null;
  readonly client: string;
  start: number;
  last: number;
  /** Distinct registered domains that got NXDOMAIN and look generated. */
  domains: CappedSet<number>;
  nx: number;
  readonly uids: string[];
  readonly examples: string[];
  /** Distinct domains when last raised (0: not raised in this window). */
  raised: number;
}

export class DnsTunnelDetector implements Detector {
  readonly name = 'dns-tunnel';
  readonly paths = ['dns'] as const;
  readonly wantsConn = false;
  readonly #ctx: DetectContext;
  readonly #labelLength: number;
  readonly #subdomains: number;
  readonly #nxdomains: number;
  readonly #window: number;
  readonly #tunnels: BoundedMap<string, ParentWindow>;
  readonly #dga: BoundedMap<string, NxWindow>;
  /** The window of the last encoded lookup: a tunnel's queries come in a row (no key to build). */
  #lastTunnel: ParentWindow | null = null;
  #nextSweep = 0;

  constructor(config: DetectConfig, ctx: DetectContext) {
    this.#ctx = ctx;
    const c = config.dnsTunnel;
    this.#labelLength = c.labelLength;
    this.#subdomains = c.subdomains;
    this.#nxdomains = c.nxdomains;
    this.#window = c.windowSeconds;
    this.#tunnels = new BoundedMap(config.maxTracked, (_k, w) => {
      w.gone = true;
      ctx.count('detect.dns-tunnel.dropped');
    });
    this.#dga = new BoundedMap(config.maxTracked, () => ctx.count('detect.dns-tunnel.dropped'));
  }

  record(_path: string, ts: number, conn: ConnInfo | null, f: LogFields): void {
    if (conn === null || conn.respP === MDNS_PORT || conn.respP === LLMNR_PORT || conn.origP === MDNS_PORT) return;
    const query = f.query;
    if (typeof query !== 'string') return;
    const nx = f.rcode === RCODE_NXDOMAIN;
    // The common case: a short name answered normally.
    if (query.length < this.#labelLength && !nx) return;
    const qtype = typeof f.qtype === 'number' ? f.qtype : -1;
    if (DNSSEC_QTYPES.has(qtype)) return;
    const lower = query.toLowerCase();
    const name = lower.charCodeAt(lower.length - 1) === 46 ? lower.replace(/\.+$/, '') : lower;
    if (name.endsWith('.arpa') || name.endsWith('.local') || name.indexOf('._') >= 0 || name.charCodeAt(0) === 95) return;
    const parent = registeredDomain(name) ?? '';
    if (name.length >= this.#labelLength) this.#tunnel(ts, conn, name, parent, qtype, f);
    if (nx && parent !== '') this.#nxdomain(ts, conn, name, parent);
  }

  /**
   * The querying device. A DNS record arrives while its flow is still open, often before the
   * inventory has met the device (it learns from finished flows): a local source address with a
   * MAC that is not a router's is then the device's own frame.
   */
  #who(conn: ConnInfo): { device: string | null; client: string } {
    const ctx = this.#ctx;
    let device = ctx.deviceOf(conn.origH, conn.origMac);
    if (device === null && conn.origMac !== '' && addrKind(conn.origH) === AddrKind.Local && !ctx.isGateway(conn.origMac)) {
      device = conn.origMac;
    }
    return { device: device ?? ctx.deviceOf(conn.respH, conn.respMac), client: conn.origH };
  }

  /** "Hikvision camera (aa:…)", or "the device at 192.168.1.20 (aa:…)" while the inventory has no name. */
  #describe(device: string | null, client: string): string {
    const d = this.#ctx.describe(device, client);
    return device !== null && d === device ? `the device at ${client} (${device})` : d;
  }

  #tunnel(ts: number, conn: ConnInfo, name: string, parent: string, qtype: number, f: LogFields): void {
    // The data a tunnel sends is everything left of the parent domain, split into labels.
    const left = parent === '' ? name : name.length > parent.length ? name.slice(0, name.length - parent.length - 1) : '';
    const data = left.replace(/[.-]/g, '');
    if (data.length < this.#labelLength || !looksEncoded(data)) return;
    // State is per querying address; the device is looked up once, when its window opens.
    // The last window, while it lives, is what its key would look up: no key built for a run.
    let w = this.#lastTunnel;
    if (w === null || w.gone || w.client !== conn.origH || w.parent !== parent) {
      const key = `${conn.origH}|${parent}`;
      w = this.#tunnels.get(key) ?? null;
      if (w === null) {
        const { device, client } = this.#who(conn);
        w = {
          device, client, server: conn.respH, parent, start: ts, last: ts, service: dataService(parent, name),
          encoded: new CappedSet<number>(Math.min(65_536, this.#subdomains * 4)),
          queries: 0, dataTypes: 0, uids: [], examples: [], qtypes: [], raised: 0, gone: false,
        };
        this.#tunnels.set(key, w);
      }
      this.#lastTunnel = w;
    }
    if (ts - w.start > this.#window) this.#resetTunnel(w, ts);
    w.last = ts;
    w.queries++;
    if (TUNNEL_QTYPES.has(qtype)) w.dataTypes++;
    const qname = typeof f.qtype_name === 'string' ? f.qtype_name : qtype >= 0 ? String(qtype) : '';
    if (qname) pushCapped(w.qtypes, qname, 6);
    pushCapped(w.uids, conn.uid);
    if (!w.encoded.add(hash(left))) return;
    if (w.examples.length < EXAMPLES) w.examples.push(example(name));
    if (w.raised === 0 && this.#tunnelWeight(w) >= this.#subdomains) this.#raiseTunnel(w);
  }

  /** Distinct encoded names, worth half again when the lookups mostly ask for data-carrying types. */
  #tunnelWeight(w: ParentWindow): number {
    return w.encoded.size * (w.dataTypes * 2 >= w.queries ? 1.5 : 1);
  }

  #resetTunnel(w: ParentWindow, ts: number): void {
    // CappedSet has no clear(); a fresh window gets a fresh set.
    w.encoded = new CappedSet<number>(Math.min(65_536, this.#subdomains * 4));
    w.start = ts;
    w.queries = 0;
    w.dataTypes = 0;
    w.uids.length = 0;
    w.examples.length = 0;
    w.qtypes.length = 0;
    w.raised = 0;
  }

  #raiseTunnel(w: ParentWindow): void {
    const who = this.#describe(w.device, w.client);
    const n = w.encoded.size;
    w.raised = n;
    const service = w.service;
    // Without a real domain the names only reach the server they are sent to: name it.
    const where = w.parent === '' ? `names under no real internet domain (straight to the DNS server at ${w.server})` : w.parent;
    const types = w.dataTypes * 2 >= w.queries ? `, mostly ${w.qtypes.join('/')} lookups that carry data back` : '';
    const elapsed = span(w.last - w.start);
    let severity: Severity = 'high';
    let summary: string;
    if (service) {
      severity = 'low';
      summary = `${cap(who)} looked up ${plural(n, 'long encoded name')} in ${elapsed} under ${where}: this is how ${service} works (it sends data inside DNS names on purpose), so it is probably fine if you run it.`;
    } else {
      summary = `${cap(who)} sent ${plural(n, 'DNS query', 'DNS queries')} carrying encoded data in ${elapsed} to ${where}${types}: a program on it is probably tunnelling data through DNS (as dnscat2 or iodine do) to get past the firewall. Check what runs on it, or unplug it and reset it to factory settings.`;
    }
    this.#ctx.raise({
      ts: w.last,
      code: 'dns.tunnel',
      severity,
      device: w.device,
      summary,
      key: `dns.tunnel|${w.device ?? w.client}|${w.parent}`,
      evidence: {
        uids: [...w.uids],
        count: n,
        queries: w.queries,
        first: w.start,
        last: w.last,
        parent: w.parent,
        client: w.client,
        server: w.server,
        qtypes: [...w.qtypes],
        examples: [...w.examples],
        ...(service ? { service } : {}),
      },
    });
    this.#ctx.count('detect.dns-tunnel.tunnel');
  }

  #nxdomain(ts: number, conn: ConnInfo, name: string, parent: string): void {
    // The label the owner registered: `kqzxpwvt` of `www.kqzxpwvt.com`.
    const dot = parent.indexOf('.');
    const label = dot > 0 ? parent.slice(0, dot) : parent;
    if (!looksGenerated(label) || dataService(parent, name)) return;
    let w = this.#dga.get(conn.origH);
    if (w === undefined) {
      const { device, client } = this.#who(conn);
      w = {
        device, client, start: ts, last: ts,
        domains: new CappedSet<number>(Math.min(65_536, this.#nxdomains * 4)),
        nx: 0, uids: [], examples: [], raised: 0,
      };
      this.#dga.set(conn.origH, w);
    }
    if (ts - w.start > this.#window) {
      w.domains = new CappedSet<number>(Math.min(65_536, this.#nxdomains * 4));
      w.start = ts;
      w.nx = 0;
      w.uids.length = 0;
      w.examples.length = 0;
      w.raised = 0;
    }
    w.last = ts;
    w.nx++;
    pushCapped(w.uids, conn.uid);
    if (!w.domains.add(hash(parent))) return;
    if (w.examples.length < EXAMPLES) w.examples.push(example(parent));
    if (w.raised === 0 && w.domains.size >= this.#nxdomains) this.#raiseDga(w);
  }

  #raiseDga(w: NxWindow): void {
    const who = this.#describe(w.device, w.client);
    const n = w.domains.size;
    w.raised = n;
    this.#ctx.raise({
      ts: w.last,
      code: 'dns.dga',
      severity: 'high',
      device: w.device,
      summary: `${cap(who)} looked up ${plural(n, 'random-looking domain')} that do not exist (such as ${w.examples.join(', ')}) in ${span(w.last - w.start)}: it is probably infected with malware that generates domain names to find its control server. Unplug it and reset it to factory settings.`,
      key: `dns.dga|${w.device ?? w.client}`,
      evidence: {
        uids: [...w.uids],
        count: n,
        nxdomains: w.nx,
        first: w.start,
        last: w.last,
        client: w.client,
        examples: [...w.examples],
      },
    });
    this.#ctx.count('detect.dns-tunnel.dga');
  }

  tick(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_EVERY;
    const before = now - this.#window;
    this.#tunnels.sweep((w) => {
      if (w.last >= before || !this.#closeTunnel(w)) return false;
      w.gone = true;
      return true;
    });
    this.#dga.sweep((w) => w.last < before && this.#closeDga(w));
  }

  /** End of input: windows that alerted and grew since report their final numbers. */
  finish(): void {
    for (const w of this.#tunnels.values()) this.#closeTunnel(w);
    for (const w of this.#dga.values()) this.#closeDga(w);
  }

  /**
   * A window ends (the device went quiet): when it alerted and grew since, the same key is raised
   * once more so the open alert carries the whole episode's numbers. A window that is followed by
   * more of the same is not updated: the next window raises again when it crosses the threshold,
   * so a continuing tunnel is re-raised at most once per window.
   */
  #closeTunnel(w: ParentWindow): true {
    if (w.raised > 0 && w.encoded.size > w.raised) this.#raiseTunnel(w);
    return true;
  }

  #closeDga(w: NxWindow): true {
    if (w.raised > 0 && w.domains.size > w.raised) this.#raiseDga(w);
    return true;
  }
}

function cap(s: string): string {
  return s.length > 0 ? s[0]!.toUpperCase() + s.slice(1) : s;
}

export const dnsTunnel: DetectorFactory = {
  name: 'dns-tunnel',
  about: 'DNS tunnels (many long encoded names under one domain) and DGA malware (many random-looking names that do not exist).',
  create: (config, ctx) => new DnsTunnelDetector(config, ctx),
};
