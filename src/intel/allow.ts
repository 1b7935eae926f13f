/**
 * The allow-list: values that never raise an intel alert, whatever a feed says. Two sources:
 *
 * - the owner's entries (config `intel.allow`): IPv4/IPv6 addresses, CIDR networks, domains (a
 *   domain covers every name below it), URLs (`host/path`: a prefix) and fingerprints (JA3/JA3S
 *   MD5, JA4, file hashes: exact);
 * - a short built-in list of infrastructure that feeds list by mistake. Sandbox-derived feeds
 *   record everything a sample touched, so the public resolvers it asked and the big platforms it
 *   checked connectivity against end up "listed"; one such entry would alert on every device of
 *   every home. The built-ins cover only addresses and domains: a feed that names one precise URL
 *   on a CDN (`storage.googleapis.com/bucket/payload.exe`) meant it, so URL hits still alert.
 *
 * Checked only after a lookup hit (rare), so clarity beats speed here; networks are still kept by
 * prefix length so a 100,000-entry list answers in a few set probes.
 *
 * `applyToStore` applies the list to what is already stored (issue 4: "allow-lists that do not
 * apply to what is already stored" is a peer complaint): open intel alerts about a value that is
 * now allowed are closed.
 */
import { parseIp, unmapV4 } from '../enrich/ip.js';
import { ipv4String, ipv6String } from '../util/addr.js';
import { VigilError } from '../util/errors.js';
import type { Store } from '../store/store.js';
import type { IndicatorType } from './types.js';

/** Reason stored on alerts the allow-list closes. */
export const ALLOW_REASON = 'allow-listed';

interface BuiltIn {
  readonly value: string;
  readonly why: string;
}

const RESOLVER = 'public DNS resolver';

/**
 * Kept short on purpose: every entry is a blind spot. Resolvers: malware asks them (and DoH
 * endpoints) for its C2 names, so sandbox feeds list them. Domains: platforms malware contacts to
 * test connectivity or fetch time, and CDN edge names that are the CNAME target of much of the
 * web (a DNS answer naming them would otherwise alert). Deliberately NOT here: amazonaws.com,
 * googleusercontent.com, blob.core.windows.net and similar, whose per-customer names do host C2s.
 */
export const BUILT_IN_ALLOW: readonly BuiltIn[] = [
  { value: '8.8.8.8', why: `${RESOLVER} (Google)` },
  { value: '8.8.4.4', why: `${RESOLVER} (Google)` },
  { value: '2001:4860:4860::8888', why: `${RESOLVER} (Google)` },
  { value: '2001:4860:4860::8844', why: `${RESOLVER} (Google)` },
  { value: '1.1.1.1', why: `${RESOLVER} (Cloudflare)` },
  { value: '1.0.0.1', why: `${RESOLVER} (Cloudflare)` },
  { value: '2606:4700:4700::1111', why: `${RESOLVER} (Cloudflare)` },
  { value: '2606:4700:4700::1001', why: `${RESOLVER} (Cloudflare)` },
  { value: '9.9.9.9', why: `${RESOLVER} (Quad9)` },
  { value: '149.112.112.112', why: `${RESOLVER} (Quad9)` },
  { value: '2620:fe::fe', why: `${RESOLVER} (Quad9)` },
  { value: '2620:fe::9', why: `${RESOLVER} (Quad9)` },
  { value: '208.67.222.222', why: `${RESOLVER} (OpenDNS)` },
  { value: '208.67.220.220', why: `${RESOLVER} (OpenDNS)` },
  { value: '2620:119:35::35', why: `${RESOLVER} (OpenDNS)` },
  { value: '2620:119:53::53', why: `${RESOLVER} (OpenDNS)` },
  { value: 'dns.google', why: 'DNS-over-HTTPS resolver (Google)' },
  { value: 'cloudflare-dns.com', why: 'DNS-over-HTTPS resolver (Cloudflare)' },
  { value: 'one.one.one.one', why: 'DNS resolver name (Cloudflare)' },
  { value: 'quad9.net', why: 'DNS resolver (Quad9)' },
  { value: 'opendns.com', why: 'DNS resolver (OpenDNS)' },
  { value: 'cloudflare.com', why: 'CDN operator (Cloudflare)' },
  { value: 'akamaiedge.net', why: 'CDN edge names (Akamai)' },
  { value: 'akamai.net', why: 'CDN edge names (Akamai)' },
  { value: 'akamaihd.net', why: 'CDN edge names (Akamai)' },
  { value: 'google.com', why: 'connectivity check target (Google)' },
  { value: 'googleapis.com', why: 'platform APIs used by every Android device (Google)' },
  { value: 'gstatic.com', why: 'static content and connectivity checks (Google)' },
  { value: 'microsoft.com', why: 'connectivity check target (Microsoft)' },
  { value: 'windowsupdate.com', why: 'operating-system updates (Microsoft)' },
  { value: 'apple.com', why: 'connectivity check and updates (Apple)' },
  { value: 'icloud.com', why: 'platform services (Apple)' },
];

/** What an allow entry is. */
export type AllowKind = 'ip' | 'domain' | 'url' | 'fingerprint';

interface Entry {
  readonly text: string;
  readonly builtIn: boolean;
  readonly why: string;
}

/** A parsed user entry: the normalised value and its kind, or null when it is none of them. */
export function parseAllowEntry(raw: string): { kind: AllowKind; value: string; prefix: number } | null {
  let s = raw.trim().toLowerCase();
  if (s === '') return null;
  const net = parseNetwork(s);
  if (net !== null) return { kind: 'ip', value: net.text, prefix: net.prefix };
  if (/^[0-9a-f]{32}$|^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(s)) return { kind: 'fingerprint', value: s, prefix: 0 };
  // JA4: t13d1516h2_8daaf6152771_02713d6af862 (a, b, c parts).
  if (/^[tqd][0-9a-z]{9}_[0-9a-f]{12}_[0-9a-f]{12}$/.test(s)) return { kind: 'fingerprint', value: s, prefix: 0 };
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  const slash = s.indexOf('/');
  if (slash > 0) {
    const host = normalizeDomain(s.slice(0, slash));
    if (host === null) return null;
    return { kind: 'url', value: host + s.slice(slash), prefix: 0 };
  }
  const d = normalizeDomain(s.replace(/^\*?\./, ''));
  return d === null ? null : { kind: 'domain', value: d, prefix: 0 };
}

export interface AllowListOptions {
  /** Include the built-in resolvers and CDNs (default true). */
  readonly builtIn?: boolean;
}

export class AllowList {
  /** IPv4 networks by prefix length: prefix → network number → entry. */
  readonly #v4 = new Map<number, Map<number, Entry>>();
  /** IPv6 networks by prefix length: prefix → masked address as 32 hex digits → entry. */
  readonly #v6 = new Map<number, Map<string, Entry>>();
  /** The same IPv4 maps as parallel arrays: the per-hit probe loops over them without iterators. */
  #v4Prefixes: number[] = [];
  #v4Maps: Map<number, Entry>[] = [];
  readonly #domains = new Map<string, Entry>();
  readonly #urls: { prefix: string; entry: Entry }[] = [];
  readonly #fingerprints = new Map<string, Entry>();
  #size = 0;

  /**
   * `entries` are the owner's (config `intel.allow`). An entry that is no address, network,
   * domain, URL or fingerprint is a configuration error: the owner meant something and should know.
   */
  constructor(entries: readonly string[] = [], opts: AllowListOptions = {}) {
    const bad: string[] = [];
    for (const raw of entries) {
      if (!this.add(raw, false, 'your allow-list')) bad.push(raw);
    }
    if (bad.length > 0) {
      const shown = bad.slice(0, 3).map((b) => JSON.stringify(b.slice(0, 80))).join(', ');
      throw new VigilError(
        'VIGIL_ERR_CONFIG',
        `intel.allow: ${shown}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''} ${bad.length === 1 ? 'is' : 'are'} not an IP address, network (CIDR), domain, URL or fingerprint: fix or remove ${bad.length === 1 ? 'it' : 'them'} in the settings file.`,
      );
    }
    if (opts.builtIn !== false) for (const b of BUILT_IN_ALLOW) this.add(b.value, true, `built-in: ${b.why}`);
  }

  /** Entries held (owner's plus built-in). */
  get size(): number {
    return this.#size;
  }

  /** Adds one entry; false when it is not understood. */
  add(raw: string, builtIn = false, why = 'your allow-list'): boolean {
    const p = parseAllowEntry(raw);
    if (p === null) return false;
    const entry: Entry = { text: p.value, builtIn, why };
    switch (p.kind) {
      case 'ip': {
        const w = WORDS;
        const fam = unmapV4(w, parseIp(p.value.split('/')[0], w));
        if (fam === 4) {
          let m = this.#v4.get(p.prefix);
          if (!m) {
            this.#v4.set(p.prefix, (m = new Map()));
            this.#v4Prefixes = [...this.#v4.keys()];
            this.#v4Maps = [...this.#v4.values()];
          }
          m.set(maskV4(w[0], p.prefix), entry);
        } else {
          let m = this.#v6.get(p.prefix);
          if (!m) this.#v6.set(p.prefix, (m = new Map()));
          m.set(maskV6(w, p.prefix), entry);
        }
        break;
      }
      case 'domain':
        this.#domains.set(p.value, entry);
        break;
      case 'url':
        this.#urls.push({ prefix: p.value, entry });
        break;
      case 'fingerprint':
        this.#fingerprints.set(p.value, entry);
        break;
    }
    this.#size++;
    return true;
  }

  /** The entry covering this address (exact or any network holding it), as `value (why)`, or null. */
  allowsIp(ip: string): string | null {
    const e = this.#ipEntry(ip);
    return e ? show(e) : null;
  }

  /** The entry covering this name (itself or a parent domain), or null. */
  allowsDomain(name: string, builtIn = true): string | null {
    const d = normalizeDomain(name);
    if (d === null) return null;
    for (let i = -1; ; ) {
      const e = this.#domains.get(i < 0 ? d : d.slice(i + 1));
      if (e && (builtIn || !e.builtIn)) return show(e);
      i = d.indexOf('.', i + 1);
      if (i < 0) return null;
    }
  }

  /**
   * The entry that allows an observed value which matched an indicator of `type`, or null. `seen`
   * is what the traffic showed (an address, a name, `host/path`, a fingerprint); it is always at
   * or below the indicator (an address inside a listed network, a name under a listed domain), so
   * checking it covers the indicator too.
   */
  allows(type: IndicatorType, seen: string): string | null {
    switch (type) {
      case 'ip':
      case 'cidr':
        return this.allowsIp(stripNet(seen));
      case 'domain':
        return parseIp(seen, WORDS) !== 0 ? this.allowsIp(seen) : this.allowsDomain(seen);
      case 'url': {
        const s = seen.toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
        const slash = s.indexOf('/');
        const host = slash < 0 ? s : s.slice(0, slash);
        // Only the owner's entries: the built-ins never hide a precise URL (see the file comment).
        const byHost = parseIp(host, WORDS) !== 0 ? this.#userOnly(this.#ipEntry(host)) : this.allowsDomain(host, false);
        if (byHost) return byHost;
        for (const u of this.#urls) if (s.startsWith(u.prefix)) return show(u.entry);
        return null;
      }
      case 'ja3':
      case 'ja4':
      case 'hash': {
        const e = this.#fingerprints.get(seen.toLowerCase());
        return e ? show(e) : null;
      }
    }
  }

  #ipEntry(ip: string): Entry | null {
    const w = WORDS;
    const fam = unmapV4(w, parseIp(ip, w));
    if (fam === 4) {
      const prefixes = this.#v4Prefixes;
      const maps = this.#v4Maps;
      for (let i = 0; i < prefixes.length; i++) {
        const e = maps[i].get(maskV4(w[0], prefixes[i]));
        if (e !== undefined) return e;
      }
    } else if (fam === 6) {
      for (const [prefix, m] of this.#v6) {
        const e = m.get(maskV6(w, prefix));
        if (e !== undefined) return e;
      }
    }
    return null;
  }

  #userOnly(e: Entry | null): string | null {
    return e && !e.builtIn ? show(e) : null;
  }

  /**
   * Closes every open intel alert whose observed value or indicator is now allowed (reason
   * "allow-listed"), at packet time `ts`. Alerts carry `seen`, `indicator` and `indicatorType` in
   * their evidence (explain.ts). Returns how many alerts were closed.
   */
  applyToStore(store: Store, ts: number): number {
    let closed = 0;
    for (const a of store.alerts({ code: 'intel.', status: 'open' })) {
      const ev = a.evidence;
      const type = typeof ev.indicatorType === 'string' ? (ev.indicatorType as IndicatorType) : null;
      if (type === null) continue;
      const seen = typeof ev.seen === 'string' ? ev.seen : '';
      const indicator = typeof ev.indicator === 'string' ? ev.indicator : '';
      const hit = (seen !== '' && this.allows(type, seen) !== null) ||
        // A whole listed network or domain the owner allowed (the indicator itself, not only what was seen).
        (indicator !== '' && this.#allowsIndicatorValue(type, indicator));
      if (hit) closed += store.closeAlerts({ key: a.key, reason: ALLOW_REASON, ts });
    }
    return closed;
  }

  #allowsIndicatorValue(type: IndicatorType, value: string): boolean {
    if (type === 'cidr') {
      // The network is allowed when an entry covers its first address with a prefix no longer than its own.
      const slash = value.indexOf('/');
      const len = Number(value.slice(slash + 1));
      const w = WORDS;
      const fam = unmapV4(w, parseIp(value.slice(0, slash), w));
      const maps = fam === 4 ? this.#v4 : fam === 6 ? this.#v6 : null;
      if (maps === null) return false;
      for (const [prefix, m] of maps as Map<number, Map<number | string, Entry>>) {
        if (prefix > len) continue;
        if (m.has(fam === 4 ? maskV4(w[0], prefix) : maskV6(w, prefix))) return true;
      }
      return false;
    }
    return this.allows(type, value) !== null;
  }
}

// ---- helpers ------------------------------------------------------------------------------------

const WORDS = new Uint32Array(4);

function show(e: Entry): string {
  return `${e.text} (${e.why})`;
}

function stripNet(s: string): string {
  const i = s.indexOf('/');
  return i < 0 ? s : s.slice(0, i);
}

function maskV4(a: number, prefix: number): number {
  return prefix === 0 ? 0 : (a & (0xffffffff << (32 - prefix))) >>> 0;
}

function maskV6(w: Uint32Array, prefix: number): string {
  let s = '';
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(32, prefix - 32 * i));
    const v = bits === 0 ? 0 : bits === 32 ? w[i] : (w[i] & (0xffffffff << (32 - bits))) >>> 0;
    s += v.toString(16).padStart(8, '0');
  }
  return s;
}

/** `a.b/len` or a bare address → canonical text and prefix length, or null. */
function parseNetwork(s: string): { text: string; prefix: number } | null {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const w = new Uint32Array(4);
  const fam = unmapV4(w, parseIp(addr, w));
  if (fam === 0) return null;
  const max = fam === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > max) return null;
  }
  let text: string;
  if (fam === 4) {
    text = ipv4String(maskV4(w[0], prefix));
  } else {
    const hex = maskV6(w, prefix);
    for (let i = 0; i < 4; i++) w[i] = parseInt(hex.slice(8 * i, 8 * i + 8), 16);
    text = ipv6String(w);
  }
  return { text: prefix === max ? text : `${text}/${prefix}`, prefix };
}

/** Lower-case, no trailing dot, LDH labels (underscores tolerated, as real DNS has them), a non-numeric TLD; else null. */
export function normalizeDomain(name: string): string | null {
  let d = name.trim().toLowerCase();
  if (d.endsWith('.')) d = d.slice(0, -1);
  if (d.length === 0 || d.length > 253 || d.indexOf('.') < 0) return null;
  const labels = d.split('.');
  for (const label of labels) {
    if (label.length === 0 || label.length > 63 || !/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/.test(label)) return null;
  }
  // No top-level domain is numeric: `300.1.1.1` is a broken address, not a name.
  if (/^\d+$/.test(labels[labels.length - 1])) return null;
  return d;
}
