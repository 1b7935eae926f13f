/**
 * NTP message parser (RFC 5905 header, RFC 7822 extension fields, RFC 1305 appendix B mode 6,
 * ntpd's mode 7). Pure: returns a record or an error name; never throws.
 */
import { safeString } from '../../../util/text.js';
import type { NtpRecord } from './types.js';

/** Seconds between the NTP era 0 epoch (1900) and the Unix epoch. */
const NTP_UNIX_OFFSET = 2208988800;
const STD_HEADER = 48;
/** Enough for any real message (ntpd allows a handful of extension fields). */
export const MAX_EXTENSIONS = 32;

export type NtpParse =
  | { ok: true; rec: NtpRecord; extsCapped: boolean; weird: string }
  | { ok: false; error: string; version: number; mode: number };

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function int8(v: number): number {
  return v > 127 ? v - 256 : v;
}

/** NTP 64-bit timestamp to epoch seconds; an all-zero timestamp stays 0 (Zeek's convention). */
export function ntpTime(b: Uint8Array, o: number): number {
  const sec = u32(b, o);
  const frac = u32(b, o + 4);
  if (sec === 0 && frac === 0) return 0;
  return sec - NTP_UNIX_OFFSET + frac / 4294967296;
}

/** NTP short format (16.16 unsigned fixed point) to seconds. */
export function ntpShort(b: Uint8Array, o: number): number {
  return u16(b, o) + u16(b, o + 2) / 65536;
}

/** Stratum 0/1 reference ids are four ASCII characters, NUL padded. */
function refString(b: Uint8Array, o: number): string {
  let n = 4;
  while (n > 0 && b[o + n - 1] === 0) n--;
  return n === 0 ? '' : safeString(b, o, n, 4);
}

export function parseNtp(b: Uint8Array, off: number, len: number): NtpParse {
  if (len < 1 || off + len > b.length) return { ok: false, error: 'ntp_truncated', version: -1, mode: -1 };
  const first = b[off];
  const version = (first >> 3) & 7;
  const mode = first & 7;
  if (version < 1 || version > 4) return { ok: false, error: 'ntp_bad_version', version, mode };
  if (mode === 0) return { ok: false, error: 'ntp_reserved_mode', version, mode };

  if (mode === 6) {
    // Control message: 12-byte header (flags/opcode, sequence, status, association, offset, count).
    if (len < 12) return { ok: false, error: 'ntp_truncated', version, mode };
    const b1 = b[off + 1];
    return { ok: true, rec: { version, mode, ctl_opcode: b1 & 0x1f, response: (b1 & 0x80) !== 0 }, extsCapped: false, weird: '' };
  }
  if (mode === 7) {
    // ntpd private: R M VN mode | A sequence | implementation | request code | …
    if (len < 4) return { ok: false, error: 'ntp_truncated', version, mode };
    return { ok: true, rec: { version, mode, req_code: b[off + 3], response: (first & 0x80) !== 0 }, extsCapped: false, weird: '' };
  }

  if (len < STD_HEADER) return { ok: false, error: 'ntp_truncated', version, mode };
  const stratum = b[off + 1];
  const rec: NtpRecord = {
    version,
    mode,
    stratum,
    poll: Math.pow(2, int8(b[off + 2])),
    precision: Math.pow(2, int8(b[off + 3])),
    root_delay: ntpShort(b, off + 4),
    root_disp: ntpShort(b, off + 8),
  };
  const ref = off + 12;
  if (stratum <= 1) {
    const s = refString(b, ref);
    if (s !== '') rec.ref_id = s;
  } else {
    rec.ref_id = b[ref] + '.' + b[ref + 1] + '.' + b[ref + 2] + '.' + b[ref + 3];
  }
  rec.ref_time = ntpTime(b, off + 16);
  rec.org_time = ntpTime(b, off + 24);
  rec.rec_time = ntpTime(b, off + 32);
  rec.xmt_time = ntpTime(b, off + 40);

  // RFC 7822: extension fields (type u16, length u16 incl. header, >= 16, multiple of 4) until
  // what is left is a MAC (20 or 24 bytes: key id + MD5/SHA-1 digest) or nothing.
  let p = off + STD_HEADER;
  const end = off + len;
  let exts = 0;
  let capped = false;
  let weird = '';
  while (end - p > 0) {
    const rest = end - p;
    if (rest === 20 || rest === 24) break;
    const elen = rest < 16 ? 0 : u16(b, p + 2);
    if (elen < 16 || (elen & 3) !== 0 || elen > rest) {
      // The header itself is fine and still worth logging; the trailer is not what RFC 7822 says.
      weird = 'ntp_bad_extension_field';
      break;
    }
    if (exts >= MAX_EXTENSIONS) { capped = true; break; }
    exts++;
    p += elen;
  }
  rec.num_exts = exts;
  return { ok: true, rec, extsCapped: capped, weird };
}
