/**
 * SSDP (UPnP discovery, UDP 1900): HTTP/1.1-shaped text in one datagram. We read the start line
 * and the few headers that identify a device; everything else is skipped. Caps: the header block
 * is scanned up to 8 KiB and 100 header lines (reliability.md R7).
 */
import { safeString } from '../../../util/text.js';

export interface SsdpReport {
  weird(name: string, addl?: string): void;
  count(name: string): void;
}

export const MAX_HEADER_BLOCK = 8192;
export const MAX_HEADERS = 100;
export const MAX_UA = 512;

export const METHOD_NONE = 0;
export const METHOD_NOTIFY = 1;
export const METHOD_MSEARCH = 2;
export const METHOD_RESPONSE = 3;

export class SsdpMessage {
  method = METHOD_NONE;
  server: string | undefined = undefined;
  usn: string | undefined = undefined;
  location: string | undefined = undefined;
  nt: string | undefined = undefined;
  nts: string | undefined = undefined;
  st: string | undefined = undefined;
  userAgent: string | undefined = undefined;

  reset(): void {
    this.method = METHOD_NONE;
    this.server = undefined;
    this.usn = undefined;
    this.location = undefined;
    this.nt = undefined;
    this.nts = undefined;
    this.st = undefined;
    this.userAgent = undefined;
  }
}

const NOTIFY = bytes('NOTIFY * HTTP/');
const MSEARCH = bytes('M-SEARCH * HTTP/');
const HTTP = bytes('HTTP/1.');
const H_SERVER = bytes('server');
const H_USN = bytes('usn');
const H_LOCATION = bytes('location');
const H_NT = bytes('nt');
const H_NTS = bytes('nts');
const H_ST = bytes('st');
const H_UA = bytes('user-agent');

function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function startsWith(buf: Uint8Array, off: number, end: number, lit: Uint8Array): boolean {
  if (end - off < lit.length) return false;
  for (let i = 0; i < lit.length; i++) if (buf[off + i] !== lit[i]) return false;
  return true;
}

/** Case-insensitive compare of [off, off+len) with a lower-case literal. */
function nameIs(buf: Uint8Array, off: number, len: number, lit: Uint8Array): boolean {
  if (len !== lit.length) return false;
  for (let i = 0; i < len; i++) {
    let c = buf[off + i];
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lit[i]) return false;
  }
  return true;
}

/** Cheap content test for SSDP on other ports (Plex GDM, vendor discovery). */
export function looksLikeSsdp(buf: Uint8Array, off: number, len: number): boolean {
  const end = Math.min(buf.length, off + len);
  return startsWith(buf, off, end, NOTIFY) || startsWith(buf, off, end, MSEARCH);
}

export class SsdpParser {
  readonly msg = new SsdpMessage();

  /** Returns the reused message; `method` stays METHOD_NONE when this is not SSDP. */
  parse(buf: Buffer, off: number, len: number, report: SsdpReport): SsdpMessage {
    const m = this.msg;
    m.reset();
    let end = Math.min(buf.length, off + len);
    if (off < 0 || off >= end) return m;
    if (startsWith(buf, off, end, NOTIFY)) m.method = METHOD_NOTIFY;
    else if (startsWith(buf, off, end, MSEARCH)) m.method = METHOD_MSEARCH;
    else if (startsWith(buf, off, end, HTTP)) m.method = METHOD_RESPONSE;
    else {
      report.weird('ssdp_bad_start_line');
      return m;
    }
    if (end - off > MAX_HEADER_BLOCK) {
      end = off + MAX_HEADER_BLOCK;
      report.count('decoder.ssdp.header_block_capped');
    }
    let p = lineEnd(buf, off, end);
    let headers = 0;
    let badLine = false;
    while (p < end) {
      const eol = lineEnd(buf, p, end);
      let e = eol;
      // Line ends are CRLF by the spec, but bare LF is common; eol points past the LF.
      if (e > p && buf[e - 1] === 0x0a) e--;
      if (e > p && buf[e - 1] === 0x0d) e--;
      if (e === p) break; // blank line: end of headers
      if (++headers > MAX_HEADERS) {
        report.count('decoder.ssdp.headers_capped');
        break;
      }
      let colon = p;
      while (colon < e && buf[colon] !== 0x3a) colon++;
      if (colon === e) {
        badLine = true;
      } else {
        this.header(buf, p, colon, e);
      }
      p = eol;
    }
    if (badLine) report.weird('ssdp_bad_header_line');
    return m;
  }

  private header(buf: Buffer, start: number, colon: number, e: number): void {
    let ne = colon;
    while (ne > start && (buf[ne - 1] === 0x20 || buf[ne - 1] === 0x09)) ne--;
    const nlen = ne - start;
    let vs = colon + 1;
    while (vs < e && (buf[vs] === 0x20 || buf[vs] === 0x09)) vs++;
    let ve = e;
    while (ve > vs && (buf[ve - 1] === 0x20 || buf[ve - 1] === 0x09)) ve--;
    const m = this.msg;
    // First occurrence wins, as for HTTP singletons.
    if (nlen === 2) {
      if (m.nt === undefined && nameIs(buf, start, nlen, H_NT)) m.nt = safeString(buf, vs, ve - vs);
      else if (m.st === undefined && nameIs(buf, start, nlen, H_ST)) m.st = safeString(buf, vs, ve - vs);
    } else if (nlen === 3) {
      if (m.nts === undefined && nameIs(buf, start, nlen, H_NTS)) m.nts = safeString(buf, vs, ve - vs);
      else if (m.usn === undefined && nameIs(buf, start, nlen, H_USN)) m.usn = safeString(buf, vs, ve - vs);
    } else if (nlen === 6) {
      if (m.server === undefined && nameIs(buf, start, nlen, H_SERVER)) m.server = safeString(buf, vs, ve - vs);
    } else if (nlen === 8) {
      if (m.location === undefined && nameIs(buf, start, nlen, H_LOCATION)) m.location = safeString(buf, vs, ve - vs);
    } else if (nlen === 10) {
      if (m.userAgent === undefined && nameIs(buf, start, nlen, H_UA)) m.userAgent = safeString(buf, vs, ve - vs, MAX_UA);
    }
  }
}

/** Position just past the next LF at or after p (or `end` when there is none). */
function lineEnd(buf: Uint8Array, p: number, end: number): number {
  while (p < end && buf[p] !== 0x0a) p++;
  return p < end ? p + 1 : end;
}
