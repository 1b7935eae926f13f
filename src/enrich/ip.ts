/**
 * IP address text → the 4-word form of `util/addr.ts`, and which addresses are worth a geo/ASN
 * lookup. Enrichment gets addresses as text (conn records, DNS answers); parsing them once into
 * words lets the ASN tables compare numbers and lets us reuse the engine's private-range rules.
 */
import { isPrivate } from '../util/addr.js';

/** Address family parsed by `parseIp`: 0 = not an address. */
export type IpFamily = 0 | 4 | 6;

/**
 * Parses `s` into `out` (IPv4 in word 0; IPv6 as four big-endian words). Accepts dotted IPv4,
 * IPv6 with `::` and an embedded dotted tail, and an IPv6 zone (`%eth0`, ignored). Never throws;
 * returns 0 for anything else (names, CIDRs, octets > 255, leading garbage).
 */
export function parseIp(s: string, out: Uint32Array): IpFamily {
  const n = s.length;
  if (n === 0 || n > 64) return 0;
  if (s.indexOf(':') < 0) {
    const v = parseV4(s, 0, n);
    if (v < 0) return 0;
    out[0] = v;
    return 4;
  }
  return parseV6(s, n, out) ? 6 : 0;
}

/** Dotted quad in s[from, to), as an unsigned number, or -1. */
function parseV4(s: string, from: number, to: number): number {
  let acc = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // "01" style octets are rejected: some parsers read them as octal.
      if (digits > 0 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (part > 255 || ++digits > 3) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      acc = acc * 256 + part;
      part = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return acc * 256 + part;
}

const groups = new Uint16Array(8);

function parseV6(s: string, n: number, out: Uint32Array): boolean {
  const pct = s.indexOf('%');
  const end = pct >= 0 ? pct : n;
  let g = 0; // groups written
  let gap = -1; // index in `groups` where '::' was
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === end) {
      groups.fill(0);
      return finish(groups, 0, 0, out);
    }
  }
  while (i < end) {
    // One group: up to 4 hex digits, or a dotted IPv4 tail.
    let j = i;
    let v = 0;
    while (j < end && j - i < 5) {
      const c = s.charCodeAt(j);
      const h = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (h < 0) break;
      v = v * 16 + h;
      j++;
    }
    if (j < end && s.charCodeAt(j) === 46) {
      if (g > 6) return false;
      const v4 = parseV4(s, i, end);
      if (v4 < 0) return false;
      groups[g++] = v4 >>> 16;
      groups[g++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (j === i || j - i > 4 || g >= 8) return false;
    groups[g++] = v;
    i = j;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = g;
      i++;
    } else if (i === end) {
      return false; // a single trailing ':'
    }
  }
  if (gap < 0 ? g !== 8 : g > 7) return false;
  return finish(groups, g, gap, out);
}

function finish(gr: Uint16Array, g: number, gap: number, out: Uint32Array): boolean {
  if (gap >= 0 && g < 8) {
    // Move the groups after '::' to the end and zero the hole.
    const tail = g - gap;
    for (let k = tail - 1; k >= 0; k--) gr[8 - tail + k] = gr[gap + k];
    for (let k = gap; k < 8 - tail; k++) gr[k] = 0;
  }
  for (let k = 0; k < 4; k++) out[k] = ((gr[2 * k] << 16) | gr[2 * k + 1]) >>> 0;
  return true;
}

/**
 * True for an address that can have a country or an AS: IPv4 outside the special-purpose blocks
 * (Zeek's private space, multicast, broadcast) and IPv6 global unicast (2000::/3) outside them.
 * `w` is the 4-word form; an IPv4-mapped IPv6 address should be passed as IPv4 (see `unmapV4`).
 */
export function isRoutable(w: Uint32Array, family: IpFamily): boolean {
  if (family === 4) {
    const a = w[0];
    if (a >>> 28 === 0xe) return false; // 224/4 multicast
    return !isPrivate(w, 0, false);
  }
  if (family !== 6) return false;
  if (w[0] >>> 29 !== 1) return false; // only 2000::/3 is global unicast today
  return !isPrivate(w, 0, true);
}

/** For `::ffff:a.b.c.d`, moves the IPv4 address to word 0 and returns 4; else returns `family`. */
export function unmapV4(w: Uint32Array, family: IpFamily): IpFamily {
  if (family === 6 && w[0] === 0 && w[1] === 0 && w[2] === 0xffff) {
    w[0] = w[3];
    return 4;
  }
  return family;
}
