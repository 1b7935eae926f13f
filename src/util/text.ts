/**
 * Turning attacker-controlled bytes into strings we keep.
 *
 * Rule 9 of the house: store raw, escape at render. "Raw" still has to be a valid JS string that
 * survives JSON and SQLite, so we follow Zeek's JSON policy: printable ASCII and valid UTF-8 are
 * kept; every other byte (controls, DEL, invalid UTF-8) becomes `\xNN`. Output is capped so a
 * hostile 64 KiB "hostname" cannot grow our memory: callers pass the cap (rule 4).
 */

const HEX = '0123456789abcdef';

/** Default cap for names and most strings (reliability.md R7); user agents use 512. */
export const MAX_STRING = 256;

/**
 * Decodes `len` bytes at `off` as text, escaping what is not printable, and truncating to at most
 * `max` source bytes. Allocates only the returned string (called per event, not per packet).
 */
export function safeString(buf: Uint8Array, off: number, len: number, max: number = MAX_STRING): string {
  if (off < 0 || len <= 0 || off >= buf.length) return '';
  let end = off + Math.min(len, max);
  if (end > buf.length) end = buf.length;
  // Fast path: printable ASCII only.
  let plain = true;
  for (let i = off; i < end; i++) {
    const c = buf[i];
    if (c < 0x20 || c > 0x7e || c === 0x5c) { plain = false; break; }
  }
  if (plain) return latin1(buf, off, end);
  let out = '';
  let i = off;
  while (i < end) {
    const c = buf[i];
    if (c >= 0x20 && c < 0x7f) {
      out += c === 0x5c ? '\\\\' : String.fromCharCode(c);
      i++;
      continue;
    }
    const n = utf8SeqLen(buf, i, end);
    if (n > 0) {
      out += Buffer.from(buf.buffer, buf.byteOffset + i, n).toString('utf8');
      i += n;
    } else {
      out += '\\x' + HEX[c >> 4] + HEX[c & 15];
      i++;
    }
  }
  return out;
}

// Buffer's native latin1 slicer accepts any Uint8Array as `this`; it avoids building a Buffer
// view per string (this runs for every DNS name, header and hostname we keep).
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string }).latin1Slice;

function latin1(buf: Uint8Array, start: number, end: number): string {
  if (end - start < 16) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
    return s;
  }
  return latin1Slice.call(buf, start, end);
}

/** Length of a valid, non-overlong, printable UTF-8 sequence at i (2-4 bytes), else 0. */
function utf8SeqLen(buf: Uint8Array, i: number, end: number): number {
  const c = buf[i];
  let n: number;
  let min: number;
  if (c >= 0xc2 && c <= 0xdf) { n = 2; min = 0x80; }
  else if (c >= 0xe0 && c <= 0xef) { n = 3; min = 0x800; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4; min = 0x10000; }
  else return 0;
  if (i + n > end) return 0;
  let cp = c & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) {
    const b = buf[i + k];
    if ((b & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  // C1 controls and bidi overrides are kept escaped: they are how log viewers get fooled.
  if (cp < 0xa0 || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return 0;
  return n;
}

/** Lower-case hex of bytes, e.g. for fingerprints. */
export function hex(buf: Uint8Array, off: number, len: number): string {
  let s = '';
  const end = Math.min(buf.length, off + len);
  for (let i = off; i < end; i++) s += HEX[buf[i] >> 4] + HEX[buf[i] & 15];
  return s;
}

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => HEX[i >> 4] + HEX[i & 15]);

/** `aa:bb:cc:dd:ee:ff` from 6 bytes at off. */
export function macString(buf: Uint8Array, off: number): string {
  if (off + 6 > buf.length) return '';
  return HEX2[buf[off]] + ':' + HEX2[buf[off + 1]] + ':' + HEX2[buf[off + 2]] + ':' + HEX2[buf[off + 3]] + ':' + HEX2[buf[off + 4]] + ':' + HEX2[buf[off + 5]];
}
