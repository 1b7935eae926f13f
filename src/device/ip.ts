/**
 * What an address (as the engine's records print it) says about the device that sent it. Only
 * local addresses (private, link-local, ULA: `isPrivate` of util/addr) become a device's own: a
 * router forwards the whole internet with its MAC, and those addresses are not the router's.
 */
import { ipv6String, isPrivate } from '../util/addr.js';

export const enum AddrKind {
  /** Not a unicast source: multicast, broadcast, loopback, unparseable. */
  Ignore = 0,
  /** 0.0.0.0 or :: (DHCP clients, ARP probes, IPv6 DAD): the sender is a device, with no address yet. */
  Unspecified = 1,
  /** Private, link-local or unique-local: recorded as the device's address. */
  Local = 2,
  /** Anything else: a device with such a source is forwarding (router) or on a public LAN. */
  Public = 3,
}

const WORDS = new Uint32Array(4);

/** Parses IPv4 dotted or IPv6 text into WORDS; returns 4 or 6, or 0 when it is not an address. */
function parse(ip: string): number {
  if (ip.indexOf(':') < 0) return parse4(ip);
  let text = ip;
  const pct = text.indexOf('%'); // zone index (fe80::1%eth0)
  if (pct >= 0) text = text.slice(0, pct);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const dot = text.lastIndexOf('.');
  if (dot >= 0) {
    const colon = text.lastIndexOf(':');
    if (parse(text.slice(colon + 1)) !== 4) return 0;
    const v4 = WORDS[0];
    text = text.slice(0, colon + 1) + (v4 >>> 16).toString(16) + ':' + (v4 & 0xffff).toString(16);
  }
  const halves = text.split('::');
  if (halves.length > 2) return 0;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return 0;
  const groups: string[] = [...head, ...(halves.length === 2 ? new Array<string>(missing).fill('0') : []), ...tail];
  for (let i = 0; i < 8; i += 2) {
    const hi = groups[i];
    const lo = groups[i + 1];
    if (!/^[0-9a-fA-F]{1,4}$/.test(hi) || !/^[0-9a-fA-F]{1,4}$/.test(lo)) return 0;
    WORDS[i >> 1] = ((parseInt(hi, 16) << 16) | parseInt(lo, 16)) >>> 0;
  }
  return 6;
}

/**
 * Dotted IPv4 (four groups of 1-3 digits, each at most 255) into WORDS[0]; 4, or 0 when it is not
 * one. Scans the characters: called per ARP/DNS record and by detectors, so it allocates nothing.
 */
function parse4(ip: string): number {
  let a = 0;
  let group = 0;
  let digits = 0;
  let groups = 0;
  for (let i = 0; i <= ip.length; i++) {
    const c = i < ip.length ? ip.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || group > 255 || ++groups > 4) return 0;
      a = a * 256 + group;
      group = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      group = group * 10 + (c - 0x30);
      digits++;
    } else {
      return 0;
    }
  }
  if (groups !== 4) return 0;
  WORDS[0] = a;
  return 4;
}

/**
 * IPv6 kinds already worked out: the text parse allocates, and ND/mDNS records repeat the same
 * few link-local addresses. Cleared when full (a bound, not an LRU: refilling is cheap).
 */
const V6_KINDS = new Map<string, AddrKind>();
const V6_KINDS_MAX = 4096;

/** Classifies a source address given as text (per record, not per packet). */
export function addrKind(ip: string): AddrKind {
  if (ip.indexOf(':') < 0) return kindOf(parse4(ip));
  let k = V6_KINDS.get(ip);
  if (k === undefined) {
    k = kindOf(parse(ip));
    if (V6_KINDS.size >= V6_KINDS_MAX) V6_KINDS.clear();
    V6_KINDS.set(ip, k);
  }
  return k;
}

/** The kind of the address `parse` just read into WORDS (`v`: its result). */
function kindOf(v: number): AddrKind {
  if (v === 0) return AddrKind.Ignore;
  const v6 = v === 6;
  if (!v6) {
    const a = WORDS[0];
    if (a === 0) return AddrKind.Unspecified;
    const b1 = a >>> 24;
    if (b1 === 127 || b1 >= 224) return AddrKind.Ignore; // loopback, multicast, reserved, broadcast
  } else {
    if (WORDS[0] === 0 && WORDS[1] === 0 && WORDS[2] === 0) {
      if (WORDS[3] === 0) return AddrKind.Unspecified;
      if (WORDS[3] === 1) return AddrKind.Ignore;
    }
    if (WORDS[0] >>> 24 === 0xff) return AddrKind.Ignore;
  }
  return isPrivate(WORDS, 0, v6) ? AddrKind.Local : AddrKind.Public;
}

/**
 * The same decision for a conn record's side, where the engine already computed `isPrivate`
 * (local_orig/local_resp): only the rare local case needs the text checked, and without parsing.
 */
export function connSideKind(ip: string, local: boolean): AddrKind {
  if (!local) return ip.length > 0 && isMulticastText(ip) ? AddrKind.Ignore : AddrKind.Public;
  if (ip === '0.0.0.0' || ip === '::') return AddrKind.Unspecified;
  if (ip === '::1' || ip === '255.255.255.255' || isMulticastText(ip)) return AddrKind.Ignore;
  const c0 = ip.charCodeAt(0);
  if (c0 === 0x31 && ip.charCodeAt(1) === 0x32 && ip.charCodeAt(2) === 0x37 && ip.charCodeAt(3) === 0x2e) return AddrKind.Ignore; // 127.
  if (c0 === 0x30 && ip.charCodeAt(1) === 0x2e) return AddrKind.Ignore; // 0.x.y.z (only 0.0.0.0 is a real "no address")
  return AddrKind.Local;
}

/** 224-239.x (IPv4 multicast) or ff…: (IPv6 multicast), from the text alone. */
function isMulticastText(ip: string): boolean {
  const c0 = ip.charCodeAt(0);
  if (c0 === 0x66 || c0 === 0x46) { // 'f'
    const c1 = ip.charCodeAt(1) | 0x20;
    return c1 === 0x66 && ip.indexOf(':') > 0 && ip.indexOf(':') <= 4 && ip.indexOf(':') >= 2;
  }
  if (c0 !== 0x32 || ip.charCodeAt(3) !== 0x2e) return false; // "2xx."
  const n = (ip.charCodeAt(1) - 0x30) * 10 + (ip.charCodeAt(2) - 0x30);
  return n >= 24 && n <= 39;
}

/**
 * The address a reverse-lookup name stands for (`23.1.168.192.in-addr.arpa`, nibble-form
 * `…ip6.arpa`), in the engine's text form, or null.
 */
export function reverseNameToIp(name: string): string | null {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (n.endsWith('.in-addr.arpa')) {
    const p = n.slice(0, -'.in-addr.arpa'.length).split('.');
    if (p.length !== 4 || !p.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255)) return null;
    return p.reverse().map((x) => String(Number(x))).join('.');
  }
  if (n.endsWith('.ip6.arpa')) {
    const p = n.slice(0, -'.ip6.arpa'.length).split('.');
    if (p.length !== 32 || !p.every((x) => /^[0-9a-f]$/.test(x))) return null;
    const hex = p.reverse().join('');
    for (let i = 0; i < 4; i++) WORDS[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16) >>> 0;
    return ipv6Text();
  }
  return null;
}

/** Canonical (RFC 5952) text of an IPv6 address given as text, so lookups match the engine's form. */
export function canonicalIp(ip: string): string | null {
  const v = parse(ip);
  if (v === 0) return null;
  if (v === 4) return ip;
  return ipv6Text();
}

function ipv6Text(): string {
  return ipv6String(WORDS);
}
