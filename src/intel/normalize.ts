/**
 * One canonical form per indicator value, so that the same thing written two ways by two feeds
 * (or by a feed and the wire) compares equal: addresses in RFC 5952 text, networks with host bits
 * cleared, IPv4-mapped IPv6 as IPv4, domains lower-case without trailing dot or `*.`, URLs without
 * scheme and with a lower-case host. Also decides which networks a feed must never make us alert
 * on (private, reserved, bogon space: formats.md §2.5) and classifies the values of mixed lists.
 * Nothing here throws: a value that cannot be read gives `null` / `false`.
 */
import { parseIp, unmapV4 } from '../enrich/ip.js';
import { ipv4String, ipv6String } from '../util/addr.js';

/** An address or network in the 4-word form of `util/addr.ts` (IPv4 in word 0). */
export class NetValue {
  readonly words = new Uint32Array(4);
  v6 = false;
  /** Prefix length: 32 / 128 for a single address. */
  prefix = 0;
}

/** Leftmost-bit masks by prefix length for one 32-bit word: MASK32[n] keeps the top n bits. */
export const MASK32 = new Uint32Array(33);
for (let n = 1; n <= 32; n++) MASK32[n] = (0xffffffff << (32 - n)) >>> 0;

/** Clears the host bits of `net.words` beyond `net.prefix`. */
export function clearHostBits(net: NetValue): void {
  const w = net.words;
  const total = net.v6 ? 4 : 1;
  let left = net.prefix;
  for (let i = 0; i < total; i++) {
    const keep = left >= 32 ? 32 : left < 0 ? 0 : left;
    w[i] = (w[i] & MASK32[keep]) >>> 0;
    left -= 32;
  }
  if (!net.v6) w[1] = w[2] = w[3] = 0;
}

/**
 * Reads `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `v6/n` (text already trimmed) into `out`.
 * Host bits are cleared (`1.2.3.4/24` is `1.2.3.0/24`); `::ffff:a.b.c.d[/n≥96]` becomes IPv4.
 */
export function parseNet(s: string, out: NetValue): boolean {
  const slash = s.indexOf('/');
  let addr = s;
  let prefix = -1;
  if (slash >= 0) {
    const n = s.length - slash - 1;
    if (n < 1 || n > 3) return false;
    prefix = 0;
    for (let i = slash + 1; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) return false;
      prefix = prefix * 10 + (c - 48);
    }
    addr = s.slice(0, slash);
  }
  if (addr.indexOf('%') >= 0) return false; // a zone is meaningless in a feed
  const w = out.words;
  let fam = parseIp(addr, w);
  if (fam === 0) return false;
  const max = fam === 4 ? 32 : 128;
  if (prefix > max) return false;
  if (prefix < 0) prefix = max;
  if (fam === 6 && w[0] === 0 && w[1] === 0 && w[2] === 0xffff && prefix >= 96) {
    fam = unmapV4(w, fam);
    prefix -= 96;
  }
  out.v6 = fam === 6;
  out.prefix = prefix;
  if (!out.v6) w[1] = w[2] = w[3] = 0;
  clearHostBits(out);
  return true;
}

/** Canonical text of a parsed address or network: `1.2.3.4`, `1.2.3.0/24`, `2001:db8::/32`. */
export function netText(net: NetValue): string {
  if (!net.v6) return net.prefix === 32 ? ipv4String(net.words[0]) : ipv4String(net.words[0]) + '/' + net.prefix;
  const a = ipv6String(net.words, 0);
  return net.prefix === 128 ? a : a + '/' + net.prefix;
}

const scratchNet = new NetValue();

/** Canonical text of an address or network, or null. */
export function canonicalNet(s: string): string | null {
  return parseNet(s.trim(), scratchNet) ? netText(scratchNet) : null;
}

/** Canonical text of a single address (no prefix), or null. */
export function canonicalIp(s: string): string | null {
  const t = s.trim();
  if (t.indexOf('/') >= 0) return null;
  return parseNet(t, scratchNet) ? netText(scratchNet) : null;
}

// ---------------------------------------------------------------------------------------------
// Space a feed must never make us alert on. A home network's own addresses are in these blocks;
// FireHOL level1 and others list them on purpose (to block bogons at a border), which would make
// every LAN flow an "intel hit" here.

/** IPv4 special-purpose blocks (RFC 6890 and friends) as [network, prefix]. */
const RESERVED_V4: readonly (readonly [number, number])[] = [
  [0x00000000, 8],  // 0/8 "this network"
  [0x0a000000, 8],  // 10/8 private
  [0x64400000, 10], // 100.64/10 shared address space (CGNAT)
  [0x7f000000, 8],  // 127/8 loopback
  [0xa9fe0000, 16], // 169.254/16 link local
  [0xac100000, 12], // 172.16/12 private
  [0xc0000000, 24], // 192.0.0/24 IETF protocol assignments
  [0xc0000200, 24], // 192.0.2/24 documentation
  [0xc0586300, 24], // 192.88.99/24 deprecated 6to4 relay anycast
  [0xc0a80000, 16], // 192.168/16 private
  [0xc6120000, 15], // 198.18/15 benchmarking
  [0xc6336400, 24], // 198.51.100/24 documentation
  [0xcb007100, 24], // 203.0.113/24 documentation
  [0xe0000000, 4],  // 224/4 multicast
  [0xf0000000, 4],  // 240/4 reserved, incl. 255.255.255.255
];

const RES_NET = new Uint32Array(RESERVED_V4.map((r) => r[0]));
const RES_LEN = new Uint8Array(RESERVED_V4.map((r) => r[1]));
/** First octets that hold (part of) a reserved block: any other octet is clear for prefixes ≥ /8. */
const RES_OCTET = new Uint8Array(256);
for (const [n, p] of RESERVED_V4) {
  const first = n >>> 24;
  const count = p >= 8 ? 1 : 2 ** (8 - p);
  for (let o = first; o < first + count; o++) RES_OCTET[o] = 1;
}

/** Networks wider than these are a feed's mistake, not intelligence (a /4 is 268 M addresses). */
const MIN_PREFIX_V4 = 8;
const MIN_PREFIX_V6 = 16;

export type NetVerdict = 'ok' | 'reserved' | 'broad';

/**
 * 'reserved' when the network overlaps private/reserved/bogon space (inside it, or covering part
 * of it); 'broad' when it is implausibly wide; else 'ok'.
 */
export function netVerdict(net: NetValue): NetVerdict {
  const w = net.words;
  if (!net.v6) {
    const a = w[0];
    if (net.prefix >= 8 && RES_OCTET[a >>> 24] === 0) return 'ok';
    for (let i = 0; i < RES_NET.length; i++) {
      const rp = RES_LEN[i];
      const p = rp < net.prefix ? rp : net.prefix; // two prefixes overlap iff they agree on the shorter one
      if (((a & MASK32[p]) >>> 0) === ((RES_NET[i] & MASK32[p]) >>> 0)) return 'reserved';
    }
    return net.prefix < MIN_PREFIX_V4 ? 'broad' : 'ok';
  }
  // IPv6: only 2000::/3 is global unicast; inside it, the IETF (2001::/23), documentation
  // (2001:db8::/32, 3fff::/20) blocks are not. 6to4 (2002::/16) embeds an IPv4 address.
  const w0 = w[0];
  const p = net.prefix;
  if (p < 3 || w0 >>> 29 !== 1) return 'reserved';
  if (overlaps6(w0, p, 0x20010000, 23)) return 'reserved';
  if (overlaps6(w0, p, 0x20010db8, 32)) return 'reserved';
  if (overlaps6(w0, p, 0x3fff0000, 20)) return 'reserved';
  if (w0 >>> 16 === 0x2002 && p >= 48) {
    // 2002:AABB:CCDD::/48 is the 6to4 block of IPv4 AA.BB.CC.DD: private inside is private.
    const inner = new NetValue();
    inner.words[0] = (((w0 & 0xffff) << 16) | (w[1] >>> 16)) >>> 0;
    inner.prefix = 32;
    if (netVerdict(inner) === 'reserved') return 'reserved';
  }
  return p < MIN_PREFIX_V6 ? 'broad' : 'ok';
}

function overlaps6(w0: number, p: number, rn: number, rp: number): boolean {
  const q = rp < p ? rp : p;
  return ((w0 & MASK32[q]) >>> 0) === ((rn & MASK32[q]) >>> 0);
}

// ---------------------------------------------------------------------------------------------
// Names

/**
 * A domain from a feed in canonical form: lower-case ASCII (IDN kept as given, punycode as
 * written), no trailing dot, `*.`/leading-dot wildcard prefixes dropped (a domain indicator
 * already covers every name below it). At least two labels (a bare TLD would match a whole
 * namespace), labels of 1-63 characters, 253 in all, letters/digits/`-`/`_` or non-ASCII.
 * An address is not a domain.
 */
export function normalizeDomain(raw: string): string | null {
  let s = raw;
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 32) start++;
  while (end > start && s.charCodeAt(end - 1) <= 32) end--;
  while (start + 1 < end && s.charCodeAt(start) === 42 && s.charCodeAt(start + 1) === 46) start += 2; // '*.'
  while (start < end && s.charCodeAt(start) === 46) start++; // '.example.com' (adblock style)
  if (end > start && s.charCodeAt(end - 1) === 46) end--; // absolute name
  const len = end - start;
  if (len < 3 || len > 253) return null;
  let upper = false;
  let labelLen = 0;
  let labels = 1;
  let lastLabelAllDigits = true;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (labelLen === 0) return null;
      labels++;
      labelLen = 0;
      lastLabelAllDigits = true;
      continue;
    }
    if (++labelLen > 63) return null;
    if (c >= 48 && c <= 57) continue;
    lastLabelAllDigits = false;
    if ((c >= 97 && c <= 122) || c === 45 || c === 95) continue;
    if (c >= 65 && c <= 90) { upper = true; continue; }
    if (c > 127 && c !== 0xfeff && !(c >= 0x2000 && c <= 0x206f)) continue; // IDN as given; no invisible punctuation
    return null;
  }
  if (labelLen === 0 || labels < 2 || lastLabelAllDigits) return null;
  if (start !== 0 || end !== s.length) s = s.slice(start, end);
  return upper ? s.toLowerCase() : s;
}

/** Lower-case hex of exactly `len` characters (colons allowed as in `aa:bb:…` when `colons`), or null. */
export function normalizeHex(raw: string, lens: readonly number[], colons = false): string | null {
  let s = raw.trim();
  if (colons && s.indexOf(':') >= 0) s = s.split(':').join('');
  if (lens.indexOf(s.length) < 0) return null;
  let upper = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102)) continue;
    if (c >= 65 && c <= 70) { upper = true; continue; }
    return null;
  }
  return upper ? s.toLowerCase() : s;
}

export const HASH_LENGTHS: readonly number[] = [32, 40, 64, 128]; // md5, sha1, sha256, sha512
const JA3_LENGTHS: readonly number[] = [32];

export function normalizeJa3(raw: string): string | null {
  return normalizeHex(raw, JA3_LENGTHS);
}

/**
 * JA4 (TLS client): `t13d1516h2_8daaf6152771_b186095e22b6`: protocol t/q/d, version, SNI d/i, two
 * 2-digit counts, two ALPN characters, then two 12-hex hashes. Also the raw `_r` forms are not
 * accepted (they are not what sensors compute). Lower-cased.
 */
export function normalizeJa4(raw: string): string | null {
  const s = raw.trim().toLowerCase();
  if (s.length !== 36 || s.charCodeAt(10) !== 95 || s.charCodeAt(23) !== 95) return null;
  const p = s.charCodeAt(0);
  if (p !== 116 && p !== 113 && p !== 100) return null; // t q d
  for (let i = 1; i < 10; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 122))) return null;
  }
  for (let i = 11; i < 36; i++) {
    if (i === 23) continue;
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return null;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// URLs

/** A parsed URL indicator: `host` is '' for a host-less path trail (Maltrail `/izuku.sh`). */
export interface UrlParts {
  /** Canonical `host[:port]` + path (+ `?query`): `evil.example/x.php?a=1`, or `/path` when host-less. */
  value: string;
  /** Lower-case host ('' when host-less), an address in canonical text when it is one. */
  host: string;
  /** True when the host is an address (its space may be reserved: the caller checks). */
  hostIsIp: boolean;
}

const urlNet = new NetValue();

/**
 * A URL as an indicator: scheme dropped (`http`, `https`, `hxxp`… anything before `://`),
 * user-info and fragment dropped, host lower-cased (IPv6 in brackets, canonical), the default port
 * for the scheme dropped, the path and query kept as written except one trailing `/` (so `/x/` and
 * `/x` compare equal; a bare host becomes `host/`). `allowPathOnly` accepts `/path` without a host
 * (Maltrail URL-path trails, matched on any host). Returns null for anything else.
 */
export function normalizeUrl(raw: string, allowPathOnly = false): UrlParts | null {
  let s = raw.trim();
  if (s.length === 0 || s.length > 4096) return null;
  let defaultPort = '';
  const sep = s.indexOf('://');
  if (sep >= 0) {
    const scheme = s.slice(0, sep).toLowerCase();
    if (!/^[a-z][a-z0-9+.-]{0,15}$/.test(scheme)) return null;
    defaultPort = scheme === 'https' || scheme === 'hxxps' ? '443' : scheme === 'http' || scheme === 'hxxp' ? '80' : '';
    s = s.slice(sep + 3);
  }
  const hash = s.indexOf('#');
  if (hash >= 0) s = s.slice(0, hash);
  let cut = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 47 || c === 63) { cut = i; break; } // '/' or '?'
  }
  let hostPort = s.slice(0, cut);
  let path = s.slice(cut);
  if (hostPort.length === 0) {
    if (!allowPathOnly || sep >= 0 || path.charCodeAt(0) !== 47) return null;
    if (!validPath(path)) return null;
    return { value: trimSlash(path), host: '', hostIsIp: false };
  }
  const at = hostPort.lastIndexOf('@');
  if (at >= 0) hostPort = hostPort.slice(at + 1);
  let host = hostPort;
  let port = '';
  if (host.charCodeAt(0) === 91) { // [v6]:port
    const close = host.indexOf(']');
    if (close < 0) return null;
    const rest = host.slice(close + 1);
    host = host.slice(1, close);
    if (rest.length > 0) {
      if (rest.charCodeAt(0) !== 58) return null;
      port = rest.slice(1);
    }
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) {
      if (host.indexOf(':', colon + 1) >= 0) return null; // unbracketed IPv6: ambiguous
      port = host.slice(colon + 1);
      host = host.slice(0, colon);
    }
  }
  if (port.length > 0 && !/^[0-9]{1,5}$/.test(port)) return null;
  if (port.length > 0 && +port > 65535) return null;
  if (port === defaultPort) port = '';
  let hostText: string;
  let hostIsIp = false;
  if (parseNet(host, urlNet) && urlNet.prefix === (urlNet.v6 ? 128 : 32)) {
    hostIsIp = true;
    hostText = netText(urlNet);
    if (urlNet.v6) hostText = '[' + hostText + ']';
  } else {
    const d = normalizeDomain(host);
    if (d === null || host.charCodeAt(0) === 42 || host.charCodeAt(0) === 46) return null; // no wildcards in URLs
    hostText = d;
  }
  if (path.length === 0) path = '/';
  else if (path.charCodeAt(0) === 63) path = '/' + path; // host?query
  if (!validPath(path)) return null;
  const hostField = port.length > 0 ? hostText + ':' + port : hostText;
  return { value: hostField + trimSlash(path), host: hostIsIp ? netText(urlNet) : hostText, hostIsIp };
}

/** Drops one trailing '/' of the path part (before any '?'), never the root '/'. */
export function trimSlash(path: string): string {
  const q = path.indexOf('?');
  const p = q >= 0 ? path.slice(0, q) : path;
  if (p.length > 1 && p.charCodeAt(p.length - 1) === 47) return p.slice(0, -1) + (q >= 0 ? path.slice(q) : '');
  return path;
}

function validPath(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 32 || c === 127) return false; // no spaces or controls on the wire either
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Mixed lists

export type ValueKind = 'net' | 'ipport' | 'domain' | 'url' | 'path' | 'ja4' | 'hex' | 'none';

/**
 * What a bare value from a mixed list is, by its shape alone: an address/network (`net`),
 * `a.b.c.d:port` (`ipport`), a URL with a scheme or a host followed by a path (`url`), a host-less
 * path (`path`), a JA4 fingerprint, a hex digest (`hex`: 32/40/64/128 digits), a domain, or `none`.
 */
export function classifyValue(s: string): ValueKind {
  if (s.length === 0) return 'none';
  const c0 = s.charCodeAt(0);
  if (c0 === 47) return 'path';
  if (s.indexOf('://') > 0) return 'url';
  if (parseNet(s, scratchNet)) return 'net';
  if (/^[0-9a-fA-F:.]+\/[0-9]+$/.test(s)) return 'none'; // an address with an impossible prefix
  const colon = s.lastIndexOf(':');
  if (colon > 0 && s.indexOf('/') < 0 && /^[0-9]{1,5}$/.test(s.slice(colon + 1))) {
    const h = s.slice(0, colon);
    if (h.charCodeAt(0) === 91 && h.charCodeAt(h.length - 1) === 93) {
      if (parseNet(h.slice(1, -1), scratchNet)) return 'ipport';
    } else if (h.indexOf(':') < 0 && parseNet(h, scratchNet)) return 'ipport';
  }
  if (s.indexOf('/') > 0 || s.indexOf('?') > 0) return 'url';
  if (normalizeHex(s, HASH_LENGTHS) !== null) return 'hex';
  if (normalizeJa4(s) !== null) return 'ja4';
  if (normalizeDomain(s) !== null) return 'domain';
  return 'none';
}
