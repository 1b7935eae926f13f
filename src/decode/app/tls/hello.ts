/**
 * Pure parsers for the two cleartext messages everything else hangs on: ClientHello and
 * ServerHello bodies (RFC 8446 4.1.2/4.1.3, RFC 5246 7.4.1), given without the 4-byte handshake
 * header. They read from a view, bounds-check every field against the body, and return either a
 * filled object or the name of what was wrong (the analyzer turns it into a weird).
 *
 * Extension bodies that do not parse do not fail the hello: the extension still counts for
 * JA3/JA4 (which only need its type), and its type is listed in `badExtensions`.
 */
import { safeString } from '../../../util/text.js';
import {
  EXT_ALPN, EXT_EC_POINT_FORMATS, EXT_KEY_SHARE, EXT_KEY_SHARE_OLD, EXT_PRE_SHARED_KEY,
  EXT_SERVER_NAME, EXT_SESSION_TICKET, EXT_SIGNATURE_ALGORITHMS, EXT_SUPPORTED_GROUPS,
  EXT_SUPPORTED_VERSIONS, HRR_RANDOM, isGrease,
} from './consts.js';

/** At most this many ALPN names and supported_versions are kept for the log (rule 4). */
export const MAX_LIST_ITEMS = 16;

const HEXD = '0123456789abcdef';

export class ClientHello {
  legacyVersion = 0;
  /** Copied (<= 32 bytes) because resumption is decided when the ServerHello arrives. */
  sessionId: Buffer | null = null;
  ciphers: number[] = [];
  extensions: number[] = [];
  groups: number[] = [];
  pointFormats: number[] = [];
  sigAlgs: number[] = [];
  supportedVersions: number[] = [];
  serverName: string | undefined = undefined;
  serverNameCount = 0;
  hasAlpn = false;
  alpn: string[] = [];
  /** More ALPN names or versions than MAX_LIST_ITEMS were offered; the log lists the first ones. */
  listsCapped = false;
  /** JA4 ALPN characters of the first ALPN value, computed from raw bytes (`00` if none). */
  ja4Alpn = '00';
  pskOffered = false;
  ticketOffered = false;
  badExtensions: number[] = [];
}

export class ServerHello {
  version = 0;
  isHelloRetry = false;
  sessionId: Buffer | null = null;
  cipher = 0;
  extensions: number[] = [];
  /** From supported_versions (RFC 8446 4.2.1); 0 when absent. */
  selectedVersion = 0;
  alpn: string | undefined = undefined;
  /** Group from key_share (or the HRR's selected_group); -1 when absent. */
  keyShareGroup = -1;
  pskAccepted = false;
  badExtensions: number[] = [];
}

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

/** Reads a u16 list of `n` bytes (odd trailing byte ignored) into `out`. */
function readU16List(b: Uint8Array, o: number, n: number, out: number[]): void {
  const end = o + n - 1;
  for (let i = o; i < end; i += 2) out.push(u16(b, i));
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** JA4 rule: first+last char of the value when both are ASCII alnum, else first+last hex digit. */
function ja4AlpnChars(b: Uint8Array, o: number, n: number): string {
  if (n === 0) return '00';
  const f = b[o];
  const l = b[o + n - 1];
  if (isAlnum(f) && isAlnum(l)) return String.fromCharCode(f, l);
  return HEXD[f >> 4] + HEXD[l & 15];
}

/**
 * Parses a ClientHello body at `buf[off, off+len)`. Returns the hello, or a short reason string
 * when the fixed part is truncated or inconsistent.
 */
export function parseClientHello(buf: Uint8Array, off: number, len: number): ClientHello | string {
  const end = off + len;
  if (end > buf.length || len < 2 + 32 + 1) return 'truncated';
  const ch = new ClientHello();
  ch.legacyVersion = u16(buf, off);
  let p = off + 34;
  const sidLen = buf[p++];
  if (sidLen > 32 || p + sidLen > end) return 'bad_session_id';
  if (sidLen > 0) ch.sessionId = Buffer.from(buf.subarray(p, p + sidLen));
  p += sidLen;
  if (p + 2 > end) return 'truncated';
  const csLen = u16(buf, p);
  p += 2;
  if ((csLen & 1) !== 0 || p + csLen > end) return 'bad_cipher_suites';
  readU16List(buf, p, csLen, ch.ciphers);
  p += csLen;
  if (p + 1 > end) return 'truncated';
  const cmLen = buf[p++];
  if (p + cmLen > end) return 'bad_compression_methods';
  p += cmLen;
  // SSLv3-era hellos may end here: no extensions block at all.
  if (p === end) return ch;
  return walkExtensions(buf, p, end, ch, clientExtension) ? ch : 'bad_extensions';
}

/**
 * Walks the extensions block at p (2-byte length, then type/length/body entries up to `end`),
 * recording each type in wire order and handing bodies to `decode`. False when the framing is bad.
 */
function walkExtensions<H extends { extensions: number[]; badExtensions: number[] }>(
  buf: Uint8Array, p: number, end: number, h: H,
  decode: (h: H, type: number, b: Uint8Array, o: number, n: number) => boolean,
): boolean {
  if (p + 2 > end) return false;
  const extEnd = p + 2 + u16(buf, p);
  p += 2;
  if (extEnd > end) return false;
  while (p + 4 <= extEnd) {
    const type = u16(buf, p);
    const n = u16(buf, p + 2);
    p += 4;
    if (p + n > extEnd) return false;
    h.extensions.push(type);
    if (!decode(h, type, buf, p, n)) h.badExtensions.push(type);
    p += n;
  }
  return p === extEnd;
}

/** Decodes one ClientHello extension body; false when it is malformed. */
function clientExtension(ch: ClientHello, type: number, b: Uint8Array, o: number, n: number): boolean {
  switch (type) {
    case EXT_SERVER_NAME: {
      // An empty body is legal in a ServerHello only, but clients send it too; nothing to read.
      if (n === 0) return true;
      if (n < 2 || u16(b, o) !== n - 2) return false;
      let p = o + 2;
      const end = o + n;
      while (p + 3 <= end) {
        const nameType = b[p];
        const l = u16(b, p + 1);
        p += 3;
        if (p + l > end) return false;
        if (nameType === 0) {
          if (ch.serverNameCount === 0) ch.serverName = safeString(b, p, l);
          ch.serverNameCount++;
        }
        p += l;
      }
      return p === end;
    }
    case EXT_SUPPORTED_GROUPS:
      if (n < 2 || u16(b, o) !== n - 2 || (n & 1) !== 0) return false;
      readU16List(b, o + 2, n - 2, ch.groups);
      return true;
    case EXT_EC_POINT_FORMATS: {
      if (n < 1 || b[o] !== n - 1) return false;
      for (let i = o + 1; i < o + n; i++) ch.pointFormats.push(b[i]);
      return true;
    }
    case EXT_SIGNATURE_ALGORITHMS:
      if (n < 2 || u16(b, o) !== n - 2 || (n & 1) !== 0) return false;
      readU16List(b, o + 2, n - 2, ch.sigAlgs);
      return true;
    case EXT_ALPN: {
      ch.hasAlpn = true;
      if (n < 2 || u16(b, o) !== n - 2) return false;
      let p = o + 2;
      const end = o + n;
      let first = true;
      while (p < end) {
        const l = b[p++];
        if (p + l > end) return false;
        if (first) { ch.ja4Alpn = ja4AlpnChars(b, p, l); first = false; }
        if (ch.alpn.length < MAX_LIST_ITEMS) ch.alpn.push(safeString(b, p, l));
        else ch.listsCapped = true;
        p += l;
      }
      return true;
    }
    case EXT_SUPPORTED_VERSIONS: {
      if (n < 1 || b[o] !== n - 1 || (b[o] & 1) !== 0) return false;
      readU16List(b, o + 1, n - 1, ch.supportedVersions);
      return true;
    }
    case EXT_SESSION_TICKET:
      if (n > 0) ch.ticketOffered = true;
      return true;
    case EXT_PRE_SHARED_KEY:
      ch.pskOffered = true;
      return true;
  }
  return true;
}

/** Parses a ServerHello body at `buf[off, off+len)`; see parseClientHello. */
export function parseServerHello(buf: Uint8Array, off: number, len: number): ServerHello | string {
  const end = off + len;
  if (end > buf.length || len < 2 + 32 + 1) return 'truncated';
  const sh = new ServerHello();
  sh.version = u16(buf, off);
  let hrr = true;
  for (let i = 0; i < 32; i++) {
    if (buf[off + 2 + i] !== HRR_RANDOM[i]) { hrr = false; break; }
  }
  sh.isHelloRetry = hrr;
  let p = off + 34;
  // TLS 1.3 drafts before -22 dropped the session id from the ServerHello.
  const draftNoSid = (sh.version >> 8) === 0x7f && (sh.version & 0xff) < 22;
  if (!draftNoSid) {
    const sidLen = buf[p++];
    if (sidLen > 32 || p + sidLen > end) return 'bad_session_id';
    if (sidLen > 0) sh.sessionId = Buffer.from(buf.subarray(p, p + sidLen));
    p += sidLen;
  }
  if (p + 2 > end) return 'truncated';
  sh.cipher = u16(buf, p);
  p += 2;
  if (!draftNoSid) {
    if (p + 1 > end) return 'truncated';
    p += 1; // compression method
  }
  if (p === end) return sh;
  return walkExtensions(buf, p, end, sh, serverExtension) ? sh : 'bad_extensions';
}

function serverExtension(sh: ServerHello, type: number, b: Uint8Array, o: number, n: number): boolean {
  switch (type) {
    case EXT_SUPPORTED_VERSIONS:
      if (n !== 2) return false;
      sh.selectedVersion = u16(b, o);
      return true;
    case EXT_ALPN: {
      if (n < 3 || u16(b, o) !== n - 2) return false;
      const l = b[o + 2];
      if (3 + l > n) return false;
      sh.alpn = safeString(b, o + 3, l);
      return true;
    }
    case EXT_KEY_SHARE:
    case EXT_KEY_SHARE_OLD:
      // ServerHello: group + key_exchange; HelloRetryRequest: selected_group only.
      if (n < 2) return false;
      sh.keyShareGroup = u16(b, o);
      return true;
    case EXT_PRE_SHARED_KEY:
      sh.pskAccepted = true;
      return true;
  }
  return true;
}

/** Copies `v` without GREASE values (RFC 8701), which every fingerprint ignores. */
export function withoutGrease(v: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) if (!isGrease(v[i])) out.push(v[i]);
  return out;
}
