/**
 * Byte-level helpers for HTTP/1.x: method table, request/status line splitting, header-name
 * matching, numbers, URI unescaping and Basic credentials. Pure functions over `(buf, start, end)`
 * ranges; none of them throws or reads outside the range they are given.
 */
import { safeString } from '../../../util/text.js';

/** Methods we know (Zeek's `http_methods` plus the UPnP/GENA ones IoT devices use). */
const METHODS: readonly string[] = [
  'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'PATCH', 'TRACE',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT',
  'SUBSCRIBE', 'UNSUBSCRIBE', 'NOTIFY', 'M-SEARCH', 'POLL', 'BMOVE', 'BDELETE', 'BPROPFIND',
  'BPROPPATCH', 'BCOPY', 'X-MS-ENUMATTS', 'VERSION-CONTROL', 'CHECKOUT', 'CHECKIN', 'MERGE',
  'MKACTIVITY', 'MKWORKSPACE', 'LABEL', 'UPDATE', 'ORDERPATCH', 'ACL', 'MKCALENDAR', 'RPC_IN_DATA',
  'RPC_OUT_DATA',
];
const METHOD_BYTES: readonly Uint8Array[] = METHODS.map((m) => Buffer.from(m, 'latin1'));

/** Index into the method table of the method spelled at [s, e), or -1. */
export function methodIndex(buf: Uint8Array, s: number, e: number): number {
  const n = e - s;
  for (let i = 0; i < METHOD_BYTES.length; i++) {
    const m = METHOD_BYTES[i];
    if (m.length !== n || m[0] !== buf[s]) continue;
    let k = 1;
    while (k < n && m[k] === buf[s + k]) k++;
    if (k === n) return i;
  }
  return -1;
}

export function methodName(i: number): string {
  return METHODS[i];
}

export const M_HEAD = METHODS.indexOf('HEAD');
export const M_CONNECT = METHODS.indexOf('CONNECT');

/**
 * Sniffing: do the first client bytes start with a known method and a space? Only a handful of
 * byte compares, as the factory contract asks.
 */
export function looksLikeRequest(buf: Uint8Array, off: number, len: number): boolean {
  const end = Math.min(buf.length, off + len);
  const lim = Math.min(end, off + 17);
  let i = off;
  while (i < lim && buf[i] !== 0x20) i++;
  if (i >= lim || i === off) return false;
  return methodIndex(buf, off, i) >= 0;
}

/** RFC 9110 tchar: what a method or header name may be made of. */
export function isTchar(c: number): boolean {
  if (c >= 0x61 && c <= 0x7a) return true; // a-z
  if (c >= 0x41 && c <= 0x5a) return true; // A-Z
  if (c >= 0x30 && c <= 0x39) return true;
  switch (c) {
    case 0x21: case 0x23: case 0x24: case 0x25: case 0x26: case 0x27: case 0x2a: case 0x2b:
    case 0x2d: case 0x2e: case 0x5e: case 0x5f: case 0x60: case 0x7c: case 0x7e:
      return true;
    default:
      return false;
  }
}

/**
 * Parses `HTTP/d.d` at [s, e) exactly. Returns the version as a string, or '' if it is not one.
 * The two versions everyone sends are shared constants, so the common case allocates nothing.
 */
export function parseVersion(buf: Uint8Array, s: number, e: number): string {
  if (e - s !== 8) return '';
  if (buf[s] !== 0x48 || buf[s + 1] !== 0x54 || buf[s + 2] !== 0x54 || buf[s + 3] !== 0x50 ||
      buf[s + 4] !== 0x2f || buf[s + 6] !== 0x2e) return '';
  const a = buf[s + 5] - 0x30;
  const b = buf[s + 7] - 0x30;
  if (a < 0 || a > 9 || b < 0 || b > 9) return '';
  if (a === 1 && b === 1) return '1.1';
  if (a === 1 && b === 0) return '1.0';
  return a + '.' + b;
}

/** Lower-case ASCII header names we act on, as bytes. */
export const H_HOST = ascii('host');
export const H_USER_AGENT = ascii('user-agent');
export const H_REFERER = ascii('referer');
export const H_ORIGIN = ascii('origin');
export const H_AUTHORIZATION = ascii('authorization');
export const H_PROXY_AUTHORIZATION = ascii('proxy-authorization');
export const H_CONTENT_LENGTH = ascii('content-length');
export const H_TRANSFER_ENCODING = ascii('transfer-encoding');
export const H_CONTENT_TYPE = ascii('content-type');

function ascii(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

/** Case-insensitive compare of [s, e) against a lower-case ASCII literal. */
export function nameIs(buf: Uint8Array, s: number, e: number, lit: Uint8Array): boolean {
  if (e - s !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) {
    let c = buf[s + i];
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lit[i]) return false;
  }
  return true;
}

/** Decimal at [s, e) with nothing else; -1 when empty, not all digits, or above 2^53. */
export function parseDecimal(buf: Uint8Array, s: number, e: number): number {
  if (e <= s || e - s > 15) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Chunk-size line (RFC 9112 §7.1): hex digits, then optional whitespace and `;extensions`.
 * Returns -1 when there is no valid size or it would exceed 2^52.
 */
export function parseChunkSize(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  while (i < e && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
  const start = i;
  let v = 0;
  while (i < e) {
    const c = buf[i];
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else break;
    if (i - start >= 13) return -1;
    v = v * 16 + d;
    i++;
  }
  if (i === start) return -1;
  while (i < e && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
  if (i < e && buf[i] !== 0x3b) return -1;
  return v;
}

/** True if the last transfer coding in the value at [s, e) is `chunked` (RFC 9112 §6.3). */
export function endsWithChunked(buf: Uint8Array, s: number, e: number): boolean {
  while (e > s && (buf[e - 1] === 0x20 || buf[e - 1] === 0x09)) e--;
  const lit = CHUNKED;
  if (e - s < lit.length) return false;
  const b = e - lit.length;
  if (!nameIs(buf, b, e, lit)) return false;
  if (b === s) return true;
  const p = buf[b - 1];
  return p === 0x20 || p === 0x09 || p === 0x2c;
}
const CHUNKED = ascii('chunked');

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Scratch for decoded URIs and credentials; analyzers run on one thread, one call at a time. */
const scratch = Buffer.alloc(2048);

export interface UnescapeResult {
  text: string;
  /** The decoded URI was longer than `max` bytes and was cut. */
  truncated: boolean;
  /** A `%` was not followed by two hex digits (Zeek: unescaped_%_in_URI and friends). */
  badEscape: boolean;
}

/**
 * Percent-decodes the URI at [s, e) as Zeek's `unescape_URI` does (including IIS `%uXXXX`), keeping
 * at most `max` decoded bytes, then renders them with safeString.
 */
export function unescapeUri(buf: Uint8Array, s: number, e: number, max: number, out: UnescapeResult): void {
  const cap = Math.min(max, scratch.length);
  let o = 0;
  let i = s;
  let bad = false;
  while (i < e && o < cap) {
    const c = buf[i];
    if (c !== 0x25) { scratch[o++] = c; i++; continue; }
    if (i + 3 <= e) {
      const h = hexVal(buf[i + 1]);
      const l = hexVal(buf[i + 2]);
      if (h >= 0 && l >= 0) { scratch[o++] = (h << 4) | l; i += 3; continue; }
    }
    if (i + 6 <= e && (buf[i + 1] === 0x75 || buf[i + 1] === 0x55)) {
      const a = hexVal(buf[i + 2]);
      const b = hexVal(buf[i + 3]);
      const c2 = hexVal(buf[i + 4]);
      const d = hexVal(buf[i + 5]);
      if (a >= 0 && b >= 0 && c2 >= 0 && d >= 0) {
        if (a !== 0 || b !== 0) scratch[o++] = (a << 4) | b;
        if (o < cap) scratch[o++] = (c2 << 4) | d;
        i += 6;
        continue;
      }
    }
    bad = true;
    scratch[o++] = c;
    i++;
  }
  out.truncated = i < e;
  out.badEscape = bad;
  out.text = safeString(scratch, 0, o, max);
}

/**
 * `Basic <base64(user:password)>` at [s, e): returns the user name, '' when the value is not
 * Basic, or null when it is Basic but does not decode to `user:password`. The decoded bytes
 * (password included) live only in the scratch buffer, which is wiped before returning.
 */
export function basicAuthUser(buf: Uint8Array, s: number, e: number, max: number): string | null {
  if (e - s < 6 || !nameIs(buf, s, s + 5, BASIC) || (buf[s + 5] !== 0x20 && buf[s + 5] !== 0x09)) return '';
  let i = s + 6;
  while (i < e && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
  let o = 0;
  let acc = 0;
  let bits = 0;
  const cap = scratch.length;
  for (; i < e && o < cap; i++) {
    const v = b64Val(buf[i]);
    if (v < 0) {
      if (buf[i] === 0x3d) break; // padding ends the data
      wipe(o);
      return null;
    }
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      scratch[o++] = (acc >> bits) & 0xff;
    }
  }
  let colon = -1;
  for (let k = 0; k < o; k++) {
    if (scratch[k] === 0x3a) { colon = k; break; }
  }
  const user = colon >= 0 ? safeString(scratch, 0, colon, max) : null;
  wipe(o);
  return user;
}
const BASIC = ascii('basic');

function wipe(n: number): void {
  scratch.fill(0, 0, Math.min(n, scratch.length));
}

function b64Val(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x47;
  if (c >= 0x30 && c <= 0x39) return c + 4;
  if (c === 0x2b || c === 0x2d) return 62;
  if (c === 0x2f || c === 0x5f) return 63;
  return -1;
}
