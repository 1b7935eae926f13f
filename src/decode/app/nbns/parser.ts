/**
 * NetBIOS name service message parser (RFC 1002 §4.2). The header and RR layout are DNS's, but
 * names use the "first-level encoding": 16 bytes, each split into two nibbles written as 'A'+n,
 * giving one 32-byte label (plus optional scope labels). The 16th byte is the service suffix.
 */
import { macString, safeString } from '../../../util/text.js';

export interface NbnsReport {
  weird(name: string, addl?: string): void;
  count(name: string): void;
}

export const MAX_RRS_PER_SECTION = 64;
export const MAX_ADDRESSES = 64;
export const MAX_NBSTAT_NAMES = 64;
const MAX_POINTER_JUMPS = 8;
const HEADER_LEN = 12;
export const TYPE_NB = 0x20;
export const TYPE_NBSTAT = 0x21;

export class NbnsMessage {
  ok = false;
  id = 0;
  response = false;
  opcode = 0;
  broadcast = false;
  rcode = 0;
  /** True once a valid name was decoded (from the question, else from the first RR). */
  hasName = false;
  name = '';
  suffix = 0;
  type = 0;
  answers: string[] | null = null;
  nbstatNames: string[] | null = null;
  mac = '';

  reset(): void {
    this.ok = false;
    this.id = 0;
    this.response = false;
    this.opcode = 0;
    this.broadcast = false;
    this.rcode = 0;
    this.hasName = false;
    this.name = '';
    this.suffix = 0;
    this.type = 0;
    this.answers = null;
    this.nbstatNames = null;
    this.mac = '';
  }
}

/** Decoded 16-byte name of the last readName call. */
const RAW = new Uint8Array(16);

export class NbnsParser {
  readonly msg = new NbnsMessage();
  private report: NbnsReport | null = null;
  /** False when the last name read was not a 32-byte first-level-encoded label. */
  private encoded = false;

  parse(buf: Buffer, off: number, len: number, report: NbnsReport): NbnsMessage {
    const m = this.msg;
    m.reset();
    this.report = report;
    let end = off + len;
    if (end > buf.length) end = buf.length;
    if (off < 0 || end - off < HEADER_LEN) {
      report.weird('netbios_truncated_header');
      return m;
    }
    const flags = (buf[off + 2] << 8) | buf[off + 3];
    m.id = (buf[off] << 8) | buf[off + 1];
    m.response = (flags & 0x8000) !== 0;
    m.opcode = (flags >> 11) & 0xf;
    m.broadcast = (flags & 0x0010) !== 0;
    m.rcode = flags & 0xf;
    const qd = (buf[off + 4] << 8) | buf[off + 5];
    const counts = [(buf[off + 6] << 8) | buf[off + 7], (buf[off + 8] << 8) | buf[off + 9], (buf[off + 10] << 8) | buf[off + 11]];
    // Name service messages carry at most one question; more is not NBNS.
    if (qd > 1) {
      report.weird('netbios_bad_question_count', String(qd));
      return m;
    }
    let p = off + HEADER_LEN;
    if (qd === 1) {
      const q = this.readName(buf, off, end, p);
      if (q < 0) return m;
      if (q + 4 > end) {
        report.weird('netbios_truncated_question');
        return m;
      }
      this.takeName(m);
      m.type = (buf[q] << 8) | buf[q + 1];
      p = q + 4;
    }
    m.ok = true;
    for (let s = 0; s < 3; s++) {
      let n = counts[s];
      if (n > MAX_RRS_PER_SECTION) {
        report.count('decoder.netbios.rrs_capped');
        n = MAX_RRS_PER_SECTION;
      }
      for (let i = 0; i < n; i++) {
        p = this.rr(buf, off, end, p);
        if (p < 0) return m;
      }
    }
    return m;
  }

  private rr(buf: Buffer, base: number, end: number, p: number): number {
    const m = this.msg;
    const q = this.readName(buf, base, end, p);
    if (q < 0) return -1;
    if (q + 10 > end) {
      this.report?.weird('netbios_truncated_rr');
      return -1;
    }
    const type = (buf[q] << 8) | buf[q + 1];
    const rdlen = (buf[q + 8] << 8) | buf[q + 9];
    const rd = q + 10;
    if (rd + rdlen > end) {
      this.report?.weird('netbios_truncated_rdata');
      return -1;
    }
    if (!m.hasName) {
      this.takeName(m);
      m.type = type;
    }
    if (type === TYPE_NB) this.nb(buf, rd, rdlen);
    else if (type === TYPE_NBSTAT && m.response) this.nbstat(buf, rd, rdlen);
    return rd + rdlen;
  }

  /** NB rdata: (2-byte NB_FLAGS, 4-byte IPv4) entries. */
  private nb(buf: Buffer, rd: number, rdlen: number): void {
    const m = this.msg;
    if (rdlen % 6 !== 0) this.report?.weird('netbios_bad_nb_rdlength', String(rdlen));
    for (let p = rd; p + 6 <= rd + rdlen; p += 6) {
      if (m.answers === null) m.answers = [];
      if (m.answers.length >= MAX_ADDRESSES) {
        this.report?.count('decoder.netbios.addresses_capped');
        return;
      }
      const a = buf[p + 2] + '.' + buf[p + 3] + '.' + buf[p + 4] + '.' + buf[p + 5];
      if (!m.answers.includes(a)) m.answers.push(a);
    }
  }

  /** NBSTAT rdata: count, count × (15-byte name, suffix, 2-byte flags), then a 6-byte unit ID. */
  private nbstat(buf: Buffer, rd: number, rdlen: number): void {
    const m = this.msg;
    const end = rd + rdlen;
    if (rdlen < 1) return;
    const n = buf[rd];
    let p = rd + 1;
    for (let i = 0; i < n; i++, p += 18) {
      if (p + 18 > end) {
        this.report?.weird('netbios_truncated_nbstat');
        return;
      }
      if (m.nbstatNames === null) m.nbstatNames = [];
      if (m.nbstatNames.length >= MAX_NBSTAT_NAMES) {
        this.report?.count('decoder.netbios.nbstat_names_capped');
        continue;
      }
      for (let k = 0; k < 15; k++) RAW[k] = buf[p + k];
      const sfx = buf[p + 15];
      m.nbstatNames.push(trimmedName() + '<' + (sfx < 16 ? '0' : '') + sfx.toString(16) + '>');
    }
    if (p + 6 <= end) m.mac = macString(buf, p);
  }

  /** Keeps the name just read, if it was a real NetBIOS name (a bad one confirms nothing). */
  private takeName(m: NbnsMessage): void {
    if (!this.encoded) return;
    m.hasName = true;
    m.suffix = RAW[15];
    m.name = trimmedName();
  }

  /**
   * Reads the (possibly compressed) name at `pos`, decoding its first label into RAW when it is
   * a valid 32-byte encoding. Returns the position after the name, or -1 (with a weird).
   */
  private readName(buf: Buffer, base: number, limit: number, pos: number): number {
    let p = pos;
    let end = limit;
    let next = -1;
    let jumps = 0;
    let first = true;
    this.encoded = false;
    for (;;) {
      if (p >= end) {
        this.report?.weird('netbios_truncated_name');
        return -1;
      }
      const c = buf[p];
      if (c === 0) return next < 0 ? p + 1 : next;
      if ((c & 0xc0) === 0xc0) {
        if (p + 1 >= end) {
          this.report?.weird('netbios_truncated_name');
          return -1;
        }
        const target = base + (((c & 0x3f) << 8) | buf[p + 1]);
        if (next < 0) next = p + 2;
        if (target >= p || ++jumps > MAX_POINTER_JUMPS) {
          this.report?.weird('netbios_bad_name_pointer');
          return -1;
        }
        end = p;
        p = target;
        continue;
      }
      if ((c & 0xc0) !== 0 || p + 1 + c > end) {
        this.report?.weird('netbios_bad_label');
        return -1;
      }
      if (first) {
        first = false;
        if (c === 32 && decodeFirstLevel(buf, p + 1)) this.encoded = true;
        else this.report?.weird('netbios_bad_name_encoding');
      }
      p += 1 + c;
    }
  }
}

/** Half-ASCII decoding of 32 bytes at p into RAW; false if a byte is outside 'A'..'P'. */
function decodeFirstLevel(buf: Buffer, p: number): boolean {
  for (let i = 0; i < 16; i++) {
    const hi = buf[p + 2 * i] - 0x41;
    const lo = buf[p + 2 * i + 1] - 0x41;
    if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return false;
    RAW[i] = (hi << 4) | lo;
  }
  return true;
}

/**
 * The 15 name bytes of RAW without padding: trailing spaces and NULs, and control bytes at either
 * end (`\x01\x02__MSBROWSE__\x02` is known as `__MSBROWSE__`). Inner oddities stay, escaped.
 */
function trimmedName(): string {
  let s = 0;
  let e = 15;
  while (e > 0 && RAW[e - 1] <= 0x20) e--;
  while (s < e && RAW[s] < 0x20) s++;
  return safeString(RAW, s, e - s, 16);
}
